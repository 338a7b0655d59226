// The building blocks of DistilBERT's forward and backward passes. Each has two implementations
// of the same math: fused native kernels (one pass over memory, src/core/native) when the backend
// is `native`, else a composition of TensorFlow.js ops that every backend runs.
//
// Shapes: rows x dim matrices are [N, D]; attention scores are [B, H, Tq, T].
import { loadAddon, outputArray, type NativeAddon } from '../native/addon';
import { NATIVE_BACKEND } from '../native/backend';
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tf';

export const LAYER_NORM_EPS = 1e-12;
/** `torch.finfo(torch.float32).min`, what HF writes into the scores of masked keys. */
export const MASKED_SCORE = -3.4028234663852886e38;

/** The addon, when the current backend is the native one (its tensors are typed arrays here). */
export function nativeKernels(): NativeAddon | undefined {
  return tf.getBackend() === NATIVE_BACKEND ? loadAddon().addon : undefined;
}

/** A tensor's values, without a copy on the cpu-based backends. */
const values = (t: Tensor) => t.dataSync() as Float32Array;
const float32 = (data: Float32Array, shape: number[]) => tf.tensor(data, shape, 'float32');

/** y = x @ W + b, with W in `[in, out]` layout. */
export function linear(x: Tensor2D, weight: Tensor2D, bias: Tensor): Tensor2D {
  return tf.fused.matMul({ a: x, b: weight, bias }) as Tensor2D;
}

/** Column sums of a [rows, cols] matrix (a bias gradient). */
export function columnSums(dy: Tensor2D): Tensor {
  const native = nativeKernels();
  if (!native) return tf.sum(dy, 0);
  const [rows, cols] = dy.shape;
  const out = outputArray(cols);
  // ones[1, rows] @ dy[rows, cols]: a product BLAS does at full speed.
  native.gemm(false, false, 1, cols, rows, new Float32Array(rows).fill(1), values(dy), out, 1, 0, 0, 0, 0);
  return float32(out, [cols]);
}

/** Sums of a [groups, ...rest] tensor over its first axis (a gradient over the batch). */
export function sumOverFirstAxis(x: Tensor): Tensor {
  const [groups, ...rest] = x.shape;
  return tf.reshape(columnSums(tf.reshape(x, [groups, x.size / groups])), rest);
}

/** The gradient of an embedding lookup: rows of `dRows` added into their ids of a [vocab, dim] zero matrix. */
export function embeddingGradient(dRows: Tensor2D, ids: Int32Array, vocab: number): Tensor2D {
  const dim = dRows.shape[1];
  const native = nativeKernels();
  if (native) {
    const out = new Float32Array(vocab * dim); // zeros: rows without a token stay 0
    native.scatterAddRows(values(dRows), ids, dim, out);
    return float32(out, [vocab, dim]) as Tensor2D;
  }
  return tf.scatterND(tf.tensor2d(ids, [ids.length, 1], 'int32'), dRows, [vocab, dim]) as Tensor2D;
}

/** LayerNorm of (z + residual) over the last axis (biased variance, eps 1e-12), keeping what the backward needs. */
export function layerNorm(z: Tensor2D, weight: Tensor, bias: Tensor, residual?: Tensor2D): { y: Tensor2D; xhat: Tensor2D; rstd: Tensor2D } {
  const native = nativeKernels();
  const [rows, dim] = z.shape;
  if (native) {
    const y = outputArray(rows * dim);
    const xhat = outputArray(rows * dim);
    const rstd = outputArray(rows);
    native.layerNorm(values(z), values(weight), values(bias), rows, dim, LAYER_NORM_EPS, y, xhat, rstd, residual ? values(residual) : undefined);
    return { y: float32(y, [rows, dim]) as Tensor2D, xhat: float32(xhat, [rows, dim]) as Tensor2D, rstd: float32(rstd, [rows, 1]) as Tensor2D };
  }
  const input = residual ? tf.add(z, residual) : z;
  const mean = tf.mean(input, -1, true); //                               [rows,1]
  const centered = tf.sub(input, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  const rstd = tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)) as Tensor2D; //  [rows,1]
  const xhat = tf.mul(centered, rstd) as Tensor2D;
  return { y: tf.add(tf.mul(xhat, weight), bias) as Tensor2D, xhat, rstd };
}

/**
 * LayerNorm's backward: dz = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), with
 * dxhat = dy * weight; plus `add` (a residual path's gradient) when given.
 */
