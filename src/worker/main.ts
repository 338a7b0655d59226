// The training worker: a child process forked by the extension (src/run/launcher.ts).
//
// It waits for one `start` message with the resolved config, runs the training, and speaks the
// protocol (src/run/protocol.ts) over IPC. `cancel` stops at the next step with a checkpoint.
// If the extension goes away, training stops the same way (a checkpoint, then exit). Any error
// becomes a `failed` message with a hint; the process never dies silently.
import { isUserError } from '../core/errors';
import { runTraining } from '../core/train/runTraining';
import type { HostToWorker, RunEvent, WorkerMessage } from '../run/protocol';

declare const VERSION: string;

let runId = 'unknown';
let cancelled = false;
let training = false;

/** Log lines and phases also go to stderr: what a killed worker printed last is shown to the user. */
function echo(event: RunEvent): void {
  if (event.type === 'log') process.stderr.write(`${event.level}: ${event.text}\n`);
  else if (event.type === 'phase')
    process.stderr.write(`phase: ${event.phase}${event.detail ? ` (${event.detail})` : ''}\n`);
  else if (event.type === 'checkpoint') process.stderr.write(`checkpoint: ${event.path}\n`);
}

/** Set once the run has ended (a final message is on its way): nothing may follow it. */
let ended = false;
/** Resolves when every message sent so far has left (so exiting loses none). */
let sent: Promise<void> = Promise.resolve();

function send(event: RunEvent): Promise<void> {
  if (ended) return sent;
  if (event.type === 'failed' || event.type === 'finished' || event.type === 'cancelled') ended = true;
  echo(event);
  const message = { ...event, run_id: runId } as WorkerMessage;
  const delivered = new Promise<void>((resolve) => {
    if (!process.connected || !process.send) return resolve();
    try {
      process.send(message, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
  sent = Promise.all([sent, delivered]).then(() => undefined);
  return sent;
}

async function fail(error: unknown): Promise<never> {
  if (ended) process.exit(2); // a second fault while reporting the first
  const user = isUserError(error);
  const message = error instanceof Error ? error.message : String(error);
  if (!user) console.error(error instanceof Error ? error.stack : error);
  await send({
    type: 'failed',
    message: user ? message : `internal error: ${message}`,
    hint: user
      ? (error as { hint?: string }).hint
      : 'This is a bug in the extension. The Output channel "DistilBERT Fine-Tuner" has the details; please report them.',
  });
  process.exit(user ? 1 : 2);
}

process.on('message', (raw: HostToWorker) => {
  if (raw?.type === 'cancel') {
    cancelled = true;
    return;
  }
  if (raw?.type !== 'start' || training) return;
  training = true;
  runId = raw.run_id;
  runTraining(raw.config, {
    emit: (event) => void send(event),
    isCancelled: () => cancelled,
    extensionVersion: VERSION,
    nativeModulesPath: process.env.DISTILBERT_FINETUNE_NATIVE_MODULES,
  }).then(async () => {
    await sent;
    process.exit(0);
  }, fail);
});

// The extension (our parent) is gone, or the system asks us to end (VS Code closing, a reload,
// a shutdown): stop at the next step, writing a checkpoint.
const stop = () => {
  cancelled = true;
  if (!training) process.exit(1);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGHUP', stop);

// Once the extension is gone, nothing reads our stdout and stderr: a write there fails with EPIPE.
// Unheard, that error would end the worker before its checkpoint and without releasing output_dir.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

process.on('uncaughtException', (error) => void fail(error));
process.on('unhandledRejection', (error) => void fail(error));
