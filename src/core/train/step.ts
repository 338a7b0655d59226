// One optimizer update, in the Trainer's order: forward + backward over the micro-batches of
// gradient accumulation (gradients summed, each scaled by 1/accumulation) -> total gradient norm ->
// clip to max_grad_norm -> AdamW at this step's learning rate.
//
// Nothing is read back while the step is queued: its loss and gradient norm come back together,
// in one read, when the caller asks (the trainer asks after queueing the next step, so on a GPU the
// read does not stall it).
import { microBatchDropoutSeed } from '../random';
import { tf, type Tensor } from '../tf';
import type { DistilBertForSequenceClassification, DropoutPlan, EncodedBatch, Gradients } from '../model/distilbert';
import type { AdamW } from './optimizer';
import { kernels } from '../kernels/activeKernels';

export interface MicroBatch {
  batch: EncodedBatch;
  labels: Int32Array;
}

export interface StepResult {
  /** Mean loss over the micro-batches (before the update). */
  loss: number;
  /** Total gradient norm before clipping, as clip_grad_norm_ returns it. */
  gradNorm: number;
}

/** A queued step: `read()` brings its numbers back (once). */
export interface PendingStep {
  read(): Promise<StepResult>;
}

export async function optimizerStep(
  model: DistilBertForSequenceClassification,
  optimizer: AdamW,
  microBatches: MicroBatch[],
  learningRate: number,
  maxGradNorm: number,
  dropoutSeed: number | undefined,
): Promise<PendingStep> {
  const scale = 1 / microBatches.length;
  let summed: Gradients | undefined;
  let lossSum: Tensor | undefined;
  for (const [i, { batch, labels }] of microBatches.entries()) {
    const dropout: DropoutPlan | undefined =
      dropoutSeed === undefined ? undefined : { seed: microBatchDropoutSeed(dropoutSeed, i) };
    const { loss, gradients } = model.lossAndGradients(batch, labels, dropout, scale);
    if (!lossSum) lossSum = loss;
    else {
      const previous = lossSum;
      lossSum = tf.add(previous, loss);
      previous.dispose();
      loss.dispose();
    }
    if (!summed) {
      summed = gradients;
      continue;
    }
    for (const [name, grad] of gradients) {
      const previous = summed.get(name)!;
      summed.set(name, tf.add(previous, grad));
      previous.dispose();
      grad.dispose();
    }
  }
  const gradients = summed!;
  const { gradNorm } = await optimizer.apply(model.params, gradients, learningRate, maxGradNorm);
  for (const grad of gradients.values()) grad.dispose();
  // [mean loss, norm] in one tensor: one read. Started now, so its copy is queued behind this step.
  const numbers = tf.tidy(() =>
    tf.concat([tf.reshape(scale === 1 ? lossSum! : tf.mul(lossSum!, scale), [1]), tf.reshape(gradNorm, [1])]),
  );
  lossSum!.dispose();
  gradNorm.dispose();
  const values = kernels().readBack(numbers);
  return {
    async read() {
      const [loss, norm] = await values;
      return { loss, gradNorm: norm };
    },
  };
}
