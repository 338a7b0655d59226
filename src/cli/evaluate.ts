// `evaluate --model DIR|HUB_ID --data FILE [--text-column C] [--label-column C] [--json]`: the
// metrics of a saved model on a labelled file (its labels must be among the model's).
import { UserError } from '../core/errors';
import { loadBackend } from '../core/backends/loadBackend';
import { Classifier } from '../core/inference/classifier';
import { evaluateFile } from '../core/inference/evaluateFile';
import type { F1Average } from '../core/train/metrics';
import { maybeRound } from '../core/train/modelCard';
import { DEVICE_OPTION, deviceOf, parse } from './args';

export async function evaluateCommand(args: string[]): Promise<number> {
  const { values } = parse({
    args,
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      'text-column': { type: 'string' },
      'label-column': { type: 'string' },
      'batch-size': { type: 'string' },
      'max-length': { type: 'string' },
      'f1-average': { type: 'string' },
      json: { type: 'boolean' },
      ...DEVICE_OPTION,
    },
  });
  if (!values.model || !values.data) throw new UserError('evaluate needs --model DIR and --data FILE');
  const f1Average = (values['f1-average'] ?? 'weighted') as F1Average;
  if (!['weighted', 'macro', 'micro', 'binary'].includes(f1Average))
    throw new UserError(`--f1-average ${f1Average}: expected weighted, macro, micro or binary`);
  const batchSize = Number(values['batch-size'] ?? 32);
  const backend = await loadBackend(deviceOf(values.device));
  const classifier = await Classifier.load(values.model, (t) => process.stderr.write(`${t}\n`));
  const evaluation = await evaluateFile(classifier, values.data, {
    textColumn: values['text-column'],
    labelColumn: values['label-column'],
    f1Average,
    batchSize,
    maxLength: values['max-length'] ? Number(values['max-length']) : undefined,
  });
  classifier.dispose();
  const { metrics, runtime, trainingOverlap: overlap } = evaluation;
  const labels = classifier.labels;
  for (const note of evaluation.notes) process.stderr.write(`${note}\n`);
  if (evaluation.warning) process.stderr.write(`warning: ${evaluation.warning}\n`);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        ...metrics,
        eval_runtime: runtime,
        backend: backend.device,
        num_examples: evaluation.examples,
        ...(overlap ? { training_data_overlap: { same_file: overlap.sameFile, texts: overlap.texts } } : {}),
      })}\n`,
    );
    return 0;
  }
  process.stdout.write(`${evaluation.examples} examples, ${backend.device}, ${runtime.toFixed(1)} s\n`);
  process.stdout.write(
    `- Loss: ${maybeRound(metrics.eval_loss)}\n- Accuracy: ${maybeRound(metrics.eval_accuracy)}\n- F1 (${f1Average}): ${maybeRound(metrics.eval_f1)}\n`,
  );
  for (const c of metrics.per_class)
    process.stdout.write(
      `  ${c.label}: precision ${c.precision.toFixed(4)}, recall ${c.recall.toFixed(4)}, F1 ${c.f1.toFixed(4)}, support ${c.support}\n`,
    );
  process.stdout.write(
    `confusion matrix (rows: true, columns: predicted ${labels.join(', ')}):\n${metrics.confusion_matrix.map((row) => `  ${row.join('\t')}`).join('\n')}\n`,
  );
  return 0;
}
