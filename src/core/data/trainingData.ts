// What a model was trained on, recorded in its output folder (training_data.json): the training
// file (path and sha256) and the fingerprint of each training text. `evaluate` reads it back to
// warn when it is given the training file itself, or texts the model has seen: metrics on them
// overstate how the model does on new text.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TRAINING_DATA_NAME } from '../outputNames';
import type { EncodedExamples } from './dataset';

export interface TrainingDataRecord {
  train_file: string;
  sha256: string;
  num_train_examples: number;
  /** How each text is fingerprinted (textFingerprint in dataset.ts). */
  fingerprint: 'fnv1a-32 of the trimmed text (and pair)';
  /** The training split's fingerprints: sorted, unique, little-endian uint32, base64. */
  train_fingerprints: string;
}

export function fileSha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

export function trainingDataRecord(trainFile: string, train: EncodedExamples): TrainingDataRecord {
  const unique = Uint32Array.from(new Set(train.fingerprints)).sort();
  return {
    train_file: path.resolve(trainFile),
    sha256: fileSha256(trainFile),
    num_train_examples: train.count,
    fingerprint: 'fnv1a-32 of the trimmed text (and pair)',
    train_fingerprints: Buffer.from(unique.buffer, unique.byteOffset, unique.byteLength).toString('base64'),
  };
}

/** The record in a model folder, or undefined (a model trained elsewhere, or before this existed). */
export function readTrainingData(modelFolder: string): TrainingDataRecord | undefined {
  try {
    const record = JSON.parse(
      fs.readFileSync(path.join(modelFolder, TRAINING_DATA_NAME), 'utf8'),
    ) as TrainingDataRecord;
    return typeof record.train_fingerprints === 'string' && typeof record.sha256 === 'string' ? record : undefined;
  } catch {
    return undefined;
  }
}

/** What an evaluation file shares with the training data: the very file, and how many of its texts. */
export function overlapWithTraining(
  record: TrainingDataRecord,
  file: string,
  examples: EncodedExamples,
): { sameFile: boolean; seen: number } {
  const bytes = new Uint8Array(Buffer.from(record.train_fingerprints, 'base64')); // a copy: aligned for Uint32Array
  const trained = new Set(new Uint32Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 4)));
  let seen = 0;
  for (const fingerprint of examples.fingerprints) if (trained.has(fingerprint)) seen++;
  return { sameFile: fileSha256(file) === record.sha256, seen };
}

/** The warning `evaluate` prints, or undefined when the file shares nothing with the training data. */
export function overlapWarning(
  record: TrainingDataRecord,
  file: string,
  examples: EncodedExamples,
): string | undefined {
  const { sameFile, seen } = overlapWithTraining(record, file, examples);
  if (!sameFile && seen === 0) return undefined;
  const share = `${seen} of its ${examples.count} texts (${((100 * seen) / Math.max(1, examples.count)).toFixed(0)}%) were in the model's training split`;
  const what = sameFile
    ? `${path.basename(file)} is the file this model was trained on (${record.train_file}): ${share}`
    : `${path.basename(file)} overlaps the model's training data (${record.train_file}): ${share}`;
  return `${what}. Metrics on texts the model has seen overstate how it does on new text; evaluate on held-out data.`;
}
