// Starting and supervising the training worker (dist/worker.js) from the extension host.
//
// The worker is a Node.js child process: the extension host never loads TensorFlow.js. Messages
// arrive parsed and validated; a worker that exits without a final message (killed, crashed,
// out of memory) is reported as `failed` with the last lines it printed.
import type { ChildProcess } from 'node:child_process';
import type { TrainingConfig } from '../core/config/schema';
import { forkWorker } from './forkWorker';
import { parseWorkerMessage, type FailedMessage, type WorkerMessage } from './protocol';

export interface LaunchOptions {
  /** dist/worker.js */
  workerPath: string;
  config: TrainingConfig;
  configFile: string;
  runId: string;
  /** The Node.js executable; default: this process's runtime (VS Code's Electron runs as Node). */
  nodePath?: string;
  memoryMb?: number;
  nativeModulesPath?: string;
  env?: NodeJS.ProcessEnv;
  onMessage: (message: WorkerMessage) => void;
  /** Called once, after the last message. */
  onExit: (code: number | null, signal: NodeJS.Signals | null) => void;
}

const FINAL = new Set<WorkerMessage['type']>(['finished', 'cancelled', 'failed']);
const KEPT_OUTPUT_LINES = 40;
/** What V8 prints when the heap limit (--max-old-space-size) is reached, before it aborts. */
const HEAP_OUT_OF_MEMORY = /JavaScript heap out of memory|Reached heap limit/;

export class TrainingProcess {
  private readonly child: ChildProcess;
  private readonly lastLines: () => string[];
  private finalMessage?: WorkerMessage;
  private exited = false;

  constructor(private readonly options: LaunchOptions) {
    const { child, lastLines } = forkWorker({
      workerPath: options.workerPath,
      nodePath: options.nodePath,
      execArgv: options.memoryMb ? [`--max-old-space-size=${options.memoryMb}`] : [],
      env: options.env,
      nativeModulesPath: options.nativeModulesPath,
      keptLines: KEPT_OUTPUT_LINES,
    });
    this.child = child;
    this.lastLines = lastLines;
    this.child.on('message', (raw) => {
      const message = parseWorkerMessage(raw);
      if (!message || message.run_id !== options.runId || this.finalMessage) return; // nothing follows a final message
      if (FINAL.has(message.type)) this.finalMessage = message;
      options.onMessage(message);
    });
    this.child.on('error', (error) => this.reportDeath(null, null, error.message));
    this.child.on('exit', (code, signal) => this.reportDeath(code, signal));
    this.child.send({ type: 'start', run_id: options.runId, config: options.config, config_file: options.configFile });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The last lines the worker printed (stdout and stderr). */
  lastOutput(): string {
    return this.lastLines().join('\n');
  }

  /** Asks the worker to stop after the current step, writing a checkpoint. */
  cancel(): void {
    if (this.exited || !this.child.connected) return;
    this.child.send({ type: 'cancel', run_id: this.options.runId });
  }

  /** Ends the worker at once (no checkpoint). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private reportDeath(code: number | null, signal: NodeJS.Signals | null, error?: string): void {
    if (this.exited) return;
    this.exited = true;
    if (!this.finalMessage) {
      const heapExhausted = HEAP_OUT_OF_MEMORY.test(this.lastOutput());
      const how = error
        ? `could not start (${error})`
        : heapExhausted
          ? 'ran out of memory (its JavaScript heap is full)'
          : signal
            ? `was killed (${signal})`
            : `exited with code ${code}`;
      const resume = 'The last checkpoint in output_dir is intact; resume with resume_from_checkpoint: true.';
      const failed: FailedMessage = {
        type: 'failed',
        run_id: this.options.runId,
        message: `The training process ${how} before it finished.`,
        hint: heapExhausted
          ? `Raise the "Worker memory" setting (distilbertFinetuner.workerMemoryMb${this.options.memoryMb ? `, now ${this.options.memoryMb}` : ''}), or lower per_device_train_batch_size or max_length. ${resume}`
          : signal === 'SIGKILL' || code === 137
            ? `It may have run out of memory: lower per_device_train_batch_size or max_length, or raise the "Worker memory" setting. ${resume}`
            : resume,
        last_output: this.lastOutput(),
      };
      this.finalMessage = failed;
      this.options.onMessage(failed);
    }
    this.options.onExit(code, signal);
  }
}