export function layerNormBackward(dy: Tensor2D, xhat: Tensor2D, rstd: Tensor2D, weight: Tensor, add?: Tensor2D): { dInput: Tensor2D; dWeight: Tensor; dBias: Tensor } {
  const native = nativeKernels();
  const [rows, dim] = dy.shape;
  if (native) {
    const dx = outputArray(rows * dim);
    const dWeight = outputArray(dim);
    const dBias = outputArray(dim);
    native.layerNormGrad(values(dy), values(xhat), values(rstd), values(weight), rows, dim, dx, dWeight, dBias, add ? values(add) : undefined);
    return { dInput: float32(dx, [rows, dim]) as Tensor2D, dWeight: float32(dWeight, [dim]), dBias: float32(dBias, [dim]) };
  }
  const dXhat = tf.mul(dy, weight);
  const dz = tf.mul(rstd, tf.sub(tf.sub(dXhat, tf.mean(dXhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dXhat, xhat), -1, true))));
  return { dInput: (add ? tf.add(dz, add) : dz) as Tensor2D, dWeight: tf.sum(tf.mul(dy, xhat), 0), dBias: tf.sum(dy, 0) };
}

/** Exact GELU: 0.5 z (1 + erf(z / sqrt 2)). */
export function gelu(z: Tensor2D): Tensor2D {
  const native = nativeKernels();
  if (native) {
    const out = outputArray(z.size);
    native.gelu(values(z), out);
    return float32(out, z.shape) as Tensor2D;
  }
  return tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2)))) as Tensor2D;
}

