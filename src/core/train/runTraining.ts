// One fine-tuning run from a resolved config to an output folder, reporting every event.
// The worker (child process of the extension) and the CLI both run exactly this.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainingConfig } from '../config/schema';
import { looksLikePath } from '../config/validate';
import type { RunEvent } from './events';
import { type ClassificationReport } from './classificationReport';
import { checkData, prepareData, type DataSettings } from '../data/dataset';
import { UserError } from '../errors';
import { writeFileAtomic, writeFilesIntoFolder, writeJsonAtomic } from '../files';
import { checkpointTensors, disposeModel, loadModel, readModelConfig, writeModelFiles } from '../model/modelFolder';
import { resolveModel, type HubOptions } from '../model/hub';
import { BertTokenizer } from '../text/tokenizer';
import { loadBackend } from '../backends/loadBackend';
import { latestCheckpoint, loadOptimizerState, readResumeState, removeStaleStaging } from './trainingCheckpoint';
import { modelCard } from './modelCard';
import { AdamW } from './optimizer';
import { explainFailure } from './failures';
import { lockOutputDir } from './outputLock';
import { trainingDataRecord, type TrainingDataRecord } from '../data/trainingData';
import { Trainer, type TrainOutcome } from './trainer';
import {
  foreignOutputEntries,
  ALL_RESULTS_NAME,
  TRAINING_DATA_NAME,
  CLASSIFICATION_REPORT_NAME,
  EVAL_RESULTS_NAME,
  MODEL_CARD_NAME,
  RESUME_STATE_NAME,
  TRAIN_RESULTS_NAME,
  TRAINER_STATE_NAME,
  TRAINING_ARGS_NAME,
} from '../outputNames';

export interface RunOptions {
  emit: (event: RunEvent) => void;
  isCancelled: () => boolean;
  /** A node_modules folder with @tensorflow/tfjs-node[-gpu]. */
  nativeModulesPath?: string;
  hub?: HubOptions;
  extensionVersion: string;
  /** Log why faster backends were passed over, also when `device: auto` picked one without being asked. */
  verbose?: boolean;
}

export async function runTraining(config: TrainingConfig, options: RunOptions): Promise<TrainOutcome> {
  options.emit({ type: 'phase', phase: 'starting' });
  options.emit({ type: 'phase', phase: 'reading', detail: path.basename(config.train_file) });
  let release: (() => void) | undefined;
  // The first folder of output_dir's path that does not exist yet: a run that fails leaves none it made.
  let created: string | undefined;
  let failed = false;
  try {
    const labels = await checkData(dataSettings(config));
    if (config.f1_average === 'binary' && labels.length !== 2) {
      throw new UserError(
        `f1_average binary needs exactly 2 labels; the data has ${labels.length}`,
        'Use weighted, macro or micro.',
      );
    }
    refuseForeignOutputDir(config);
    created = firstMissingFolder(config.output_dir);
    release = lockOutputDir(config.output_dir);
    removeStaleStaging(config.output_dir);
    return await prepareAndTrain(config, options, labels);
  } catch (error) {
    failed = true;
    throw explainFailure(error, config);
  } finally {
    release?.();
    if (failed && created) removeEmptyFolders(config.output_dir, created);
  }
}

/** The top-most folder on `dir`'s path that does not exist (what `mkdir -p dir` would create first). */
function firstMissingFolder(dir: string): string | undefined {
  let missing: string | undefined;
  for (let at = path.resolve(dir); !fs.existsSync(at) && path.dirname(at) !== at; at = path.dirname(at)) missing = at;
  return missing;
}

/** Removes `dir` and its parents up to `top` while they are empty (rmdir never removes a file). */
function removeEmptyFolders(dir: string, top: string): void {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    try {
      fs.rmdirSync(at);
    } catch {
      return; // not empty (a checkpoint, a file of someone's), or already gone
    }
    if (at === top) return;
  }
}

