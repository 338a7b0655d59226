// The optional native kernel addon (native/distilbert_native.cc): its interface and its loader.
// It is looked up next to the bundle that runs (dist/ -> native/build/Release/); when it was not
// built or cannot load on this machine, `loadAddon` says why and training uses another backend.
import * as fs from 'node:fs';
import * as path from 'node:path';

type F32 = Float32Array;

export interface NativeAddon {
  /** Row-major C[b] = op(A[b]) op(B[b]) (+ beta C[b]) (+ bias over rows); stride 0 broadcasts. */
  gemm(transA: boolean, transB: boolean, M: number, N: number, K: number, A: F32, B: F32, C: F32, batch: number, strideA: number, strideB: number, strideC: number, beta: number, bias?: F32): void;
  /** For b < batches, h < heads: C[b,h] = alpha op(A[b,h]) op(B[b,h]); X[b,h] starts at b*xB + h*xH, leading dimension ldx. */
  gemmHeads(transA: boolean, transB: boolean, M: number, N: number, K: number, alpha: number, A: F32, lda: number, aB: number, aH: number, B: F32, ldb: number, bB: number, bH: number, C: F32, ldc: number, cB: number, cH: number, batches: number, heads: number): void;
  layerNorm(x: F32, gamma: F32, beta: F32, rows: number, dim: number, eps: number, y: F32, xhat: F32, rstd: F32, residual?: F32): void;
  layerNormGrad(dy: F32, xhat: F32, rstd: F32, gamma: F32, rows: number, dim: number, dx: F32, dgamma: F32, dbeta: F32, dxAdd?: F32): void;
  gelu(z: F32, y: F32): void;
  geluGrad(z: F32, dy: F32, dz: F32): void;
  softmax(x: F32, rows: number, cols: number, y: F32, maskBias?: F32, rowsPerMask?: number): void;
  softmaxGrad(w: F32, dw: F32, rows: number, cols: number, ds: F32, dropMask?: F32): void;
  dropoutMask(out: F32, rate: number, seed: number): void;
  adamw(p: F32, g: F32, m: F32, v: F32, decay: number, beta1: number, beta2: number, eps: number, stepSize: number, bc2Sqrt: number, gradScale: number): void;
  sumSquares(x: F32): number;
  permute(x: Float32Array | Int32Array, out: Float32Array | Int32Array, shape: Int32Array, perm: Int32Array): void;
  /** op 0 add, 1 sub, 2 mul, 3 div; mode 0 same length, 1 b scalar, 2 b repeats along a, 3 a scalar. */
  binary(op: number, a: F32, b: F32, out: F32, mode: number): void;
  addN(out: F32, ...inputs: F32[]): void;
  gatherRows(table: Float32Array | Int32Array, indices: Int32Array, rowLength: number, out: Float32Array | Int32Array): void;
  /** out[targets[i]] += updates[i] for rows of rowLength values (out zero-filled by the caller). */
  scatterAddRows(updates: F32, targets: Int32Array, rowLength: number, out: F32): void;
  blasConfig: string;
  blasThreads: number;
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
  if (process.env.DISTILBERT_FINETUNE_NATIVE === '0') return (cached = { reason: 'disabled by DISTILBERT_FINETUNE_NATIVE=0' });
  const file = candidates().find((f) => fs.existsSync(f));
  if (!file) return (cached = { reason: `${ADDON_NAME} is not built (npm run build:native needs g++ and libopenblas-dev)` });
  try {
    return (cached = { addon: require(file) as NativeAddon });
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
