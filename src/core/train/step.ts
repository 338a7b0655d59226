// One optimizer update, in the Trainer's order: forward + backward over the micro-batches of
// gradient accumulation (gradients summed, each scaled by 1/accumulation) -> total gradient norm ->
// clip to max_grad_norm -> AdamW at this step's learning rate.
import { microBatchDropoutSeed } from '../random';
import { tf } from '../tf';
import type { DistilBertForSequenceClassification, DropoutPlan, EncodedBatch, Gradients } from '../model/distilbert';
import { clipCoefficient, globalGradNorm, type AdamW } from './optimizer';

export interface MicroBatch {
  batch: EncodedBatch;
  labels: Int32Array;
}

export interface StepResult {
  /** Mean loss over the micro-batches (before the update). */
  loss: number;
  /** Total gradient norm before clipping, as clip_grad_norm_ returns it. */
  gradNorm: number;
  clipCoefficient: number;
}

export async function optimizerStep(
  model: DistilBertForSequenceClassification,
  optimizer: AdamW,
  microBatches: MicroBatch[],
  learningRate: number,
  maxGradNorm: number,
  dropoutSeed: number | undefined,
): Promise<StepResult> {
  const scale = 1 / microBatches.length;
  let summed: Gradients | undefined;
  let lossSum = 0;
  for (const [i, { batch, labels }] of microBatches.entries()) {
    const dropout: DropoutPlan | undefined =
      dropoutSeed === undefined ? undefined : { seed: microBatchDropoutSeed(dropoutSeed, i) };
    const { loss, gradients } = await model.lossAndGradients(batch, labels, dropout, scale);
    lossSum += loss;
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
  const gradNorm = await globalGradNorm(gradients);
  const coefficient = clipCoefficient(gradNorm, maxGradNorm);
  optimizer.apply(model.params, gradients, learningRate, coefficient);
  for (const grad of gradients.values()) grad.dispose();
  return { loss: lossSum / microBatches.length, gradNorm, clipCoefficient: coefficient };
}
