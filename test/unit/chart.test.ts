// The loss chart's arithmetic (webview/smoothing.ts): TensorBoard's debiased moving average and
// the epoch lines, readable on long runs.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { epochBoundaries, smoothed } from '../../webview/smoothing';

const points = (losses: number[]) => losses.map((loss, step) => ({ step: step + 1, loss }));

test("smoothing is TensorBoard's debiased exponential moving average", () => {
  const raw = points([1, 0, 1, 0]);
  assert.deepEqual(smoothed(raw, 0), raw, 'weight 0 is the raw line');
  const s = smoothed(raw, 0.6).map((p) => p.loss);
  // By hand: a = 0.4, then 0.24, 0.544, 0.3264; divided by 1 - 0.6^n.
  const expected = [0.4 / 0.4, 0.24 / 0.64, 0.544 / 0.784, 0.3264 / 0.8704];
  s.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${v} vs ${expected[i]}`));
  assert.equal(smoothed(points([5]), 0.99)[0].loss, 5, 'the first point is not pulled toward zero');
  assert.deepEqual(
    smoothed(points([2, 2, 2]), 0.9).map((p) => p.loss),
    [2, 2, 2].map((v) => v),
  );
  const flat = smoothed(points([2, Number.NaN, 2]), 0.9).map((p) => p.loss);
  assert.ok(Number.isNaN(flat[1]) && Math.abs(flat[2] - 2) < 1e-12, 'a NaN is kept and skipped');
  // Steps stay where they are.
  assert.deepEqual(
    smoothed(raw, 0.6).map((p) => p.step),
    [1, 2, 3, 4],
  );
});

test('epoch lines: one per new epoch, thinned on long runs', () => {
  assert.deepEqual(epochBoundaries(8, 16), [{ step: 8, epoch: 1 }]);
  assert.deepEqual(epochBoundaries(75, 225), [
    { step: 75, epoch: 1 },
    { step: 150, epoch: 2 },
  ]);
  assert.deepEqual(epochBoundaries(100, 100), [], 'one epoch: no line');
  assert.deepEqual(epochBoundaries(0, 100), [], 'unknown epoch length: no line');
  // 10,000 steps of 400 epochs (25 steps each): at most 12 lines, evenly spaced.
  const long = epochBoundaries(25, 10_000);
  assert.ok(long.length <= 12 && long.length >= 10, `${long.length} lines`);
  const gaps = new Set(long.slice(1).map((m, i) => m.step - long[i].step));
  assert.equal(gaps.size, 1, 'evenly spaced');
});
