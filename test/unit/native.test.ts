// The native kernel addon against plain reference math, kernel by kernel, on random data.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadAddon, type NativeAddon } from '../../src/core/native/addon';
import { Random } from '../../src/core/random';

const { addon: maybeAddon, reason } = loadAddon();
const random = new Random(7, 'native-test');
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => random.normal() * scale);

function native(): NativeAddon {
  assert.ok(maybeAddon, `the native addon must be built here (npm run build:native): ${reason}`);
  return maybeAddon;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance * (1 + Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** C = op(A) op(B) by loops, row-major. */
function naiveGemm(tA: boolean, tB: boolean, M: number, N: number, K: number, A: ArrayLike<number>, B: ArrayLike<number>, aAt = (i: number, k: number) => (tA ? A[k * M + i] : A[i * K + k]), bAt = (k: number, j: number) => (tB ? B[j * K + k] : B[k * N + j])): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += aAt(i, k) * bAt(k, j);
    C[i * N + j] = s;
  }
  return C;
}

test('gemm: every transpose combination, bias, and batches with broadcasting', () => {
  const n = native();
  const [M, N, K] = [5, 7, 3];
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const A = rand(M * K);
    const B = rand(K * N);
    const C = new Float32Array(M * N);
    n.gemm(tA, tB, M, N, K, A, B, C, 1, 0, 0, 0, 0);
    close(C, naiveGemm(tA, tB, M, N, K, A, B), 1e-5, `gemm ${tA} ${tB}`);
  }
  const A = rand(2 * M * K);
  const B = rand(K * N);
  const bias = rand(N);
  const C = new Float32Array(2 * M * N);
  n.gemm(false, false, M, N, K, A, B, C, 2, M * K, 0, M * N, 0, bias);
  for (let b = 0; b < 2; b++) {
    const expected = naiveGemm(false, false, M, N, K, A.subarray(b * M * K), B).map((v, i) => v + bias[i % N]);
    close(C.subarray(b * M * N, (b + 1) * M * N), expected, 1e-5, `batch ${b}`);
  }
});

test('gemmHeads: per-head products read in place from [rows, D]', () => {
  const n = native();
  const [B, T, H, dh] = [2, 3, 2, 4];
  const D = H * dh;
  const q = rand(B * T * D);
  const k = rand(B * T * D);
  const scores = new Float32Array(B * H * T * T);
  n.gemmHeads(false, true, T, T, dh, 0.5, q, D, T * D, dh, k, D, T * D, dh, scores, T, H * T * T, T * T, B, H);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let i = 0; i < T; i++) for (let j = 0; j < T; j++) {
    let s = 0;
    for (let d = 0; d < dh; d++) s += q[b * T * D + i * D + h * dh + d] * k[b * T * D + j * D + h * dh + d];
    assert.ok(Math.abs(scores[((b * H + h) * T + i) * T + j] - 0.5 * s) < 1e-5);
  }
});

test('layerNorm and its gradient match the double-precision formulas', () => {
  const n = native();
  const [rows, dim] = [4, 6];
  const x = rand(rows * dim, 3);
  const residual = rand(rows * dim);
  const gamma = rand(dim);
  const beta = rand(dim);
  const y = new Float32Array(rows * dim);
  const xhat = new Float32Array(rows * dim);
  const rstd = new Float32Array(rows);
  n.layerNorm(x, gamma, beta, rows, dim, 1e-12, y, xhat, rstd, residual);
  const expectedY: number[] = [];
  const expectedHat: number[] = [];
  for (let r = 0; r < rows; r++) {
    const z = Array.from({ length: dim }, (_, i) => x[r * dim + i] + residual[r * dim + i]);
    const mean = z.reduce((a, b) => a + b, 0) / dim;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / dim;
    z.forEach((v, i) => {
      const h = (v - mean) / Math.sqrt(variance + 1e-12);
      expectedHat.push(h);
      expectedY.push(h * gamma[i] + beta[i]);
    });
  }
  close(y, expectedY, 1e-5, 'y');
  close(xhat, expectedHat, 1e-5, 'xhat');
  // Gradient against finite differences of sum(y * dy).
  const dy = rand(rows * dim);
  const dx = new Float32Array(rows * dim);
  const dgamma = new Float32Array(dim);
  const dbeta = new Float32Array(dim);
  n.layerNormGrad(dy, xhat, rstd, gamma, rows, dim, dx, dgamma, dbeta);
  const objective = (input: Float32Array) => {
    const out = new Float32Array(rows * dim);
    n.layerNorm(input, gamma, beta, rows, dim, 1e-12, out, new Float32Array(rows * dim), new Float32Array(rows), residual);
    return out.reduce((a, v, i) => a + v * dy[i], 0);
  };
  for (const i of [0, 7, 23]) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] += 1e-2;
    minus[i] -= 1e-2;
    assert.ok(Math.abs((objective(plus) - objective(minus)) / 2e-2 - dx[i]) < 2e-2, `dx[${i}]`);
  }
  close(dbeta, Array.from({ length: dim }, (_, i) => Array.from({ length: rows }, (_, r) => dy[r * dim + i]).reduce((a, b) => a + b, 0)), 1e-5, 'dbeta');
});

