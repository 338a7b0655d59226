// Every message of a training run, in one place: worker -> extension host -> webview page, and
// back (cancel, panel buttons). The worker, the CLI's `--json` output, the extension and the page
// all import these types; nothing else defines a message.
//
// Numbers are plain JSON numbers; field names follow the Hugging Face Trainer's log_history
// (`loss`, `learning_rate`, `epoch`, `eval_loss`, ...) where one exists.

export type Backend = 'tensorflow' | 'native' | 'wasm' | 'cpu';
export type Phase = 'starting' | 'reading' | 'resolving' | 'downloading' | 'tokenizing' | 'training' | 'evaluating' | 'saving' | 'finished' | 'cancelled' | 'failed';

interface RunMessage {
  run_id: string;
}

/** The run has a backend, a model and data; training is about to start. */
export interface StartedMessage extends RunMessage {
  type: 'started';
  /** tfjs backend name: `tensorflow` (tfjs-node or tfjs-node-gpu), `native` (the OpenBLAS kernel addon), `wasm` or `cpu`. */
  backend: Backend;
  /** Human-readable: "CUDA GPU (tfjs-node-gpu)", "WebAssembly SIMD, 2 threads", ... */
  device: string;
  /** The model id or folder, and what was loaded ("pretrained", "from scratch"). */
  model: string;
  model_source: string;
  labels: string[];
  num_train_examples: number;
  num_eval_examples: number;
  num_epochs: number;
  steps_per_epoch: number;
  total_steps: number;
  train_batch_size: number;
  /** Step the run resumes from (0 for a fresh run). */
  start_step: number;
  output_dir: string;
}

/** The phase changed (resolving the model, downloading, tokenizing, training, evaluating, saving). */
export interface PhaseMessage extends RunMessage {
  type: 'phase';
  phase: Phase;
  detail?: string;
}

/** Bytes of one model file arrived. */
export interface DownloadMessage extends RunMessage {
  type: 'download';
  file: string;
  bytes: number;
  total: number;
}

/** One optimizer step finished. */
export interface ProgressMessage extends RunMessage {
  type: 'progress';
  step: number;
  total_steps: number;
  /** Fractional epoch, as the Trainer reports it (1.5 = half-way through the second epoch). */
  epoch: number;
  loss: number;
  learning_rate: number;
  grad_norm: number;
  samples_per_second: number;
  elapsed_seconds: number;
  eta_seconds: number;
}

/** One row of the results table: `Training Loss | Epoch | Step | Validation Loss | Accuracy | F1`. */
export interface EvaluationMessage extends RunMessage {
  type: 'evaluation';
  /** Mean training loss since the previous log; null where the Trainer writes "No log". */
  training_loss: number | null;
  epoch: number;
  step: number;
  validation_loss: number;
  accuracy: number;
  f1: number;
}

export interface CheckpointMessage extends RunMessage {
  type: 'checkpoint';
  path: string;
  step: number;
}

export interface LogMessage extends RunMessage {
  type: 'log';
  level: 'info' | 'warning' | 'error';
  text: string;
}

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

/** The evaluation of the final model, as the Trainer's `evaluate()` plus per-class detail. */
export interface FinalMetrics {
  eval_loss: number;
  eval_accuracy: number;
  eval_f1: number;
  f1_average: string;
  per_class: ClassMetrics[];
  /** confusion_matrix[true][predicted], rows and columns in `labels` order. */
  confusion_matrix: number[][];
  labels: string[];
  train_loss: number;
  train_runtime: number;
  train_samples_per_second: number;
  train_steps_per_second: number;
  epoch: number;
  step: number;
}

export interface FinishedMessage extends RunMessage {
  type: 'finished';
  metrics: FinalMetrics;
  output_dir: string;
  model_card: string;
}

export interface CancelledMessage extends RunMessage {
  type: 'cancelled';
  step: number;
  /** The checkpoint written on cancel, from which `resume_from_checkpoint` continues. */
  checkpoint?: string;
}

