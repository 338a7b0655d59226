// The Kernels on the native addon, for the `native` backend, whose tensors are typed arrays in this
// process (tfjs' cpu backend): each reads its inputs in place and writes its outputs in one pass.
// Attention reads its heads from the [rows, D] matrices through strides instead of transposing.
import type { AttentionShape, Kernels } from '../kernels/kernels';
import { LAYER_NORM_EPS } from '../kernels/kernels';
import { perTensorAdamW, type TensorAdamW } from '../kernels/perTensorAdamW';
import { tfjsKernels } from '../kernels/tfjsKernels';
import { tf, type Tensor, type Tensor2D, type Tensor4D } from '../tf';
import { outputArray, type NativeAddon, type StridedMatrices } from './addon';

/** A tensor's values, without a copy on the cpu-based backends. */
const values = (t: Tensor) => t.dataSync() as Float32Array;
const float32 = (data: Float32Array, shape: number[]) => tf.tensor(data, shape, 'float32');

/**
 * Attention's operands per (batch, head), read and written in place: queries, keys, values and
 * contexts inside [rows, D] matrices (head h = columns h*dh .., batch b = rows b*rows ..), scores
 * and weights in [B, H, Tq, T].
 */
function attentionViews({ Tq, T, H, dh }: AttentionShape) {
  const D = H * dh;
  return {
    heads: (data: Float32Array, rows: number): StridedMatrices => ({ data, ld: D, batchStride: rows * D, headStride: dh }),
    scores: (data: Float32Array): StridedMatrices => ({ data, ld: T, batchStride: H * Tq * T, headStride: Tq * T }),
  };
}

