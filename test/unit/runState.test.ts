// The panel's state: worker messages folded in, bounded whatever the length of the run.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { CURVE_POINTS, initialRunState, reduceRunState } from '../../src/run/runState';
import type { RunState, WorkerMessage } from '../../src/run/protocol';
import { parsePageMessage, parseWorkerMessage } from '../../src/run/protocol';

const progress = (step: number, loss: number): WorkerMessage => ({
  type: 'progress',
  run_id: 'r',
  step,
  total_steps: 100_000,
  epoch: step / 1000,
  loss,
  learning_rate: 2e-5,
  grad_norm: 1,
  samples_per_second: 10,
  elapsed_seconds: step,
  eta_seconds: 100_000 - step,
});

test('100,000 steps keep the state bounded: the loss curve is downsampled, its mean preserved', () => {
  let state = initialRunState('r', 'title', '/c.finetune.yaml', '/d.csv');
  let sum = 0;
  for (let step = 1; step <= 100_000; step++) {
    const loss = 1 + Math.sin(step / 5000);
    sum += loss;
    state = reduceRunState(state, progress(step, loss));
    assert.ok(state.lossCurve.length <= 2 * CURVE_POINTS + 1);
  }
  for (let i = 0; i < 5000; i++)
    state = reduceRunState(state, { type: 'log', run_id: 'r', level: 'info', text: `line ${i}` });
  assert.ok(state.lossCurve.length >= CURVE_POINTS / 2, 'still a detailed curve');
  assert.ok(state.log.length <= 200);
  assert.ok(JSON.stringify(state).length < 100_000, 'the snapshot sent to the page stays small');
  const mean = state.lossCurve.reduce((a, p) => a + p.loss, 0) / state.lossCurve.length;
  assert.ok(Math.abs(mean - sum / 100_000) < 0.01, `mean ${mean} vs ${sum / 100_000}`);
  assert.equal(state.lossCurve[state.lossCurve.length - 1].step, 100_000);
  assert.equal(state.progress?.step, 100_000);
});

test("messages fold into the panel state in the Trainer's terms", () => {
  let state: RunState = initialRunState('r', 'title', '/c.finetune.yaml', '/d.csv');
  state = reduceRunState(state, { type: 'phase', run_id: 'r', phase: 'downloading' });
  state = reduceRunState(state, { type: 'download', run_id: 'r', file: 'model.safetensors', bytes: 10, total: 100 });
  assert.equal(state.phase, 'downloading');
  state = reduceRunState(state, {
    type: 'evaluation',
    run_id: 'r',
    training_loss: null,
    epoch: 1,
    step: 10,
    validation_loss: 0.5,
    accuracy: 0.8,
    f1: 0.79,
  });
  assert.deepEqual(state.rows, [
    { training_loss: null, epoch: 1, step: 10, validation_loss: 0.5, accuracy: 0.8, f1: 0.79 },
  ]);
  state = reduceRunState(state, { type: 'failed', run_id: 'r', message: 'boom', hint: 'do this' });
  assert.equal(state.phase, 'failed');
  assert.deepEqual(state.failed, { message: 'boom', hint: 'do this', lastOutput: undefined });
});

test('messages from the page and the worker are validated before use: a forged page message (unknown type, wrong or extra fields, a path) is refused', () => {
  for (const type of ['ready', 'cancel', 'openModelCard', 'revealOutput', 'runAgain', 'openConfig'])
    assert.deepEqual(parsePageMessage({ type }), { type });
  const forged = [
    null,
    undefined,
    'cancel',
    42,
    [],
    [{ type: 'cancel' }],
    {},
    { type: 'deleteEverything' },
    { type: 1 },
    { type: ['cancel'] },
    { type: 'toString' },
    { type: '__proto__' },
    { type: 'cancel', extra: '<script>' },
    { type: 'cancel', run_id: 'another-run' },
    { type: 'openModelCard', path: '/etc/passwd' },
    { type: 'openConfig', uri: 'file:///etc/passwd' },
    { type: 'revealOutput', path: '../../..' },
    { type: 'runAgain', config: '/tmp/evil.finetune.yaml' },
  ];
  for (const bad of forged) assert.equal(parsePageMessage(bad), undefined, JSON.stringify(bad));
  assert.equal(parseWorkerMessage({ type: 'progress' }), undefined, 'no run id');
  assert.equal(parseWorkerMessage({ type: 'whatever', run_id: 'r' }), undefined);
  assert.ok(parseWorkerMessage({ type: 'log', run_id: 'r', level: 'info', text: 'x' }));
});
