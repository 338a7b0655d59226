// The native kernel addon against plain reference math, kernel by kernel, on random data.
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { BinaryOp, Broadcast, loadAddon, type NativeAddon } from '../../src/core/native/addon';
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
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance * (1 + Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

/** C = op(A) op(B) by loops, row-major. */
function naiveGemm(
  tA: boolean,
  tB: boolean,
  M: number,
  N: number,
  K: number,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  aAt = (i: number, k: number) => (tA ? A[k * M + i] : A[i * K + k]),
  bAt = (k: number, j: number) => (tB ? B[j * K + k] : B[k * N + j]),
): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += aAt(i, k) * bAt(k, j);
      C[i * N + j] = s;
    }
  return C;
}

test('gemm: every transpose combination, bias, and batches with broadcasting', () => {
  const n = native();
  const [M, N, K] = [5, 7, 3];
  for (const [tA, tB] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    const A = rand(M * K);
    const B = rand(K * N);
    const C = new Float32Array(M * N);
    n.gemm({ transposeA: tA, transposeB: tB, M, N, K, a: A, b: B, c: C });
    close(C, naiveGemm(tA, tB, M, N, K, A, B), 1e-5, `gemm ${tA} ${tB}`);
  }
  const A = rand(2 * M * K);
  const B = rand(K * N);
  const bias = rand(N);
  const C = new Float32Array(2 * M * N);
  n.gemm({ M, N, K, a: A, b: B, c: C, batch: 2, strideA: M * K, strideB: 0, strideC: M * N, bias });
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
  const heads = (data: Float32Array) => ({ data, ld: D, batchStride: T * D, headStride: dh });
  n.gemmHeads({
    transposeB: true,
    M: T,
    N: T,
    K: dh,
    alpha: 0.5,
    a: heads(q),
    b: heads(k),
    c: { data: scores, ld: T, batchStride: H * T * T, headStride: T * T },
    batches: B,
    heads: H,
  });
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < T; i++)
        for (let j = 0; j < T; j++) {
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
  n.layerNorm({ x, gamma, beta, rows, dim, eps: 1e-12, y, xhat, rstd, residual });
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
  n.layerNormGrad({ dy, xhat, rstd, gamma, rows, dim, dx, dGamma: dgamma, dBeta: dbeta });
  const objective = (input: Float32Array) => {
    const out = new Float32Array(rows * dim);
    n.layerNorm({
      x: input,
      gamma,
      beta,
      rows,
      dim,
      eps: 1e-12,
      y: out,
      xhat: new Float32Array(rows * dim),
      rstd: new Float32Array(rows),
      residual,
    });
    return out.reduce((a, v, i) => a + v * dy[i], 0);
  };
  for (const i of [0, 7, 23]) {
    const plus = Float32Array.from(x);
    const minus = Float32Array.from(x);
    plus[i] += 1e-2;
    minus[i] -= 1e-2;
    assert.ok(Math.abs((objective(plus) - objective(minus)) / 2e-2 - dx[i]) < 2e-2, `dx[${i}]`);
  }
  const columnSum = (term: (r: number, i: number) => number) =>
    Array.from({ length: dim }, (_, i) =>
      Array.from({ length: rows }, (_, r) => term(r, i)).reduce((a, b) => a + b, 0),
    );
  // dgamma = sum over rows of dy * xhat (the double-precision xhat of the forward above).
  close(
    dgamma,
    columnSum((r, i) => dy[r * dim + i] * expectedHat[r * dim + i]),
    1e-5,
    'dgamma',
  );
  close(
    dbeta,
    columnSum((r, i) => dy[r * dim + i]),
    1e-5,
    'dbeta',
  );
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
    const derivative = 0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);
    assert.ok(Math.abs(dz[i] - dy[i] * derivative) < 5e-6, `gelu'(${x})`);
  }
});