async function prepareAndTrain(config: TrainingConfig, options: RunOptions, labels: string[]): Promise<TrainOutcome> {
  const { emit } = options;
  const log = (text: string, level: 'info' | 'warning' = 'info') => emit({ type: 'log', level, text });

  const backend = await loadBackend(config.device, { nativeModulesPath: options.nativeModulesPath });
  // With `auto`, passing over a backend that is not installed is the normal case, not news.
  if (options.verbose || config.device !== 'auto')
    for (const skipped of backend.skipped) log(`backend not used: ${skipped}`);
  log(`backend: ${backend.device} (${backend.package} ${backend.tfjsVersion})`);

  const resumeFolder = resumeCheckpoint(config);
  emit({ type: 'phase', phase: 'resolving', detail: resumeFolder ?? config.model });
  let folder: string;
  if (resumeFolder) {
    folder = resumeFolder;
  } else {
    let announced = false;
    const throttle = new Map<string, number>();
    const resolved = await resolveModel(config.model, {
      ...options.hub,
      onLog: (text) => log(text, 'warning'),
      onProgress: ({ file, bytes, total }) => {
        if (!announced) {
          announced = true;
          emit({ type: 'phase', phase: 'downloading', detail: config.model });
        }
        const now = Date.now();
        if (bytes < total && now - (throttle.get(file) ?? 0) < 100) return;
        throttle.set(file, now);
        emit({ type: 'download', file, bytes, total });
      },
    });
    folder = resolved.folder;
    if (resolved.via !== 'folder')
      log(
        `model ${config.model}: ${resolved.via === 'hub' ? 'Hugging Face hub' : 'Hugging Face cache'} snapshot ${resolved.commit?.slice(0, 7)} (${folder})`,
      );
  }

  const modelConfig = readModelConfig(folder);
  if (config.max_length > modelConfig.max_position_embeddings) {
    throw new UserError(
      `max_length ${config.max_length} exceeds the model's ${modelConfig.max_position_embeddings} positions`,
      `Set max_length to at most ${modelConfig.max_position_embeddings}.`,
    );
  }
  const tokenizer = BertTokenizer.fromFolder(folder);
  // The weights load before tokenizing, so a truncated or mismatched checkpoint fails in seconds.
  const loaded = loadModel(folder, { labels, seed: config.seed, displayName: resumeFolder ?? config.model });
  try {
    return await trainAndSave(config, options, { folder, resumeFolder, tokenizer, loaded, labels, backend });
  } finally {
    disposeModel(loaded.model);
  }
}

interface Prepared {
  folder: string;
  resumeFolder?: string;
  tokenizer: BertTokenizer;
  loaded: ReturnType<typeof loadModel>;
  labels: string[];
  backend: Awaited<ReturnType<typeof loadBackend>>;
}