/** erf by its Taylor series (exact enough for |x| < 4 in double). */
function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let k = 1; k < 200; k++) {
    term *= (-x * x) / k;
    sum += term / (2 * k + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

test('exact GELU and its derivative', () => {
  const n = native();
  const z = rand(200000, 1.5);
  const y = new Float32Array(z.length);
  n.gelu(z, y);
  const dy = rand(z.length);
  const dz = new Float32Array(z.length);
  n.geluGrad(z, dy, dz);
  for (let i = 0; i < z.length; i += 997) {
    const x = z[i];
    assert.ok(Math.abs(y[i] - 0.5 * x * (1 + erf(x / Math.SQRT2))) < 2e-6, `gelu(${x})`);
    const derivative = 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI);
    assert.ok(Math.abs(dz[i] - dy[i] * derivative) < 5e-6, `gelu'(${x})`);
  }
});

test('masked softmax and its gradient through a dropout mask', () => {
  const n = native();
  const [rows, cols, rowsPerMask] = [6, 5, 3];
  const x = rand(rows * cols);
  const mask = Float32Array.from({ length: 2 * cols }, (_, i) => (i % cols === 4 ? -3.4028234663852886e38 : 0));
  const w = new Float32Array(rows * cols);
  n.softmax(x, rows, cols, w, mask, rowsPerMask);
  for (let r = 0; r < rows; r++) {
    const e = Array.from({ length: cols }, (_, i) => (i === 4 ? 0 : Math.exp(x[r * cols + i])));
    const s = e.reduce((a, b) => a + b, 0);
    close(w.subarray(r * cols, (r + 1) * cols), e.map((v) => v / s), 1e-6, `row ${r}`);
  }
  const dw = rand(rows * cols);
  const drop = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3 ? 1.25 : 0));
  const ds = new Float32Array(rows * cols);
  n.softmaxGrad(w, dw, rows, cols, ds, drop);
  for (let r = 0; r < rows; r++) {
    const g = Array.from({ length: cols }, (_, i) => dw[r * cols + i] * drop[r * cols + i]);
    const dot = g.reduce((a, v, i) => a + v * w[r * cols + i], 0);
    close(ds.subarray(r * cols, (r + 1) * cols), g.map((v, i) => w[r * cols + i] * (v - dot)), 1e-6, `ds row ${r}`);
  }
});

test('dropout masks: the rate, the scale, and the same mask for the same seed', () => {
  const n = native();
  const a = new Float32Array(100000);
  const b = new Float32Array(100000);
  const c = new Float32Array(100000);
  n.dropoutMask(a, 0.1, 42);
  n.dropoutMask(b, 0.1, 42);
  n.dropoutMask(c, 0.1, 43);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  const dropped = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(dropped - 0.1) < 0.005, `dropped ${dropped}`);
  assert.ok(a.every((v) => v === 0 || Math.abs(v - 1 / 0.9) < 1e-6));
});

test('fused AdamW equals the step-by-step torch.optim.AdamW formulas', () => {
  const n = native();
  const size = 1000;
  const p = rand(size);
  const g = rand(size);
  const m = rand(size, 0.1);
  const v = Float32Array.from(rand(size), (x) => x * x * 0.01);
  const [lr, b1, b2, eps, wd, t, scale] = [1e-3, 0.9, 0.999, 1e-8, 0.01, 3, 0.5];
  const stepSize = lr / (1 - b1 ** t);
  const bc2Sqrt = Math.sqrt(1 - b2 ** t);
  const expected = Array.from(p, (pi, i) => {
    const grad = Math.fround(g[i] * scale);
    const mi = Math.fround(Math.fround(m[i] * b1) + Math.fround(grad * (1 - b1)));
    const vi = Math.fround(Math.fround(v[i] * b2) + Math.fround(grad * grad * (1 - b2)));
    return pi * (1 - lr * wd) - stepSize * (mi / (Math.sqrt(vi) / bc2Sqrt + eps));
  });
  n.adamw(p, g, m, v, 1 - lr * wd, b1, b2, eps, stepSize, bc2Sqrt, scale);
  close(p, expected, 1e-6, 'p');
});

test('permute, element-wise arithmetic, gathers and scatter-adds', () => {
  const n = native();
  const shape = [2, 3, 4, 5];
  const x = Float32Array.from({ length: 120 }, (_, i) => i);
  const out = new Float32Array(120);
  n.permute(x, out, Int32Array.from(shape), Int32Array.from([0, 2, 1, 3]));
  assert.equal(out[1 * 60 + 2 * 15 + 1 * 5 + 4], x[1 * 60 + 1 * 20 + 2 * 5 + 4]);
  n.permute(x, out, Int32Array.from(shape), Int32Array.from([3, 2, 1, 0]));
  assert.equal(out[4 * 24 + 3 * 6 + 2 * 2 + 1], x[1 * 60 + 2 * 20 + 3 * 5 + 4]);
  const a = rand(12);
  const row = rand(4);
  const sum = new Float32Array(12);
  n.binary(0, a, row, sum, 2);
  close(sum, Array.from(a, (v, i) => v + row[i % 4]), 1e-7, 'row broadcast');
  n.binary(3, a, Float32Array.of(2), sum, 1);
  close(sum, Array.from(a, (v) => v / 2), 1e-7, 'scalar divide');
  const table = rand(5 * 3);
  const gathered = new Float32Array(2 * 3);
  n.gatherRows(table, Int32Array.of(4, 0), 3, gathered);
  close(gathered, [...table.subarray(12, 15), ...table.subarray(0, 3)], 0, 'gather');
  const grads = new Float32Array(5 * 3);
  n.scatterAddRows(Float32Array.of(1, 2, 3, 10, 20, 30, 100, 200, 300), Int32Array.of(2, 4, 2), 3, grads);
  close(grads, [0, 0, 0, 0, 0, 0, 101, 202, 303, 0, 0, 0, 10, 20, 30], 0, 'repeated ids add up');
  assert.throws(() => n.gatherRows(table, Int32Array.of(9), 3, gathered), /out of range/);
});
