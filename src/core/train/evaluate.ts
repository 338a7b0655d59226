// Evaluation of a model on labelled examples: mean cross-entropy loss, accuracy, F1, per-class
// metrics and the confusion matrix (used by the Trainer every evaluation and by `evaluate`).
import type { FinalMetrics } from './events';
import type { EncodedExamples } from '../data/dataset';
import type { DistilBertForSequenceClassification } from '../model/distilbert';
import { padBatch } from './batches';
import { accuracy, confusionMatrix, f1Score, perClassMetrics, type F1Average } from './metrics';

export interface EvaluationResult {
  metrics: FinalMetrics;
  runtime: number;
  batches: number;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function evaluateModel(
  model: DistilBertForSequenceClassification,
  examples: EncodedExamples,
  labels: string[],
  options: { batchSize: number; padId: number; f1Average: F1Average; maxLength: number },
): Promise<EvaluationResult> {
  const started = Date.now();
  // Sorting by length keeps padding small; the metrics do not depend on the order.
  const length = (i: number) => examples.offsets[i + 1] - examples.offsets[i];
  const order = Array.from({ length: examples.count }, (_, i) => i).sort((a, b) => length(a) - length(b));
  const predicted = new Int32Array(examples.count);
  const L = labels.length;
  let lossSum = 0;
  let batches = 0;
  for (let start = 0; start < order.length; start += options.batchSize) {
    await yieldToEventLoop();
    const rows = order.slice(start, start + options.batchSize);
    const logits = model.logits(
      padBatch(
        rows.map((r) => examples.ids.subarray(examples.offsets[r], examples.offsets[r + 1])),
        options.padId,
        options.maxLength,
      ),
    );
    const values = await logits.data();
    logits.dispose();
    batches++;
    rows.forEach((row, i) => {
      const scores = values.subarray(i * L, (i + 1) * L);
      let best = 0;
      for (let c = 1; c < L; c++) if (scores[c] > scores[best]) best = c;
      let sum = 0;
      for (let c = 0; c < L; c++) sum += Math.exp(scores[c] - scores[best]);
      // Cross-entropy of the row, in double precision: logsumexp - logit of the true label.
      lossSum += scores[best] + Math.log(sum) - scores[examples.labels[row]];
      predicted[row] = best;
    });
  }
  const matrix = confusionMatrix(examples.labels, predicted, L);
  return {
    runtime: (Date.now() - started) / 1000,
    batches,
    metrics: {
      eval_loss: lossSum / Math.max(1, examples.count),
      eval_accuracy: accuracy(matrix),
      eval_f1: f1Score(matrix, options.f1Average),
      f1_average: options.f1Average,
      per_class: perClassMetrics(matrix, labels),
      confusion_matrix: matrix,
      labels,
      train_loss: 0,
      train_runtime: 0,
      train_samples_per_second: 0,
      train_steps_per_second: 0,
      epoch: 0,
      step: 0,
    },
  };
}
