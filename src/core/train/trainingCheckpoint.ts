// checkpoint-<step>/ folders: everything a run needs to continue exactly where it stopped.
//
//   model.safetensors, config.json, tokenizer files   the model at that step (loads in Python too)
//   optimizer.safetensors                             AdamW moments (exp_avg/<name>, exp_avg_sq/<name>)
//   trainer_state.json                                HF's TrainerState, log_history so far
//   resume_state.json                                 step, epoch position, open logging window
//   training_args.json                                the resolved config of the run
//
// A checkpoint is built under a temporary name and renamed into place, so a killed process leaves
// the previous checkpoint intact and never a half-written one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { STAGING_PREFIX, writeDirectoryAtomic, writeJsonAtomic } from '../files';
import { checkpointTensors, writeModelFiles, type NamedArrays } from '../model/modelFolder';
import type { DistilBertForSequenceClassification } from '../model/distilbert';
import { fromCheckpointLayout, toCheckpointLayout, type ParameterSpec } from '../model/parameters';
import type { AdamWMoments } from '../kernels/kernels';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import type { BertTokenizer } from '../text/tokenizer';
import type { AdamW } from './optimizer';
import { listCheckpoints } from './findCheckpoints';
import type { LogEntry, TrainerStateJson } from './trainerState';
import {
  checkpointFolderName,
  OPTIMIZER_NAME,
  RESUME_STATE_NAME,
  TRAINER_STATE_NAME,
  TRAINING_ARGS_NAME,
} from '../outputNames';

export { latestCheckpoint } from './findCheckpoints';

/** What the trainer needs beyond weights and optimizer moments to continue a run. */
export interface ResumeState {
  global_step: number;
  max_steps: number;
  steps_per_epoch: number;
  num_train_examples: number;
  labels: string[];
  seed: number;
  history: LogEntry[];
  /** The open logging window: losses since the last "loss" log. */
  loss_sum: number;
  loss_steps: number;
  last_grad_norm: number;
  /** Sum of every step's loss so far (train_loss of the summary is its mean). */
  train_loss_sum: number;
  /** Seconds of training before this checkpoint (train_runtime continues from it). */
  train_seconds: number;
  tokens_seen: number;
}

export interface CheckpointContents {
  model: DistilBertForSequenceClassification;
  specs: ParameterSpec[];
  tokenizer: BertTokenizer;
  optimizer: AdamW;
  trainerState: TrainerStateJson;
  resume: ResumeState;
  trainingArgs: unknown;
}

export async function saveCheckpoint(
  outputDir: string,
  contents: CheckpointContents,
  saveTotalLimit?: number,
): Promise<string> {
  const target = path.join(outputDir, checkpointFolderName(contents.resume.global_step));
  // Everything is read back from the backend first; the folder is then written in one go.
  const weights = await checkpointTensors(contents.model, contents.specs);
  const moments = await optimizerTensors(contents.optimizer, contents.specs);
  writeDirectoryAtomic(target, (staging) => {
    writeModelFiles(staging, contents.model.config, weights);
    contents.tokenizer.save(staging);
    writeSafetensors(path.join(staging, OPTIMIZER_NAME), moments, {
      format: 'pt',
      step: String(contents.optimizer.step),
    });
    writeJsonAtomic(path.join(staging, TRAINER_STATE_NAME), contents.trainerState, true);
    writeJsonAtomic(path.join(staging, RESUME_STATE_NAME), contents.resume);
    writeJsonAtomic(path.join(staging, TRAINING_ARGS_NAME), contents.trainingArgs);
  });
  if (saveTotalLimit !== undefined) pruneCheckpoints(outputDir, saveTotalLimit);
  return target;
}

/** AdamW's moments as exp_avg/<name>, exp_avg_sq/<name>, read back from the backend. */
async function optimizerTensors(optimizer: AdamW, specs: ParameterSpec[]): Promise<NamedArrays> {
  const out: NamedArrays = new Map();
  const moments = await optimizer.moments();
  for (const spec of specs) {
    const m = moments.get(spec.name);
    if (!m) continue;
    out.set(`exp_avg/${spec.name}`, { shape: spec.shape, data: toCheckpointLayout(spec, m.expAvg) });
    out.set(`exp_avg_sq/${spec.name}`, { shape: spec.shape, data: toCheckpointLayout(spec, m.expAvgSq) });
  }
  return out;
}

/** Restores AdamW's moments and step count from a checkpoint folder. */
export function loadOptimizerState(folder: string, optimizer: AdamW, specs: ParameterSpec[]): void {
  const file = path.join(folder, OPTIMIZER_NAME);
  if (!fs.existsSync(file))
    throw new UserError(
      `${folder} has no optimizer.safetensors: it is not a checkpoint this extension wrote`,
      'Resume from a checkpoint-<step> folder of an earlier run, or start a new run.',
    );
  const { tensors, metadata } = readSafetensors(file);
  const moments = new Map<string, AdamWMoments>();
  for (const spec of specs) {
    const m = tensors.get(`exp_avg/${spec.name}`);
    const v = tensors.get(`exp_avg_sq/${spec.name}`);
    if (!m || !v) continue;
    moments.set(spec.name, {
      expAvg: fromCheckpointLayout(spec, m.data),
      expAvgSq: fromCheckpointLayout(spec, v.data),
    });
  }
  optimizer.restore(moments, Number(metadata.step ?? 0));
}

export function readResumeState(folder: string): ResumeState {
  try {
    return JSON.parse(fs.readFileSync(path.join(folder, RESUME_STATE_NAME), 'utf8')) as ResumeState;
  } catch (error) {
    throw new UserError(
      `${folder} cannot be resumed: resume_state.json is missing or unreadable (${(error as Error).message})`,
      'Resume from a complete checkpoint-<step> folder written by this extension.',
    );
  }
}

function pruneCheckpoints(outputDir: string, keep: number): void {
  const all = listCheckpoints(outputDir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(old, { recursive: true, force: true });
}

/** Staging folders left by a killed process (never complete checkpoints). */
export function removeStaleStaging(outputDir: string): void {
  try {
    for (const name of fs.readdirSync(outputDir)) {
      if (/^\.checkpoint-\d+\.staging-/.test(name) || name.startsWith(STAGING_PREFIX))
        fs.rmSync(path.join(outputDir, name), { recursive: true, force: true });
    }
  } catch {
    // no output folder yet
  }
}
