// The parameters of DistilBertForSequenceClassification, by their Hugging Face checkpoint names.
//
// Linear weights live in the checkpoint as torch `[out, in]`; in memory they are kept transposed,
// `[in, out]`, the layout a matmul `x @ W` wants, so no step pays for a transpose in the forward
// pass. `toCheckpointLayout` / `fromCheckpointLayout` convert at load and save only.
import { Random } from '../random';
import type { DistilBertConfig } from './distilbertConfig';
import { numLabels } from './distilbertConfig';

export type ParameterKind = 'linear' | 'bias' | 'embedding' | 'layernorm-weight' | 'layernorm-bias';

export interface ParameterSpec {
  /** The HF checkpoint name, e.g. `distilbert.transformer.layer.0.attention.q_lin.weight`. */
  name: string;
  /** Shape in the checkpoint (torch layout). */
  shape: number[];
  kind: ParameterKind;
  /** AdamW weight decay applies (the Trainer excludes biases and LayerNorm weights). */
  decay: boolean;
  /** Not trained (sinusoidal position embeddings have requires_grad = False in HF). */
  frozen: boolean;
}

export interface LayerNames {
  q: string;
  qBias: string;
  k: string;
  kBias: string;
  v: string;
  vBias: string;
  out: string;
  outBias: string;
  saNormWeight: string;
  saNormBias: string;
  lin1: string;
  lin1Bias: string;
  lin2: string;
  lin2Bias: string;
  outNormWeight: string;
  outNormBias: string;
}

export const EMBEDDINGS = {
  word: 'distilbert.embeddings.word_embeddings.weight',
  position: 'distilbert.embeddings.position_embeddings.weight',
  normWeight: 'distilbert.embeddings.LayerNorm.weight',
  normBias: 'distilbert.embeddings.LayerNorm.bias',
} as const;

export const HEAD = {
  preClassifier: 'pre_classifier.weight',
  preClassifierBias: 'pre_classifier.bias',
  classifier: 'classifier.weight',
  classifierBias: 'classifier.bias',
} as const;

export function layerNames(i: number): LayerNames {
  const p = `distilbert.transformer.layer.${i}`;
  return {
    q: `${p}.attention.q_lin.weight`,
    qBias: `${p}.attention.q_lin.bias`,
    k: `${p}.attention.k_lin.weight`,
    kBias: `${p}.attention.k_lin.bias`,
    v: `${p}.attention.v_lin.weight`,
    vBias: `${p}.attention.v_lin.bias`,
    out: `${p}.attention.out_lin.weight`,
    outBias: `${p}.attention.out_lin.bias`,
    saNormWeight: `${p}.sa_layer_norm.weight`,
    saNormBias: `${p}.sa_layer_norm.bias`,
    lin1: `${p}.ffn.lin1.weight`,
    lin1Bias: `${p}.ffn.lin1.bias`,
    lin2: `${p}.ffn.lin2.weight`,
    lin2Bias: `${p}.ffn.lin2.bias`,
    outNormWeight: `${p}.output_layer_norm.weight`,
    outNormBias: `${p}.output_layer_norm.bias`,
  };
}

