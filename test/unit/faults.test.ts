// Faults, each on real parts: a worker that crashes mid-epoch, a full disk and a read-only folder
// (real tmpfs mounts in a private mount namespace), two runs on one output_dir, running out of
// memory (a real address-space limit), a corrupt checkpoint. After each: the dataset is unchanged,
// nothing half-written is presented as complete, and the last good checkpoint resumes.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { stringify } from 'yaml';
import type { TrainingConfig } from '../../src/core/config/schema';
import { listCheckpoints } from '../../src/core/train/findCheckpoints';
import { LOCK_NAME as LOCK_FILE } from '../../src/core/outputNames';
import { TrainingProcess } from '../../src/run/launcher';
import type { WorkerMessage } from '../../src/run/protocol';
import { REPO_ROOT, fixture, smallModel, tempDir, uciSample, writeConfig } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const WORKER = path.join(REPO_ROOT, 'dist', 'worker.js');
const dir = tempDir('faults');
const KEYS = {
  model: './small-model',
  train_file: 'reviews.csv',
  learning_rate: 1e-3,
  num_train_epochs: 2,
  per_device_train_batch_size: 8,
  max_length: 32,
  device: 'cpu',
};
let datasetHash = '';

function hashOf(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

before(() => {
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 200);
  datasetHash = hashOf(path.join(dir, 'reviews.csv'));
});

function assertDatasetUnchanged(): void {
  assert.equal(hashOf(path.join(dir, 'reviews.csv')), datasetHash, 'the dataset is unchanged');
}

/** Every checkpoint-<step> folder is complete, and no staging folder poses as one. */
function assertNoHalfWrittenCheckpoint(outputDir: string): void {
  for (const name of fs.existsSync(outputDir) ? fs.readdirSync(outputDir) : []) {
    if (/^checkpoint-\d+$/.test(name)) {
      for (const file of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'resume_state.json']) {
        assert.ok(fs.existsSync(path.join(outputDir, name, file)), `${name} has ${file}`);
      }
    }
  }
}

