// `evaluate --model DIR|HUB_ID --data FILE [--text-column C] [--label-column C] [--json]`: the
// metrics of a saved model on a labelled file (its labels must be among the model's).
import * as path from 'node:path';
import { chooseColumns, encodeLabelledFile } from '../core/data/dataset';
import { overlapWarning, overlapWithTraining, readTrainingData } from '../core/data/trainingData';
import { UserError } from '../core/errors';
import { disposeModel, loadModel } from '../core/model/modelFolder';
import { resolveModel } from '../core/model/hub';
import { BertTokenizer } from '../core/text/tokenizer';
import { loadBackend } from '../core/backends/loadBackend';
import { evaluateModel } from '../core/train/evaluate';
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
  const { folder } = await resolveModel(values.model, { onLog: (t) => process.stderr.write(`${t}\n`) });
  const { model } = loadModel(folder, { seed: 0, displayName: values.model });
  const tokenizer = BertTokenizer.fromFolder(folder);
  const maxLength = Number(values['max-length'] ?? Math.min(512, model.config.max_position_embeddings));
  const notes: string[] = [];
  const columns = await chooseColumns(
    { trainFile: path.resolve(values.data), textColumn: values['text-column'], labelColumn: values['label-column'] },
    notes,
  );
  const labels = Object.keys(model.config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((id) => model.config.id2label[id]);
  const examples = await encodeLabelledFile(
    path.resolve(values.data),
    columns,
    (text, pair) => tokenizer.encode(text, pair, { maxLength }).inputIds,
    model.config.label2id,
    values.model,
    notes,
  );
  for (const note of notes) process.stderr.write(`${note}\n`);
  // The model's output folder records what it was trained on: say so when this file overlaps it.
  const trainingData = readTrainingData(folder);
  const overlap = trainingData && overlapWithTraining(trainingData, path.resolve(values.data), examples);
  const warning = trainingData && overlapWarning(trainingData, path.resolve(values.data), examples);
  if (warning) process.stderr.write(`warning: ${warning}\n`);
  const { metrics, runtime } = await evaluateModel(model, examples, labels, {
    batchSize,
    padId: tokenizer.padId,
    f1Average,
    maxLength,
  });
  disposeModel(model);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        ...metrics,
        eval_runtime: runtime,
        backend: backend.device,
        num_examples: examples.count,
        ...(overlap ? { training_data_overlap: { same_file: overlap.sameFile, texts: overlap.seen } } : {}),
      })}\n`,
    );
    return 0;
  }
  process.stdout.write(`${examples.count} examples, ${backend.device}, ${runtime.toFixed(1)} s\n`);
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
