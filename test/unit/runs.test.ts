// Reading runs back for the Runs view: two real runs of the CLI that differ in their learning
// rate and epochs, their loss curves, evaluations, final metrics and backend; a checkpoint and a
// folder without trainer_state.json are not runs.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { differingArguments, readRun } from '../../src/core/runs/runs';
import type { RunEvent } from '../../src/core/train/events';
import { REPO_ROOT, smallModel, tempDir, uciSample, writeConfig } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

test('two runs read back: curves, evaluations, final metrics, backend, and what differs between them', () => {
  const dir = tempDir('runs');
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 200);
  const train = (name: string, keys: Record<string, unknown>) => {
    const { file } = writeConfig(
      dir,
      {
        model: './small-model',
        train_file: 'reviews.csv',
        max_length: 32,
        logging_steps: 2,
        output_dir: name,
        ...keys,
      },
      `${name}.finetune.yaml`,
    );
    const result = spawnSync(process.execPath, [CLI, 'train', file, '--device', 'wasm', '--json'], {
      encoding: 'utf8',
    });
    assert.equal(result.status, 0, result.stderr);
    // What the run reported as it went (the protocol events), to hold the folder read back against.
    const events = result.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as RunEvent);
    return { folder: path.join(dir, name), events };
  };
  const runA = train('a', { learning_rate: 1e-3, num_train_epochs: 1 });
  const runB = train('b', { learning_rate: 5e-4, num_train_epochs: 2 });
  const a = readRun(runA.folder)!;
  const b = readRun(runB.folder)!;
  assert.ok(a && b);
  assert.equal(a.steps, 8, '160 training rows, batches of 20, one epoch');
  assert.equal(b.steps, 16);
  assert.deepEqual(
    a.loss.map((p) => p.step),
    [2, 4, 6, 8],
  );
  assert.ok(a.loss.every((p) => p.loss > 0));
  assert.deepEqual(
    b.evaluations.map((e) => e.epoch),
    [1, 2],
  );
  for (const [run, { events }] of [
    [a, runA],
    [b, runB],
  ] as const) {
    const reported = events.flatMap((e) => (e.type === 'evaluation' ? [e] : []));
    assert.equal(reported.length, run.evaluations.length, 'one evaluation read back for each reported');
    assert.deepEqual(
      run.evaluations,
      reported.map((e) => ({ step: e.step, epoch: e.epoch, loss: e.validation_loss, accuracy: e.accuracy, f1: e.f1 })),
    );
    const finished = events.find((e) => e.type === 'finished');
    assert.ok(finished?.type === 'finished', 'the run reported its final metrics');
    assert.equal(typeof finished.metrics.eval_accuracy, 'number');
    assert.equal(run.final?.eval_accuracy, finished.metrics.eval_accuracy);
    assert.equal(run.final?.eval_f1, finished.metrics.eval_f1);
    assert.equal(run.final?.eval_loss, finished.metrics.eval_loss);
  }
  assert.match(a.backend ?? '', /WebAssembly|wasm/i);
  assert.equal(a.args.learning_rate, 1e-3);
  assert.deepEqual(differingArguments([a, b]), ['learning_rate', 'num_train_epochs']);
  assert.deepEqual(differingArguments([a, a]), []);

  assert.equal(readRun(path.join(dir, 'small-model')), undefined, 'a folder without trainer_state.json');
  fs.mkdirSync(path.join(dir, 'broken'));
  fs.writeFileSync(path.join(dir, 'broken', 'trainer_state.json'), '{');
  assert.equal(readRun(path.join(dir, 'broken')), undefined, 'an unreadable state is no run');
});
