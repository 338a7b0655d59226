// Learning-rate schedules, as `transformers.get_scheduler` builds them (LambdaLR): the learning
// rate used by optimizer step k (0-based) is `learning_rate * lambda(k)`; step 0 of a warmup uses 0.

export type SchedulerType = 'linear' | 'constant' | 'constant_with_warmup' | 'cosine';

export interface Schedule {
  type: SchedulerType;
  learningRate: number;
  warmupSteps: number;
  totalSteps: number;
}

export function lrLambda(schedule: Schedule, step: number): number {
  const { type, warmupSteps: W, totalSteps: N } = schedule;
  if (type === 'constant') return 1;
  if (step < W) return step / Math.max(1, W);
  switch (type) {
    case 'constant_with_warmup':
      return 1;
    case 'linear':
      return Math.max(0, (N - step) / Math.max(1, N - W));
    case 'cosine': {
      const progress = (step - W) / Math.max(1, N - W);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 0.5 * 2 * progress)));
    }
  }
}

export function learningRateAt(schedule: Schedule, step: number): number {
  return schedule.learningRate * lrLambda(schedule, step);
}

/** The Trainer's `get_warmup_steps`: warmup_steps when positive, else ceil(total * warmup_ratio). */
export function warmupSteps(totalSteps: number, steps: number, ratio: number): number {
  return steps > 0 ? steps : Math.ceil(totalSteps * ratio);
}
