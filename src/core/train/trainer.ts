// The training loop, as the Hugging Face Trainer runs it with the same arguments:
//
//   for each epoch: a seeded shuffle of the training set; batches of per_device_train_batch_size
//   (padded to their longest example); every gradient_accumulation_steps batches one update
//   (clip, AdamW at the schedule's learning rate); logs of the mean loss every logging_steps;
//   evaluation and checkpoints by eval_strategy / save_strategy; stop at max_steps.
//
// Everything a step draws (the epoch's order, dropout masks) is a function of (seed, epoch, step),
// so a run resumed from a checkpoint computes exactly what the uninterrupted run would have.
import type { TrainingConfig } from '../config/schema';
import type { FinalMetrics, RunEvent } from './events';
import type { EncodedExamples } from '../data/dataset';
import type { DistilBertForSequenceClassification } from '../model/distilbert';
import type { ParameterSpec } from '../model/parameters';
import { Random, permutation, stepDropoutSeed } from '../random';
import type { BertTokenizer } from '../text/tokenizer';
import { padBatch } from './batches';
import { saveCheckpoint, type ResumeState } from './trainingCheckpoint';
import { evaluateModel } from './evaluate';
import { AdamW } from './optimizer';
import { learningRateAt, warmupSteps, type Schedule } from './schedule';
import { optimizerStep, type MicroBatch, type PendingStep, type StepResult } from './step';
import { trainerStateJson, type LogEntry } from './trainerState';
import { checkpointFolderName } from '../outputNames';
import { kernels } from '../kernels/activeKernels';

export interface TrainerInputs {
  config: TrainingConfig;
  model: DistilBertForSequenceClassification;
  specs: ParameterSpec[];
  tokenizer: BertTokenizer;
  train: EncodedExamples;
  validation: EncodedExamples;
  labels: string[];
  emit: (event: RunEvent) => void;
  isCancelled: () => boolean;
  /** The optimizer, already holding a checkpoint's moments when resuming. */
  optimizer?: AdamW;
  resume?: ResumeState;
}

export interface TrainOutcome {
  status: 'finished' | 'cancelled';
  history: LogEntry[];
  step: number;
  epoch: number;
  finalMetrics?: FinalMetrics;
  checkpoint?: string;
  trainLoss: number;
}

/** A step that has been queued; its numbers are read when it is reported. */
interface QueuedStep {
  pending: PendingStep;
  step: number;
  learningRate: number;
  epochFloat: number;
  endOfEpoch: boolean;
  samples: number;
  tokens: number;
}

export interface Plan {
  batchesPerEpoch: number;
  stepsPerEpoch: number;
  totalSteps: number;
  numEpochs: number;
  warmupSteps: number;
}

