// The optional native kernel addon (native/distilbert_native.cc): its loader, and the one typed
// way to call it. The addon itself takes positional arguments (a C ABI); `NativeAddon` wraps each
// function with named arguments and enums, so no call site counts positions. The addon checks every
// buffer's length against the dimensions it is given and throws a RangeError naming the buffer.
//
// It is looked up next to the bundle that runs (dist/ -> native/build/Release/); when it was not
// built or cannot load on this machine, `loadAddon` says why and training uses another backend.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AdamWStep } from '../kernels/kernels';

type F32 = Float32Array;
/** float32 or int32 data: kernels that only move 4-byte items take either. */
type Items = Float32Array | Int32Array;

/** The element-wise operation of `binary`. */
export enum BinaryOp {
  Add = 0,
  Sub = 1,
  Mul = 2,
  Div = 3,
}

/** How `binary` pairs the elements of `a` and `b`. */
export enum Broadcast {
  /** a and b have the same length. */
  SameShape = 0,
  /** b is one value. */
  ScalarB = 1,
  /** b repeats along a (its length divides a's: a trailing-dimension broadcast, such as a bias). */
  RepeatB = 2,
  /** a is one value. */
  ScalarA = 3,
}

/** Matrices inside one buffer: matrix (b, h) starts at b * batchStride + h * headStride, rows `ld` apart. */
export interface StridedMatrices {
  data: F32;
  ld: number;
  batchStride: number;
  headStride: number;
}

/** What distilbert_native.node exports: positional arguments, in the order the C++ reads them. */
interface RawAddon {
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: F32,
    B: F32,
    C: F32,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    beta: number,
    bias?: F32,
  ): void;
  gemmHeads(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: F32,
    lda: number,
    aB: number,
    aH: number,
    B: F32,
    ldb: number,
    bB: number,
    bH: number,
    C: F32,
    ldc: number,
    cB: number,
    cH: number,
    batches: number,
    heads: number,
  ): void;
  layerNorm(
    x: F32,
    gamma: F32,
    beta: F32,
    rows: number,
    dim: number,
    eps: number,
    y: F32,
    xhat: F32,
    rstd: F32,
    residual?: F32,
  ): void;
  layerNormGrad(
    dy: F32,
    xhat: F32,
    rstd: F32,
    gamma: F32,
    rows: number,
    dim: number,
    dx: F32,
    dgamma: F32,
    dbeta: F32,
    dxAdd?: F32,
  ): void;
  gelu(z: F32, y: F32): void;
  geluGrad(z: F32, dy: F32, dz: F32): void;
  softmax(x: F32, rows: number, cols: number, y: F32, maskBias?: F32, rowsPerMask?: number): void;
  softmaxGrad(w: F32, dw: F32, rows: number, cols: number, ds: F32, dropMask?: F32): void;
  dropoutMask(out: F32, rate: number, seed: number): void;
  adamw(
    p: F32,
    g: F32,
    m: F32,
    v: F32,
    decay: number,
    beta1: number,
    beta2: number,
    eps: number,
    stepSize: number,
    bc2Sqrt: number,
    gradScale: number,
  ): void;
  sumSquares(x: F32): number;
  permute(x: Items, out: Items, shape: Int32Array, perm: Int32Array): void;
  binary(op: number, a: F32, b: F32, out: F32, mode: number): void;
  addN(out: F32, ...inputs: F32[]): void;
  gatherRows(table: Items, indices: Int32Array, rowLength: number, out: Items): void;
  scatterAddRows(updates: F32, targets: Int32Array, rowLength: number, out: F32): void;
  blasConfig: string;
  blasThreads: number;
}

/** The addon's kernels with named arguments. Every output buffer is filled completely unless said otherwise. */
export class NativeAddon {
  /** OpenBLAS' build configuration ("OpenBLAS 0.3.21 DYNAMIC_ARCH ..."). */
  readonly blasConfig: string;
  readonly blasThreads: number;

