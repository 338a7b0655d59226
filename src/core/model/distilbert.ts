// DistilBertForSequenceClassification in TensorFlow.js ops, with a hand-written backward pass.
//
// It computes what Hugging Face's `modeling_distilbert.py` computes (eager attention):
//
//   x = LayerNorm(word_embeddings[ids] + position_embeddings[0..T-1]);  dropout
//   per layer (post-LN):  x1 = LayerNorm(out_lin(attention(x)) + x)
//                         x  = LayerNorm(dropout(lin2(gelu(lin1(x1)))) + x1)
//   logits = classifier(dropout(relu(pre_classifier(x[:, 0]))));  loss = mean cross-entropy
//
// Why a hand-written backward instead of tfjs autodiff: the engine keeps every intermediate of the
// graph alive and clones what it saves, which does not fit DistilBERT-base in the wasm heap; the
// gradient of `gather` (embeddings) needs a kernel the wasm backend lacks; and here each layer keeps
// exactly what its backward needs, in the layout the matmuls want.
//
// One exact shortcut: the classifier reads token 0 only, so the last layer computes its queries,
// attention output and feed-forward for token 0 alone (keys and values still cover every token).
//
// Shapes: B batch, T tokens, D = dim, H heads, dh = D / H, F = hidden_dim, N = B*T, L labels.
// Linear weights are in memory as `[in, out]` (see parameters.ts).
import { tf, tidy, type Tensor, type Tensor2D } from '../tf';
import type { DistilBertConfig } from './distilbertConfig';
import { kernels } from '../kernels/activeKernels';
import { dropoutSiteSeed } from '../random';
import { MASKED_SCORE, type AttentionCache } from '../kernels/kernels';
import { EMBEDDINGS, HEAD, layerNames, type LayerNames } from './parameters';

export interface EncodedBatch {
  /** [B*T] token ids, row-major. */
  inputIds: Int32Array;
  /** [B*T] 1 for a real token, 0 for padding. */
  attentionMask: Int32Array;
  batchSize: number;
  seqLength: number;
}

export type Params = Map<string, Tensor>;
export type Gradients = Map<string, Tensor>;

/** Dropout in training: a seed per step; masks are drawn per site from it. */
export interface DropoutPlan {
  seed: number;
}

export class DistilBertForSequenceClassification {
  private readonly layers: LayerNames[];
  private readonly headDim: number;

  constructor(
    readonly config: DistilBertConfig,
    readonly params: Params,
  ) {
    this.layers = Array.from({ length: config.n_layers }, (_, i) => layerNames(i));
    this.headDim = config.dim / config.n_heads;
  }

  private p(name: string): Tensor2D {
    const value = this.params.get(name);
    if (!value) throw new Error(`parameter ${name} is missing`);
    return value as Tensor2D;
  }

  /** Logits [B, L] in evaluation mode (no dropout). */
  logits(batch: EncodedBatch): Tensor2D {
    return tidy(() => this.forward(batch).logits);
  }

  /** Evaluation forward: logits and the last hidden state of token 0 of every row ([B, D]). */
  forward(batch: EncodedBatch): { logits: Tensor2D; pooled: Tensor2D } {
    return tidy(() => {
      const { ids, maskBias } = this.inputs(batch);
      let x = this.embeddingsForward(ids, batch, undefined).out;
      for (let i = 0; i < this.layers.length; i++) {
        const last = i === this.layers.length - 1;
        const layerOut = tidy(() => this.layerForward(i, x, maskBias, batch, last, undefined).out);
        x.dispose();
        x = layerOut;
      }
      const logits = this.headForward(x, undefined).logits;
      return { logits, pooled: x };
    });
  }

