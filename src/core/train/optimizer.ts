// AdamW as `torch.optim.AdamW` computes it (the Trainer's default optimizer), and gradient clipping
// as `torch.nn.utils.clip_grad_norm_` does. tfjs' own `tf.train.adam` differs: epsilon 1e-7 by
// default, bias corrections in float32, a fixed learning rate, and no decoupled weight decay.
import type { Tensor } from '../tf';
import type { Gradients, Params } from '../model/distilbert';
import { kernels } from '../kernels/activeKernels';
import type { ParameterSpec } from '../model/parameters';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export class AdamW {
  /** Steps taken (t of the bias correction is step + 1 during a step). */
  step = 0;
  readonly expAvg = new Map<string, Tensor>();
  readonly expAvgSq = new Map<string, Tensor>();
  private readonly decay: Set<string>;

  constructor(
    readonly specs: ParameterSpec[],
    readonly settings: AdamWSettings,
  ) {
    this.decay = new Set(specs.filter((s) => s.decay).map((s) => s.name));
  }

  /**
   * One update of every parameter that has a gradient, at learning rate `lr`, with the gradients
   * scaled by `gradScale` first (the clipping coefficient):
   *   p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
   *   p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
   * The bias corrections are computed in double precision, as torch does on the host. Kernels that
   * can (the native ones) update each tensor in place in one pass, as torch's in-place ops do.
   */
  apply(params: Params, gradients: Gradients, lr: number, gradScale = 1): void {
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const t = this.step + 1;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const k = kernels();
    for (const [name, grad] of gradients) {
      const param = params.get(name)!;
      const decay = weightDecay > 0 && this.decay.has(name) ? 1 - lr * weightDecay : 1;
      const state = { param, expAvg: this.expAvg.get(name), expAvgSq: this.expAvgSq.get(name) };
      const updated = k.adamw(state, grad, { decay, beta1, beta2, epsilon, stepSize, bc2Sqrt, gradScale });
      // Kernels that update in place hand back the same tensors; others new ones.
      replace(params, name, param, updated.param);
      replace(this.expAvg, name, state.expAvg, updated.expAvg);
      replace(this.expAvgSq, name, state.expAvgSq, updated.expAvgSq);
    }
    this.step = t;
  }

  dispose(): void {
    for (const tensor of [...this.expAvg.values(), ...this.expAvgSq.values()]) tensor.dispose();
    this.expAvg.clear();
    this.expAvgSq.clear();
  }
}

/** Stores `next` under `name` in place of `previous`, disposing `previous` when it was replaced. */
function replace(map: Map<string, Tensor>, name: string, previous: Tensor | undefined, next: Tensor): void {
  if (previous === next) return;
  previous?.dispose();
  map.set(name, next);
}

/**
 * The total L2 norm of all gradients together, as clip_grad_norm_ computes it:
 * norm(stack([norm(g) for g])). Returned as a float32 value.
 */
export async function globalGradNorm(gradients: Gradients): Promise<number> {
  const values = await kernels().sumsOfSquares([...gradients.values()]);
  let total = 0;
  for (const sumOfSquares of values) {
    const norm = Math.fround(Math.sqrt(sumOfSquares));
    total += norm * norm;
  }
  return Math.fround(Math.sqrt(total));
}

/**
 * clip_grad_norm_'s coefficient: min(1, maxNorm / (norm + 1e-6)) in float32; torch multiplies
 * every gradient by it (AdamW.apply does, as `gradScale`). maxNorm <= 0 disables clipping.
 */
export function clipCoefficient(norm: number, maxNorm: number): number {
  if (!(maxNorm > 0)) return 1;
  return Math.min(1, Math.fround(Math.fround(maxNorm) / Math.fround(norm + Math.fround(1e-6))));
}