/** Steps and epochs as the Trainer computes them from the data size and the arguments. */
export function planTraining(config: TrainingConfig, numExamples: number): Plan {
  const batchesPerEpoch = Math.ceil(numExamples / config.per_device_train_batch_size);
  const stepsPerEpoch = Math.max(1, Math.ceil(batchesPerEpoch / config.gradient_accumulation_steps));
  const totalSteps = config.max_steps > 0 ? config.max_steps : Math.ceil(config.num_train_epochs * stepsPerEpoch);
  const numEpochs = Math.ceil(totalSteps / stepsPerEpoch);
  return {
    batchesPerEpoch,
    stepsPerEpoch,
    totalSteps,
    numEpochs,
    warmupSteps: warmupSteps(totalSteps, config.warmup_steps, config.warmup_ratio),
  };
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
/** HF rounds logged training losses to 4 decimals. */
const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export class Trainer {
  readonly plan: Plan;
  private readonly schedule: Schedule;
  readonly optimizer: AdamW;
  private step: number;
  private history: LogEntry[];
  private lossSum: number;
  private lossSteps: number;
  private lastGradNorm: number;
  private trainLossSum = 0;
  private trainLossSteps = 0;
  private tokensSeen: number;
  private readonly previousSeconds: number;
  private lastEvaluation?: { step: number; metrics: FinalMetrics };

  constructor(private readonly inputs: TrainerInputs) {
    const { config } = inputs;
    this.plan = planTraining(config, inputs.train.count);
    this.schedule = {
      type: config.lr_scheduler_type,
      learningRate: config.learning_rate,
      warmupSteps: this.plan.warmupSteps,
      totalSteps: this.plan.totalSteps,
    };
    this.optimizer =
      inputs.optimizer ??
      new AdamW(inputs.specs, {
        beta1: config.adam_beta1,
        beta2: config.adam_beta2,
        epsilon: config.adam_epsilon,
        weightDecay: config.weight_decay,
      });
    const r = inputs.resume;
    this.step = r?.global_step ?? 0;
    this.history = r ? [...r.history] : [];
    this.lossSum = r?.loss_sum ?? 0;
    this.lossSteps = r?.loss_steps ?? 0;
    this.lastGradNorm = r?.last_grad_norm ?? 0;
    this.tokensSeen = r?.tokens_seen ?? 0;
    this.previousSeconds = r?.train_seconds ?? 0;
    this.trainLossSum = r?.train_loss_sum ?? 0;
    this.trainLossSteps = r?.global_step ?? 0;
  }

  get globalStep(): number {
    return this.step;
  }

  async train(): Promise<TrainOutcome> {
    const { config, train, emit } = this.inputs;
    const { stepsPerEpoch, totalSteps } = this.plan;
    const started = Date.now();
    const meter = new RateMeter(20);
    emit({ type: 'phase', phase: 'training' });

    // A step is queued, then the previous one is reported (its loss and norm read back): on a GPU
    // the read does not stall the queue. A step that logs, evaluates, saves or ends the run is
    // reported at once, before anything else is queued.
    let unreported: QueuedStep | undefined;
    let reportedAt = Date.now();
    const report = async (queued: QueuedStep) => {
      const result = await queued.pending.read();
      // Nothing computed after a GPU fault is logged or saved: the checkpoint before it stays the last.
      kernels().throwIfFault();
      meter.add((Date.now() - reportedAt) / 1000, queued.samples);
      reportedAt = Date.now();
      await this.report(queued, result, started, meter);
    };
    while (this.step < totalSteps) {
      const epoch = Math.floor(this.step / stepsPerEpoch);
      const order = permutation(train.count, new Random(config.seed, `epoch-${epoch}`));
      const updatesInEpoch = this.plan.stepsPerEpoch;
      for (let u = this.step - epoch * stepsPerEpoch; u < updatesInEpoch && this.step < totalSteps; u++) {
        await yieldToEventLoop();
        if (this.inputs.isCancelled()) {
          if (unreported) await report(unreported);
          return await this.cancel(started);
        }
        const microBatches = this.update(order, u);
        const learningRate = learningRateAt(this.schedule, this.step);
        const dropoutSeed = stepDropoutSeed(config.seed, this.step);
        const pending = await optimizerStep(
          this.inputs.model,
          this.optimizer,
          microBatches,
          learningRate,
          config.max_grad_norm,
          dropoutSeed,
        );
        this.step++;
        const queued: QueuedStep = {
          pending,
          step: this.step,
          learningRate,
          epochFloat: epoch + (u + 1) / updatesInEpoch,
          endOfEpoch: u === updatesInEpoch - 1 || this.step === totalSteps,
          samples: microBatches.reduce((a, m) => a + m.batch.batchSize, 0),
          tokens: microBatches.reduce((a, m) => a + m.batch.attentionMask.reduce((x, y) => x + y, 0), 0),
        };
        if (unreported) await report(unreported);
        unreported = undefined;
        if (this.actsAt(queued)) await report(queued);
        else unreported = queued;
      }
    }
    if (unreported) await report(unreported);

    const epochFloat = this.epochAt(this.step);
    const runtime = (Date.now() - started) / 1000 + this.previousSeconds;
    const trainLoss = this.trainLossSteps ? this.trainLossSum / this.trainLossSteps : 0;
    const finalMetrics =
      this.lastEvaluation?.step === this.step ? this.lastEvaluation.metrics : await this.evaluate(epochFloat, false);
    // As the Trainer's speed_metrics: samples = examples x epochs, or max_steps x total batch.
    const samples =
      config.max_steps > 0
        ? totalSteps * config.per_device_train_batch_size * config.gradient_accumulation_steps
        : train.count * config.num_train_epochs;
    const speed = {
      train_runtime: runtime,
      train_samples_per_second: samples / Math.max(runtime, 1e-9),
      train_steps_per_second: totalSteps / Math.max(runtime, 1e-9),
    };
    this.history.push({
      epoch: epochFloat,
      step: this.step,
      total_flos: 0,
      train_loss: trainLoss,
      train_runtime: round(runtime, 4),
      train_samples_per_second: round(speed.train_samples_per_second, 3),
      train_steps_per_second: round(speed.train_steps_per_second, 3),
    });
    Object.assign(finalMetrics, { ...speed, train_loss: trainLoss, epoch: epochFloat, step: this.step });
    return { status: 'finished', history: this.history, step: this.step, epoch: epochFloat, finalMetrics, trainLoss };
  }

  /** What step `q` does besides updating: log the loss, evaluate, save a checkpoint. */
  private dueAt(q: QueuedStep): { log: boolean; evaluate: boolean; save: boolean } {
    const { config } = this.inputs;
    const every = (strategy: string, steps: number) =>
      (strategy === 'steps' && q.step % steps === 0) || (strategy === 'epoch' && q.endOfEpoch);
    return {
      log: every(config.logging_strategy, config.logging_steps),
      evaluate: every(config.eval_strategy, config.eval_steps ?? config.logging_steps),
      save: every(config.save_strategy, config.save_steps),
    };
  }

  /** A step that does more than update, or the last, is reported before the next is queued. */
  private actsAt(q: QueuedStep): boolean {
    const due = this.dueAt(q);
    return q.step === this.plan.totalSteps || due.log || due.evaluate || due.save;
  }

  /** A step's numbers, once read: progress, the logged loss, and its evaluation and checkpoint if due. */
  private async report(q: QueuedStep, result: StepResult, started: number, meter: RateMeter): Promise<void> {
    const { emit } = this.inputs;
    const { totalSteps } = this.plan;
    this.lossSum += result.loss;
    this.lossSteps++;
    this.trainLossSum += result.loss;
    this.trainLossSteps++;
    this.lastGradNorm = result.gradNorm;
    this.tokensSeen += q.tokens;
    emit({
      type: 'progress',
      step: q.step,
      total_steps: totalSteps,
      epoch: q.epochFloat,
      loss: result.loss,
      learning_rate: q.learningRate,
      grad_norm: result.gradNorm,
      samples_per_second: meter.samplesPerSecond(),
      elapsed_seconds: (Date.now() - started) / 1000 + this.previousSeconds,
      eta_seconds: (totalSteps - q.step) * meter.secondsPerStep(),
    });
    const due = this.dueAt(q);
    if (due.log) this.logLoss(q.epochFloat);
    if (due.evaluate) await this.evaluate(q.epochFloat);
    if (due.save) await this.checkpoint(q.epochFloat, started, false);
  }

  /**
   * The micro-batches of update `u` of an epoch whose seeded order is `order`. Padded only when
   * the step runs, so memory holds one update's batches, not the epoch's.
   */
  private update(order: Uint32Array, u: number): MicroBatch[] {
    const { train, config, tokenizer } = this.inputs;
    const size = config.per_device_train_batch_size;
    const first = u * config.gradient_accumulation_steps;
    const microBatches: MicroBatch[] = [];
    for (let b = first; b < first + config.gradient_accumulation_steps && b * size < order.length; b++) {
      microBatches.push(this.microBatch(train, order.subarray(b * size, (b + 1) * size), tokenizer.padId));
    }
    return microBatches;
  }

  private microBatch(examples: EncodedExamples, rows: ArrayLike<number>, padId: number): MicroBatch {
    const sequences: Int32Array[] = [];
    const labels = new Int32Array(rows.length);
    for (let i = 0; i < rows.length; i++) {
      sequences.push(examples.ids.subarray(examples.offsets[rows[i]], examples.offsets[rows[i] + 1]));
      labels[i] = examples.labels[rows[i]];
    }
    return { batch: padBatch(sequences, padId, this.inputs.config.max_length), labels };
  }

  private epochAt(step: number): number {
    const { stepsPerEpoch } = this.plan;
    const epoch = Math.floor((step - 1) / stepsPerEpoch);
    return step === 0 ? 0 : epoch + (step - epoch * stepsPerEpoch) / stepsPerEpoch;
  }

  private logLoss(epoch: number): void {
    if (this.lossSteps === 0) return;
    this.history.push({
      epoch,
      grad_norm: this.lastGradNorm,
      learning_rate: learningRateAt(this.schedule, this.step),
      loss: round4(this.lossSum / this.lossSteps),
      step: this.step,
    });
    this.lossSum = 0;
    this.lossSteps = 0;
  }

  /** Evaluates on the validation set; adds a row to the results table unless `asTableRow` is false. */
  async evaluate(epoch: number, asTableRow = true): Promise<FinalMetrics> {
    const { validation, config, labels, emit, model, tokenizer } = this.inputs;
    emit({ type: 'phase', phase: 'evaluating' });
    const { metrics, runtime, batches } = await evaluateModel(model, validation, labels, {
      batchSize: config.per_device_eval_batch_size,
      padId: tokenizer.padId,
      f1Average: config.f1_average,
      maxLength: config.max_length,
    });
    kernels().throwIfFault();
    Object.assign(metrics, { epoch, step: this.step });
    if (asTableRow) {
      this.history.push({
        epoch,
        eval_accuracy: metrics.eval_accuracy,
        eval_f1: metrics.eval_f1,
        eval_loss: metrics.eval_loss,
        eval_runtime: round(runtime, 4),
        eval_samples_per_second: round(validation.count / Math.max(runtime, 1e-9), 3),
        eval_steps_per_second: round(batches / Math.max(runtime, 1e-9), 3),
        step: this.step,
      });
      emit({
        type: 'evaluation',
        training_loss: this.latestLoggedLoss(),
        epoch,
        step: this.step,
        validation_loss: metrics.eval_loss,
        accuracy: metrics.eval_accuracy,
        f1: metrics.eval_f1,
      });
      this.lastEvaluation = { step: this.step, metrics };
    }
    emit({ type: 'phase', phase: 'training' });
    return metrics;
  }

  /** The Training Loss column: the latest logged loss, null ("No log") before the first. */
  private latestLoggedLoss(): number | null {
    for (let i = this.history.length - 1; i >= 0; i--)
      if (this.history[i].loss !== undefined) return this.history[i].loss!;
    return null;
  }

  private async cancel(started: number): Promise<TrainOutcome> {
    const epoch = this.epochAt(this.step);
    const checkpoint = await this.checkpoint(epoch, started, true);
    return {
      status: 'cancelled',
      history: this.history,
      step: this.step,
      epoch,
      checkpoint,
      trainLoss: this.trainLossSteps ? this.trainLossSum / this.trainLossSteps : 0,
    };
  }

  /** Writes checkpoint-<step>/ and reports it. */
  async checkpoint(epoch: number, started: number, stopped: boolean): Promise<string> {
    const { config, model, specs, tokenizer, labels, train, emit } = this.inputs;
    emit({ type: 'phase', phase: 'saving', detail: checkpointFolderName(this.step) });
    const path = await saveCheckpoint(
      config.output_dir,
      {
        model,
        specs,
        tokenizer,
        optimizer: this.optimizer,
        trainerState: this.trainerState(epoch, stopped),
        resume: {
          global_step: this.step,
          max_steps: this.plan.totalSteps,
          steps_per_epoch: this.plan.stepsPerEpoch,
          num_train_examples: train.count,
          labels,
          seed: config.seed,
          history: this.history,
          loss_sum: this.lossSum,
          loss_steps: this.lossSteps,
          last_grad_norm: this.lastGradNorm,
          train_loss_sum: this.trainLossSum,
          train_seconds: (Date.now() - started) / 1000 + this.previousSeconds,
          tokens_seen: this.tokensSeen,
        },
        trainingArgs: config,
      },
      config.save_total_limit,
    );
    emit({ type: 'checkpoint', path, step: this.step });
    if (!stopped) emit({ type: 'phase', phase: 'training' });
    return path;
  }

  trainerState(epoch: number, stopped: boolean) {
    const { config } = this.inputs;
    return trainerStateJson({
      epoch,
      globalStep: this.step,
      maxSteps: this.plan.totalSteps,
      numTrainEpochs: this.plan.numEpochs,
      history: this.history,
      loggingSteps: config.logging_steps,
      evalSteps: config.eval_steps ?? config.logging_steps,
      saveSteps: config.save_steps,
      trainBatchSize: config.per_device_train_batch_size,
      totalFlos: 0,
      tokensSeen: this.tokensSeen,
      stopped,
    });
  }

  /** Tensors held by the trainer (the optimizer's moments). */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Seconds per step and samples per second over the last `window` steps. */
class RateMeter {
  private readonly seconds: number[] = [];
  private readonly samples: number[] = [];
  constructor(private readonly window: number) {}

  add(seconds: number, samples: number): void {
    this.seconds.push(seconds);
    this.samples.push(samples);
    if (this.seconds.length > this.window) {
      this.seconds.shift();
      this.samples.shift();
    }
  }

  secondsPerStep(): number {
    return this.seconds.length ? this.seconds.reduce((a, b) => a + b, 0) / this.seconds.length : 0;
  }

  samplesPerSecond(): number {
    const seconds = this.seconds.reduce((a, b) => a + b, 0);
    return seconds > 0 ? this.samples.reduce((a, b) => a + b, 0) / seconds : 0;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
