// The building blocks of DistilBERT's forward and backward passes and of AdamW, behind one
// interface. Each backend gets one implementation, chosen once when the backend loads
// (backends/loadBackend.ts -> activeKernels.ts): fused native kernels on the `native` backend
// (src/core/native/nativeKernels.ts, one pass over memory), else compositions of TensorFlow.js ops
// that every backend runs (tfjsKernels.ts). The model and the optimizer call `kernels()` and never
// ask which backend runs.
//
// Shapes: rows x dim matrices are [N, D]; attention scores are [B, H, Tq, T].
import type { Tensor, Tensor2D, Tensor4D } from '../tf';

export const LAYER_NORM_EPS = 1e-12;
/** `torch.finfo(torch.float32).min`, what HF writes into the scores of masked keys. */
export const MASKED_SCORE = -3.4028234663852886e38;

export interface AttentionShape {
  B: number;
  /** Query positions per row (T, or 1 when only token 0 is needed). */
  Tq: number;
  T: number;
  H: number;
  dh: number;
}

/** What attention's backward needs. Q, K, V stay [rows, D]; the per-head views are strides or reshapes. */
export interface AttentionCache {
  shape: AttentionShape;
  q: Tensor2D;
  k: Tensor2D;
  v: Tensor2D;
  weights: Tensor4D;
  weightsUsed: Tensor4D;
  dropMask?: Tensor;
}

/** AdamW's per-step numbers (see train/optimizer.ts for the formulas). */
export interface AdamWStep {
  /** 1 - lr * weight_decay for decayed parameters, else 1. */
  decay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** lr / (1 - beta1^t). */
  stepSize: number;
  /** sqrt(1 - beta2^t). */
  bc2Sqrt: number;
  /** The clipping coefficient every gradient is multiplied by first. */
  gradScale: number;
}

/** One parameter's AdamW state; moments are undefined before its first update. */
export interface AdamWTensors {
  param: Tensor;
  expAvg?: Tensor;
  expAvgSq?: Tensor;
}

/** A parameter the optimizer updates, in the order of every update's tensors. */
export interface AdamWParameter {
  name: string;
  /** The tensor's shape in memory. */
  shape: number[];
  /** Whether weight decay applies (weights, not biases or LayerNorm). */
  decay: boolean;
}

/** What one update of all parameters needs: AdamWStep with `decay` for the decayed ones, and the clipping limit. */
export interface AdamWUpdate extends Omit<AdamWStep, 'gradScale'> {
  /** clip_grad_norm_'s max_norm; <= 0 disables clipping. */
  maxGradNorm: number;
}

export interface AdamWMoments {
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/**
 * AdamW over a fixed list of parameters, with the gradients clipped by their global norm first
 * (clip_grad_norm_). Where the moments live is the backend's business: per tensor on the CPU
 * backends, in flat GPU buffers on WebGPU (one dispatch updates every parameter there, and the
 * norm and the clipping coefficient never leave the GPU).
 */
export interface MultiTensorAdamW {
  /**
   * One update. `params` and `grads` follow the parameter list. Returns the parameters' tensors
   * after it (the same ones where the backend updates in place; the caller disposes replaced ones)
   * and the total gradient norm before clipping as a scalar tensor, not read back.
   */
  update(params: Tensor[], grads: Tensor[], step: AdamWUpdate): Promise<{ params: Tensor[]; gradNorm: Tensor }>;
  /** Each parameter's moments, read back (undefined before its first update). */
  readMoments(): Promise<Array<AdamWMoments | undefined>>;
  /** Moments from a checkpoint, in the parameter list's order (undefined: none yet). */
  writeMoments(moments: Array<AdamWMoments | undefined>): void;
  dispose(): void;
}

export interface Kernels {
  /** In words, for logs and tests. */
  readonly name: string;
  /**
   * Batches are padded to a multiple of this many tokens (1: to the longest example). A GPU
   * backend keeps a pooled buffer for every size it has seen: fewer sizes keep its memory bounded.
   */
  readonly sequenceMultiple: number;
  /** Column sums of a [rows, cols] matrix (a bias gradient). */
  columnSums(dy: Tensor2D): Tensor;
  /** The gradient of an embedding lookup: rows of `dRows` added into their ids of a [vocab, dim] zero matrix. */
  embeddingGradient(dRows: Tensor2D, ids: Int32Array, vocab: number): Tensor2D;
  /** LayerNorm of (z + residual) over the last axis (biased variance, eps 1e-12), keeping what the backward needs. */
  layerNorm(
    z: Tensor2D,
    weight: Tensor,
    bias: Tensor,
    residual?: Tensor2D,
  ): { y: Tensor2D; xhat: Tensor2D; rstd: Tensor2D };
  /**
   * LayerNorm's backward: dz = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), with
   * dxhat = dy * weight; plus `add` (a residual path's gradient) when given.
   */
  layerNormBackward(
    dy: Tensor2D,
    xhat: Tensor2D,
    rstd: Tensor2D,
    weight: Tensor,
    add?: Tensor2D,
  ): { dInput: Tensor2D; dWeight: Tensor; dBias: Tensor };
  /** Exact GELU: 0.5 z (1 + erf(z / sqrt 2)). */
  gelu(z: Tensor2D): Tensor2D;
  /** dy * gelu'(z), with gelu'(z) = 0.5 (1 + erf(z / sqrt 2)) + z exp(-z^2 / 2) / sqrt(2 pi). */
  geluBackward(z: Tensor2D, dy: Tensor2D): Tensor2D;
  /**
   * Multi-head self-attention on projected Q [B*Tq, D], K, V [B*T, D], as HF computes it:
   *   scores = (q / sqrt(dh)) k^T + mask;  weights = softmax(scores);  context = dropout(weights) v
   * `keyMask` is [B, T]: 0 for real tokens, MASKED_SCORE for padding (keys only, as HF masks).
   * Returns the context [B*Tq, D] (heads merged back into columns).
   */
  attention(
    q: Tensor2D,
    k: Tensor2D,
    v: Tensor2D,
    keyMask: Tensor2D,
    shape: AttentionShape,
    dropout?: { rate: number; seed: number },
  ): { context: Tensor2D; cache: AttentionCache };
  /** Gradients of Q, K and V ([rows, D] each) from the gradient of the context. */
  attentionBackward(cache: AttentionCache, dContext: Tensor2D): { dQ: Tensor2D; dK: Tensor2D; dV: Tensor2D };
  /** Inverted dropout's mask: 0 with probability `rate`, else 1 / (1 - rate); a function of `seed`. */
  dropoutMask(shape: number[], rate: number, seed: number): Tensor;
  /** AdamW with gradient clipping over these parameters (train/optimizer.ts drives it). */
  adamw(parameters: AdamWParameter[]): MultiTensorAdamW;
  /**
   * Reads a float32 tensor back and disposes it at once: the read is under way when this returns
   * (on a GPU its copy is queued behind everything before it, so waiting for it holds back nothing
   * queued after), and no tensor stays alive while it is.
   */
  readBack(tensor: Tensor): Promise<Float32Array>;
  /**
   * Throws what went wrong on the device since the last call, if anything (a GpuFault, on a GPU):
   * the trainer calls it after every step and evaluation, before it logs or saves their results.
   */
  throwIfFault(): void;
  /** sum(g^2) of each tensor, as numbers (clip_grad_norm_'s per-tensor norms, squared): one read back. */
  sumsOfSquares(tensors: Tensor[]): Promise<number[]>;
}