function launch(
  config: TrainingConfig,
  env: NodeJS.ProcessEnv = {},
): Promise<{ messages: WorkerMessage[]; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const messages: WorkerMessage[] = [];
    new TrainingProcess({
      workerPath: WORKER,
      config,
      configFile: path.join(dir, 'run.finetune.yaml'),
      runId: `run-${Date.now()}`,
      env,
      onMessage: (m) => messages.push(m),
      onExit: (code, signal) => resolve({ messages, code, signal }),
    });
  });
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `distilbert-finetune ARGS`, or with `command` any command line (a wrapper around the CLI). */
function cli(args: string[], options: { command?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const [file, ...rest] = options.command ?? [process.execPath, CLI, ...args];
    const child = spawn(file, rest, {
      cwd: dir,
      env: { ...process.env, HF_HUB_OFFLINE: '1', ...options.env },
      timeout: 300_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const lastLine = (text: string) => text.trimEnd().split('\n').pop() ?? '';

async function resumeFinishes(outputDir: string): Promise<void> {
  const { config } = writeConfig(
    dir,
    { ...KEYS, output_dir: outputDir, resume_from_checkpoint: true },
    'resume.finetune.yaml',
  );
  const { messages, code } = await launch(config);
  const started = messages.find((m) => m.type === 'started');
  assert.equal(code, 0, JSON.stringify(messages.find((m) => m.type === 'failed')));
  assert.ok(started?.type === 'started' && started.start_step > 0, 'resumed from a checkpoint, not from step 0');
  assert.ok(messages.some((m) => m.type === 'finished'));
  assert.ok(fs.existsSync(path.join(config.output_dir, 'model.safetensors')));
}

for (const fault of ['throw', 'abort'] as const) {
  test(`a worker that crashes mid-epoch (${fault === 'throw' ? 'an uncaught exception' : 'SIGABRT, as a native crash'}) is reported; its last checkpoint resumes`, async () => {
    const output = `crash-${fault}`;
    const { config } = writeConfig(dir, { ...KEYS, output_dir: output, save_strategy: 'steps', save_steps: 4 });
    const { messages, code, signal } = await launch(config, {
      NODE_OPTIONS: `--require ${fixture('faults', 'crash.cjs')}`,
      FAULT: fault,
      FAULT_AT_STEP: '10',
    });
    const failed = messages[messages.length - 1];
    assert.equal(failed.type, 'failed');
    assert.ok(failed.type === 'failed');
    if (fault === 'throw') {
      assert.equal(code, 2);
      assert.match(failed.message, /^internal error: injected fault at step 10/);
      // It exited through process.exit, past runTraining's finally: the exit hook still freed output_dir.
      assert.ok(!fs.existsSync(path.join(config.output_dir, LOCK_FILE)), 'the crashed worker released its lock');
    } else {
      assert.equal(signal, 'SIGABRT');
      assert.match(failed.message, /^The training process was killed \(SIGABRT\) before it finished\./);
      assert.match(failed.last_output ?? '', /checkpoint: .*checkpoint-8/, 'the last lines it printed are kept');
    }
    assert.match(failed.hint ?? '', /./);
    assert.ok(!messages.some((m) => m.type === 'finished'));
    assertDatasetUnchanged();
    assertNoHalfWrittenCheckpoint(config.output_dir);
    assert.deepEqual(
      listCheckpoints(config.output_dir).map((f) => path.basename(f)),
      ['checkpoint-4', 'checkpoint-8'],
    );
    assert.ok(!fs.existsSync(path.join(config.output_dir, 'model.safetensors')), 'no final model from a crashed run');
    await resumeFinishes(output);
  });
}

test('a worker asked to end (SIGTERM, as when VS Code closes or reloads) stops at the next step with a checkpoint', async () => {
  const { config } = writeConfig(dir, {
    ...KEYS,
    output_dir: 'terminated',
    num_train_epochs: 100,
    save_strategy: 'no',
  });
  const messages: WorkerMessage[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const worker: TrainingProcess = new TrainingProcess({
      workerPath: WORKER,
      config,
      configFile: path.join(dir, 'run.finetune.yaml'),
      runId: 'terminated',
      onMessage: (m) => {
        messages.push(m);
        if (m.type === 'progress' && m.step === 3) process.kill(worker.pid!, 'SIGTERM');
      },
      onExit: (exitCode) => resolve(exitCode),
    });
  });
  assert.equal(code, 0);
  const cancelled = messages[messages.length - 1];
  assert.ok(cancelled.type === 'cancelled' && cancelled.checkpoint, JSON.stringify(cancelled));
  assertNoHalfWrittenCheckpoint(config.output_dir);
  assert.ok(!fs.existsSync(path.join(config.output_dir, LOCK_FILE)));
  assertDatasetUnchanged();
});

/** Runs the CLI with `output_dir` on a fresh tmpfs in a private mount namespace, then copies out what it left. */
async function cliOnTmpfs(mountOptions: string, configName: string, saved: string): Promise<CliResult> {
  const out = path.join(dir, 'mnt');
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(saved, { recursive: true });
  const script = [
    'set -u',
    `mount -t tmpfs -o ${mountOptions} tmpfs ${out} || exit 99`,
    `"${process.execPath}" "${CLI}" train ${configName}`,
    'code=$?',
    `cp -a ${out}/. ${saved}/`,
    'exit $code',
  ].join('\n');
  return cli([], { command: ['unshare', '--user', '--map-root-user', '--mount', 'bash', '-c', script] });
}

test('the disk filling up while saving a checkpoint: a clear error, no half-written checkpoint, the last good one resumes', async () => {
  // A checkpoint of the small model is about 13 MB: the first fits in 20 MB, the second does not.
  fs.writeFileSync(
    path.join(dir, 'full.finetune.yaml'),
    stringify({ ...KEYS, output_dir: 'mnt', save_strategy: 'steps', save_steps: 5 }),
  );
  const saved = path.join(dir, 'full-saved');
  const { code, stderr } = await cliOnTmpfs('size=20m', 'full.finetune.yaml', saved);
  assert.notEqual(code, 99, 'tmpfs could not be mounted in a user namespace');
  assert.equal(code, 1, stderr);
  assert.match(
    lastLine(stderr),
    /^error: cannot write .*mnt\/.*: the disk is full \(ENOSPC\) — Free some space, or set output_dir to a folder elsewhere\. The last complete checkpoint, .*checkpoint-5, is intact: resume it with resume_from_checkpoint: true\./,
  );
  assert.doesNotMatch(stderr, /^\s+at /m);
  assertDatasetUnchanged();
  assertNoHalfWrittenCheckpoint(saved);
  assert.deepEqual(
    fs.readdirSync(saved).filter((n) => n.startsWith('checkpoint-') || n.includes('staging')),
    ['checkpoint-5'],
    'the good checkpoint and nothing half-written',
  );
  assert.ok(!fs.existsSync(path.join(saved, LOCK_FILE)), 'the run released its lock');
  await resumeFinishes('full-saved');
});

test('the disk filling up while writing the final model leaves no model, model card or results behind', async () => {
  // The small model's final files: model.safetensors 3.96 MB and vocab.txt 0.23 MB fit in 4.5 MB,
  // tokenizer.json (0.7 MB more) does not. The run saves no checkpoint before them.
  fs.writeFileSync(
    path.join(dir, 'full-final.finetune.yaml'),
    stringify({ ...KEYS, output_dir: 'mnt', save_strategy: 'no' }),
  );
  const saved = path.join(dir, 'full-final-saved');
  const { code, stderr } = await cliOnTmpfs('size=4500k', 'full-final.finetune.yaml', saved);
  assert.notEqual(code, 99, 'tmpfs could not be mounted in a user namespace');
  assert.equal(code, 1, stderr);
  assert.match(lastLine(stderr), /^error: cannot write .*mnt\/.*: the disk is full \(ENOSPC\)/);
  assert.deepEqual(
    fs.readdirSync(saved),
    [],
    'nothing of the failed save is left: no model, no card, no staging folder, no lock',
  );
  assertDatasetUnchanged();
});

test('a read-only output folder is refused before training starts', async () => {
  fs.writeFileSync(path.join(dir, 'readonly.finetune.yaml'), stringify({ ...KEYS, output_dir: 'mnt' }));
  const { code, stderr } = await cliOnTmpfs('ro', 'readonly.finetune.yaml', path.join(dir, 'readonly-saved'));
  assert.notEqual(code, 99, 'tmpfs could not be mounted in a user namespace');
  assert.equal(code, 1, stderr);
  assert.match(
    lastLine(stderr),
    /^error: cannot write .*mnt\/\.distilbert-finetune\.lock: the file system is read-only \(EROFS\) — Make output_dir writable/,
  );
  assert.doesNotMatch(stderr, /^training /m, 'refused before training');
  assertDatasetUnchanged();
});

test('a second run on the same output_dir is refused while the first trains; a stale lock is taken over', async () => {
  fs.writeFileSync(
    path.join(dir, 'first.finetune.yaml'),
    stringify({ ...KEYS, output_dir: 'shared', num_train_epochs: 200 }),
  );
  fs.writeFileSync(
    path.join(dir, 'second.finetune.yaml'),
    stringify({ ...KEYS, output_dir: 'shared', learning_rate: 5e-4 }),
  );
  const first = spawn(process.execPath, [CLI, 'train', 'first.finetune.yaml'], {
    cwd: dir,
    env: { ...process.env, HF_HUB_OFFLINE: '1' },
  });
  let firstErr = '';
  await new Promise<void>((resolve) =>
    first.stderr.on('data', (d) => {
      firstErr += d;
      if (/step \d+\/\d+/.test(firstErr) || /training .* steps/.test(firstErr)) resolve();
    }),
  );
  const second = await cli(['train', 'second.finetune.yaml']);
  assert.equal(second.code, 1);
  assert.match(
    lastLine(second.stderr),
    new RegExp(
      `^error: output_dir .*shared is in use by another training run \\(process ${first.pid}, started .*\\) — Wait for that run to end or cancel it, or set a different output_dir\\.`,
    ),
  );
  const exited = new Promise<number | null>((resolve) => first.on('close', resolve));
  first.kill('SIGINT'); // Ctrl+C: stop at the next step with a checkpoint
  assert.equal(await exited, 130);
  assert.ok(!fs.existsSync(path.join(dir, 'shared', LOCK_FILE)), 'the first run released its lock');
  assertNoHalfWrittenCheckpoint(path.join(dir, 'shared'));

  // A lock left by a killed process (its pid is gone) does not block the next run.
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  fs.writeFileSync(
    path.join(dir, 'shared', LOCK_FILE),
    JSON.stringify({ pid: Number(gone), hostname: os.hostname(), started: 'earlier' }),
  );
  const again = await cli(['train', 'second.finetune.yaml']);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(!fs.existsSync(path.join(dir, 'shared', LOCK_FILE)));
  assertDatasetUnchanged();
});

test('running out of memory for a too large batch says so and suggests a smaller batch or max_length', async () => {
  // A real limit on the address space (ulimit -v) and a batch whose attention scores need ~1.7 GB.
  smallModel(path.join(dir, 'wide-model'), false, {
    dim: 32,
    n_layers: 1,
    n_heads: 8,
    hidden_dim: 64,
    max_position_embeddings: 128,
  });
  const words = fs.readFileSync(fixture('vocab', 'vocab.txt'), 'utf8').split('\n').slice(2000, 12000);
  const rows = Array.from(
    { length: 4000 },
    (_, i) =>
      `${Array.from({ length: 130 }, (_, k) => words[(i * 131 + k * 7) % words.length]).join(' ')},${i % 2 ? 'yes' : 'no'}`,
  );
  fs.writeFileSync(path.join(dir, 'long.csv'), `text,label\n${rows.join('\n')}\n`);
  const longHash = hashOf(path.join(dir, 'long.csv'));
  fs.writeFileSync(
    path.join(dir, 'oom.finetune.yaml'),
    stringify({
      model: './wide-model',
      train_file: 'long.csv',
      max_length: 128,
      per_device_train_batch_size: 4000,
      per_device_eval_batch_size: 4000,
      output_dir: 'oom',
      device: 'cpu',
    }),
  );
  const { code, stderr } = await cli([], {
    command: ['bash', '-c', `ulimit -v 2000000 && exec "$0" "$1" train oom.finetune.yaml`, process.execPath, CLI],
  });
  assert.equal(code, 1, stderr.slice(-2000));
  assert.match(
    lastLine(stderr),
    /^error: out of memory with per_device_train_batch_size 4000, per_device_eval_batch_size 4000 and max_length 128 \(.*\) — Lower per_device_train_batch_size \(try 2000\) and per_device_eval_batch_size, or max_length/,
  );
  assert.doesNotMatch(stderr, /^\s+at /m);
  assert.equal(hashOf(path.join(dir, 'long.csv')), longHash);
  assert.ok(!fs.existsSync(path.join(dir, 'oom', 'model.safetensors')));
});

test('a worker whose JavaScript heap fills up is reported as out of memory, pointing at the Worker memory setting', async () => {
  const { config } = writeConfig(dir, { ...KEYS, output_dir: 'heap' });
  const messages: WorkerMessage[] = [];
  const signal = await new Promise<NodeJS.Signals | null>((resolve) => {
    new TrainingProcess({
      workerPath: WORKER,
      config,
      configFile: path.join(dir, 'run.finetune.yaml'),
      runId: 'heap',
      memoryMb: 12,
      onMessage: (m) => messages.push(m),
      onExit: (_code, exitSignal) => resolve(exitSignal),
    });
  });
  assert.equal(signal, 'SIGABRT', 'V8 aborts when the heap limit is reached');
  const failed = messages[messages.length - 1];
  assert.ok(failed.type === 'failed');
  assert.equal(
    failed.message,
    'The training process ran out of memory (its JavaScript heap is full) before it finished.',
  );
  assert.match(
    failed.hint ?? '',
    /^Raise the "Worker memory" setting \(distilbertFinetuner\.workerMemoryMb, now 12\), or lower per_device_train_batch_size or max_length\./,
  );
  assertDatasetUnchanged();
});

test('a corrupt checkpoint is refused with a message naming the file', async () => {
  const { config } = writeConfig(dir, {
    ...KEYS,
    output_dir: 'corrupt-checkpoint',
    save_strategy: 'steps',
    save_steps: 5,
    max_steps: 5,
  });
  assert.equal((await launch(config)).code, 0);
  const optimizer = path.join(config.output_dir, 'checkpoint-5', 'optimizer.safetensors');
  fs.truncateSync(optimizer, 1000);
  const resumed = writeConfig(
    dir,
    { ...KEYS, output_dir: 'corrupt-checkpoint', resume_from_checkpoint: true },
    'resume.finetune.yaml',
  ).config;
  const { messages, code } = await launch(resumed);
  assert.equal(code, 1);
  const failed = messages.find((m) => m.type === 'failed');
  assert.ok(failed?.type === 'failed');
  assert.match(failed.message, /checkpoint-5\/optimizer\.safetensors is not a valid safetensors file/);
  assert.match(failed.hint ?? '', /truncated or corrupt/);
});