test('masked softmax and its gradient through a dropout mask', () => {
  const n = native();
  const [rows, cols, rowsPerMask] = [6, 5, 3];
  const x = rand(rows * cols);
  const mask = Float32Array.from({ length: 2 * cols }, (_, i) => (i % cols === 4 ? -3.4028234663852886e38 : 0));
  const w = new Float32Array(rows * cols);
  n.softmax({ x, rows, cols, y: w, maskBias: mask, rowsPerMask });
  for (let r = 0; r < rows; r++) {
    const e = Array.from({ length: cols }, (_, i) => (i === 4 ? 0 : Math.exp(x[r * cols + i])));
    const s = e.reduce((a, b) => a + b, 0);
    close(
      w.subarray(r * cols, (r + 1) * cols),
      e.map((v) => v / s),
      1e-6,
      `row ${r}`,
    );
  }
  const dw = rand(rows * cols);
  const drop = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3 ? 1.25 : 0));
  const ds = new Float32Array(rows * cols);
  n.softmaxGrad({ weights: w, dWeights: dw, rows, cols, dScores: ds, dropMask: drop });
  for (let r = 0; r < rows; r++) {
    const g = Array.from({ length: cols }, (_, i) => dw[r * cols + i] * drop[r * cols + i]);
    const dot = g.reduce((a, v, i) => a + v * w[r * cols + i], 0);
    close(
      ds.subarray(r * cols, (r + 1) * cols),
      g.map((v, i) => w[r * cols + i] * (v - dot)),
      1e-6,
      `ds row ${r}`,
    );
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
  n.adamw({
    param: p,
    grad: g,
    expAvg: m,
    expAvgSq: v,
    decay: 1 - lr * wd,
    beta1: b1,
    beta2: b2,
    epsilon: eps,
    stepSize,
    bc2Sqrt,
    gradScale: scale,
  });
  close(p, expected, 1e-6, 'p');
});

test('permute, element-wise arithmetic, gathers and scatter-adds', () => {
  const n = native();
  const shape = [2, 3, 4, 5];
  const x = Float32Array.from({ length: 120 }, (_, i) => i);
  const out = new Float32Array(120);
  n.permute(x, out, shape, [0, 2, 1, 3]);
  assert.equal(out[1 * 60 + 2 * 15 + 1 * 5 + 4], x[1 * 60 + 1 * 20 + 2 * 5 + 4]);
  n.permute(x, out, shape, [3, 2, 1, 0]);
  assert.equal(out[4 * 24 + 3 * 6 + 2 * 2 + 1], x[1 * 60 + 2 * 20 + 3 * 5 + 4]);
  const a = rand(12);
  const row = rand(4);
  const sum = new Float32Array(12);
  n.binary(BinaryOp.Add, a, row, sum, Broadcast.RepeatB);
  close(
    sum,
    Array.from(a, (v, i) => v + row[i % 4]),
    1e-7,
    'row broadcast',
  );
  n.binary(BinaryOp.Div, a, Float32Array.of(2), sum, Broadcast.ScalarB);
  close(
    sum,
    Array.from(a, (v) => v / 2),
    1e-7,
    'scalar divide',
  );
  const table = rand(5 * 3);
  const gathered = new Float32Array(2 * 3);
  n.gatherRows(table, Int32Array.of(4, 0), 3, gathered);
  close(gathered, [...table.subarray(12, 15), ...table.subarray(0, 3)], 0, 'gather');
  const grads = new Float32Array(5 * 3);
  n.scatterAddRows(Float32Array.of(1, 2, 3, 10, 20, 30, 100, 200, 300), Int32Array.of(2, 4, 2), 3, grads);
  close(grads, [0, 0, 0, 0, 0, 0, 101, 202, 303, 0, 0, 0, 10, 20, 30], 0, 'repeated ids add up');
  assert.throws(() => n.gatherRows(table, Int32Array.of(9), 3, gathered), /out of range/);
});

