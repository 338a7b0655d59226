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
import { tf, tidy, type Tensor, type Tensor2D, type Tensor4D } from '../tf';
import type { DistilBertConfig } from './config';
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

const LAYER_NORM_EPS = 1e-12;
/** `torch.finfo(torch.float32).min`, what HF writes into the scores of masked keys. */
const MASKED_SCORE = -3.4028234663852886e38;

export class DistilBertForSequenceClassification {
  private readonly layers: LayerNames[];
  private readonly headDim: number;

  constructor(readonly config: DistilBertConfig, readonly params: Params) {
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
   * Mean cross-entropy loss, logits, and the gradient of the loss for every trainable parameter.
   * `lossScale` multiplies the gradients (1 / gradient_accumulation_steps).
   */
  lossAndGradients(batch: EncodedBatch, labels: Int32Array, dropout: DropoutPlan | undefined, lossScale = 1): { loss: number; logits: Float32Array; gradients: Gradients } {
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
    const lossValue = loss.dataSync()[0];
    const logitsValue = head.logits.dataSync() as Float32Array;
    loss.dispose();
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
    return { loss: lossValue, logits: logitsValue, gradients };
  }

  // --- inputs -------------------------------------------------------------------------------

  private inputs(batch: EncodedBatch): { ids: Tensor; maskBias: Tensor4D } {
    const { batchSize: B, seqLength: T } = batch;
    const bias = new Float32Array(B * T);
    for (let i = 0; i < bias.length; i++) bias[i] = batch.attentionMask[i] ? 0 : MASKED_SCORE;
    return {
      ids: tf.tensor1d(batch.inputIds, 'int32'), //                      [N]
      maskBias: tf.tensor4d(bias, [B, 1, 1, T]), //                       [B,1,1,T] added to scores
    };
  }

  // --- embeddings ---------------------------------------------------------------------------

  private embeddingsForward(ids: Tensor, batch: EncodedBatch, dropout: DropoutPlan | undefined): EmbeddingsCache {
    const { batchSize: B, seqLength: T } = batch;
    const D = this.config.dim;
    const words = tf.gather(this.p(EMBEDDINGS.word), ids); //             [N,D]
    const positions = tf.slice(this.p(EMBEDDINGS.position), [0, 0], [T, D]); // [T,D]
    const summed = tf.reshape(tf.add(tf.reshape(words, [B, T, D]), positions), [B * T, D]) as Tensor2D;
    const norm = layerNorm(summed, this.p(EMBEDDINGS.normWeight), this.p(EMBEDDINGS.normBias));
    const mask = dropout && this.config.dropout > 0 ? dropoutMask([B * T, D], this.config.dropout, siteSeed(dropout, 0, 0)) : undefined;
    return { out: mask ? tf.mul(norm.y, mask) : norm.y, xhat: norm.xhat, rstd: norm.rstd, mask };
  }

  private embeddingsBackward(cache: EmbeddingsCache, dOut: Tensor2D, batch: EncodedBatch, gradients: Gradients): void {
    const { batchSize: B, seqLength: T } = batch;
    const { dim: D, max_position_embeddings: P, vocab_size: V, pad_token_id: pad } = this.config;
    const dNorm = cache.mask ? tf.mul(dOut, cache.mask) : dOut;
    const ln = layerNormBackward(dNorm as Tensor2D, cache.xhat, cache.rstd, this.p(EMBEDDINGS.normWeight));
    keep(gradients, EMBEDDINGS.normWeight, ln.dWeight);
    keep(gradients, EMBEDDINGS.normBias, ln.dBias);
    if (!this.config.sinusoidal_pos_embds) {
      const dPositions = tf.sum(tf.reshape(ln.dInput, [B, T, D]), 0); //  [T,D]
      keep(gradients, EMBEDDINGS.position, T < P ? tf.pad(dPositions, [[0, P - T], [0, 0]]) : dPositions);
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
    const dRows = tf.gather(ln.dInput, tf.tensor1d(rows, 'int32')); //    [K,D]
    keep(gradients, EMBEDDINGS.word, tf.scatterND(tf.tensor2d(targets, [targets.length, 1], 'int32'), dRows, [V, D]));
  }

  // --- transformer layer --------------------------------------------------------------------

  private layerForward(i: number, x: Tensor2D, maskBias: Tensor4D, batch: EncodedBatch, firstTokenOnly: boolean, dropout: DropoutPlan | undefined): { out: Tensor2D; cache: LayerCache } {
    const n = this.layers[i];
    const { batchSize: B, seqLength: T } = batch;
    const { dim: D, n_heads: H } = this.config;
    const dh = this.headDim;
    const Tq = firstTokenOnly ? 1 : T;
    const scale = 1 / Math.sqrt(dh);

    // Queries for every token, or for token 0 only in the last layer.
    const xq = firstTokenOnly ? firstTokens(x, B, T, D) : x; //           [B*Tq,D]
    const q = tf.mul(splitHeads(linear(xq, this.p(n.q), this.p(n.qBias)), B, Tq, H, dh), scale) as Tensor4D; // [B,H,Tq,dh]
    const kT = splitHeadsTransposed(linear(x, this.p(n.k), this.p(n.kBias)), B, T, H, dh); //      [B,H,dh,T]
    const v = splitHeads(linear(x, this.p(n.v), this.p(n.vBias)), B, T, H, dh);//                 [B,H,T,dh]
    const scores = tf.add(tf.matMul(q, kT), maskBias); //                  [B,H,Tq,T]
    const weights = tf.softmax(scores) as Tensor4D; //                     [B,H,Tq,T]
    const attentionMask = dropout && this.config.attention_dropout > 0 ? dropoutMask(weights.shape, this.config.attention_dropout, siteSeed(dropout, i + 1, 1)) : undefined;
    const weightsUsed = attentionMask ? (tf.mul(weights, attentionMask) as Tensor4D) : weights;
    const context = mergeHeads(tf.matMul(weightsUsed, v), B, Tq, D); //    [B*Tq,D]
    const attended = linear(context, this.p(n.out), this.p(n.outBias)); // [B*Tq,D]
    const saNorm = layerNorm(tf.add(attended, xq), this.p(n.saNormWeight), this.p(n.saNormBias));
    const x1 = saNorm.y; //                                                [B*Tq,D]

    const hPre = linear(x1, this.p(n.lin1), this.p(n.lin1Bias)); //        [B*Tq,F]
    const h = this.activation(hPre);
    const f = linear(h, this.p(n.lin2), this.p(n.lin2Bias)); //            [B*Tq,D]
    const ffnMask = dropout && this.config.dropout > 0 ? dropoutMask(f.shape, this.config.dropout, siteSeed(dropout, i + 1, 2)) : undefined;
    const outNorm = layerNorm(tf.add(ffnMask ? tf.mul(f, ffnMask) : f, x1), this.p(n.outNormWeight), this.p(n.outNormBias));

    const cache: LayerCache = {
      x, xq, q, kT, v, weights, attentionMask, weightsUsed, context,
      saXhat: saNorm.xhat, saRstd: saNorm.rstd, x1, hPre, h, ffnMask,
      outXhat: outNorm.xhat, outRstd: outNorm.rstd, firstTokenOnly,
    };
    return { out: outNorm.y, cache };
  }

  private layerBackward(i: number, c: LayerCache, dOut: Tensor2D, batch: EncodedBatch, gradients: Gradients): Tensor2D {
    const n = this.layers[i];
    const { batchSize: B, seqLength: T } = batch;
    const { dim: D, n_heads: H } = this.config;
    const dh = this.headDim;
    const Tq = c.firstTokenOnly ? 1 : T;
    const scale = 1 / Math.sqrt(dh);

    // output_layer_norm(dropout(ffn) + x1)
    const outLn = layerNormBackward(dOut, c.outXhat, c.outRstd, this.p(n.outNormWeight));
    keep(gradients, n.outNormWeight, outLn.dWeight);
    keep(gradients, n.outNormBias, outLn.dBias);
    const dF = c.ffnMask ? (tf.mul(outLn.dInput, c.ffnMask) as Tensor2D) : outLn.dInput;
    const dH = linearBackward(c.h, this.p(n.lin2), dF, gradients, n.lin2, n.lin2Bias); //    [B*Tq,F]
    const dHPre = tf.mul(dH, this.activationGrad(c.hPre)) as Tensor2D;
    const dX1 = tf.add(outLn.dInput, linearBackward(c.x1, this.p(n.lin1), dHPre, gradients, n.lin1, n.lin1Bias)) as Tensor2D;

    // sa_layer_norm(out_lin(context) + x)
    const saLn = layerNormBackward(dX1, c.saXhat, c.saRstd, this.p(n.saNormWeight));
    keep(gradients, n.saNormWeight, saLn.dWeight);
    keep(gradients, n.saNormBias, saLn.dBias);
    const dContext = linearBackward(c.context, this.p(n.out), saLn.dInput, gradients, n.out, n.outBias); // [B*Tq,D]

    // context = weights @ v;  weights = softmax(q @ kT + mask)
    const dContext4 = splitHeads(dContext, B, Tq, H, dh); //              [B,H,Tq,dh]
    const dWeightsUsed = tf.matMul(dContext4, c.v, false, true); //       [B,H,Tq,T]
    const dV = tf.matMul(c.weightsUsed, dContext4, true, false); //       [B,H,T,dh]
    const dWeights = c.attentionMask ? tf.mul(dWeightsUsed, c.attentionMask) : dWeightsUsed;
    const dScores = tf.mul(c.weights, tf.sub(dWeights, tf.sum(tf.mul(dWeights, c.weights), -1, true))); // [B,H,Tq,T]
    const dQ = tf.mul(tf.matMul(dScores, c.kT, false, true), scale); //    [B,H,Tq,dh]
    const dK = tf.matMul(dScores, c.q, true, false); //                    [B,H,T,dh]

    const dXq = tf.add(saLn.dInput, linearBackward(c.xq, this.p(n.q), mergeHeads(dQ, B, Tq, D), gradients, n.q, n.qBias));
    const dXk = linearBackward(c.x, this.p(n.k), mergeHeads(dK, B, T, D), gradients, n.k, n.kBias);
    const dXv = linearBackward(c.x, this.p(n.v), mergeHeads(dV, B, T, D), gradients, n.v, n.vBias);
    const dXq2 = c.firstTokenOnly ? expandFirstTokens(dXq as Tensor2D, B, T, D) : dXq;
    return tf.addN([dXk, dXv, dXq2]) as Tensor2D; //                     [N,D]
  }

  // --- classification head ------------------------------------------------------------------

  private headForward(pooled: Tensor2D, dropout: DropoutPlan | undefined): HeadCache {
    const pre = linear(pooled, this.p(HEAD.preClassifier), this.p(HEAD.preClassifierBias)); // [B,D]
    const relu = tf.relu(pre);
    const mask = dropout && this.config.seq_classif_dropout > 0 ? dropoutMask(relu.shape, this.config.seq_classif_dropout, siteSeed(dropout, this.config.n_layers + 1, 3)) : undefined;
    const reluUsed = mask ? (tf.mul(relu, mask) as Tensor2D) : relu;
    const logits = linear(reluUsed, this.p(HEAD.classifier), this.p(HEAD.classifierBias)); //    [B,L]
    return { pre, reluUsed, mask, logits };
  }

  private headBackward(head: HeadCache, pooled: Tensor2D, labels: Int32Array, lossScale: number, gradients: Gradients): { loss: Tensor; dPooled: Tensor2D } {
    const [B, L] = head.logits.shape;
    const labelTensor = tf.tensor1d(labels, 'int32');
    const oneHot = tf.oneHot(labelTensor, L);
    // loss = mean_b [ logsumexp(logits_b) - logits_b[label_b] ]
    const loss = tf.mean(tf.sub(tf.logSumExp(head.logits, -1), tf.sum(tf.mul(head.logits, oneHot), -1)));
    const dLogits = tf.mul(tf.sub(tf.softmax(head.logits), oneHot), lossScale / B) as Tensor2D; // [B,L]
    const dReluUsed = linearBackward(head.reluUsed, this.p(HEAD.classifier), dLogits, gradients, HEAD.classifier, HEAD.classifierBias);
    const dRelu = head.mask ? tf.mul(dReluUsed, head.mask) : dReluUsed;
    const dPre = tf.mul(dRelu, tf.step(head.pre)) as Tensor2D;
    const dPooled = linearBackward(pooled, this.p(HEAD.preClassifier), dPre, gradients, HEAD.preClassifier, HEAD.preClassifierBias);
    return { loss, dPooled };
  }

  private activation(z: Tensor2D): Tensor2D {
    if (this.config.activation === 'relu') return tf.relu(z);
    // Exact GELU: 0.5 z (1 + erf(z / sqrt 2)).
    return tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2)))) as Tensor2D;
  }

  private activationGrad(z: Tensor2D): Tensor2D {
    if (this.config.activation === 'relu') return tf.step(z) as Tensor2D;
    // d/dz gelu = 0.5 (1 + erf(z / sqrt 2)) + z * exp(-z^2 / 2) / sqrt(2 pi)
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
    const pdf = tf.mul(tf.exp(tf.mul(tf.square(z), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return tf.add(cdf, tf.mul(z, pdf)) as Tensor2D;
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
  x: Tensor2D; xq: Tensor2D; q: Tensor4D; kT: Tensor4D; v: Tensor4D;
  weights: Tensor4D; attentionMask?: Tensor; weightsUsed: Tensor4D; context: Tensor2D;
  saXhat: Tensor2D; saRstd: Tensor2D; x1: Tensor2D; hPre: Tensor2D; h: Tensor2D; ffnMask?: Tensor;
  outXhat: Tensor2D; outRstd: Tensor2D;
  firstTokenOnly: boolean;
}

interface HeadCache {
  pre: Tensor2D;
  reluUsed: Tensor2D;
  mask?: Tensor;
  logits: Tensor2D;
}

// --- building blocks ----------------------------------------------------------------------------

/** y = x @ W + b, with W in `[in, out]` layout. */
function linear(x: Tensor2D, weight: Tensor2D, bias: Tensor): Tensor2D {
  return tf.fused.matMul({ a: x, b: weight, bias }) as Tensor2D;
}

/**
 * Backward of y = x @ W + b: stores dW = x^T dy and db = sum(dy) in `gradients`, returns dx = dy W^T.
 */
function linearBackward(x: Tensor2D, weight: Tensor2D, dy: Tensor2D, gradients: Gradients, weightName: string, biasName: string): Tensor2D {
  keep(gradients, weightName, tf.matMul(x, dy, true, false)); //          [in,out]
  keep(gradients, biasName, tf.sum(dy, 0)); //                            [out]
  return tf.matMul(dy, weight, false, true) as Tensor2D; //               [rows,in]
}

/** LayerNorm over the last axis (biased variance, eps 1e-12), keeping what its backward needs. */
function layerNorm(z: Tensor2D, weight: Tensor, bias: Tensor): { y: Tensor2D; xhat: Tensor2D; rstd: Tensor2D } {
  const mean = tf.mean(z, -1, true); //                                   [rows,1]
  const centered = tf.sub(z, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  const rstd = tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)) as Tensor2D; //  [rows,1]
  const xhat = tf.mul(centered, rstd) as Tensor2D;
  return { y: tf.add(tf.mul(xhat, weight), bias) as Tensor2D, xhat, rstd };
}

/** dz = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), with dxhat = dy * weight. */
function layerNormBackward(dy: Tensor2D, xhat: Tensor2D, rstd: Tensor2D, weight: Tensor): { dInput: Tensor2D; dWeight: Tensor; dBias: Tensor } {
  const dXhat = tf.mul(dy, weight);
  const dInput = tf.mul(rstd, tf.sub(tf.sub(dXhat, tf.mean(dXhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dXhat, xhat), -1, true)))) as Tensor2D;
  return { dInput, dWeight: tf.sum(tf.mul(dy, xhat), 0), dBias: tf.sum(dy, 0) };
}

/** [B*T,D] -> [B,H,T,dh]: head h holds features h*dh .. h*dh+dh-1. */
function splitHeads(x: Tensor2D, B: number, T: number, H: number, dh: number): Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 1, 3]);
}

