// Our shaders on the webgpu backend (kernels/webgpuKernels.ts), on SwiftShader in this process.
// Dropout masks: the rate and the scale, the same mask for the same seed, another for another
// seed, no pattern between neighbours, sizes past one dispatch dimension (65,535 workgroups of 64).
// AdamW: the same numbers as the TensorFlow.js composition it replaces.
import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { kernels } from '../../src/core/kernels/activeKernels';
import { tfjsKernels } from '../../src/core/kernels/tfjsKernels';
import { tf } from '../../src/core/tf';
import { requireSwiftShaderInThisProcess } from './webgpuHelpers';

before(async () => {
  requireSwiftShaderInThisProcess();
  const loaded = await loadBackend('webgpu');
  assert.equal(loaded.backend, 'webgpu');
});

async function mask(size: number, rate: number, seed: number): Promise<Float32Array> {
  const drawn = kernels().dropoutMask([size], rate, seed);
  const values = (await drawn.data()) as Float32Array;
  drawn.dispose();
  return values;
}

test('the webgpu kernels draw dropout masks with a shader of their own', () => {
  assert.equal(kernels().name, 'TensorFlow.js ops on WebGPU');
});

test('a GPU dropout mask: the rate, the scale, the same mask for the same seed', async () => {
  const a = await mask(200_000, 0.1, 42);
  const b = await mask(200_000, 0.1, 42);
  const c = await mask(200_000, 0.1, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const dropped = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(dropped - 0.1) < 0.005, `dropped ${dropped}`);
  assert.ok(
    a.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6),
    'every kept element is scaled by 1/(1-rate)',
  );
  // Independent neighbours: both of a pair dropped about rate^2 of the time, and two seeds'
  // masks agree on a drop about as often as chance says.
  let pairs = 0;
  let shared = 0;
  for (let i = 0; i + 1 < a.length; i++) if (a[i] === 0 && a[i + 1] === 0) pairs++;
  for (let i = 0; i < a.length; i++) if (a[i] === 0 && c[i] === 0) shared++;
  assert.ok(Math.abs(pairs / (a.length - 1) - 0.01) < 0.002, `neighbours both dropped: ${pairs / (a.length - 1)}`);
  assert.ok(Math.abs(shared / a.length - 0.01) < 0.002, `dropped under both seeds: ${shared / a.length}`);
});

test('a GPU dropout mask larger than one dispatch dimension holds no undrawn tail', async () => {
  const size = 65_535 * 64 + 100_000;
  const values = await mask(size, 0.5, 7);
  const tail = values.subarray(size - 100_000);
  const dropped = tail.filter((v) => v === 0).length / tail.length;
  assert.ok(Math.abs(dropped - 0.5) < 0.01, `dropped in the last 100,000: ${dropped}`);
  assert.ok(values.every((v) => v === 0 || v === 2));
  assert.equal(tf.memory().numTensors, 0, 'nothing left behind');
});

test('AdamW on the GPU gives the numbers of the TensorFlow.js composition, first step and later ones', async () => {
  const shape = [300, 7];
  let seed = 5;
  const random = (scale: number) => tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed++), scale));
  const param = random(1);
  const grad = random(0.1);
  const expAvg = random(0.01);
  const expAvgSq = tf.tidy(() => tf.square(random(0.01)));
  const cases = [
    { state: { param }, step: { decay: 1, gradScale: 1, stepSize: 2e-5 / 0.1, bc2Sqrt: Math.sqrt(0.001) } },
    {
      state: { param, expAvg, expAvgSq },
      step: { decay: 1 - 2e-5 * 0.01, gradScale: 0.37, stepSize: 3e-5, bc2Sqrt: 0.2 },
    },
  ];
  for (const { state, step } of cases) {
    const settings = { ...step, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
    const gpu = kernels().adamw(state, grad, settings);
    const reference = tfjsKernels.adamw(state, grad, settings);
    for (const key of ['param', 'expAvg', 'expAvgSq'] as const) {
      const ours = (await gpu[key].data()) as Float32Array;
      const theirs = (await reference[key].data()) as Float32Array;
      const worst = ours.reduce((max, value, i) => Math.max(max, Math.abs(value - theirs[i])), 0);
      assert.ok(worst <= 1e-7 * Math.max(1, Math.abs(theirs[0])), `${key}: differs by ${worst}`);
      assert.notEqual(gpu[key], state[key as keyof typeof state], 'new tensors, as the caller expects');
    }
    tf.dispose([gpu.param, gpu.expAvg, gpu.expAvgSq, reference.param, reference.expAvg, reference.expAvgSq]);
  }
  tf.dispose([param, grad, expAvg, expAvgSq]);
  assert.equal(tf.memory().numTensors, 0, 'nothing left behind');
});
