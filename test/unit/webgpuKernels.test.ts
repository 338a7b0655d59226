// Our shaders on the webgpu backend (kernels/webgpuKernels.ts), on SwiftShader in this process.
// Dropout masks: the rate and the scale, the same mask for the same seed, another for another
// seed, no pattern between neighbours, sizes past one dispatch dimension (65,535 workgroups of 64).
// AdamW over flat buffers: the same numbers as the TensorFlow.js composition, per tensor.
import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { kernels } from '../../src/core/kernels/activeKernels';
import { tfjsKernels } from '../../src/core/kernels/tfjsKernels';
import { tf, type Tensor, type Tensor2D } from '../../src/core/tf';
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

/** The shader's PCG hash, on the host: 32-bit unsigned arithmetic. */
function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

test('the webgpu kernels draw dropout masks with a shader of their own: its hash, element by element', async () => {
  const rate = 0.3;
  const seed = 1234;
  const values = await mask(5000, rate, seed);
  const expected = Array.from({ length: 5000 }, (_, i) => {
    const draw = (pcgHash((i ^ pcgHash(seed)) >>> 0) >>> 8) / 16777216;
    return draw >= rate ? Math.fround(1 / (1 - rate)) : 0;
  });
  assert.deepEqual(Array.from(values), expected);
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

test('AdamW over flat GPU buffers: the numbers of the TensorFlow.js composition, clipping on the GPU, moments in and out', async () => {
  // Several tensors, decayed and not, one past a chunk of 4,096 elements; gradients large enough to clip.
  const parameters = [
    { name: 'w', shape: [300, 17], decay: true },
    { name: 'b', shape: [17], decay: false },
    { name: 'e', shape: [3, 5], decay: true },
  ];
  let seed = 5;
  const random = (shape: number[], scale: number) =>
    tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed++), scale));
  const start = parameters.map((p) => random(p.shape, 1));
  const grads = [0, 1].map(() => parameters.map((p) => random(p.shape, 0.5)));
  const steps = [
    { decay: 1 - 2e-5 * 0.01, stepSize: 2e-5 / 0.1, bc2Sqrt: Math.sqrt(0.001), maxGradNorm: 1 },
    { decay: 1 - 3e-5 * 0.01, stepSize: 3e-5 / 0.19, bc2Sqrt: Math.sqrt(0.002), maxGradNorm: 0 },
  ].map((s) => ({ ...s, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 }));
  const ours = kernels().adamw(parameters);
  const reference = tfjsKernels.adamw(parameters);
  let oursParams = start.map((t) => t.clone());
  let theirParams = start.map((t) => t.clone());
  const worst = (a: ArrayLike<number>, b: ArrayLike<number>) =>
    Array.from(a).reduce((max, value, i) => Math.max(max, Math.abs(value - b[i])), 0);
  for (const [i, step] of steps.entries()) {
    const a = await ours.update(oursParams, grads[i], step);
    const b = await reference.update(theirParams, grads[i], step);
    const [normA, normB] = [(await a.gradNorm.data())[0], (await b.gradNorm.data())[0]];
    assert.ok(normB > 1, 'the first step clips');
    assert.ok(Math.abs(normA - normB) <= 1e-6 * normB, `norm ${normA} against ${normB}`);
    for (const [k, p] of parameters.entries()) {
      const diff = worst(await a.params[k].data(), await b.params[k].data());
      assert.ok(diff <= 2e-7, `step ${i + 1}, ${p.name}: differs by ${diff}`);
      assert.notEqual(a.params[k], oursParams[k], 'new tensors, as the caller expects');
    }
    tf.dispose([...oursParams, ...theirParams, a.gradNorm, b.gradNorm]);
    oursParams = a.params;
    theirParams = b.params;
  }
  const [momentsA, momentsB] = [await ours.readMoments(), await reference.readMoments()];
  for (const [k, p] of parameters.entries()) {
    assert.ok(worst(momentsA[k]!.expAvg, momentsB[k]!.expAvg) <= 1e-8, `${p.name}: exp_avg`);
    assert.ok(worst(momentsA[k]!.expAvgSq, momentsB[k]!.expAvgSq) <= 1e-9, `${p.name}: exp_avg_sq`);
  }
  // Moments written back (as a checkpoint restores them) continue as the composition does.
  const restored = kernels().adamw(parameters);
  restored.writeMoments(momentsB);
  const again = await restored.update(theirParams, grads[0], steps[1]);
  const expected = await reference.update(theirParams, grads[0], steps[1]);
  for (const [k, p] of parameters.entries()) {
    const diff = worst(await again.params[k].data(), await expected.params[k].data());
    assert.ok(diff <= 2e-7, `after writeMoments, ${p.name}: differs by ${diff}`);
  }
  tf.dispose([...start, ...grads.flat(), ...oursParams, ...theirParams, ...again.params, ...expected.params]);
  tf.dispose([again.gradNorm, expected.gradNorm]);
  for (const optimizer of [ours, reference, restored]) optimizer.dispose();
  assert.equal(tf.memory().numTensors, 0, 'nothing left behind');
});