async function trainAndSave(
  config: TrainingConfig,
  options: RunOptions,
  { resumeFolder, tokenizer, loaded, labels, backend }: Prepared,
): Promise<TrainOutcome> {
  const { emit } = options;
  const log = (text: string, level: 'info' | 'warning' = 'info') => emit({ type: 'log', level, text });
  for (const message of loaded.messages) log(message, loaded.fromScratch ? 'warning' : 'info');

  emit({ type: 'phase', phase: 'tokenizing' });
  const data = await prepareData(
    dataSettings(config),
    (text, pair) => tokenizer.encode(text, pair, { maxLength: config.max_length }).inputIds,
  );
  for (const note of data.notes) log(note);
  log(`labels: ${data.labels.map((l, i) => `${i}=${l}`).join(', ')}`);
  if (data.labels.join('\n') !== labels.join('\n'))
    throw new UserError(
      `${path.basename(config.train_file)} changed while the run read it (its labels differ between two reads)`,
      'Start the run again once the file is saved.',
    );

  const runConfig = { ...config, text_column: data.textColumn, label_column: data.labelColumn };
  const resume = resumeFolder ? readResumeState(resumeFolder) : undefined;
  if (resume) {
    if (resume.labels.join('\n') !== data.labels.join('\n'))
      throw new UserError(
        `${resumeFolder} was trained with labels ${resume.labels.join(', ')}; the data now has ${data.labels.join(', ')}`,
        'Resume with the same dataset, or start a new run.',
      );
    if (resume.num_train_examples !== data.train.count)
      throw new UserError(
        `${resumeFolder} was trained on ${resume.num_train_examples} examples; the data now gives ${data.train.count}`,
        'The dataset or the split changed since the checkpoint; resume with the same data, or start a new run.',
      );
  }
  const optimizer = new AdamW(loaded.specs, {
    beta1: config.adam_beta1,
    beta2: config.adam_beta2,
    epsilon: config.adam_epsilon,
    weightDecay: config.weight_decay,
  });
  if (resumeFolder) {
    loadOptimizerState(resumeFolder, optimizer, loaded.specs);
    log(`resuming from ${resumeFolder} at step ${resume!.global_step}`);
  }

  const trainer = new Trainer({
    config: runConfig,
    model: loaded.model,
    specs: loaded.specs,
    tokenizer,
    train: data.train,
    validation: data.validation,
    labels: data.labels,
    emit,
    isCancelled: options.isCancelled,
    optimizer,
    resume,
  });
  const { plan } = trainer;
  emit({
    type: 'started',
    backend: backend.backend,
    device: backend.device,
    model: config.model,
    model_source: resumeFolder ? `checkpoint ${path.basename(resumeFolder)}` : loaded.source,
    from_scratch: loaded.fromScratch,
    labels: data.labels,
    num_train_examples: data.train.count,
    num_eval_examples: data.validation.count,
    num_epochs: plan.numEpochs,
    steps_per_epoch: plan.stepsPerEpoch,
    total_steps: plan.totalSteps,
    train_batch_size: config.per_device_train_batch_size,
    start_step: trainer.globalStep,
    output_dir: config.output_dir,
  });

  try {
    const outcome = await trainer.train();
    if (outcome.status === 'cancelled') {
      emit({ type: 'cancelled', step: outcome.step, checkpoint: outcome.checkpoint });
      return outcome;
    }
    emit({ type: 'phase', phase: 'saving', detail: config.output_dir });
    const card = modelCard({
      config: runConfig,
      finetunedFrom: loaded.fromScratch && !resumeFolder ? undefined : config.model,
      finetunedFromIsHubId: !looksLikePath(config.model) && !fs.existsSync(config.model),
      datasetName: path.basename(config.train_file),
      history: outcome.history,
      labels: data.labels,
      numTrainExamples: data.train.count,
      numEvalExamples: data.validation.count,
      textColumn: data.textColumn,
      labelColumn: data.labelColumn,
      framework: {
        extension: options.extensionVersion,
        tfjs: backend.tfjsVersion,
        backend: backend.device,
        node: process.version,
      },
      license: /^(distilbert\/)?distilbert-base-(un)?cased$/.test(config.model) ? 'apache-2.0' : undefined,
    });
    const trainingData = trainingDataRecord(config.train_file, data.train);
    await writeOutputs(config.output_dir, trainer, loaded, tokenizer, card, runConfig, outcome, trainingData);
    emit({
      type: 'finished',
      metrics: outcome.finalMetrics!,
      output_dir: config.output_dir,
      model_card: path.join(config.output_dir, MODEL_CARD_NAME),
    });
    return outcome;
  } finally {
    trainer.dispose();
  }
}

function dataSettings(config: TrainingConfig): DataSettings {
  return {
    trainFile: config.train_file,
    validationFile: config.validation_file,
    validationSplit: config.validation_split,
    textColumn: config.text_column,
    pairColumn: config.text_pair_column,
    labelColumn: config.label_column,
    seed: config.seed,
  };
}