  constructor(private readonly raw: RawAddon) {
    this.blasConfig = raw.blasConfig;
    this.blasThreads = raw.blasThreads;
  }

  /**
   * Row-major c[b] = op(a[b]) op(b[b]) (+ beta c[b]) (+ bias over rows) for b < batch; op(a) is
   * M x K, op(b) K x N. Matrix b of each operand starts at b * stride; a stride of 0 broadcasts.
   */
  gemm(o: {
    transposeA?: boolean;
    transposeB?: boolean;
    M: number;
    N: number;
    K: number;
    a: F32;
    b: F32;
    c: F32;
    batch?: number;
    strideA?: number;
    strideB?: number;
    strideC?: number;
    beta?: number;
    bias?: F32;
  }): void {
    this.raw.gemm(
      Boolean(o.transposeA),
      Boolean(o.transposeB),
      o.M,
      o.N,
      o.K,
      o.a,
      o.b,
      o.c,
      o.batch ?? 1,
      o.strideA ?? 0,
      o.strideB ?? 0,
      o.strideC ?? 0,
      o.beta ?? 0,
      o.bias,
    );
  }

  /** For every batch entry and head: c[b,h] = alpha op(a[b,h]) op(b[b,h]), matrices read and written in place through strides. */
  gemmHeads(o: {
    transposeA?: boolean;
    transposeB?: boolean;
    M: number;
    N: number;
    K: number;
    alpha?: number;
    a: StridedMatrices;
    b: StridedMatrices;
    c: StridedMatrices;
    batches: number;
    heads: number;
  }): void {
    const { a, b, c } = o;
    this.raw.gemmHeads(
      Boolean(o.transposeA),
      Boolean(o.transposeB),
      o.M,
      o.N,
      o.K,
      o.alpha ?? 1,
      a.data,
      a.ld,
      a.batchStride,
      a.headStride,
      b.data,
      b.ld,
      b.batchStride,
      b.headStride,
      c.data,
      c.ld,
      c.batchStride,
      c.headStride,
      o.batches,
      o.heads,
    );
  }

  /** LayerNorm of (x + residual) over rows of `dim` values: y, and the normalized xhat and 1/std the backward needs. */
  layerNorm(o: {
    x: F32;
    gamma: F32;
    beta: F32;
    rows: number;
    dim: number;
    eps: number;
    y: F32;
    xhat: F32;
    rstd: F32;
    residual?: F32;
  }): void {
    this.raw.layerNorm(o.x, o.gamma, o.beta, o.rows, o.dim, o.eps, o.y, o.xhat, o.rstd, o.residual);
  }

  /** LayerNorm's backward: dx (+ dxAdd, a residual path's gradient), dGamma, dBeta. */
  layerNormGrad(o: {
    dy: F32;
    xhat: F32;
    rstd: F32;
    gamma: F32;
    rows: number;
    dim: number;
    dx: F32;
    dGamma: F32;
    dBeta: F32;
    dxAdd?: F32;
  }): void {
    this.raw.layerNormGrad(o.dy, o.xhat, o.rstd, o.gamma, o.rows, o.dim, o.dx, o.dGamma, o.dBeta, o.dxAdd);
  }

  /** y = exact GELU(z). */
  gelu(z: F32, y: F32): void {
    this.raw.gelu(z, y);
  }

  /** dz = dy * GELU'(z). */
  geluGrad(z: F32, dy: F32, dz: F32): void {
    this.raw.geluGrad(z, dy, dz);
  }

  /** y = softmax(x + mask) per row of `cols`; one mask row serves `rowsPerMask` consecutive rows. */
  softmax(o: { x: F32; rows: number; cols: number; y: F32; maskBias?: F32; rowsPerMask?: number }): void {
    this.raw.softmax(o.x, o.rows, o.cols, o.y, o.maskBias, o.rowsPerMask ?? 1);
  }