test('LayerNorm (with and without the residual) and GELU, forward and backward: the numbers of the TensorFlow.js composition', async () => {
  let seed = 11;
  const random = (shape: number[], scale = 1) =>
    tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed++), scale)) as Tensor2D;
  // 37 rows of 200: more features than the row workgroup's 64 threads, rows not a multiple of anything.
  const [z, residual, dy, add] = [random([37, 200], 3), random([37, 200]), random([37, 200]), random([37, 200])];
  const [weight, bias] = [random([200]), random([200])];
  const worst = async (a: Tensor, b: Tensor) => {
    const [x, y] = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
    assert.deepEqual(a.shape, b.shape);
    return Array.from(x).reduce((max, v, i) => Math.max(max, Math.abs(v - y[i]) / Math.max(1, Math.abs(y[i]))), 0);
  };
  const ours = kernels();
  for (const r of [undefined, residual]) {
    const a = ours.layerNorm(z, weight, bias, r);
    const b = tfjsKernels.layerNorm(z, weight, bias, r);
    for (const key of ['y', 'xhat', 'rstd'] as const)
      assert.ok((await worst(a[key], b[key])) <= 1e-5, `layerNorm${r ? ' + residual' : ''}: ${key}`);
    for (const extra of [undefined, add]) {
      const da = ours.layerNormBackward(dy, a.xhat, a.rstd, weight, extra);
      const db = tfjsKernels.layerNormBackward(dy, b.xhat, b.rstd, weight, extra);
      for (const key of ['dInput', 'dWeight', 'dBias'] as const)
        assert.ok((await worst(da[key], db[key])) <= 1e-4, `layerNormBackward${extra ? ' + add' : ''}: ${key}`);
      tf.dispose([da.dInput, da.dWeight, da.dBias, db.dInput, db.dWeight, db.dBias]);
    }
    tf.dispose([a.y, a.xhat, a.rstd, b.y, b.xhat, b.rstd]);
  }
  const pairs = [
    [ours.gelu(z), tfjsKernels.gelu(z)],
    [ours.geluBackward(z, dy), tfjsKernels.geluBackward(z, dy)],
  ];
  for (const [i, [a, b]] of pairs.entries()) assert.ok((await worst(a, b)) <= 1e-6, i ? 'geluBackward' : 'gelu');
  // Ours make their outputs and nothing else (the compositions leave intermediates to the caller's tidy).
  const live = tf.memory().numTensors;
  const norm = ours.layerNorm(z, weight, bias, residual);
  const back = ours.layerNormBackward(dy, norm.xhat, norm.rstd, weight, add);
  assert.equal(tf.memory().numTensors, live + 6);
  tf.dispose([norm.y, norm.xhat, norm.rstd, back.dInput, back.dWeight, back.dBias]);
  tf.dispose([z, residual, dy, add, weight, bias, ...pairs.flat()]);
});