/** The checkpoint folder to resume from, when the config asks for one. */
function resumeCheckpoint(config: TrainingConfig): string | undefined {
  const wanted = config.resume_from_checkpoint;
  if (wanted === undefined || wanted === false) return undefined;
  if (wanted === true) {
    const latest = latestCheckpoint(config.output_dir);
    if (!latest)
      throw new UserError(
        `resume_from_checkpoint: true, but ${config.output_dir} has no checkpoint-<step> folder`,
        'Start without resume_from_checkpoint, or point it at a checkpoint folder.',
      );
    return latest;
  }
  if (!fs.existsSync(path.join(wanted, RESUME_STATE_NAME))) {
    throw new UserError(
      `resume_from_checkpoint: ${wanted} is not a checkpoint this extension wrote (no resume_state.json)`,
    );
  }
  return wanted;
}

/**
 * Nothing of the user's is replaced: an output folder holding files this product did not write is
 * refused before any work (validation says so in the editor and the CLI; this holds for the worker
 * too, in case the folder changed since), unless `overwrite_output_dir` says otherwise.
 */
function refuseForeignOutputDir(config: TrainingConfig): void {
  const dir = config.output_dir;
  if (config.overwrite_output_dir || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
  const foreign = foreignOutputEntries(fs.readdirSync(dir), (relative) => fs.existsSync(path.join(dir, relative)));
  if (foreign.length === 0) return;
  throw new UserError(
    `output_dir ${dir} holds files this extension did not write (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); nothing was written there`,
    'Set output_dir to a new folder, or set overwrite_output_dir: true to write there anyway (only the output files are replaced; your other files stay).',
  );
}

/** The output folder as the Trainer leaves it after `save_model` and `save_metrics`. */
async function writeOutputs(
  outputDir: string,
  trainer: Trainer,
  loaded: ReturnType<typeof loadModel>,
  tokenizer: BertTokenizer,
  card: string,
  config: TrainingConfig,
  outcome: TrainOutcome,
  trainingData: TrainingDataRecord,
): Promise<void> {
  const weights = await checkpointTensors(loaded.model, loaded.specs);
  // All or nothing: a disk that fills up half-way leaves the previous outputs, never new weights
  // beside an old model card.
  writeFilesIntoFolder(outputDir, (staging) => {
    writeModelFiles(staging, loaded.model.config, weights);
    tokenizer.save(staging);
    writeJsonAtomic(path.join(staging, TRAINER_STATE_NAME), trainer.trainerState(outcome.epoch, true), true);
    writeJsonAtomic(path.join(staging, TRAINING_ARGS_NAME), config);
    const m = outcome.finalMetrics!;
    const evalResults = {
      epoch: outcome.epoch,
      eval_accuracy: m.eval_accuracy,
      eval_f1: m.eval_f1,
      eval_loss: m.eval_loss,
    };
    const trainResults = {
      epoch: outcome.epoch,
      total_flos: 0,
      train_loss: m.train_loss,
      train_runtime: m.train_runtime,
      train_samples_per_second: m.train_samples_per_second,
      train_steps_per_second: m.train_steps_per_second,
    };
    writeJsonAtomic(path.join(staging, EVAL_RESULTS_NAME), evalResults);
    writeJsonAtomic(path.join(staging, TRAIN_RESULTS_NAME), trainResults);
    writeJsonAtomic(path.join(staging, ALL_RESULTS_NAME), { ...evalResults, ...trainResults });
    const report: ClassificationReport = {
      labels: m.labels,
      f1_average: m.f1_average,
      per_class: m.per_class,
      confusion_matrix: m.confusion_matrix,
    };
    writeJsonAtomic(path.join(staging, CLASSIFICATION_REPORT_NAME), report);
    writeJsonAtomic(path.join(staging, TRAINING_DATA_NAME), trainingData);
    writeFileAtomic(path.join(staging, MODEL_CARD_NAME), card);
  });
}