/** dy * gelu'(z), with gelu'(z) = 0.5 (1 + erf(z / sqrt 2)) + z exp(-z^2 / 2) / sqrt(2 pi). */
export function geluBackward(z: Tensor2D, dy: Tensor2D): Tensor2D {
  const native = nativeKernels();
  if (native) {
    const out = outputArray(z.size);
    native.geluGrad(values(z), values(dy), out);
    return float32(out, z.shape) as Tensor2D;
  }
  const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
  const pdf = tf.mul(tf.exp(tf.mul(tf.square(z), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return tf.mul(dy, tf.add(cdf, tf.mul(z, pdf))) as Tensor2D;
}

export interface AttentionShape {
  B: number;
  /** Query positions per row (T, or 1 when only token 0 is needed). */
  Tq: number;
  T: number;
  H: number;
  dh: number;
}

/** What attention's backward needs. Q, K, V stay [rows, D]; the per-head views are strides. */
export interface AttentionCache {
  shape: AttentionShape;
  q: Tensor2D;
  k: Tensor2D;
  v: Tensor2D;
  weights: Tensor4D;
  weightsUsed: Tensor4D;
  dropMask?: Tensor;
}

/**
 * Multi-head self-attention on projected Q [B*Tq, D], K, V [B*T, D], as HF computes it:
 *   scores = (q / sqrt(dh)) k^T + mask;  weights = softmax(scores);  context = dropout(weights) v
 * `keyMask` is [B, T]: 0 for real tokens, MASKED_SCORE for padding (keys only, as HF masks).
 * Returns the context [B*Tq, D] (heads merged back into columns).
 */
export function attention(q: Tensor2D, k: Tensor2D, v: Tensor2D, keyMask: Tensor2D, shape: AttentionShape, dropout?: { rate: number; seed: number }): { context: Tensor2D; cache: AttentionCache } {
  const { B, Tq, T, H, dh } = shape;
  const D = H * dh;
  const scale = 1 / Math.sqrt(dh);
  const native = nativeKernels();
  let weights: Tensor4D;
  let weightsUsed: Tensor4D;
  let dropMask: Tensor | undefined;
  let context: Tensor2D;
  if (native) {
    const scores = outputArray(B * H * Tq * T);
    // scores[b,h] = scale * Q[b,:,h] K[b,:,h]^T, heads read in place from [rows, D]
    native.gemmHeads(false, true, Tq, T, dh, scale, values(q), D, Tq * D, dh, values(k), D, T * D, dh, scores, T, H * Tq * T, Tq * T, B, H);
    const w = outputArray(scores.length);
    native.softmax(scores, B * H * Tq, T, w, values(keyMask), H * Tq);
    weights = float32(w, [B, H, Tq, T]) as Tensor4D;
    dropMask = dropout ? dropoutMask(weights.shape, dropout.rate, dropout.seed) : undefined;
    weightsUsed = dropMask ? (tf.mul(weights, dropMask) as Tensor4D) : weights;
    const out = outputArray(B * Tq * D);
    // context[b,:,h] = W[b,h] V[b,:,h], written into its heads' columns of [rows, D]
    native.gemmHeads(false, false, Tq, dh, T, 1, values(weightsUsed), T, H * Tq * T, Tq * T, values(v), D, T * D, dh, out, D, Tq * D, dh, B, H);
    context = float32(out, [B * Tq, D]) as Tensor2D;
  } else {
    const qHeads = tf.mul(splitHeads(q, B, Tq, H, dh), scale) as Tensor4D; //   [B,H,Tq,dh]
    const kT = tf.transpose(tf.reshape(k, [B, T, H, dh]), [0, 2, 3, 1]); //     [B,H,dh,T]
    weights = tf.softmax(tf.add(tf.matMul(qHeads, kT), tf.reshape(keyMask, [B, 1, 1, T]))) as Tensor4D;
    dropMask = dropout ? dropoutMask(weights.shape, dropout.rate, dropout.seed) : undefined;
    weightsUsed = dropMask ? (tf.mul(weights, dropMask) as Tensor4D) : weights;
    context = mergeHeads(tf.matMul(weightsUsed, splitHeads(v, B, T, H, dh)), B, Tq, D);
  }
  return { context, cache: { shape, q, k, v, weights, weightsUsed, dropMask } };
}

/** Gradients of Q, K and V ([rows, D] each) from the gradient of the context. */
export function attentionBackward(c: AttentionCache, dContext: Tensor2D): { dQ: Tensor2D; dK: Tensor2D; dV: Tensor2D } {
  const { B, Tq, T, H, dh } = c.shape;
  const D = H * dh;
  const scale = 1 / Math.sqrt(dh);
  const native = nativeKernels();
  if (native) {
    const dC = values(dContext);
    const dWeightsUsed = outputArray(B * H * Tq * T);
    native.gemmHeads(false, true, Tq, T, dh, 1, dC, D, Tq * D, dh, values(c.v), D, T * D, dh, dWeightsUsed, T, H * Tq * T, Tq * T, B, H);
    const dV = outputArray(B * T * D);
    native.gemmHeads(true, false, T, dh, Tq, 1, values(c.weightsUsed), T, H * Tq * T, Tq * T, dC, D, Tq * D, dh, dV, D, T * D, dh, B, H);
    const dScores = outputArray(dWeightsUsed.length);
    native.softmaxGrad(values(c.weights), dWeightsUsed, B * H * Tq, T, dScores, c.dropMask ? values(c.dropMask) : undefined);
    const dQ = outputArray(B * Tq * D);
    native.gemmHeads(false, false, Tq, dh, T, scale, dScores, T, H * Tq * T, Tq * T, values(c.k), D, T * D, dh, dQ, D, Tq * D, dh, B, H);
    const dK = outputArray(B * T * D);
    native.gemmHeads(true, false, T, dh, Tq, scale, dScores, T, H * Tq * T, Tq * T, values(c.q), D, Tq * D, dh, dK, D, T * D, dh, B, H);
    return { dQ: float32(dQ, [B * Tq, D]) as Tensor2D, dK: float32(dK, [B * T, D]) as Tensor2D, dV: float32(dV, [B * T, D]) as Tensor2D };
  }
  const dContext4 = splitHeads(dContext, B, Tq, H, dh); //                      [B,H,Tq,dh]
  const vHeads = splitHeads(c.v, B, T, H, dh);
  const qHeads = tf.mul(splitHeads(c.q, B, Tq, H, dh), scale);
  const kHeads = splitHeads(c.k, B, T, H, dh);
  const dWeightsUsed = tf.matMul(dContext4, vHeads, false, true); //           [B,H,Tq,T]
  const dV = tf.matMul(c.weightsUsed, dContext4, true, false); //              [B,H,T,dh]
  const dWeights = c.dropMask ? tf.mul(dWeightsUsed, c.dropMask) : dWeightsUsed;
  const dScores = tf.mul(c.weights, tf.sub(dWeights, tf.sum(tf.mul(dWeights, c.weights), -1, true))); // [B,H,Tq,T]
  const dQ = tf.mul(tf.matMul(dScores, kHeads), scale); //                      [B,H,Tq,dh]
  const dK = tf.matMul(dScores, qHeads, true, false); //                       [B,H,T,dh]
  return { dQ: mergeHeads(dQ, B, Tq, D), dK: mergeHeads(dK, B, T, D), dV: mergeHeads(dV, B, T, D) };
}

/** [B*T,D] -> [B,H,T,dh]: head h holds features h*dh .. h*dh+dh-1. */
function splitHeads(x: Tensor2D, B: number, T: number, H: number, dh: number): Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 1, 3]);
}

/** [B,H,T,dh] -> [B*T,D]. */
function mergeHeads(x: Tensor, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, D]);
}

/** Inverted dropout's mask: 0 with probability `rate`, else 1 / (1 - rate); a function of `seed`. */
export function dropoutMask(shape: number[], rate: number, seed: number): Tensor {
  const native = nativeKernels();
  if (native) {
    const out = outputArray(shape.reduce((a, b) => a * b, 1));
    native.dropoutMask(out, rate, seed);
    return float32(out, shape);
  }
  return tf.mul(tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), rate), 'float32'), 1 / (1 - rate));
}