export function nativeKernels(addon: NativeAddon): Kernels {
  const dropoutMask = (shape: number[], rate: number, seed: number): Tensor => {
    const out = outputArray(shape.reduce((a, b) => a * b, 1));
    addon.dropoutMask(out, rate, seed);
    return float32(out, shape);
  };

  // In place, as torch's in-place ops do: the same tensors come back.
  const adamwInPlace: TensorAdamW = ({ param, expAvg, expAvgSq }, grad, step) => {
    const m = expAvg ?? tf.zerosLike(param);
    const v = expAvgSq ?? tf.zerosLike(param);
    addon.adamw({ param: values(param), grad: values(grad), expAvg: values(m), expAvgSq: values(v), ...step });
    return { param, expAvg: m, expAvgSq: v };
  };
  const sumsOfSquares = async (tensors: Tensor[]) => tensors.map((g) => addon.sumSquares(values(g)));

  return {
    name: `native kernels (${addon.blasConfig.split(' ').slice(0, 2).join(' ')})`,
    sequenceMultiple: 1,

    columnSums(dy) {
      const [rows, cols] = dy.shape;
      const out = outputArray(cols);
      // ones[1, rows] @ dy[rows, cols]: a product BLAS does at full speed.
      addon.gemm({ M: 1, N: cols, K: rows, a: new Float32Array(rows).fill(1), b: values(dy), c: out });
      return float32(out, [cols]);
    },

    embeddingGradient(dRows, ids, vocab) {
      const dim = dRows.shape[1];
      const out = new Float32Array(vocab * dim); // zeros: rows without a token stay 0
      addon.scatterAddRows(values(dRows), ids, dim, out);
      return float32(out, [vocab, dim]) as Tensor2D;
    },

    layerNorm(z, weight, bias, residual) {
      const [rows, dim] = z.shape;
      const y = outputArray(rows * dim);
      const xhat = outputArray(rows * dim);
      const rstd = outputArray(rows);
      addon.layerNorm({
        x: values(z),
        gamma: values(weight),
        beta: values(bias),
        rows,
        dim,
        eps: LAYER_NORM_EPS,
        y,
        xhat,
        rstd,
        residual: residual && values(residual),
      });
      return {
        y: float32(y, [rows, dim]) as Tensor2D,
        xhat: float32(xhat, [rows, dim]) as Tensor2D,
        rstd: float32(rstd, [rows, 1]) as Tensor2D,
      };
    },

    layerNormBackward(dy, xhat, rstd, weight, add) {
      const [rows, dim] = dy.shape;
      const dx = outputArray(rows * dim);
      const dWeight = outputArray(dim);
      const dBias = outputArray(dim);
      addon.layerNormGrad({
        dy: values(dy),
        xhat: values(xhat),
        rstd: values(rstd),
        gamma: values(weight),
        rows,
        dim,
        dx,
        dGamma: dWeight,
        dBeta: dBias,
        dxAdd: add && values(add),
      });
      return {
        dInput: float32(dx, [rows, dim]) as Tensor2D,
        dWeight: float32(dWeight, [dim]),
        dBias: float32(dBias, [dim]),
      };
    },

    gelu(z) {
      const out = outputArray(z.size);
      addon.gelu(values(z), out);
      return float32(out, z.shape) as Tensor2D;
    },

    geluBackward(z, dy) {
      const out = outputArray(z.size);
      addon.geluGrad(values(z), values(dy), out);
      return float32(out, z.shape) as Tensor2D;
    },

    attention(q, k, v, keyMask, shape, dropout) {
      const { B, Tq, T, H, dh } = shape;
      const D = H * dh;
      const { heads, scores: scoresOf } = attentionViews(shape);
      const scores = outputArray(B * H * Tq * T);
      addon.gemmHeads({
        transposeB: true,
        M: Tq,
        N: T,
        K: dh,
        alpha: 1 / Math.sqrt(dh),
        a: heads(values(q), Tq),
        b: heads(values(k), T),
        c: scoresOf(scores),
        batches: B,
        heads: H,
      });
      const w = outputArray(scores.length);
      addon.softmax({ x: scores, rows: B * H * Tq, cols: T, y: w, maskBias: values(keyMask), rowsPerMask: H * Tq });
      const weights = float32(w, [B, H, Tq, T]) as Tensor4D;
      const dropMask = dropout ? dropoutMask(weights.shape, dropout.rate, dropout.seed) : undefined;
      const weightsUsed = dropMask ? (tf.mul(weights, dropMask) as Tensor4D) : weights;
      const out = outputArray(B * Tq * D);
      addon.gemmHeads({
        M: Tq,
        N: dh,
        K: T,
        a: scoresOf(values(weightsUsed)),
        b: heads(values(v), T),
        c: heads(out, Tq),
        batches: B,
        heads: H,
      });
      return {
        context: float32(out, [B * Tq, D]) as Tensor2D,
        cache: { shape, q, k, v, weights, weightsUsed, dropMask },
      };
    },

    attentionBackward(c, dContext) {
      const { B, Tq, T, H, dh } = c.shape;
      const D = H * dh;
      const scale = 1 / Math.sqrt(dh);
      const { heads, scores: scoresOf } = attentionViews(c.shape);
      const per = { batches: B, heads: H };
      const dC = values(dContext);
      const dWeightsUsed = outputArray(B * H * Tq * T);
      addon.gemmHeads({
        transposeB: true,
        M: Tq,
        N: T,
        K: dh,
        a: heads(dC, Tq),
        b: heads(values(c.v), T),
        c: scoresOf(dWeightsUsed),
        ...per,
      });
      const dV = outputArray(B * T * D);
      addon.gemmHeads({
        transposeA: true,
        M: T,
        N: dh,
        K: Tq,
        a: scoresOf(values(c.weightsUsed)),
        b: heads(dC, Tq),
        c: heads(dV, T),
        ...per,
      });
      const dScores = outputArray(dWeightsUsed.length);
      addon.softmaxGrad({
        weights: values(c.weights),
        dWeights: dWeightsUsed,
        rows: B * H * Tq,
        cols: T,
        dScores,
        dropMask: c.dropMask && values(c.dropMask),
      });
      const dQ = outputArray(B * Tq * D);
      addon.gemmHeads({
        M: Tq,
        N: dh,
        K: T,
        alpha: scale,
        a: scoresOf(dScores),
        b: heads(values(c.k), T),
        c: heads(dQ, Tq),
        ...per,
      });
      const dK = outputArray(B * T * D);
      addon.gemmHeads({
        transposeA: true,
        M: T,
        N: dh,
        K: Tq,
        alpha: scale,
        a: scoresOf(dScores),
        b: heads(values(c.q), Tq),
        c: heads(dK, T),
        ...per,
      });
      return {
        dQ: float32(dQ, [B * Tq, D]) as Tensor2D,
        dK: float32(dK, [B * T, D]) as Tensor2D,
        dV: float32(dV, [B * T, D]) as Tensor2D,
      };
    },

    dropoutMask,

    adamw: (parameters) => perTensorAdamW(parameters, adamwInPlace, sumsOfSquares),

    sumsOfSquares,

    readBack: tfjsKernels.readBack,

    throwIfFault: () => undefined,
  };
}
