// The model worker: a child process that keeps one fine-tuned model loaded for the editor's
// Classify Selection, Predict Labels and Evaluate commands (src/run/modelWorkerClient.ts starts
// it). TensorFlow.js never loads in the extension host. Requests are answered one at a time, in
// order; a request for another model replaces the loaded one. The worker ends by itself after
// DISTILBERT_FINETUNE_IDLE_MS without a request, and when the extension goes away.
import { loadBackend, type BackendChoice } from '../core/backends/loadBackend';
import { isUserError } from '../core/errors';
import { Classifier } from '../core/inference/classifier';
import { evaluateFile } from '../core/inference/evaluateFile';
import { predictFile } from '../core/inference/predictFile';
import type { ModelAnswer, ModelRequest, ModelResponse } from '../run/protocol';

const IDLE_MS = Number(process.env.DISTILBERT_FINETUNE_IDLE_MS ?? 5 * 60_000);
const DEVICE = (process.env.DISTILBERT_FINETUNE_DEVICE ?? 'auto') as BackendChoice;

class Cancelled extends Error {}

let classifier: Classifier | undefined;
let queue: Promise<void> = Promise.resolve();
const cancelled = new Set<number>();
let idleTimer: NodeJS.Timeout | undefined;

function send(response: ModelResponse): void {
  if (process.connected && process.send) process.send(response);
}

function idleAgain(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => process.exit(0), IDLE_MS);
}

/** The model, loaded for this request if it is not the one in memory. */
async function modelFor(ref: string): Promise<{ model: Classifier; loadSeconds: number }> {
  if (classifier?.modelRef === ref) return { model: classifier, loadSeconds: 0 };
  classifier?.dispose();
  classifier = undefined;
  const started = performance.now();
  classifier = await Classifier.load(ref, (text) => process.stderr.write(`${text}\n`));
  return { model: classifier, loadSeconds: (performance.now() - started) / 1000 };
}

async function answer(request: Exclude<ModelRequest, { type: 'cancel' }>): Promise<void> {
  const { id } = request;
  try {
    const backend = await loadBackend(DEVICE, { nativeModulesPath: process.env.DISTILBERT_FINETUNE_NATIVE_MODULES });
    const { model, loadSeconds } = await modelFor(request.model);
    const about: ModelAnswer = { id, backend: backend.device, load_seconds: loadSeconds, untrained: model.untrained };
    const progress = (done: number, total: number) => {
      if (cancelled.has(id)) throw new Cancelled();
      send({ type: 'progress', id, done, total });
    };
    if (request.type === 'classify') {
      send({ type: 'classified', results: await model.classify(request.texts), ...about });
    } else if (request.type === 'predictFile') {
      const result = await predictFile(model, request.file, { textColumn: request.text_column, onProgress: progress });
      send({ type: 'predicted', result, ...about });
    } else {
      const evaluation = await evaluateFile(model, request.file, {
        textColumn: request.text_column,
        labelColumn: request.label_column,
      });
      send({ type: 'evaluated', evaluation, ...about });
    }
  } catch (error) {
    if (error instanceof Cancelled) {
      send({ type: 'error', id, message: 'cancelled; nothing was written', cancelled: true });
    } else {
      const message = error instanceof Error ? error.message : String(error);
      if (!isUserError(error)) process.stderr.write(`${error instanceof Error ? error.stack : message}\n`);
      send({ type: 'error', id, message, hint: (error as { hint?: string }).hint });
    }
  } finally {
    cancelled.delete(id);
  }
}

process.on('message', (request: ModelRequest) => {
  if (request?.type === 'cancel') {
    cancelled.add(request.id);
    return;
  }
  if (!request || typeof request.id !== 'number') return;
  if (idleTimer) clearTimeout(idleTimer);
  queue = queue.then(() => answer(request)).then(idleAgain);
});

process.on('disconnect', () => process.exit(0));
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);
idleAgain();