export interface FailedMessage extends RunMessage {
  type: 'failed';
  message: string;
  /** What to do next. */
  hint?: string;
  /** Last lines the worker printed, when it died without saying why. */
  last_output?: string;
}

export type WorkerMessage =
  | StartedMessage | PhaseMessage | DownloadMessage | ProgressMessage | EvaluationMessage
  | CheckpointMessage | LogMessage | FinishedMessage | CancelledMessage | FailedMessage;

export type WorkerMessageType = WorkerMessage['type'];

/** A message as the trainer emits it; the worker adds the run id. */
export type RunEvent = WorkerMessage extends infer M ? (M extends WorkerMessage ? Omit<M, 'run_id'> : never) : never;
export const WORKER_MESSAGE_TYPES: readonly WorkerMessageType[] = ['started', 'phase', 'download', 'progress', 'evaluation', 'checkpoint', 'log', 'finished', 'cancelled', 'failed'];

/** Host -> worker. */
export interface CancelRequest extends RunMessage {
  type: 'cancel';
}

/** How the worker is started: the resolved config travels in the first IPC message. */
export interface StartRequest extends RunMessage {
  type: 'start';
  /** The resolved config (absolute paths). */
  config: import('../config/schema').TrainingConfig;
  config_file: string;
}

export type HostToWorker = StartRequest | CancelRequest;

/**
 * Everything the run panel shows, kept by the extension host (src/run/runState.ts folds worker
 * messages into it) and sent to the page as a snapshot: a page that was hidden or reloaded gets
 * the whole state at once. Its size is bounded whatever the number of steps.
 */
export interface RunState {
  runId: string;
  title: string;
  configFile: string;
  dataset: string;
  phase: Phase;
  phaseDetail?: string;
  started?: Omit<StartedMessage, 'type' | 'run_id'>;
  download?: { file: string; bytes: number; total: number };
  progress?: Omit<ProgressMessage, 'type' | 'run_id'>;
  /** Training loss per step, downsampled (mean of merged neighbours) to at most ~2x CURVE_POINTS points. */
  lossCurve: Array<{ step: number; loss: number }>;
  /** Steps merged into each point of lossCurve. */
  curveStride: number;
  /** The results table, one row per evaluation. */
  rows: Array<Omit<EvaluationMessage, 'type' | 'run_id'>>;
  checkpoints: Array<{ path: string; step: number }>;
  /** The last log lines (bounded). */
  log: Array<{ level: LogMessage['level']; text: string }>;
  final?: { metrics: FinalMetrics; outputDir: string; modelCard: string };
  cancelled?: { step: number; checkpoint?: string };
  failed?: { message: string; hint?: string; lastOutput?: string };
  /** Wall-clock start of the run, ms since the epoch. */
  startedAt: number;
  endedAt?: number;
}

/** Host -> page. */
export type HostToPage = { type: 'state'; state: RunState };

/** Page -> host: the panel's buttons. Validated by `parsePageMessage` before use. */
export type PageMessage =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'openModelCard' }
  | { type: 'revealOutput' }
  | { type: 'runAgain' };

const PAGE_MESSAGE_TYPES = new Set<PageMessage['type']>(['ready', 'cancel', 'openModelCard', 'revealOutput', 'runAgain']);

/** A message from the page, or undefined when it is not one of ours (the page is untrusted input). */
export function parsePageMessage(value: unknown): PageMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Every page message is a bare `{type}`: one with more fields (a path, a run id) is not ours.
  if (Object.keys(value).length !== 1) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && PAGE_MESSAGE_TYPES.has(type as PageMessage['type']) ? { type: type as PageMessage['type'] } : undefined;
}

/** A message from the worker, or undefined when it is not one (the process may print anything). */
export function parseWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, run_id } = value as { type?: unknown; run_id?: unknown };
  return typeof run_id === 'string' && typeof type === 'string' && (WORKER_MESSAGE_TYPES as readonly string[]).includes(type) ? (value as WorkerMessage) : undefined;
}
