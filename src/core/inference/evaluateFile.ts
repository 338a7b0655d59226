// Evaluate a saved model on a labelled file: the CLI's `evaluate` and the editor's Evaluate
// command. The file's labels must be among the model's.
import * as path from 'node:path';
import { chooseColumns, encodeLabelledFile } from '../data/dataset';
import { overlapWarning, overlapWithTraining, readTrainingData } from '../data/trainingData';
import { evaluateModel } from '../train/evaluate';
import type { F1Average } from '../train/metrics';
import type { Classifier } from './classifier';
import type { FileEvaluation } from './results';

export interface EvaluateFileOptions {
  textColumn?: string;
  labelColumn?: string;
  f1Average?: F1Average;
  batchSize?: number;
  maxLength?: number;
}

export async function evaluateFile(
  classifier: Classifier,
  file: string,
  options: EvaluateFileOptions = {},
): Promise<FileEvaluation> {
  const data = path.resolve(file);
  const { model, tokenizer, labels } = classifier;
  const maxLength = options.maxLength ?? Math.min(512, model.config.max_position_embeddings);
  const notes: string[] = [];
  const columns = await chooseColumns(
    { trainFile: data, textColumn: options.textColumn, labelColumn: options.labelColumn },
    notes,
  );
  const examples = await encodeLabelledFile(
    data,
    columns,
    (text, pair) => tokenizer.encode(text, pair, { maxLength }).inputIds,
    model.config.label2id,
    classifier.modelRef,
    notes,
  );
  // The model's output folder records what it was trained on: say so when this file overlaps it.
  const trainingData = readTrainingData(classifier.folder);
  const seen = trainingData && overlapWithTraining(trainingData, data, examples);
  const warning = trainingData && overlapWarning(trainingData, data, examples);
  const { metrics, runtime } = await evaluateModel(model, examples, labels, {
    batchSize: options.batchSize ?? 32,
    padId: tokenizer.padId,
    f1Average: options.f1Average ?? 'weighted',
    maxLength,
  });
  return {
    metrics,
    runtime,
    examples: examples.count,
    columns: { text: columns.text, label: columns.label },
    notes,
    ...(seen ? { trainingOverlap: { sameFile: seen.sameFile, texts: seen.seen } } : {}),
    ...(warning ? { warning } : {}),
  };
}
