// Nothing of the user's is ever replaced: a real CLI run against an output folder that holds the
// user's own files (named like ours, and not) is refused and leaves the folder byte for byte as it
// was; with overwrite_output_dir only the output files are replaced, and the user's others stay.
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RunEvent } from '../../src/core/train/events';
import { finishedRun } from '../../src/run/results';
import { REPO_ROOT, smallModel, tempDir, uciSample } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Every file below `dir` with its bytes, for byte-for-byte comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, file)] = fs.readFileSync(file).toString('base64');
  }
  return out;
}

function project(): { dir: string; mine: string } {
  const dir = tempDir('output-folder');
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 80);
  const mine = path.join(dir, 'my-project');
  fs.mkdirSync(path.join(mine, 'src'), { recursive: true });
  fs.writeFileSync(path.join(mine, 'README.md'), '# My project\n\nNotes I wrote by hand.\n');
  fs.writeFileSync(path.join(mine, 'config.json'), '{ "mine": true }\n');
  fs.writeFileSync(path.join(mine, 'src', 'notes.txt'), 'do not touch\n');
  return { dir, mine };
}

const config = (overwrite: boolean) =>
  `model: ./small-model\ntrain_file: reviews.csv\nnum_train_epochs: 1\nper_device_train_batch_size: 16\nmax_length: 16\noutput_dir: my-project\ndevice: cpu\n${overwrite ? 'overwrite_output_dir: true\n' : ''}`;

test('a folder with files this extension did not write is refused, and left byte for byte as it was', () => {
  const { dir, mine } = project();
  fs.writeFileSync(path.join(dir, 'run.finetune.yaml'), config(false));
  const before = snapshot(mine);
  const result = spawnSync(process.execPath, [CLI, 'train', 'run.finetune.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 1, result.stderr);
  assert.match(
    result.stderr,
    /^error: run\.finetune\.yaml:\d+: `output_dir` .*my-project holds files this extension did not write \(README\.md, config\.json, src\)/m,
  );
  assert.deepEqual(snapshot(mine), before);
  assert.deepEqual(fs.readdirSync(mine).sort(), ['README.md', 'config.json', 'src']);
});

test("with overwrite_output_dir, only the output files are replaced; the user's other files stay", () => {
  const { dir, mine } = project();
  fs.writeFileSync(path.join(dir, 'run.finetune.yaml'), config(true));
  const notes = fs.readFileSync(path.join(mine, 'src', 'notes.txt'));
  const result = spawnSync(process.execPath, [CLI, 'train', 'run.finetune.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  assert.ok(fs.readFileSync(path.join(mine, 'src', 'notes.txt')).equals(notes), "the user's file is unchanged");
  assert.match(
    fs.readFileSync(path.join(mine, 'README.md'), 'utf8'),
    /^---\nlibrary_name: transformers/,
    'the model card',
  );
  // A finished run of ours is no longer foreign: the same config trains again without the key.
  fs.writeFileSync(path.join(dir, 'run.finetune.yaml'), config(false));
  fs.rmSync(path.join(mine, 'src'), { recursive: true });
  const again = spawnSync(process.execPath, [CLI, 'train', 'run.finetune.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
});

test('a finished run is recognised (its step and metrics) until a later run leaves a newer checkpoint', async () => {
  const dir = tempDir('finished-run');
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 80);
  const out = path.join(dir, 'out');
  const yaml = (extra: string) =>
    `model: ./small-model\ntrain_file: reviews.csv\nper_device_train_batch_size: 16\nmax_length: 16\noutput_dir: out\ndevice: cpu\n${extra}`;
  assert.equal(finishedRun(out), undefined, 'no folder, no run');
  fs.writeFileSync(path.join(dir, 'run.finetune.yaml'), yaml('num_train_epochs: 1\n'));
  const result = spawnSync(process.execPath, [CLI, 'train', 'run.finetune.yaml', '--json'], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  // The final metrics as the run reported them (its `finished` event), not as the folder holds them.
  const reported = result.stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RunEvent)
    .find((e) => e.type === 'finished');
  assert.ok(reported?.type === 'finished', 'the run reported its final metrics');
  const finished = finishedRun(out);
  assert.ok(finished, 'the finished run is found');
  assert.equal(finished.step, 4, '64 training rows in batches of 16');
  assert.equal(typeof finished.accuracy, 'number');
  assert.equal(finished.accuracy, reported.metrics.eval_accuracy);
  assert.equal(finished.f1, reported.metrics.eval_f1);
  assert.ok(fs.existsSync(path.join(out, 'checkpoint-4')), 'with its own last checkpoint, which is not "to resume"');

  // A second run into the folder, killed after its first checkpoint: that checkpoint is what there is to resume.
  fs.writeFileSync(
    path.join(dir, 'run.finetune.yaml'),
    yaml('num_train_epochs: 100\nsave_strategy: steps\nsave_steps: 1\n'),
  );
  await new Promise<void>((resolve) => {
    const child = spawn(process.execPath, [CLI, 'train', 'run.finetune.yaml'], { cwd: dir });
    let printed = '';
    const watch = (d: Buffer) => {
      printed += d.toString();
      if (/^checkpoint: /m.test(printed)) child.kill('SIGKILL');
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.on('exit', () => resolve());
  });
  assert.equal(finishedRun(out), undefined, 'a newer checkpoint: the folder holds a stopped run');
});
