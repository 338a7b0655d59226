// The CLI as a user runs it: a real process, its exit codes, its output.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { REPO_ROOT, fixture, smallModel, tempDir, uciSample } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const dir = tempDir('cli');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 120_000 });

before(() => {
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 160);
  fs.writeFileSync(
    path.join(dir, 'run.finetune.yaml'),
    'model: ./small-model\ntrain_file: reviews.csv\nlearning_rate: 1e-3\nnum_train_epochs: 2\nper_device_train_batch_size: 16\nmax_length: 32\noutput_dir: out\ndevice: wasm\n',
  );
});

test('train prints progress, then the results table exactly as in the model card, and exits 0', () => {
  const result = cli('train', 'run.finetune.yaml');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /\[=+\] 16\/16 epoch 2\.00 loss/);
  const card = fs.readFileSync(path.join(dir, 'out', 'README.md'), 'utf8');
  const table = card.split('### Training results\n\n')[1].split('\n\n')[0];
  assert.ok(result.stdout.includes(table), 'the same table');
  assert.match(result.stdout, /final metrics \(2 labels, F1 weighted\): loss [\d.]+, accuracy [\d.]+, F1 [\d.]+/);
});

test('auto passes over backends that are not installed without a word; --verbose lists them', () => {
  const logs = (r: ReturnType<typeof cli>) =>
    r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; text?: string })
      .filter((e) => e.type === 'log')
      .map((e) => e.text!);
  const quiet = cli('train', 'run.finetune.yaml', '--json', '--device', 'auto');
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.ok(
    logs(quiet).some((t) => t.startsWith('backend: ')),
    'the backend that ran is always said',
  );
  assert.deepEqual(
    logs(quiet).filter((t) => t.startsWith('backend not used')),
    [],
  );
  const verbose = cli('train', 'run.finetune.yaml', '--json', '--device', 'auto', '--verbose');
  assert.equal(verbose.status, 0, verbose.stderr);
  assert.ok(logs(verbose).some((t) => /^backend not used: gpu: /.test(t)));
  assert.ok(logs(verbose).some((t) => /^backend not used: webgpu: /.test(t)));
});

test('train --json prints the protocol events as JSON lines', () => {
  const result = cli('train', 'run.finetune.yaml', '--json');
  assert.equal(result.status, 0);
  const events = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
  const types = new Set(events.map((e) => e.type));
  for (const type of ['phase', 'log', 'started', 'progress', 'evaluation', 'checkpoint', 'finished'])
    assert.ok(types.has(type), type);
  assert.equal(new Set(events.map((e) => e.run_id)).size, 1);
});

test('user errors exit 1 with one line on stderr and no stack trace', () => {
  fs.writeFileSync(path.join(dir, 'bad.finetune.yaml'), 'train_file: reviews.csv\nlearning_rate: fast\n');
  for (const args of [
    ['train', 'bad.finetune.yaml'],
    ['train', 'nope.yaml'],
    ['bogus'],
    ['predict', '--model', 'x'],
    ['train', 'run.finetune.yaml', '--device', 'tpu'],
  ]) {
    const result = cli(...args);
    assert.equal(result.status, 1, args.join(' '));
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.match(
    cli('train', 'bad.finetune.yaml').stderr,
    /^error: bad\.finetune\.yaml:2: `learning_rate` must be a number, not the text "fast"\./,
  );
});

test("max_length beyond the model's positions is a user error that says the limit", () => {
  fs.writeFileSync(
    path.join(dir, 'long.finetune.yaml'),
    'model: ./small-model\ntrain_file: reviews.csv\nmax_length: 256\noutput_dir: long-out\ndevice: wasm\n',
  );
  const result = cli('train', 'long.finetune.yaml');
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^error: max_length 256 exceeds the model's 64 positions — Set max_length to at most 64\.$/m,
  );
  assert.ok(!fs.existsSync(path.join(dir, 'long-out', 'model.safetensors')));
});

test('an internal error (a bug) exits 2; a config.json that is not an object is a user error', () => {
  fs.mkdirSync(path.join(dir, 'weird-model'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'weird-model', 'config.json'), 'null');
  const user = cli('predict', '--model', './weird-model', '--text', 'hi', '--device', 'cpu');
  assert.equal(user.status, 1, user.stderr);
  assert.match(user.stderr, /config\.json: expected a JSON object/);
  // Simulate a bug from outside: a preloaded module makes one read throw a TypeError.
  const preload = path.join(dir, 'inject-bug.js');
  fs.writeFileSync(
    preload,
    `const fs = require('fs'); const read = fs.readFileSync; fs.readFileSync = function (p, ...rest) { if (String(p).endsWith('weird-model/config.json')) throw new TypeError('simulated bug'); return read.call(this, p, ...rest); };`,
  );
  const bug = spawnSync(
    process.execPath,
    ['--require', preload, CLI, 'predict', '--model', './weird-model', '--text', 'hi', '--device', 'cpu'],
    { cwd: dir, encoding: 'utf8' },
  );
  assert.equal(bug.status, 2, bug.stderr);
  assert.match(bug.stderr, /^internal error: TypeError: simulated bug/);
});

