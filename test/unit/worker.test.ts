// The training worker as the extension runs it: a real child process (dist/worker.js) started and
// supervised by the launcher, speaking the protocol over IPC.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { latestCheckpoint } from '../../src/core/train/findCheckpoints';
import { LOCK_NAME as LOCK_FILE } from '../../src/core/outputNames';
import { TrainingProcess } from '../../src/run/launcher';
import type { WorkerMessage } from '../../src/run/protocol';
import { REPO_ROOT, smallModel, tempDir, uciSample, writeConfig } from './helpers';
import type { TrainingConfig } from '../../src/core/config/schema';

const WORKER = path.join(REPO_ROOT, 'dist', 'worker.js');
const dir = tempDir('worker');
const KEYS = {
  model: './small-model',
  train_file: 'reviews.csv',
  learning_rate: 1e-3,
  num_train_epochs: 2,
  per_device_train_batch_size: 8,
  max_length: 32,
  device: 'wasm',
};

before(() => {
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 200);
});

interface Finished {
  messages: WorkerMessage[];
  code: number | null;
  signal: NodeJS.Signals | null;
  process: TrainingProcess;
}

function launch(
  config: TrainingConfig,
  onMessage: (m: WorkerMessage, p: TrainingProcess) => void = () => undefined,
): Promise<Finished> {
  return new Promise((resolve) => {
    const messages: WorkerMessage[] = [];
    const child: TrainingProcess = new TrainingProcess({
      workerPath: WORKER,
      config,
      configFile: path.join(dir, 'run.finetune.yaml'),
      runId: `run-${Date.now()}`,
      onMessage: (m) => {
        messages.push(m);
        onMessage(m, child);
      },
      onExit: (code, signal) => resolve({ messages, code, signal, process: child }),
    });
  });
}

test('a run speaks the protocol in order and exits 0', async () => {
  const { config } = writeConfig(dir, { ...KEYS, output_dir: 'full' });
  const { messages, code } = await launch(config);
  assert.equal(code, 0);
  const types = messages.map((m) => m.type);
  assert.ok(types.indexOf('started') > 0 && types.indexOf('started') < types.indexOf('progress'));
  assert.equal(types[types.length - 1], 'finished', 'nothing follows the final message');
  assert.ok(messages.every((m) => m.run_id === messages[0].run_id));
  const started = messages.find((m) => m.type === 'started')!;
  assert.ok(
    started.type === 'started' &&
      started.total_steps === 40 &&
      started.backend === 'wasm' &&
      started.labels.join() === 'negative,positive',
  );
  const progress = messages.filter((m) => m.type === 'progress');
  assert.deepEqual(
    progress.map((m) => m.type === 'progress' && m.step),
    Array.from({ length: 40 }, (_, i) => i + 1),
  );
  const rows = messages.filter((m) => m.type === 'evaluation');
  assert.deepEqual(
    rows.map((m) => m.type === 'evaluation' && m.epoch),
    [1, 2],
  );
  const finished = messages.find((m) => m.type === 'finished')!;
  assert.ok(finished.type === 'finished' && fs.existsSync(finished.model_card));
  assert.deepEqual(
    finished.type === 'finished' && finished.metrics.confusion_matrix.flat().reduce((a, b) => a + b, 0),
    40,
  );
});

test('cancel stops at the next step with a checkpoint, and exits 0', async () => {
  const { config } = writeConfig(dir, { ...KEYS, output_dir: 'cancel', save_strategy: 'no' });
  const { messages, code } = await launch(config, (m, p) => {
    if (m.type === 'progress' && m.step === 5) p.cancel();
  });
  assert.equal(code, 0);
  const cancelled = messages.find((m) => m.type === 'cancelled');
  // Step 6 is already queued when step 5 is shown (the trainer reports a step after queueing the
  // next), and the cancel crosses a process boundary: it lands within two steps.
  assert.ok(
    cancelled && cancelled.type === 'cancelled' && cancelled.step >= 5 && cancelled.step <= 7,
    `at ${cancelled?.type === 'cancelled' && cancelled.step}`,
  );
  assert.ok(fs.existsSync(path.join(cancelled.checkpoint!, 'model.safetensors')));
});

