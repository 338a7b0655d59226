// Shared by longRun-*.test.ts. A long run (hundreds of steps, evaluations and checkpoints) keeps memory flat: the same number of
// live tfjs tensors and bytes after every step, and a JS heap that does not grow with the steps.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { runTraining } from '../../src/core/train/runTraining';
import { tf } from '../../src/core/tf';
import { smallModel, tempDir, uciSample, writeConfig } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
export const STEPS = 400;

/** Trains STEPS steps on `device` and checks that memory stayed flat (one backend per process). */
export async function memoryStaysFlat(device: 'cpu' | 'wasm'): Promise<void> {
  const dir = tempDir(`long-run-${device}`);
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 200);
  // 160 training rows, batch 4: 40 steps an epoch, 10 epochs, an evaluation and a checkpoint each.
  const { config } = writeConfig(dir, {
    model: './small-model',
    train_file: 'reviews.csv',
    per_device_train_batch_size: 4,
    max_length: 16,
    num_train_epochs: 10,
    learning_rate: 1e-3,
    logging_steps: 50,
    save_total_limit: 1,
    output_dir: `long-${device}`,
    device,
  });
  const tensors: number[] = [];
  const bytes: number[] = [];
  const heap = new Map<number, number>();
  const outcome = await runTraining(config, {
    emit: (event) => {
      if (event.type !== 'progress') return;
      tensors.push(tf.memory().numTensors);
      bytes.push(tf.memory().numBytes);
      if (event.step % 40 === 20) {
        gc();
        heap.set(event.step, process.memoryUsage().heapUsed);
      }
    },
    isCancelled: () => false,
    extensionVersion: 'test',
  });
  assert.equal(outcome.status, 'finished');
  assert.equal(tensors.length, STEPS);
  // From the second step on (the first creates AdamW's moments), every step ends with the same tensors.
  assert.deepEqual([...new Set(tensors.slice(1))], [tensors[1]], 'live tensors per step');
  assert.deepEqual([...new Set(bytes.slice(1))], [bytes[1]], 'tensor bytes per step');
  const samples = [...heap.entries()];
  const early = samples[1][1];
  const late = samples[samples.length - 1][1];
  const growth = late - early;
  // 360 steps, 9 evaluations and checkpoints later: less than 2 MB more heap (a leak of one
  // batch's tokens per step would be several MB).
  const trace = samples.map(([s, h]) => `${s}:${(h / 1e6).toFixed(2)}`).join(' ');
  if (process.env.LONG_RUN_TRACE) console.log(`heap MB by step: ${trace}`);
  assert.ok(
    growth < 2 << 20,
    `heap grew by ${(growth / 1e6).toFixed(2)} MB from step ${samples[1][0]} to ${samples[samples.length - 1][0]}: ${trace}`,
  );
}