  /** Softmax's backward through an optional dropout mask: dScores = w * (dw' - sum(dw' * w)), dw' = dWeights * dropMask. */
  softmaxGrad(o: { weights: F32; dWeights: F32; rows: number; cols: number; dScores: F32; dropMask?: F32 }): void {
    this.raw.softmaxGrad(o.weights, o.dWeights, o.rows, o.cols, o.dScores, o.dropMask);
  }

  /** Inverted dropout's mask: 0 with probability `rate`, else 1 / (1 - rate); a function of `seed`. */
  dropoutMask(out: F32, rate: number, seed: number): void {
    this.raw.dropoutMask(out, rate, seed);
  }

  /** One AdamW update of one tensor, in place (param, expAvg, expAvgSq). */
  adamw(o: { param: F32; grad: F32; expAvg: F32; expAvgSq: F32 } & AdamWStep): void {
    this.raw.adamw(
      o.param,
      o.grad,
      o.expAvg,
      o.expAvgSq,
      o.decay,
      o.beta1,
      o.beta2,
      o.epsilon,
      o.stepSize,
      o.bc2Sqrt,
      o.gradScale,
    );
  }

  /** The sum of squares, in double precision. */
  sumSquares(x: F32): number {
    return this.raw.sumSquares(x);
  }

  /** out = transpose(x, perm) for a tensor of `shape` (rank 1 to 6). */
  permute(x: Items, out: Items, shape: readonly number[], perm: readonly number[]): void {
    this.raw.permute(x, out, Int32Array.from(shape), Int32Array.from(perm));
  }

  /** out = a op b, element by element, with b (or a) broadcast as `broadcast` says. */
  binary(op: BinaryOp, a: F32, b: F32, out: F32, broadcast: Broadcast): void {
    this.raw.binary(op, a, b, out, broadcast);
  }

  /** out = the sum of `inputs`, all of out's length. */
  addN(out: F32, inputs: F32[]): void {
    this.raw.addN(out, ...inputs);
  }

  /** out[i] = table row indices[i] (rows of rowLength values); an index out of range throws. */
  gatherRows(table: Items, indices: Int32Array, rowLength: number, out: Items): void {
    this.raw.gatherRows(table, indices, rowLength, out);
  }

  /** out row targets[i] += updates row i (out zero-filled by the caller): an embedding's gradient. */
  scatterAddRows(updates: F32, targets: Int32Array, rowLength: number, out: F32): void {
    this.raw.scatterAddRows(updates, targets, rowLength, out);
  }
}

const ADDON_NAME = 'distilbert_native.node';

/** Where the addon may be: next to the running bundle's package, or the repository's build. */
function candidates(): string[] {
  const roots = new Set<string>();
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    roots.add(dir);
    if (fs.existsSync(path.join(dir, 'package.json'))) break;
  }
  return [...roots].map((root) => path.join(root, 'native', 'build', 'Release', ADDON_NAME));
}

let cached: { addon?: NativeAddon; reason?: string } | undefined;

/** The addon, or undefined and the reason it is not available. */
export function loadAddon(): { addon?: NativeAddon; reason?: string } {
  if (cached) return cached;
  if (process.env.DISTILBERT_FINETUNE_NATIVE === '0')
    return (cached = { reason: 'disabled by DISTILBERT_FINETUNE_NATIVE=0' });
  const file = candidates().find((f) => fs.existsSync(f));
  if (!file)
    return (cached = { reason: `${ADDON_NAME} is not built (npm run build:native needs g++ and libopenblas-dev)` });
  try {
    return (cached = { addon: new NativeAddon(require(file) as RawAddon) });
  } catch (error) {
    return (cached = { reason: `${file} did not load: ${(error as Error).message.split('\n')[0]}` });
  }
}

/**
 * A float32 array for a kernel to fill completely: large ones come from Buffer.allocUnsafe, which
 * skips the zero-fill `new Float32Array` pays for (hundreds of MB per training step). Small ones
 * would share Node's buffer pool, so they are ordinary arrays.
 */
export function outputArray(length: number): Float32Array {
  if (length < 2048) return new Float32Array(length);
  const bytes = Buffer.allocUnsafe(length * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, length);
}