test('a worker killed with SIGKILL is reported as failed with its last output; its last checkpoint resumes', async () => {
  const { config } = writeConfig(dir, { ...KEYS, output_dir: 'killed', save_strategy: 'steps', save_steps: 4 });
  let killedAfter = 0;
  const { messages, signal } = await launch(config, (m, p) => {
    if (m.type === 'checkpoint' && m.step === 8) {
      killedAfter = m.step;
      p.kill();
    }
  });
  assert.equal(signal, 'SIGKILL');
  const failed = messages[messages.length - 1];
  assert.equal(failed.type, 'failed');
  assert.ok(failed.type === 'failed');
  assert.match(failed.message, /was killed \(SIGKILL\)/);
  assert.match(failed.hint!, /resume_from_checkpoint: true/);
  assert.match(failed.last_output!, /checkpoint: .*checkpoint-8/);
  const checkpoints = fs.readdirSync(path.join(dir, 'killed')).filter((n) => n.startsWith('checkpoint-'));
  assert.deepEqual(checkpoints.sort(), ['checkpoint-4', 'checkpoint-8']);
  assert.equal(killedAfter, 8);

  const { config: resume } = writeConfig(dir, {
    ...KEYS,
    output_dir: 'killed',
    save_strategy: 'steps',
    save_steps: 4,
    resume_from_checkpoint: true,
  });
  const resumed = await launch(resume);
  assert.equal(resumed.code, 0);
  const started = resumed.messages.find((m) => m.type === 'started');
  assert.ok(started && started.type === 'started' && started.start_step === 8);
  assert.ok(resumed.messages.some((m) => m.type === 'finished'));
});

test('a bad dataset fails with a message that names the place and a hint, exit code 1', async () => {
  fs.writeFileSync(path.join(dir, 'broken.csv'), 'text,label\ngood,pos\nbad,neg,extra\n');
  const { config } = writeConfig(dir, { ...KEYS, train_file: 'broken.csv', output_dir: 'broken' });
  const { messages, code } = await launch(config);
  assert.equal(code, 1);
  const failed = messages.find((m) => m.type === 'failed');
  assert.ok(failed && failed.type === 'failed');
  assert.equal(failed.message, 'broken.csv:3: 3 fields, but the header has 2 (delimiter ",")');
  assert.match(failed.hint ?? '', /quoted field/);
  assert.ok(!messages.some((m) => m.type === 'started'));
});

test('when its parent dies, the worker stops too', async () => {
  const { config } = writeConfig(dir, { ...KEYS, output_dir: 'orphan', num_train_epochs: 50 });
  // A parent process that forks the worker, reports its pid, then waits to be killed. Its stdout and
  // stderr are pipes, as in the extension (launcher.ts). The parent closes its ends at the first
  // step, so every line the worker prints from then on fails (EPIPE) as it does once the extension
  // is gone; the pid is reported after an epoch (an evaluation and a checkpoint printed into the
  // closed pipes). The worker must live through that, then checkpoint and release output_dir.
  const parentScript = `
    const { fork } = require('node:child_process');
    const worker = fork(${JSON.stringify(WORKER)}, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    worker.stdout.resume();
    worker.stderr.resume();
    worker.on('exit', (code) => process.stdout.write('exit ' + code + '\\n'));
    worker.on('message', (m) => {
      if (m.type !== 'progress') return;
      worker.stdout.destroy();
      worker.stderr.destroy();
      if (m.epoch > 1) process.stdout.write('pid ' + worker.pid + '\\n');
    });
    worker.send({ type: 'start', run_id: 'orphan', config: ${JSON.stringify(config)}, config_file: 'x' });
  `;
  const parent = spawn(process.execPath, ['-e', parentScript], { stdio: ['ignore', 'pipe', 'inherit'] });
  const report = await new Promise<string>((resolve) =>
    parent.stdout!.once('data', (d: Buffer) => resolve(d.toString().split('\n')[0])),
  );
  assert.match(report, /^pid \d+$/, 'the worker trained on with its output closed');
  const workerPid = Number(report.slice(4));
  assert.ok(isAlive(workerPid));
  parent.kill('SIGKILL');
  const deadline = Date.now() + 30_000;
  while (isAlive(workerPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(isAlive(workerPid), false, 'the worker exited');
  const checkpoint = latestCheckpoint(path.join(dir, 'orphan'));
  assert.ok(checkpoint, 'and left a complete checkpoint to resume from');
  assert.ok(!fs.existsSync(path.join(dir, 'orphan', LOCK_FILE)), 'and released output_dir');
  // As after a window reload: Resume continues from that checkpoint.
  const step = Number(/checkpoint-(\d+)$/.exec(checkpoint)![1]);
  const resumed = writeConfig(dir, {
    ...KEYS,
    output_dir: 'orphan',
    num_train_epochs: 50,
    max_steps: step + 2,
    resume_from_checkpoint: true,
  }).config;
  const { messages, code } = await launch(resumed);
  assert.equal(code, 0);
  const started = messages.find((m) => m.type === 'started');
  assert.ok(started?.type === 'started' && started.start_step === step);
  assert.ok(messages.some((m) => m.type === 'finished'));
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
