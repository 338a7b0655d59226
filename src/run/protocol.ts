// Every message of a training run, in one place: worker -> extension host -> webview page, and
// back (cancel, panel buttons). The worker, the extension and the page all import these types;
// nothing else defines a message. What a message says comes from the trainer's events
// (src/core/train/events.ts); this file adds the envelope (the run id) and the messages that only
// the extension, the worker and the page exchange.
import type { TrainingConfig } from '../core/config/schema';
import type { Classification, FileEvaluation, PredictFileResult } from '../core/inference/results';
import type { RunSummary } from '../core/runs/summary';
import {
  RUN_EVENT_TYPES,
  type EvaluationEvent,
  type FailedEvent,
  type FinalMetrics,
  type LogEvent,
  type Phase,
  type ProgressEvent,
  type RunEvent,
  type StartedEvent,
} from '../core/train/events';

export type { Backend } from '../core/backends/backendName';
export type { ClassMetrics, FinalMetrics, Phase, RunEvent } from '../core/train/events';
export type { Classification, FileEvaluation, PredictFileResult, RunSummary };

interface RunMessage {
  run_id: string;
}

/** A trainer event as it travels from the worker: tagged with its run. */
type Tagged<E> = E extends unknown ? E & RunMessage : never;
export type WorkerMessage = Tagged<RunEvent>;
export type FailedMessage = FailedEvent & RunMessage;

/** Host -> worker. */
export interface CancelRequest extends RunMessage {
  type: 'cancel';
}

/** How the worker is started: the resolved config travels in the first IPC message. */
export interface StartRequest extends RunMessage {
  type: 'start';
  /** The resolved config (absolute paths). */
  config: TrainingConfig;
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
  /** The model as the config writes it (a hub id, or a folder relative to the config). */
  model?: string;
  phase: Phase;
  phaseDetail?: string;
  started?: Omit<StartedEvent, 'type'>;
  download?: { file: string; bytes: number; total: number };
  progress?: Omit<ProgressEvent, 'type'>;
  /** Training loss per step, downsampled (mean of merged neighbours) to at most ~2x CURVE_POINTS points. */
  lossCurve: Array<{ step: number; loss: number }>;
  /** Steps merged into each point of lossCurve. */
  curveStride: number;
  /** The results table, one row per evaluation. */
  rows: Array<Omit<EvaluationEvent, 'type'>>;
  checkpoints: Array<{ path: string; step: number }>;
  /** The last log lines (bounded). */
  log: Array<{ level: LogEvent['level']; text: string }>;
  final?: { metrics: FinalMetrics; outputDir: string; modelCard: string };
  cancelled?: { step: number; checkpoint?: string };
  failed?: { message: string; hint?: string; lastOutput?: string };
  /** Set when the panel shows an evaluation of a saved model on a file (Evaluate), not a training run. */
  evaluation?: { file: string; examples: number; runtime: number; backend: string; warning?: string };
  /** Wall-clock start of the run, ms since the epoch. */
  startedAt: number;
  endedAt?: number;
}

/** Runs side by side (the Runs view's Compare): each with the name it has in the view. */
export interface RunComparison {
  runs: Array<RunSummary & { name: string }>;
  /** The training arguments whose values differ between them. */
  differing: string[];
}

/** Host -> page: a run's state, or runs to compare (the same page renders both). */
export type HostToPage = { type: 'state'; state: RunState } | { type: 'comparison'; comparison: RunComparison };

/** Page -> host: the panel's buttons. Validated by `parsePageMessage` before use. */
export type PageMessage =
  | { type: 'ready' }
  | { type: 'cancel' }
  | { type: 'openModelCard' }
  | { type: 'revealOutput' }
  | { type: 'runAgain' }
  | { type: 'openConfig' };

const PAGE_MESSAGE_TYPES = new Set<PageMessage['type']>([
  'ready',
  'cancel',
  'openModelCard',
  'revealOutput',
  'runAgain',
  'openConfig',
]);

/** A message from the page, or undefined when it is not one of ours (the page is untrusted input). */
export function parsePageMessage(value: unknown): PageMessage | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  // Every page message is a bare `{type}`: one with more fields (a path, a run id) is not ours.
  if (Object.keys(value).length !== 1) return undefined;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && PAGE_MESSAGE_TYPES.has(type as PageMessage['type'])
    ? { type: type as PageMessage['type'] }
    : undefined;
}

/** A message from the worker, or undefined when it is not one (the process may print anything). */
export function parseWorkerMessage(value: unknown): WorkerMessage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, run_id } = value as { type?: unknown; run_id?: unknown };
  return typeof run_id === 'string' && typeof type === 'string' && (RUN_EVENT_TYPES as readonly string[]).includes(type)
    ? (value as WorkerMessage)
    : undefined;
}

// --- The model worker (dist/modelWorker.js): a fine-tuned model kept loaded for the editor ----

/** Host -> model worker. Each request has an id that its answer carries. */
export type ModelRequest =
  | { type: 'classify'; id: number; model: string; texts: string[] }
  | { type: 'predictFile'; id: number; model: string; file: string; text_column?: string }
  | { type: 'evaluateFile'; id: number; model: string; file: string; text_column?: string; label_column?: string }
  | { type: 'cancel'; id: number };

/** What every answer says of the model that gave it. */
export interface ModelAnswer {
  id: number;
  /** The backend, as the CLI says it ("native CPU kernels (OpenBLAS ...)"). */
  backend: string;
  /** Seconds spent loading the model for this request: 0 when it was loaded already. */
  load_seconds: number;
  /** The model has no trained classification head: its predictions are random. */
  untrained: boolean;
}

/** Model worker -> host. */
export type ModelResponse =
  | { type: 'progress'; id: number; done: number; total: number }
  | ({ type: 'classified'; results: Classification[] } & ModelAnswer)
  | ({ type: 'predicted'; result: PredictFileResult } & ModelAnswer)
  | ({ type: 'evaluated'; evaluation: FileEvaluation } & ModelAnswer)
  | { type: 'error'; id: number; message: string; hint?: string; cancelled?: boolean };

const MODEL_RESPONSE_TYPES = new Set<ModelResponse['type']>([
  'progress',
  'classified',
  'predicted',
  'evaluated',
  'error',
]);

/** A message from the model worker, or undefined when it is not one. */
export function parseModelResponse(value: unknown): ModelResponse | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { type, id } = value as { type?: unknown; id?: unknown };
  return typeof id === 'number' && typeof type === 'string' && MODEL_RESPONSE_TYPES.has(type as ModelResponse['type'])
    ? (value as ModelResponse)
    : undefined;
}