/** [B*T,D] -> [B,H,dh,T]: keys laid out for `q @ kT`. */
function splitHeadsTransposed(x: Tensor2D, B: number, T: number, H: number, dh: number): Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 3, 1]);
}

/** [B,H,T,dh] -> [B*T,D]. */
function mergeHeads(x: Tensor, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, D]);
}

/** Rows of token 0: [B*T,D] -> [B,D]. */
function firstTokens(x: Tensor2D, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(tf.slice(tf.reshape(x, [B, T, D]), [0, 0, 0], [B, 1, D]), [B, D]);
}

/** The inverse scatter of firstTokens: [B,D] -> [B*T,D], zeros at tokens 1..T-1. */
function expandFirstTokens(d: Tensor2D, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(tf.pad(tf.reshape(d, [B, 1, D]), [[0, 0], [0, T - 1], [0, 0]]), [B * T, D]);
}

/** Inverted dropout: keep with probability 1 - rate, scale kept values by 1 / (1 - rate). */
function dropoutMask(shape: number[], rate: number, seed: number): Tensor {
  return tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), rate), 'float32'), 1 / (1 - rate));
}

/** A seed per (step seed, layer, site), so every mask of a step is distinct and reproducible. */
function siteSeed(plan: DropoutPlan, layer: number, site: number): number {
  let h = (plan.seed ^ Math.imul(layer + 1, 0x9e3779b1) ^ Math.imul(site + 1, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return h;
}

function keep(gradients: Gradients, name: string, value: Tensor): void {
  gradients.set(name, tf.keep(value));
}

function disposeAll(container: object): void {
  for (const value of Object.values(container)) {
    if (value && typeof (value as Tensor).dispose === 'function') (value as Tensor).dispose();
  }
}