  /**
   * Mean cross-entropy loss (a scalar tensor, not read back: on a GPU a read waits for the queue to
   * drain) and the gradient of the loss for every trainable parameter. `lossScale` multiplies the
   * gradients (1 / gradient_accumulation_steps).
   */
  lossAndGradients(
    batch: EncodedBatch,
    labels: Int32Array,
    dropout: DropoutPlan | undefined,
    lossScale = 1,
  ): { loss: Tensor; gradients: Gradients } {
    const { ids, maskBias } = this.inputs(batch);
    const { n_layers: layers } = this.config;
    const embeddings = tidy(() => this.embeddingsForward(ids, batch, dropout));
    const caches: LayerCache[] = [];
    let x = embeddings.out;
    for (let i = 0; i < layers; i++) {
      const result = tidy(() => this.layerForward(i, x, maskBias, batch, i === layers - 1, dropout));
      caches.push(result.cache);
      x = result.out;
    }
    const head = tidy(() => this.headForward(x, dropout));
    const gradients: Gradients = new Map();
    const { loss, dPooled } = tidy(() => this.headBackward(head, x, labels, lossScale, gradients));
    disposeAll(head);
    x.dispose(); // the last layer's output (token 0 of each row): no cache holds it

    let dx: Tensor2D = dPooled;
    for (let i = layers - 1; i >= 0; i--) {
      const next = tidy(() => this.layerBackward(i, caches[i], dx, batch, gradients));
      dx.dispose();
      disposeAll(caches[i]);
      dx = next;
    }
    tidy(() => this.embeddingsBackward(embeddings, dx, batch, gradients));
    dx.dispose();
    disposeAll(embeddings);
    ids.dispose();
    maskBias.dispose();
    return { loss, gradients };
  }

  // --- inputs -------------------------------------------------------------------------------

  private inputs(batch: EncodedBatch): { ids: Tensor; maskBias: Tensor2D } {
    const { batchSize: B, seqLength: T } = batch;
    const bias = new Float32Array(B * T);
    for (let i = 0; i < bias.length; i++) bias[i] = batch.attentionMask[i] ? 0 : MASKED_SCORE;
    return {
      ids: tf.tensor1d(batch.inputIds, 'int32'), //                      [N]
      maskBias: tf.tensor2d(bias, [B, T]), //                             [B,T] added to every query's scores
    };
  }

  // --- embeddings ---------------------------------------------------------------------------

  private embeddingsForward(ids: Tensor, batch: EncodedBatch, dropout: DropoutPlan | undefined): EmbeddingsCache {
    const { batchSize: B, seqLength: T } = batch;
    const D = this.config.dim;
    const words = tf.gather(this.p(EMBEDDINGS.word), ids); //             [N,D]
    const positions = tf.slice(this.p(EMBEDDINGS.position), [0, 0], [T, D]); // [T,D]
    const summed = tf.reshape(tf.add(tf.reshape(words, [B, T, D]), positions), [B * T, D]) as Tensor2D;
    const norm = kernels().layerNorm(summed, this.p(EMBEDDINGS.normWeight), this.p(EMBEDDINGS.normBias));
    const mask =
      dropout && this.config.dropout > 0
        ? kernels().dropoutMask([B * T, D], this.config.dropout, siteSeed(dropout, 0, 0))
        : undefined;
    return { out: mask ? tf.mul(norm.y, mask) : norm.y, xhat: norm.xhat, rstd: norm.rstd, mask };
  }

  private embeddingsBackward(cache: EmbeddingsCache, dOut: Tensor2D, batch: EncodedBatch, gradients: Gradients): void {
    const { batchSize: B, seqLength: T } = batch;
    const { dim: D, max_position_embeddings: P, vocab_size: V, pad_token_id: pad } = this.config;
    const dNorm = cache.mask ? tf.mul(dOut, cache.mask) : dOut;
    const ln = kernels().layerNormBackward(dNorm as Tensor2D, cache.xhat, cache.rstd, this.p(EMBEDDINGS.normWeight));
    keep(gradients, EMBEDDINGS.normWeight, ln.dWeight);
    keep(gradients, EMBEDDINGS.normBias, ln.dBias);
    if (!this.config.sinusoidal_pos_embds) {
      const dPositions = sumOverFirstAxis(tf.reshape(ln.dInput, [B, T, D])); // [T,D]
      keep(
        gradients,
        EMBEDDINGS.position,
        T < P
          ? tf.pad(dPositions, [
              [0, P - T],
              [0, 0],
            ])
          : dPositions,
      );
    }
    // The word-embedding gradient scatters each token's row into its id (duplicates add up).
    // Padding-id tokens get no gradient: HF's nn.Embedding(padding_idx=pad_token_id).
    const rows: number[] = [];
    const targets: number[] = [];
    for (let i = 0; i < batch.inputIds.length; i++) {
      if (batch.inputIds[i] !== pad) {
        rows.push(i);
        targets.push(batch.inputIds[i]);
      }
    }
    const dRows =
      rows.length === batch.inputIds.length
        ? ln.dInput
        : (tf.gather(ln.dInput, tf.tensor1d(rows, 'int32')) as Tensor2D); // [K,D]
    keep(gradients, EMBEDDINGS.word, kernels().embeddingGradient(dRows, Int32Array.from(targets), V));
  }