test('every kernel refuses a buffer shorter than its dimensions say, naming it, and writes nothing', () => {
  const n = native();
  const [M, N, K] = [4, 3, 2];
  const c = new Float32Array(M * N).fill(7);
  assert.throws(
    () => n.gemm({ M, N, K, a: rand(M * K - 1), b: rand(K * N), c }),
    /gemm: A has 7 elements; the kernel needs 8/,
  );
  assert.throws(() => n.gemm({ M, N, K, a: rand(M * K), b: rand(K * N), c: new Float32Array(M * N - 1) }), /gemm: C/);
  assert.throws(
    () => n.gemm({ M, N, K, a: rand(2 * M * K), b: rand(K * N), c, batch: 2, strideA: M * K, strideC: M * N }),
    /gemm: C has 12 elements; the kernel needs 24/,
  );
  assert.throws(() => n.gemm({ M, N, K, a: rand(M * K), b: rand(K * N), c, bias: rand(N - 1) }), /gemm: bias/);
  assert.ok(
    c.every((v) => v === 7),
    'a refused call writes nothing',
  );
  const matrices = (data: Float32Array, ld: number, batchStride: number, headStride: number) => ({
    data,
    ld,
    batchStride,
    headStride,
  });
  // Two batches of two heads of 3x2 in [rows=3, D=4]: the last head of the last batch ends at element 23.
  const per = { M: 3, N: 3, K: 2, batches: 2, heads: 2 };
  const scores = new Float32Array(2 * 2 * 9);
  assert.throws(
    () =>
      n.gemmHeads({
        ...per,
        transposeB: true,
        a: matrices(rand(23), 4, 12, 2),
        b: matrices(rand(24), 4, 12, 2),
        c: matrices(scores, 3, 18, 9),
      }),
    /gemmHeads: A has 23 elements; the kernel needs 24/,
  );
  assert.throws(
    () =>
      n.gemmHeads({
        ...per,
        transposeB: true,
        a: matrices(rand(24), 4, 12, 2),
        b: matrices(rand(24), 4, 12, 2),
        c: matrices(scores.subarray(1), 3, 18, 9),
      }),
    /gemmHeads: C/,
  );
  const [rows, dim] = [3, 4];
  const ln = {
    x: rand(rows * dim),
    gamma: rand(dim),
    beta: rand(dim),
    rows,
    dim,
    eps: 1e-12,
    y: new Float32Array(rows * dim),
    xhat: new Float32Array(rows * dim),
    rstd: new Float32Array(rows),
  };
  assert.throws(() => n.layerNorm({ ...ln, gamma: rand(dim - 1) }), /layerNorm: gamma/);
  assert.throws(() => n.layerNorm({ ...ln, rstd: new Float32Array(rows - 1) }), /layerNorm: rstd/);
  assert.throws(() => n.layerNorm({ ...ln, residual: rand(rows * dim - 1) }), /layerNorm: residual/);
  assert.throws(
    () =>
      n.layerNormGrad({
        dy: rand(rows * dim),
        xhat: rand(rows * dim),
        rstd: rand(rows),
        gamma: rand(dim),
        rows,
        dim,
        dx: new Float32Array(rows * dim),
        dGamma: new Float32Array(dim),
        dBeta: new Float32Array(dim - 1),
      }),
    /layerNormGrad: dBeta/,
  );
  assert.throws(() => n.softmax({ x: rand(6), rows: 2, cols: 3, y: new Float32Array(5) }), /softmax: y/);
  assert.throws(
    () => n.softmax({ x: rand(6), rows: 2, cols: 3, y: new Float32Array(6), maskBias: rand(3), rowsPerMask: 1 }),
    /softmax: maskBias has 3 elements; the kernel needs 6/,
  );
  assert.throws(
    () =>
      n.softmaxGrad({
        weights: rand(6),
        dWeights: rand(6),
        rows: 2,
        cols: 3,
        dScores: new Float32Array(6),
        dropMask: rand(5),
      }),
    /softmaxGrad: dropMask/,
  );
  assert.throws(() => n.gelu(rand(10), new Float32Array(9)), /gelu: y/);
  assert.throws(() => n.geluGrad(rand(10), rand(9), new Float32Array(10)), /geluGrad: dy/);
  assert.throws(
    () =>
      n.adamw({
        param: rand(10),
        grad: rand(10),
        expAvg: rand(9),
        expAvgSq: rand(10),
        decay: 1,
        beta1: 0.9,
        beta2: 0.999,
        epsilon: 1e-8,
        stepSize: 1e-3,
        bc2Sqrt: 1,
        gradScale: 1,
      }),
    /adamw: expAvg has 9/,
  );
  assert.throws(() => n.permute(rand(23), new Float32Array(24), [2, 3, 4], [2, 1, 0]), /permute: x/);
  assert.throws(() => n.permute(rand(24), new Float32Array(24), [2, 3, 4], [0, 0, 1]), /perm a permutation/);
  assert.throws(
    () => n.binary(BinaryOp.Add, rand(12), rand(5), new Float32Array(12), Broadcast.RepeatB),
    /do not fit broadcast mode 2/,
  );
  assert.throws(
    () => n.binary(BinaryOp.Add, rand(12), rand(11), new Float32Array(12), Broadcast.SameShape),
    /do not fit/,
  );
  assert.throws(() => n.addN(new Float32Array(4), [rand(4), rand(3)]), /addN: input/);
  assert.throws(() => n.gatherRows(rand(15), Int32Array.of(1, 2), 3, new Float32Array(5)), /gatherRows: out/);
  assert.throws(
    () => n.scatterAddRows(rand(5), Int32Array.of(1, 2), 3, new Float32Array(15)),
    /scatterAddRows: updates/,
  );
});
