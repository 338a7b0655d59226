// The extension host's side of the model worker (dist/modelWorker.js): started on the first
// request, kept while requests come (the model stays loaded, so a second classification answers
// at once), ended by the worker itself after its idle time. A worker that dies fails the requests
// it held, with the last lines it printed; the next request starts a fresh one.
import type { ChildProcess } from 'node:child_process';
import { forkWorker } from './forkWorker';
import { parseModelResponse, type ModelRequest, type ModelResponse } from './protocol';

export interface ModelWorkerOptions {
  /** dist/modelWorker.js */
  workerPath: string;
  /** The Node.js executable; default: this process's runtime. */
  nodePath?: string;
  /** Without a request for this long, the worker ends (and the model leaves memory). */
  idleMs: number;
  device?: string;
  nativeModulesPath?: string;
  env?: NodeJS.ProcessEnv;
}

type Request = ModelRequest extends infer R ? (R extends { type: 'cancel' } ? never : Omit<R, 'id'>) : never;
type Answer = Exclude<ModelResponse, { type: 'progress' } | { type: 'error' }>;

export class ModelWorkerError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (answer: Answer) => void;
  reject: (error: ModelWorkerError) => void;
  onProgress?: (done: number, total: number) => void;
}

const KEPT_OUTPUT_LINES = 20;

export class ModelWorkerClient {
  private child?: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly options: ModelWorkerOptions) {}

  /** The running worker's process id, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Sends a request; `cancel()` asks the worker to stop it (the promise then rejects, cancelled). */
  request<R extends Request>(
    request: R,
    onProgress?: (done: number, total: number) => void,
  ): { answer: Promise<Answer>; cancel: () => void } {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve, reject) => this.pending.set(id, { resolve, reject, onProgress }));
    child.send({ ...request, id });
    // A cancel for an answered request would stay in the worker's set of cancelled ids: not sent.
    return { answer, cancel: () => this.pending.has(id) && this.child?.send({ type: 'cancel', id }) };
  }

  dispose(): void {
    this.child?.kill();
    this.child = undefined;
  }

  private start(): ChildProcess {
    const { child, lastLines } = forkWorker({
      workerPath: this.options.workerPath,
      nodePath: this.options.nodePath,
      env: {
        ...this.options.env,
        DISTILBERT_FINETUNE_IDLE_MS: String(this.options.idleMs),
        DISTILBERT_FINETUNE_DEVICE: this.options.device ?? 'auto',
      },
      nativeModulesPath: this.options.nativeModulesPath,
      keptLines: KEPT_OUTPUT_LINES,
    });
    child.on('message', (raw) => this.receive(parseModelResponse(raw)));
    const ended = (why: string) => {
      if (this.child === child) this.child = undefined;
      const last = lastLines().length ? `: ${lastLines().join(' | ')}` : '';
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.reject(new ModelWorkerError(`the model worker ${why}${last}`));
      }
    };
    child.on('error', (error) => ended(`could not run (${error.message})`));
    child.on('exit', (code, signal) => ended(signal ? `was stopped (${signal})` : `exited (code ${code})`));
    this.child = child;
    return child;
  }

  private receive(response: ModelResponse | undefined): void {
    const pending = response && this.pending.get(response.id);
    if (!response || !pending) return;
    if (response.type === 'progress') {
      pending.onProgress?.(response.done, response.total);
      return;
    }
    this.pending.delete(response.id);
    if (response.type === 'error')
      pending.reject(new ModelWorkerError(response.message, response.hint, response.cancelled === true));
    else pending.resolve(response);
  }
}