  // --- transformer layer --------------------------------------------------------------------

  private layerForward(
    i: number,
    x: Tensor2D,
    maskBias: Tensor2D,
    batch: EncodedBatch,
    firstTokenOnly: boolean,
    dropout: DropoutPlan | undefined,
  ): { out: Tensor2D; cache: LayerCache } {
    const n = this.layers[i];
    const { batchSize: B, seqLength: T } = batch;
    const { dim: D, n_heads: H } = this.config;
    const dh = this.headDim;
    const Tq = firstTokenOnly ? 1 : T;

    // Queries for every token, or for token 0 only in the last layer; keys and values for every token.
    const xq = firstTokenOnly ? firstTokens(x, B, T, D) : x; //           [B*Tq,D]
    const attentionDropout =
      dropout && this.config.attention_dropout > 0
        ? { rate: this.config.attention_dropout, seed: siteSeed(dropout, i + 1, 1) }
        : undefined;
    const { context, cache: attended } = kernels().attention(
      linear(xq, this.p(n.q), this.p(n.qBias)), //                           [B*Tq,D]
      linear(x, this.p(n.k), this.p(n.kBias)), //                            [B*T,D]
      linear(x, this.p(n.v), this.p(n.vBias)), //                            [B*T,D]
      maskBias,
      { B, Tq, T, H, dh },
      attentionDropout,
    ); //                                                                   context [B*Tq,D]
    const attendedOut = linear(context, this.p(n.out), this.p(n.outBias)); // [B*Tq,D]
    const saNorm = kernels().layerNorm(attendedOut, this.p(n.saNormWeight), this.p(n.saNormBias), xq); // LN(attention + xq)
    const x1 = saNorm.y; //                                                [B*Tq,D]

    const hPre = linear(x1, this.p(n.lin1), this.p(n.lin1Bias)); //        [B*Tq,F]
    const h = this.activation(hPre);
    const f = linear(h, this.p(n.lin2), this.p(n.lin2Bias)); //            [B*Tq,D]
    const ffnMask =
      dropout && this.config.dropout > 0
        ? kernels().dropoutMask(f.shape, this.config.dropout, siteSeed(dropout, i + 1, 2))
        : undefined;
    const outNorm = kernels().layerNorm(
      ffnMask ? (tf.mul(f, ffnMask) as Tensor2D) : f,
      this.p(n.outNormWeight),
      this.p(n.outNormBias),
      x1,
    );

    const cache: LayerCache = {
      x,
      xq,
      attended,
      context,
      saXhat: saNorm.xhat,
      saRstd: saNorm.rstd,
      x1,
      hPre,
      h,
      ffnMask,
      outXhat: outNorm.xhat,
      outRstd: outNorm.rstd,
      firstTokenOnly,
    };
    return { out: outNorm.y, cache };
  }