/** Every parameter of the model, in checkpoint order (embeddings, layers, head). */
export function parameterSpecs(config: DistilBertConfig): ParameterSpec[] {
  const { dim, hidden_dim: hidden, vocab_size: vocab, max_position_embeddings: positions } = config;
  const specs: ParameterSpec[] = [];
  const add = (name: string, shape: number[], kind: ParameterKind, frozen = false) =>
    specs.push({ name, shape, kind, decay: kind === 'linear' || kind === 'embedding', frozen });
  add(EMBEDDINGS.word, [vocab, dim], 'embedding');
  add(EMBEDDINGS.position, [positions, dim], 'embedding', config.sinusoidal_pos_embds);
  add(EMBEDDINGS.normWeight, [dim], 'layernorm-weight');
  add(EMBEDDINGS.normBias, [dim], 'layernorm-bias');
  for (let i = 0; i < config.n_layers; i++) {
    const n = layerNames(i);
    for (const [w, b] of [
      [n.q, n.qBias],
      [n.k, n.kBias],
      [n.v, n.vBias],
      [n.out, n.outBias],
    ]) {
      add(w, [dim, dim], 'linear');
      add(b, [dim], 'bias');
    }
    add(n.saNormWeight, [dim], 'layernorm-weight');
    add(n.saNormBias, [dim], 'layernorm-bias');
    add(n.lin1, [hidden, dim], 'linear');
    add(n.lin1Bias, [hidden], 'bias');
    add(n.lin2, [dim, hidden], 'linear');
    add(n.lin2Bias, [dim], 'bias');
    add(n.outNormWeight, [dim], 'layernorm-weight');
    add(n.outNormBias, [dim], 'layernorm-bias');
  }
  add(HEAD.preClassifier, [dim, dim], 'linear');
  add(HEAD.preClassifierBias, [dim], 'bias');
  add(HEAD.classifier, [numLabels(config), dim], 'linear');
  add(HEAD.classifierBias, [numLabels(config)], 'bias');
  return specs;
}

/** The in-memory shape: linear weights transposed to `[in, out]`. */
export function memoryShape(spec: ParameterSpec): number[] {
  return spec.kind === 'linear' ? [spec.shape[1], spec.shape[0]] : spec.shape;
}

/** Transposes a row-major `[rows, cols]` matrix. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c];
  }
  return out;
}

/** Checkpoint (torch `[out, in]`) values -> in-memory values. */
export function fromCheckpointLayout(spec: ParameterSpec, data: Float32Array): Float32Array {
  return spec.kind === 'linear' ? transpose2d(data, spec.shape[0], spec.shape[1]) : data;
}

/** In-memory values -> checkpoint (torch `[out, in]`) values. */
export function toCheckpointLayout(spec: ParameterSpec, data: Float32Array): Float32Array {
  return spec.kind === 'linear' ? transpose2d(data, spec.shape[1], spec.shape[0]) : data;
}

/**
 * Initial values as `DistilBertPreTrainedModel._init_weights` sets them: Linear and Embedding
 * weights ~ N(0, initializer_range), biases 0, the padding row of the word embeddings 0, LayerNorm
 * weight 1 and bias 0; sinusoidal position embeddings when the config asks for them.
 * Values are in checkpoint layout. Each tensor draws from its own named stream of `seed`.
 */
export function initialValues(spec: ParameterSpec, config: DistilBertConfig, seed: number): Float32Array {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  switch (spec.kind) {
    case 'layernorm-weight':
      data.fill(1);
      return data;
    case 'bias':
    case 'layernorm-bias':
      return data;
    case 'embedding':
      if (spec.name === EMBEDDINGS.position && config.sinusoidal_pos_embds)
        return sinusoidalEmbeddings(spec.shape[0], spec.shape[1]);
      break;
    case 'linear':
      break;
  }
  const random = new Random(seed, spec.name);
  for (let i = 0; i < count; i++) data[i] = random.normal() * config.initializer_range;
  if (spec.name === EMBEDDINGS.word && config.pad_token_id >= 0 && config.pad_token_id < spec.shape[0]) {
    data.fill(0, config.pad_token_id * spec.shape[1], (config.pad_token_id + 1) * spec.shape[1]);
  }
  return data;
}

/** HF's `create_sinusoidal_embeddings`: sin on even features, cos on odd ones. */
export function sinusoidalEmbeddings(positions: number, dim: number): Float32Array {
  const out = new Float32Array(positions * dim);
  for (let pos = 0; pos < positions; pos++) {
    for (let j = 0; j < dim; j++) {
      const angle = pos / 10000 ** ((2 * Math.floor(j / 2)) / dim);
      out[pos * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}
