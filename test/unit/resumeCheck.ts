// Cancel, checkpoint, resume on one backend: the same final weights, bit for bit, and the same log
// history as an uninterrupted run. resume.test.ts runs it on wasm, resume-webgpu.test.ts on WebGPU.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensors } from '../../src/core/model/safetensors';
import { runTraining } from '../../src/core/train/runTraining';
import { tf } from '../../src/core/tf';
import type { RunEvent } from '../../src/run/protocol';
import { smallModel, tempDir, uciSample, writeConfig } from './helpers';

export type ResumeDevice = 'wasm' | 'webgpu';

export function resumeWorkspace(device: ResumeDevice, prefix = `resume-${device}`) {
  const dir = tempDir(prefix);
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 240);
  const keys = {
    model: './small-model',
    train_file: 'reviews.csv',
    learning_rate: 1e-3,
    num_train_epochs: 2,
    per_device_train_batch_size: 16,
    max_length: 32,
    logging_steps: 4,
    warmup_steps: 3,
    weight_decay: 0.01,
    device,
  };
  async function run(more: Record<string, unknown>, cancelAtStep?: number) {
    const { config } = writeConfig(dir, { ...keys, ...more });
    const events: RunEvent[] = [];
    let step = 0;
    const tensorsPerStep: number[] = [];
    const outcome = await runTraining(config, {
      emit: (e) => {
        events.push(e);
        if (e.type === 'progress') {
          step = e.step;
          tensorsPerStep.push(tf.memory().numTensors);
        }
      },
      isCancelled: () => cancelAtStep !== undefined && step >= cancelAtStep,
      extensionVersion: 'test',
    });
    return { outcome, events, tensorsPerStep, config };
  }
  return { dir, run };
}

/** Trains whole into `whole/`, then cancelled and resumed into `split/`, and compares them. */
export async function cancelThenResumeIsExact(
  workspace: ReturnType<typeof resumeWorkspace>,
  tolerance = 0,
): Promise<void> {
  const { dir, run } = workspace;
  const baseline = tf.memory().numTensors;
  const whole = await run({ output_dir: 'whole', save_strategy: 'no' });
  assert.equal(whole.outcome.status, 'finished');
  assert.equal(tf.memory().numTensors, baseline, 'every tensor of the run was disposed');
  // Flat memory: the same number of live tensors after every step.
  assert.equal(
    new Set(whole.tensorsPerStep.slice(1)).size,
    1,
    `tensors per step: ${[...new Set(whole.tensorsPerStep)].join(', ')}`,
  );

  // Cancelled once step 7 is shown: the step queued by then (the trainer reports a step after
  // queueing the next) completes, and the checkpoint holds it.
  const first = await run({ output_dir: 'split', save_strategy: 'no' }, 7);
  assert.equal(first.outcome.status, 'cancelled');
  const cancelled = first.events.find((e) => e.type === 'cancelled');
  assert.ok(cancelled && cancelled.type === 'cancelled');
  const stoppedAt = cancelled.step;
  assert.ok(stoppedAt === 7 || stoppedAt === 8, `cancelled at step ${stoppedAt}`);
  const lastShown = first.events.filter((e) => e.type === 'progress').at(-1);
  assert.equal(lastShown?.type === 'progress' && lastShown.step, stoppedAt, 'every step taken is reported');
  assert.equal(
    cancelled.checkpoint,
    path.join(dir, 'split', `checkpoint-${stoppedAt}`),
    'a cancelled run leaves a checkpoint even with save_strategy: no',
  );
  assert.ok(!fs.existsSync(path.join(dir, 'split', 'model.safetensors')), 'no final model for a cancelled run');

  const second = await run({ output_dir: 'split', save_strategy: 'no', resume_from_checkpoint: true });
  assert.equal(second.outcome.status, 'finished');
  const started = second.events.find((e) => e.type === 'started');
  assert.equal(started?.type === 'started' && started.start_step, stoppedAt);
  assert.equal(
    second.events.filter((e) => e.type === 'progress').length,
    whole.events.filter((e) => e.type === 'progress').length - stoppedAt,
  );

  const a = fs.readFileSync(path.join(dir, 'whole', 'model.safetensors'));
  const b = fs.readFileSync(path.join(dir, 'split', 'model.safetensors'));
  if (tolerance === 0) assert.ok(a.equals(b), 'bit-identical final weights');
  else {
    const whole = readSafetensors(path.join(dir, 'whole', 'model.safetensors')).tensors;
    const split = readSafetensors(path.join(dir, 'split', 'model.safetensors')).tensors;
    assert.deepEqual([...split.keys()], [...whole.keys()]);
    let worst = 0;
    for (const [name, t] of whole)
      t.data.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - split.get(name)!.data[i]))));
    assert.ok(worst <= tolerance, `final weights differ by ${worst} (allowed ${tolerance})`);
    console.log(`# final weights: worst difference ${worst}`);
  }
  // Timings differ between runs; everything else must not.
  const TIMINGS = [
    'eval_runtime',
    'eval_samples_per_second',
    'eval_steps_per_second',
    'train_runtime',
    'train_samples_per_second',
    'train_steps_per_second',
  ];
  const strip = (h: Array<Record<string, unknown>>) =>
    h.map((entry) => Object.fromEntries(Object.entries(entry).filter(([key]) => !TIMINGS.includes(key))));
  const historyOf = (out: string) =>
    JSON.parse(fs.readFileSync(path.join(dir, out, 'trainer_state.json'), 'utf8')).log_history;
  // Within `tolerance` (relative) where the backend's reductions may add in another order.
  const rounded = (h: Array<Record<string, unknown>>) =>
    tolerance === 0
      ? h
      : h.map((entry) =>
          Object.fromEntries(
            Object.entries(entry).map(([k, v]) => [k, typeof v === 'number' ? Number(v.toPrecision(6)) : v]),
          ),
        );
  assert.deepEqual(
    rounded(strip(historyOf('split'))),
    rounded(strip(historyOf('whole'))),
    'the same log history, Training Loss windows included',
  );
}