  private layerBackward(i: number, c: LayerCache, dOut: Tensor2D, batch: EncodedBatch, gradients: Gradients): Tensor2D {
    const n = this.layers[i];
    const { batchSize: B, seqLength: T } = batch;
    const D = this.config.dim;

    // output_layer_norm(dropout(ffn) + x1)
    const outLn = kernels().layerNormBackward(dOut, c.outXhat, c.outRstd, this.p(n.outNormWeight));
    keep(gradients, n.outNormWeight, outLn.dWeight);
    keep(gradients, n.outNormBias, outLn.dBias);
    const dF = c.ffnMask ? (tf.mul(outLn.dInput, c.ffnMask) as Tensor2D) : outLn.dInput;
    const dH = linearBackward(c.h, this.p(n.lin2), dF, gradients, n.lin2, n.lin2Bias); //    [B*Tq,F]
    const dHPre = this.activationBackward(c.hPre, dH);
    const dX1 = tf.add(
      outLn.dInput,
      linearBackward(c.x1, this.p(n.lin1), dHPre, gradients, n.lin1, n.lin1Bias),
    ) as Tensor2D;

    // sa_layer_norm(out_lin(context) + x)
    const saLn = kernels().layerNormBackward(dX1, c.saXhat, c.saRstd, this.p(n.saNormWeight));
    keep(gradients, n.saNormWeight, saLn.dWeight);
    keep(gradients, n.saNormBias, saLn.dBias);
    const dContext = linearBackward(c.context, this.p(n.out), saLn.dInput, gradients, n.out, n.outBias); // [B*Tq,D]

    // attention: context = dropout(softmax(q kT / sqrt(dh) + mask)) v
    const { dQ, dK, dV } = kernels().attentionBackward(c.attended, dContext);
    const dXq = tf.add(saLn.dInput, linearBackward(c.xq, this.p(n.q), dQ, gradients, n.q, n.qBias)) as Tensor2D;
    const dXk = linearBackward(c.x, this.p(n.k), dK, gradients, n.k, n.kBias);
    const dXv = linearBackward(c.x, this.p(n.v), dV, gradients, n.v, n.vBias);
    const dXq2 = c.firstTokenOnly ? expandFirstTokens(dXq, B, T, D) : dXq;
    return tf.addN([dXk, dXv, dXq2]) as Tensor2D; //                     [N,D]
  }

  // --- classification head ------------------------------------------------------------------

  private headForward(pooled: Tensor2D, dropout: DropoutPlan | undefined): HeadCache {
    const pre = linear(pooled, this.p(HEAD.preClassifier), this.p(HEAD.preClassifierBias)); // [B,D]
    const relu = tf.relu(pre);
    const mask =
      dropout && this.config.seq_classif_dropout > 0
        ? kernels().dropoutMask(
            relu.shape,
            this.config.seq_classif_dropout,
            siteSeed(dropout, this.config.n_layers + 1, 3),
          )
        : undefined;
    const reluUsed = mask ? (tf.mul(relu, mask) as Tensor2D) : relu;
    const logits = linear(reluUsed, this.p(HEAD.classifier), this.p(HEAD.classifierBias)); //    [B,L]
    return { pre, reluUsed, mask, logits };
  }

  private headBackward(
    head: HeadCache,
    pooled: Tensor2D,
    labels: Int32Array,
    lossScale: number,
    gradients: Gradients,
  ): { loss: Tensor; dPooled: Tensor2D } {
    const [B, L] = head.logits.shape;
    const labelTensor = tf.tensor1d(labels, 'int32');
    const oneHot = tf.oneHot(labelTensor, L);
    // loss = mean_b [ logsumexp(logits_b) - logits_b[label_b] ]
    const loss = tf.mean(tf.sub(tf.logSumExp(head.logits, -1), tf.sum(tf.mul(head.logits, oneHot), -1)));
    const dLogits = tf.mul(tf.sub(tf.softmax(head.logits), oneHot), lossScale / B) as Tensor2D; // [B,L]
    const dReluUsed = linearBackward(
      head.reluUsed,
      this.p(HEAD.classifier),
      dLogits,
      gradients,
      HEAD.classifier,
      HEAD.classifierBias,
    );
    const dRelu = head.mask ? tf.mul(dReluUsed, head.mask) : dReluUsed;
    const dPre = tf.mul(dRelu, tf.step(head.pre)) as Tensor2D;
    const dPooled = linearBackward(
      pooled,
      this.p(HEAD.preClassifier),
      dPre,
      gradients,
      HEAD.preClassifier,
      HEAD.preClassifierBias,
    );
    return { loss, dPooled };
  }

