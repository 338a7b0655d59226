// The results of a finished run, read back from its output folder: what "Show training results"
// displays when the run's panel is gone (after a window reload, or for an older run).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type ClassificationReport } from '../core/train/classificationReport';
import type { TrainerStateJson } from '../core/train/trainerState';
import type { FinalMetrics, RunState } from './protocol';
import { newestCheckpoint } from '../core/train/findCheckpoints';
import { ALL_RESULTS_NAME, CLASSIFICATION_REPORT_NAME, MODEL_CARD_NAME, TRAINER_STATE_NAME } from '../core/outputNames';

/** A finished run's state from `output_dir`, or undefined when it holds no finished run. */
export function stateFromOutput(
  outputDir: string,
  base: Pick<RunState, 'runId' | 'title' | 'configFile' | 'dataset'>,
): RunState | undefined {
  const read = (name: string) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(outputDir, name), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const state = read(TRAINER_STATE_NAME) as TrainerStateJson | undefined;
  const all = read(ALL_RESULTS_NAME) as Record<string, number> | undefined;
  const report = read(CLASSIFICATION_REPORT_NAME) as ClassificationReport | undefined;
  if (!state || !all) return undefined;
  const rows: RunState['rows'] = [];
  let trainingLoss: number | null = null;
  const curve: RunState['lossCurve'] = [];
  for (const log of state.log_history) {
    if (log.loss !== undefined) {
      trainingLoss = log.loss;
      curve.push({ step: log.step, loss: log.loss });
    } else if (log.eval_loss !== undefined && log.train_runtime === undefined) {
      rows.push({
        training_loss: trainingLoss,
        epoch: log.epoch ?? 0,
        step: log.step,
        validation_loss: log.eval_loss,
        accuracy: log.eval_accuracy ?? 0,
        f1: log.eval_f1 ?? 0,
      });
    }
  }
  const metrics: FinalMetrics = {
    eval_loss: all.eval_loss,
    eval_accuracy: all.eval_accuracy,
    eval_f1: all.eval_f1,
    f1_average: report?.f1_average ?? '',
    per_class: report?.per_class ?? [],
    confusion_matrix: report?.confusion_matrix ?? [],
    labels: report?.labels ?? [],
    train_loss: all.train_loss,
    train_runtime: all.train_runtime,
    train_samples_per_second: all.train_samples_per_second,
    train_steps_per_second: all.train_steps_per_second,
    epoch: all.epoch,
    step: state.global_step,
  };
  const modified = fs.statSync(path.join(outputDir, ALL_RESULTS_NAME)).mtimeMs;
  return {
    ...base,
    phase: 'finished',
    lossCurve: curve,
    curveStride: 1,
    rows,
    checkpoints: [],
    log: [],
    final: { metrics, outputDir, modelCard: path.join(outputDir, MODEL_CARD_NAME) },
    startedAt: modified - all.train_runtime * 1000,
    endedAt: modified,
  };
}

/** What a finished run left in its output folder, for the questions asked before replacing it. */
export interface FinishedRun {
  step: number;
  accuracy?: number;
  f1?: number;
  finishedAt: Date;
}

/**
 * The finished run whose outputs are at the top of `outputDir`, unless a later run has left a
 * checkpoint since (that run was stopped: its checkpoint is what there is to resume).
 */
export function finishedRun(outputDir: string): FinishedRun | undefined {
  let all: Record<string, unknown>;
  let state: Partial<TrainerStateJson>;
  let finishedAt: Date;
  try {
    all = JSON.parse(fs.readFileSync(path.join(outputDir, ALL_RESULTS_NAME), 'utf8')) as Record<string, unknown>;
    state = JSON.parse(fs.readFileSync(path.join(outputDir, TRAINER_STATE_NAME), 'utf8')) as Partial<TrainerStateJson>;
    finishedAt = fs.statSync(path.join(outputDir, ALL_RESULTS_NAME)).mtime;
  } catch {
    return undefined;
  }
  const checkpoint = newestCheckpoint(outputDir);
  if (checkpoint && fs.statSync(checkpoint).mtimeMs > finishedAt.getTime()) return undefined;
  const number = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
  return {
    step: number(state.global_step) ?? 0,
    accuracy: number(all.eval_accuracy),
    f1: number(all.eval_f1),
    finishedAt,
  };
}
