// What the trainer reports while it runs: the worker's half of the protocol. The trainer emits
// these events; the worker tags each with its run id and sends it over IPC (src/run/protocol.ts),
// the CLI prints them (`--json`) or draws a progress bar from them.
//
// Numbers are plain JSON numbers; field names follow the Hugging Face Trainer's log_history
// (`loss`, `learning_rate`, `epoch`, `eval_loss`, ...) where one exists.
import type { Backend } from '../backends/backendName';

export type Phase =
  | 'starting'
  | 'reading'
  | 'resolving'
  | 'downloading'
  | 'tokenizing'
  | 'training'
  | 'evaluating'
  | 'saving'
  | 'finished'
  | 'cancelled'
  | 'failed';

/** The run has a backend, a model and data; training is about to start. */
export interface StartedEvent {
  type: 'started';
  /** tfjs backend name: `tensorflow` (tfjs-node or tfjs-node-gpu), `native` (the OpenBLAS kernel addon), `wasm` or `cpu`. */
  backend: Backend;
  /** Human-readable: "CUDA GPU (tfjs-node-gpu)", "WebAssembly SIMD, 2 threads", ... */
  device: string;
  /** The model id or folder, and what was loaded ("pretrained", "from scratch"). */
  model: string;
  model_source: string;
  /** Randomly initialized weights: the most important fact of such a run, shown as a banner. */
  from_scratch: boolean;
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
export interface PhaseEvent {
  type: 'phase';
  phase: Phase;
  detail?: string;
}

/** Bytes of one model file arrived. */
export interface DownloadEvent {
  type: 'download';
  file: string;
  bytes: number;
  total: number;
}

/** One optimizer step finished. */
export interface ProgressEvent {
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
export interface EvaluationEvent {
  type: 'evaluation';
  /** Mean training loss since the previous log; null where the Trainer writes "No log". */
  training_loss: number | null;
  epoch: number;
  step: number;
  validation_loss: number;
  accuracy: number;
  f1: number;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  path: string;
  step: number;
}

export interface LogEvent {
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

export interface FinishedEvent {
  type: 'finished';
  metrics: FinalMetrics;
  output_dir: string;
  model_card: string;
}

export interface CancelledEvent {
  type: 'cancelled';
  step: number;
  /** The checkpoint written on cancel, from which `resume_from_checkpoint` continues. */
  checkpoint?: string;
}

export interface FailedEvent {
  type: 'failed';
  message: string;
  /** What to do next. */
  hint?: string;
  /** Last lines the worker printed, when it died without saying why. */
  last_output?: string;
}

export type RunEvent =
  | StartedEvent
  | PhaseEvent
  | DownloadEvent
  | ProgressEvent
  | EvaluationEvent
  | CheckpointEvent
  | LogEvent
  | FinishedEvent
  | CancelledEvent
  | FailedEvent;

export type RunEventType = RunEvent['type'];
export const RUN_EVENT_TYPES: readonly RunEventType[] = [
  'started',
  'phase',
  'download',
  'progress',
  'evaluation',
  'checkpoint',
  'log',
  'finished',
  'cancelled',
  'failed',
];
