// Reading a run's output folder back: trainer_state.json (the loss curve and the evaluations),
// training_args.json, all_results.json and the model card. Only file reads: the editor calls this.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_RESULTS_NAME, MODEL_CARD_NAME, TRAINER_STATE_NAME, TRAINING_ARGS_NAME } from '../outputNames';
import { backendOfModelCard } from '../train/modelCard';
import type { LogEntry } from '../train/trainerState';
import type { RunSummary } from './summary';

export type { RunSummary } from './summary';
export { differingArguments } from './summary';

/** The run in `outputDir`, or undefined when it holds no readable trainer_state.json. */
export function readRun(outputDir: string): RunSummary | undefined {
  const statePath = path.join(outputDir, TRAINER_STATE_NAME);
  let state: { log_history?: LogEntry[]; global_step?: number };
  let updated: number;
  try {
    state = JSON.parse(fs.readFileSync(statePath, 'utf8')) as typeof state;
    updated = fs.statSync(statePath).mtimeMs;
  } catch {
    return undefined;
  }
  const history = Array.isArray(state.log_history) ? state.log_history : [];
  const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
  const card = readText(path.join(outputDir, MODEL_CARD_NAME));
  return {
    outputDir,
    updated,
    args: readJson(path.join(outputDir, TRAINING_ARGS_NAME)) ?? {},
    final: readJson(path.join(outputDir, ALL_RESULTS_NAME)),
    backend: card ? backendOfModelCard(card) : undefined,
    loss: history.filter((e) => finite(e.loss) && finite(e.step)).map((e) => ({ step: e.step, loss: e.loss! })),
    evaluations: history
      .filter((e) => finite(e.eval_loss) || finite(e.eval_accuracy))
      .map((e) => ({ step: e.step, epoch: e.epoch, loss: e.eval_loss, accuracy: e.eval_accuracy, f1: e.eval_f1 })),
    steps: finite(state.global_step) ? state.global_step : 0,
  };
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson<T = Record<string, unknown>>(file: string): T | undefined {
  const text = readText(file);
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
