// AdamW as `torch.optim.AdamW` computes it (the Trainer's default optimizer), after gradient
// clipping as `torch.nn.utils.clip_grad_norm_` does. tfjs' own `tf.train.adam` differs: epsilon 1e-7
// by default, bias corrections in float32, a fixed learning rate, and no decoupled weight decay.
// This is the one place the optimizer is built: its numbers per step here, its arithmetic and
// where the moments live in the backend's kernels (kernels().adamw).
import type { Tensor } from '../tf';
import type { Gradients, Params } from '../model/distilbert';
import { kernels } from '../kernels/activeKernels';
import type { AdamWMoments, MultiTensorAdamW } from '../kernels/kernels';
import { totalNorm } from '../kernels/perTensorAdamW';
import { memoryShape, type ParameterSpec } from '../model/parameters';

export { clipCoefficient } from '../kernels/perTensorAdamW';

export interface AdamWSettings {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export class AdamW {
  /** Steps taken (t of the bias correction is step + 1 during a step). */
  step = 0;
  /** Made at the first update, for the parameters that have gradients (always the same ones). */
  private state?: { names: string[]; known: Set<string>; kernel: MultiTensorAdamW };
  /** Moments read from a checkpoint before the first update. */
  private pending?: Map<string, AdamWMoments>;

  constructor(
    readonly specs: ParameterSpec[],
    readonly settings: AdamWSettings,
  ) {}

  /**
   * One update of every parameter that has a gradient, at learning rate `lr`, with the gradients
   * clipped to a total norm of `maxGradNorm` first (<= 0: no clipping):
   *   g <- g * min(1, max / (norm + 1e-6));  p <- p (1 - lr wd);  m <- b1 m + (1 - b1) g
   *   v <- b2 v + (1 - b2) g^2;  p <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
   * The bias corrections are computed in double precision, as torch does on the host. Returns the
   * norm before clipping as a scalar tensor: on a GPU it is not read back here.
   */
  async apply(params: Params, gradients: Gradients, lr: number, maxGradNorm: number): Promise<{ gradNorm: Tensor }> {
    const { beta1, beta2, epsilon, weightDecay } = this.settings;
    const state = this.stateFor([...gradients.keys()]);
    const t = this.step + 1;
    const current = state.names.map((name) => params.get(name)!);
    const { params: next, gradNorm } = await state.kernel.update(
      current,
      state.names.map((name) => gradients.get(name)!),
      {
        decay: weightDecay > 0 ? 1 - lr * weightDecay : 1,
        beta1,
        beta2,
        epsilon,
        stepSize: lr / (1 - beta1 ** t),
        bc2Sqrt: Math.sqrt(1 - beta2 ** t),
        maxGradNorm,
      },
    );
    state.names.forEach((name, i) => {
      if (next[i] === current[i]) return;
      current[i].dispose();
      params.set(name, next[i]);
    });
    this.step = t;
    return { gradNorm };
  }

  /** Each parameter's moments by name (those updated at least once), for a checkpoint. */
  async moments(): Promise<Map<string, AdamWMoments>> {
    if (!this.state) return new Map(this.pending ?? []);
    const { names, kernel } = this.state;
    const read = await kernel.readMoments();
    return new Map(names.flatMap((name, i) => (read[i] ? [[name, read[i]] as const] : [])));
  }

  /** Restores moments (by name, in memory layout) and the step count, as a checkpoint holds them. */
  restore(moments: Map<string, AdamWMoments>, step: number): void {
    this.dispose();
    this.pending = moments;
    this.step = step;
  }

  dispose(): void {
    this.state?.kernel.dispose();
    this.state = undefined;
    this.pending = undefined;
  }

  private stateFor(names: string[]): { names: string[]; kernel: MultiTensorAdamW } {
    if (this.state) {
      const known = this.state.known;
      const same = known.size === names.length && names.every((n) => known.has(n));
      if (!same) throw new Error('AdamW: the set of parameters with gradients changed between updates');
      return this.state;
    }
    const bySpec = new Map(this.specs.map((s) => [s.name, s]));
    const ordered = this.specs.map((s) => s.name).filter((name) => names.includes(name));
    const decayed = this.settings.weightDecay > 0;
    const kernel = kernels().adamw(
      ordered.map((name) => ({
        name,
        shape: memoryShape(bySpec.get(name)!),
        decay: decayed && bySpec.get(name)!.decay,
      })),
    );
    if (this.pending) kernel.writeMoments(ordered.map((name) => this.pending!.get(name)));
    this.pending = undefined;
    this.state = { names: ordered, known: new Set(ordered), kernel };
    return this.state;
  }
}

/**
 * The total L2 norm of all gradients together, as clip_grad_norm_ computes it:
 * norm(stack([norm(g) for g])). Returned as a float32 value (read back).
 */
export async function globalGradNorm(gradients: Gradients): Promise<number> {
  return totalNorm(await kernels().sumsOfSquares([...gradients.values()]));
}
