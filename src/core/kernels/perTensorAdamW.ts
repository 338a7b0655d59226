// AdamW one tensor at a time, with clip_grad_norm_'s total norm computed on the host: what the
// CPU backends run (their per-tensor update is one fused pass, or a tfjs composition), and the
// arithmetic of clipping that every backend shares.
import { tf, type Tensor } from '../tf';
import type { AdamWMoments, AdamWStep, AdamWTensors, MultiTensorAdamW, AdamWParameter } from './kernels';

/** One parameter's update: its new tensors (the same ones where updated in place). */
export type TensorAdamW = (
  state: AdamWTensors,
  grad: Tensor,
  step: AdamWStep,
) => { param: Tensor; expAvg: Tensor; expAvgSq: Tensor };

/**
 * The total L2 norm of all gradients from their sums of squares, as clip_grad_norm_ computes it:
 * norm(stack([norm(g) for g])), each norm a float32.
 */
export function totalNorm(sumsOfSquares: number[]): number {
  let total = 0;
  for (const sumOfSquares of sumsOfSquares) {
    const norm = Math.fround(Math.sqrt(sumOfSquares));
    total += norm * norm;
  }
  return Math.fround(Math.sqrt(total));
}

/**
 * clip_grad_norm_'s coefficient: min(1, maxNorm / (norm + 1e-6)) in float32; torch multiplies
 * every gradient by it. maxNorm <= 0 disables clipping.
 */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  return Math.min(1, Math.fround(Math.fround(maxNorm) / Math.fround(norm + Math.fround(1e-6))));
}

export function perTensorAdamW(
  parameters: AdamWParameter[],
  updateOne: TensorAdamW,
  sumsOfSquares: (tensors: Tensor[]) => Promise<number[]>,
): MultiTensorAdamW {
  let expAvg: Array<Tensor | undefined> = parameters.map(() => undefined);
  let expAvgSq: Array<Tensor | undefined> = parameters.map(() => undefined);
  const replace = (list: Array<Tensor | undefined>, i: number, next: Tensor) => {
    if (list[i] !== next) list[i]?.dispose();
    list[i] = next;
  };
  return {
    async update(params, grads, step) {
      const norm = totalNorm(await sumsOfSquares(grads));
      const gradScale = clipCoefficient(norm, step.maxGradNorm);
      const updated = params.map((param, i) => {
        const decay = parameters[i].decay ? step.decay : 1;
        const next = updateOne({ param, expAvg: expAvg[i], expAvgSq: expAvgSq[i] }, grads[i], {
          ...step,
          decay,
          gradScale,
        });
        replace(expAvg, i, next.expAvg);
        replace(expAvgSq, i, next.expAvgSq);
        return next.param;
      });
      return { params: updated, gradNorm: tf.scalar(norm) };
    },
    async readMoments() {
      return Promise.all(
        parameters.map(async (_, i): Promise<AdamWMoments | undefined> => {
          const m = expAvg[i];
          const v = expAvgSq[i];
          if (!m || !v) return undefined;
          const [mData, vData] = await Promise.all([m.data(), v.data()]);
          return { expAvg: mData as Float32Array, expAvgSq: vData as Float32Array };
        }),
      );
    },
    writeMoments(moments) {
      this.dispose();
      expAvg = moments.map((m, i) => (m ? tf.tensor(m.expAvg, parameters[i].shape, 'float32') : undefined));
      expAvgSq = moments.map((m, i) => (m ? tf.tensor(m.expAvgSq, parameters[i].shape, 'float32') : undefined));
    },
    dispose() {
      for (const tensor of [...expAvg, ...expAvgSq]) tensor?.dispose();
      expAvg = parameters.map(() => undefined);
      expAvgSq = parameters.map(() => undefined);
    },
  };
}