test('evaluate and predict use the saved model', () => {
  const evaluated = cli('evaluate', '--model', 'out', '--data', 'reviews.csv', '--json', '--device', 'wasm');
  assert.equal(evaluated.status, 0, evaluated.stderr);
  const metrics = JSON.parse(evaluated.stdout);
  assert.equal(metrics.num_examples, 160);
  assert.deepEqual(metrics.labels, ['negative', 'positive']);
  assert.equal(
    metrics.confusion_matrix.flat().reduce((a: number, b: number) => a + b, 0),
    160,
  );
  // reviews.csv is what `out` was trained on (128 training rows, 32 validation): evaluate says so.
  assert.match(
    evaluated.stderr,
    /^warning: reviews\.csv is the file this model was trained on \(.*reviews\.csv\): (\d+) of its 160 texts \(\d+%\) were in the model's training split\. Metrics on texts the model has seen overstate/m,
  );
  assert.equal(metrics.training_data_overlap.same_file, true);
  assert.ok(metrics.training_data_overlap.texts >= 128, `${metrics.training_data_overlap.texts} seen texts`);
  // Held-out rows: no warning. A few training rows among them: the overlap is counted.
  const uci = fs.readFileSync(fixture('data/uci_sentiment.csv'), 'utf8').trimEnd().split('\n');
  const training = fs.readFileSync(path.join(dir, 'reviews.csv'), 'utf8').trimEnd().split('\n');
  const heldOut = uci.slice(2001, 2041).filter((line) => !training.includes(line));
  fs.writeFileSync(path.join(dir, 'held-out.csv'), `${uci[0]}\n${heldOut.join('\n')}\n`);
  const clean = cli('evaluate', '--model', 'out', '--data', 'held-out.csv', '--device', 'wasm');
  assert.equal(clean.status, 0, clean.stderr);
  assert.doesNotMatch(clean.stderr, /^warning:/m);
  fs.writeFileSync(path.join(dir, 'mixed.csv'), `${uci[0]}\n${[...training.slice(1, 11), ...heldOut].join('\n')}\n`);
  const mixed = cli('evaluate', '--model', 'out', '--data', 'mixed.csv', '--device', 'wasm');
  assert.equal(mixed.status, 0, mixed.stderr);
  const seen = Number(
    /^warning: mixed\.csv overlaps the model's training data \(.*\): (\d+) of its \d+ texts/m.exec(mixed.stderr)?.[1],
  );
  assert.ok(seen >= 1 && seen <= 10, mixed.stderr);
  const predicted = cli(
    'predict',
    '--model',
    'out',
    '--text',
    'great',
    '--text',
    'awful',
    '--json',
    '--device',
    'wasm',
  );
  assert.equal(predicted.status, 0, predicted.stderr);
  const lines = predicted.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.ok(['negative', 'positive'].includes(lines[0].label));
  assert.ok(Math.abs(lines[0].probabilities.negative + lines[0].probabilities.positive - 1) < 1e-5);
});

test('tokenize: JSON lines in, HF ids out, truncated and padded with --max-length', () => {
  const result = spawnSync(process.execPath, [CLI, 'tokenize', '--model', fixture('vocab'), '--max-length', '10'], {
    input: '{"text": "Hello, my dog is cute"}\n{"text": "a"}\n',
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(
    result.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    [
      {
        input_ids: [101, 7592, 1010, 2026, 3899, 2003, 10140, 102, 0, 0],
        attention_mask: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
      },
      { input_ids: [101, 1037, 102, 0, 0, 0, 0, 0, 0, 0], attention_mask: [1, 1, 1, 0, 0, 0, 0, 0, 0, 0] },
    ],
  );
  const bad = spawnSync(process.execPath, [CLI, 'tokenize', '--model', fixture('vocab')], {
    input: 'not json\n',
    encoding: 'utf8',
  });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /stdin:1: invalid JSON/);
});

test('schema prints the JSON Schema shipped in the package', () => {
  const result = cli('schema');
  assert.equal(result.stdout, fs.readFileSync(path.join(REPO_ROOT, 'schemas', 'finetune.schema.json'), 'utf8'));
});

test('Ctrl+C stops with a checkpoint, and the printed resume value works pasted into the config (run from another folder)', async () => {
  const config = path.join(dir, 'stop.finetune.yaml');
  const keys =
    'model: ./small-model\ntrain_file: reviews.csv\nnum_train_epochs: 50\nper_device_train_batch_size: 16\nmax_length: 16\noutput_dir: stop-out\ndevice: cpu\nsave_strategy: "no"\n';
  fs.writeFileSync(config, keys);
  const elsewhere = path.dirname(dir); // the shell's folder is not the config's
  const stderr = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'train', config], { cwd: elsewhere });
    let text = '';
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      if (!interrupted && /^training /m.test(text)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    child.on('close', () => resolve(text));
  });
  const value = /^cancelled at step \d+; resume with resume_from_checkpoint: (.+)$/m.exec(stderr)?.[1];
  assert.ok(value, stderr);
  assert.match(value, /^stop-out[\\/]checkpoint-\d+$/, 'relative to the config, not to the shell');
  fs.writeFileSync(
    config,
    `${keys.replace('num_train_epochs: 50', 'num_train_epochs: 1')}resume_from_checkpoint: ${value}\n`,
  );
  const resumed = spawnSync(process.execPath, [CLI, 'train', config], { cwd: elsewhere, encoding: 'utf8' });
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /resuming from .*stop-out[\\/]checkpoint-\d+ at step \d+/);
});