  private activation(z: Tensor2D): Tensor2D {
    return this.config.activation === 'relu' ? tf.relu(z) : kernels().gelu(z);
  }

  /** dy * activation'(z). */
  private activationBackward(z: Tensor2D, dy: Tensor2D): Tensor2D {
    return this.config.activation === 'relu' ? (tf.mul(dy, tf.step(z)) as Tensor2D) : kernels().geluBackward(z, dy);
  }
}

// --- caches (what each backward needs) --------------------------------------------------------

interface EmbeddingsCache {
  out: Tensor2D;
  xhat: Tensor2D;
  rstd: Tensor2D;
  mask?: Tensor;
}

interface LayerCache {
  x: Tensor2D;
  xq: Tensor2D;
  attended: AttentionCache;
  context: Tensor2D;
  saXhat: Tensor2D;
  saRstd: Tensor2D;
  x1: Tensor2D;
  hPre: Tensor2D;
  h: Tensor2D;
  ffnMask?: Tensor;
  outXhat: Tensor2D;
  outRstd: Tensor2D;
  firstTokenOnly: boolean;
}

interface HeadCache {
  pre: Tensor2D;
  reluUsed: Tensor2D;
  mask?: Tensor;
  logits: Tensor2D;
}

// --- building blocks ----------------------------------------------------------------------------

/**
 * Backward of y = x @ W + b: stores dW = x^T dy and db = sum(dy) in `gradients`, returns dx = dy W^T.
 */
function linearBackward(
  x: Tensor2D,
  weight: Tensor2D,
  dy: Tensor2D,
  gradients: Gradients,
  weightName: string,
  biasName: string,
): Tensor2D {
  keep(gradients, weightName, matMulTransposed(x, dy, true, false)); //   [in,out] = x^T dy
  keep(gradients, biasName, kernels().columnSums(dy)); //                           [out]
  return matMulTransposed(dy, weight, false, true); //                    [rows,in] = dy W^T
}

/**
 * A matmul with a transposed operand. wasm's fast matmul (XNNPACK) only takes plain operands, and
 * its transposed variant is a scalar loop ~15x slower: there the transpose is materialized first.
 */
function matMulTransposed(a: Tensor2D, b: Tensor2D, transposeA: boolean, transposeB: boolean): Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB);
  return tf.matMul(transposeA ? tf.transpose(a) : a, transposeB ? tf.transpose(b) : b);
}

/** Rows of token 0: [B*T,D] -> [B,D]. */
function firstTokens(x: Tensor2D, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(tf.slice(tf.reshape(x, [B, T, D]), [0, 0, 0], [B, 1, D]), [B, D]);
}

/** The inverse scatter of firstTokens: [B,D] -> [B*T,D], zeros at tokens 1..T-1. */
function expandFirstTokens(d: Tensor2D, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(
    tf.pad(tf.reshape(d, [B, 1, D]), [
      [0, 0],
      [0, T - 1],
      [0, 0],
    ]),
    [B * T, D],
  );
}

/** The seed of one dropout site (layer, site) of a step. */
function siteSeed(plan: DropoutPlan, layer: number, site: number): number {
  return dropoutSiteSeed(plan.seed, layer, site);
}

function keep(gradients: Gradients, name: string, value: Tensor): void {
  gradients.set(name, tf.keep(value));
}

/** Disposes every tensor in a cache object (nested objects included). */
function disposeAll(container: object): void {
  for (const value of Object.values(container)) {
    if (!value || typeof value !== 'object') continue;
    if (typeof (value as Tensor).dispose === 'function') (value as Tensor).dispose();
    else disposeAll(value);
  }
}

/** y = x @ W + b, with W in `[in, out]` layout. */
function linear(x: Tensor2D, weight: Tensor2D, bias: Tensor): Tensor2D {
  return tf.fused.matMul({ a: x, b: weight, bias }) as Tensor2D;
}

/** Sums of a [groups, ...rest] tensor over its first axis (a gradient over the batch). */
function sumOverFirstAxis(x: Tensor): Tensor {
  const [groups, ...rest] = x.shape;
  return tf.reshape(kernels().columnSums(tf.reshape(x, [groups, x.size / groups])), rest);
}
