// Which folders hold a model to use, and what to say of each in a picker: a Hugging Face model
// folder (config.json + model.safetensors, as this extension and transformers' save_pretrained
// write it), its final accuracy and F1 when a run of ours or the Trainer wrote all_results.json,
// and when its weights were written. Only file reads: the editor calls this.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RESULTS_NAME, CHECKPOINT_FOLDER, CONFIG_NAME, SAFE_WEIGHTS_NAME } from '../outputNames';

export interface ModelFolderInfo {
  folder: string;
  /** When model.safetensors was written, ms since the epoch. */
  modified: number;
  accuracy?: number;
  f1?: number;
}

/** The folder's description, or undefined when it is not a model folder (or a checkpoint-<step>). */
export function describeModelFolder(folder: string): ModelFolderInfo | undefined {
  if (CHECKPOINT_FOLDER.test(path.basename(folder))) return undefined;
  try {
    if (!fs.statSync(path.join(folder, CONFIG_NAME)).isFile()) return undefined;
    const modified = fs.statSync(path.join(folder, SAFE_WEIGHTS_NAME)).mtimeMs;
    return { folder, modified, ...finalMetrics(folder) };
  } catch {
    return undefined;
  }
}

/** Newest first. */
export function newestFirst(folders: ModelFolderInfo[]): ModelFolderInfo[] {
  return [...folders].sort((a, b) => b.modified - a.modified);
}

function finalMetrics(folder: string): { accuracy?: number; f1?: number } {
  try {
    const results = JSON.parse(fs.readFileSync(path.join(folder, ALL_RESULTS_NAME), 'utf8')) as Record<string, unknown>;
    const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
    return { accuracy: number(results.eval_accuracy), f1: number(results.eval_f1) };
  } catch {
    return {};
  }
}
