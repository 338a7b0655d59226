// The Kernels as compositions of TensorFlow.js ops: what every backend runs (wasm, the pure
// JavaScript cpu backend, tfjs-node) unless it has kernels of its own.
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tf';
import { LAYER_NORM_EPS, type AttentionCache, type Kernels } from './kernels';
import { perTensorAdamW, type TensorAdamW } from './perTensorAdamW';

/** [B*T,D] -> [B,H,T,dh]: head h holds features h*dh .. h*dh+dh-1. */
function splitHeads(x: Tensor2D, B: number, T: number, H: number, dh: number): Tensor4D {
  return tf.transpose(tf.reshape(x, [B, T, H, dh]), [0, 2, 1, 3]);
}

/** [B,H,T,dh] -> [B*T,D]. */
function mergeHeads(x: Tensor, B: number, T: number, D: number): Tensor2D {
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [B * T, D]);
}

function dropoutMask(shape: number[], rate: number, seed: number): Tensor {
  return tf.mul(
    tf.cast(tf.greaterEqual(tf.randomUniform(shape, 0, 1, 'float32', seed), rate), 'float32'),
    1 / (1 - rate),
  );
}

/** One parameter's AdamW update as tfjs ops (new tensors). */
const adamwOne: TensorAdamW = (
  { param, expAvg, expAvgSq },
  grad,
  { decay, beta1, beta2, epsilon, stepSize, bc2Sqrt, gradScale },
) =>
  tf.tidy(() => {
    const m0 = expAvg ?? tf.zerosLike(param);
    const v0 = expAvgSq ?? tf.zerosLike(param);
    const g = gradScale !== 1 ? tf.mul(grad, gradScale) : grad;
    const m1 = tf.add(tf.mul(m0, beta1), tf.mul(g, 1 - beta1));
    const v1 = tf.add(tf.mul(v0, beta2), tf.mul(tf.square(g), 1 - beta2));
    const decayed = decay !== 1 ? tf.mul(param, decay) : param;
    const denominator = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), epsilon);
    const p1 = tf.sub(decayed, tf.mul(tf.div(m1, denominator), stepSize));
    return { param: p1, expAvg: m1, expAvgSq: v1 };
  });

async function sumsOfSquares(tensors: Tensor[]): Promise<number[]> {
  const squares = tf.tidy(() => tf.stack(tensors.map((g) => tf.sum(tf.square(g)))));
  const values = Array.from(await squares.data());
  squares.dispose();
  return values;
}

/** The CPU backends copy the values out synchronously when the read starts: the tensor can go at once. */
function readBack(tensor: Tensor): Promise<Float32Array> {
  const values = tensor.data() as Promise<Float32Array>;
  tensor.dispose();
  return values;
}

export const tfjsKernels: Kernels = {
  name: 'TensorFlow.js ops',
  sequenceMultiple: 1,

  columnSums: (dy) => tf.sum(dy, 0),

  embeddingGradient(dRows, ids, vocab) {
    const dim = dRows.shape[1];
    return tf.scatterND(tf.tensor2d(ids, [ids.length, 1], 'int32'), dRows, [vocab, dim]) as Tensor2D;
  },

  layerNorm(z, weight, bias, residual) {
    const input = residual ? tf.add(z, residual) : z;
    const mean = tf.mean(input, -1, true); //                                 [rows,1]
    const centered = tf.sub(input, mean);
    const variance = tf.mean(tf.square(centered), -1, true);
    const rstd = tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)) as Tensor2D; //    [rows,1]
    const xhat = tf.mul(centered, rstd) as Tensor2D;
    return { y: tf.add(tf.mul(xhat, weight), bias) as Tensor2D, xhat, rstd };
  },

  layerNormBackward(dy, xhat, rstd, weight, add) {
    const dXhat = tf.mul(dy, weight);
    const dz = tf.mul(
      rstd,
      tf.sub(tf.sub(dXhat, tf.mean(dXhat, -1, true)), tf.mul(xhat, tf.mean(tf.mul(dXhat, xhat), -1, true))),
    );
    return {
      dInput: (add ? tf.add(dz, add) : dz) as Tensor2D,
      dWeight: tf.sum(tf.mul(dy, xhat), 0),
      dBias: tf.sum(dy, 0),
    };
  },

  gelu: (z) => tf.mul(tf.mul(z, 0.5), tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2)))) as Tensor2D,

  geluBackward(z, dy) {
    const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(z, Math.SQRT1_2))));
    const pdf = tf.mul(tf.exp(tf.mul(tf.square(z), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return tf.mul(dy, tf.add(cdf, tf.mul(z, pdf))) as Tensor2D;
  },

  attention(q, k, v, keyMask, shape, dropout) {
    const { B, Tq, T, H, dh } = shape;
    const scale = 1 / Math.sqrt(dh);
    const qHeads = tf.mul(splitHeads(q, B, Tq, H, dh), scale) as Tensor4D; //   [B,H,Tq,dh]
    const kT = tf.transpose(tf.reshape(k, [B, T, H, dh]), [0, 2, 3, 1]); //     [B,H,dh,T]
    const weights = tf.softmax(tf.add(tf.matMul(qHeads, kT), tf.reshape(keyMask, [B, 1, 1, T]))) as Tensor4D;
    // this.dropoutMask: a backend's kernels may draw masks their own way (webgpuKernels.ts).
    const dropMask = dropout ? this.dropoutMask(weights.shape, dropout.rate, dropout.seed) : undefined;
    const weightsUsed = dropMask ? (tf.mul(weights, dropMask) as Tensor4D) : weights;
    const context = mergeHeads(tf.matMul(weightsUsed, splitHeads(v, B, T, H, dh)), B, Tq, H * dh);
    const cache: AttentionCache = { shape, q, k, v, weights, weightsUsed, dropMask };
    return { context, cache };
  },

  attentionBackward(c, dContext) {
    const { B, Tq, T, H, dh } = c.shape;
    const D = H * dh;
    const scale = 1 / Math.sqrt(dh);
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
  },

  dropoutMask,

  adamw: (parameters) => perTensorAdamW(parameters, adamwOne, sumsOfSquares),

  sumsOfSquares,

  readBack,

  throwIfFault: () => undefined,
};
