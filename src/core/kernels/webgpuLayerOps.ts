// LayerNorm (with the residual add) and exact GELU, forward and backward, as WGSL programs of our
// own on WebGPU (webgpuRuntime.ts): one dispatch where the tfjs compositions take ten or more (a
// LayerNorm forward was ten dispatches, its backward twelve, GELU's backward nine), each with its
// uniform and bind group, and scalar constants uploaded as tensors. The arithmetic is the
// composition's (tfjsKernels.ts): mean as sum / count, rsqrt as inverseSqrt, erf as tfjs computes it.
import { tf, type Tensor, type Tensor2D } from '../tf';
import { LAYER_NORM_EPS } from './kernels';
import { grid, workgroupSumCode, type WebGpuRuntime } from './webgpuRuntime';

/** Threads of a row's workgroup: LayerNorm's rows are short (64 to 1,024 features). */
const ROW_THREADS = 64;
const ELEMENTWISE_THREADS = 256;

const ROW_REDUCE = workgroupSumCode(ROW_THREADS);

const SHAPE = 'struct Shape { rows : u32, cols : u32, gridX : u32, pad : u32, };';

function layerNormCode(residual: boolean): string {
  return `${SHAPE}${ROW_REDUCE}
@group(0) @binding(0) var<storage, read_write> y : array<f32>;
@group(0) @binding(1) var<storage, read_write> xhat : array<f32>;
@group(0) @binding(2) var<storage, read_write> rstd : array<f32>;
@group(0) @binding(3) var<storage, read> z : array<f32>;
@group(0) @binding(4) var<storage, read> weight : array<f32>;
@group(0) @binding(5) var<storage, read> bias : array<f32>;
${residual ? '@group(0) @binding(6) var<storage, read> residual : array<f32>;' : ''}
@group(0) @binding(${residual ? 7 : 6}) var<uniform> shape : Shape;
fn inputAt(i : u32) -> f32 { return ${residual ? 'z[i] + residual[i]' : 'z[i]'}; }
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let row = wid.x + wid.y * shape.gridX;
  if (row >= shape.rows) { return; }
  let base = row * shape.cols;
  var s = 0.0;
  for (var c = lid; c < shape.cols; c = c + ${ROW_THREADS}u) { s = s + inputAt(base + c); }
  let mean = workgroupSum(lid, s) / f32(shape.cols);
  var q = 0.0;
  for (var c = lid; c < shape.cols; c = c + ${ROW_THREADS}u) { let d = inputAt(base + c) - mean; q = q + d * d; }
  let r = inverseSqrt(workgroupSum(lid, q) / f32(shape.cols) + ${LAYER_NORM_EPS});
  for (var c = lid; c < shape.cols; c = c + ${ROW_THREADS}u) {
    let h = (inputAt(base + c) - mean) * r;
    xhat[base + c] = h;
    y[base + c] = h * weight[c] + bias[c];
  }
  if (lid == 0u) { rstd[row] = r; }
}`;
}

function layerNormBackwardCode(add: boolean): string {
  return `${SHAPE}${ROW_REDUCE}
@group(0) @binding(0) var<storage, read_write> dInput : array<f32>;
@group(0) @binding(1) var<storage, read> dy : array<f32>;
@group(0) @binding(2) var<storage, read> xhat : array<f32>;
@group(0) @binding(3) var<storage, read> rstd : array<f32>;
@group(0) @binding(4) var<storage, read> weight : array<f32>;
${add ? '@group(0) @binding(5) var<storage, read> add : array<f32>;' : ''}
@group(0) @binding(${add ? 6 : 5}) var<uniform> shape : Shape;
@compute @workgroup_size(${ROW_THREADS})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let row = wid.x + wid.y * shape.gridX;
  if (row >= shape.rows) { return; }
  let base = row * shape.cols;
  var a = 0.0;
  var b = 0.0;
  for (var c = lid; c < shape.cols; c = c + ${ROW_THREADS}u) {
    let d = dy[base + c] * weight[c];
    a = a + d;
    b = b + d * xhat[base + c];
  }
  let meanD = workgroupSum(lid, a) / f32(shape.cols);
  let meanDX = workgroupSum(lid, b) / f32(shape.cols);
  let r = rstd[row];
  for (var c = lid; c < shape.cols; c = c + ${ROW_THREADS}u) {
    let d = dy[base + c] * weight[c];
    let g = r * ((d - meanD) - xhat[base + c] * meanDX);
    dInput[base + c] = ${add ? 'g + add[base + c]' : 'g'};
  }
}`;
}

/** dWeight = column sums of dy * xhat, dBias = column sums of dy: a thread per column. */
const LAYER_NORM_PARAMETER_GRADIENTS = `${SHAPE}
@group(0) @binding(0) var<storage, read_write> dWeight : array<f32>;
@group(0) @binding(1) var<storage, read_write> dBias : array<f32>;
@group(0) @binding(2) var<storage, read> dy : array<f32>;
@group(0) @binding(3) var<storage, read> xhat : array<f32>;
@group(0) @binding(4) var<uniform> shape : Shape;
@compute @workgroup_size(${ELEMENTWISE_THREADS})
fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
  let c = gid.x;
  if (c >= shape.cols) { return; }
  var w = 0.0;
  var b = 0.0;
  for (var r = 0u; r < shape.rows; r = r + 1u) {
    let d = dy[r * shape.cols + c];
    w = w + d * xhat[r * shape.cols + c];
    b = b + d;
  }
  dWeight[c] = w;
  dBias[c] = b;
}`;

function erfCode(): string {
  const u = tf.backend_util as unknown as Record<string, number>;
  return `
fn erf(a : f32) -> f32 {
  // Abramowitz and Stegun 7.1.26, with tfjs' constants: the erf its unary op computes.
  let t = 1.0 / (1.0 + ${u.ERF_P} * abs(a));
  let poly = ((((${u.ERF_A5} * t + ${u.ERF_A4}) * t + ${u.ERF_A3}) * t + ${u.ERF_A2}) * t + ${u.ERF_A1}) * t;
  return sign(a) * (1.0 - poly * exp(-abs(a) * abs(a)));
}`;
}

function elementwiseCode(inputs: string[], body: string): string {
  return `struct Size { count : u32, gridX : u32, pad0 : u32, pad1 : u32, };
@group(0) @binding(0) var<storage, read_write> result : array<f32>;
${inputs.map((name, i) => `@group(0) @binding(${i + 1}) var<storage, read> ${name} : array<f32>;`).join('\n')}
@group(0) @binding(${inputs.length + 1}) var<uniform> size : Size;
${erfCode()}
@compute @workgroup_size(${ELEMENTWISE_THREADS})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let i = (wid.x + wid.y * size.gridX) * ${ELEMENTWISE_THREADS}u + lid;
  if (i >= size.count) { return; }
  ${body}
}`;
}

// 0.5 z (1 + erf(z / sqrt 2)) and dy (cdf + z pdf), in the composition's order. Made when the
// backend is loaded (erf's constants come from tfjs).
const geluCode = () =>
  elementwiseCode(['z'], `let x = z[i]; result[i] = (x * 0.5) * (1.0 + erf(x * ${Math.SQRT1_2}));`);
const geluBackwardCode = () =>
  elementwiseCode(
    ['z', 'dy'],
    `let x = z[i];
  let cdf = 0.5 * (1.0 + erf(x * ${Math.SQRT1_2}));
  let pdf = exp((x * x) * -0.5) * ${1 / Math.sqrt(2 * Math.PI)};
  result[i] = dy[i] * (cdf + x * pdf);`,
  );

function rowShape(rows: number, cols: number): { uniforms: Uint32Array; workgroups: [number, number] } {
  const workgroups = grid(rows);
  return { uniforms: Uint32Array.from([rows, cols, workgroups[0], 0]), workgroups };
}

function elementwise(gpu: WebGpuRuntime, label: string, code: string, inputs: Tensor[]): Tensor2D {
  const count = inputs[0].size;
  const workgroups = grid(Math.ceil(count / ELEMENTWISE_THREADS));
  const uniforms = Uint32Array.from([count, workgroups[0], 0, 0]);
  return gpu.run(label, code, inputs, [inputs[0].shape], uniforms, workgroups)[0] as Tensor2D;
}

export function webgpuLayerOps(gpu: WebGpuRuntime) {
  const GELU = geluCode();
  const GELU_BACKWARD = geluBackwardCode();
  return {
    layerNorm(z: Tensor2D, weight: Tensor, bias: Tensor, residual?: Tensor2D) {
      const [rows, cols] = z.shape;
      const { uniforms, workgroups } = rowShape(rows, cols);
      const label = residual ? 'distilbertLayerNormResidual' : 'distilbertLayerNorm';
      const [y, xhat, rstd] = gpu.run(
        label,
        layerNormCode(Boolean(residual)),
        residual ? [z, weight, bias, residual] : [z, weight, bias],
        [
          [rows, cols],
          [rows, cols],
          [rows, 1],
        ],
        uniforms,
        workgroups,
      ) as Tensor2D[];
      return { y, xhat, rstd };
    },

    layerNormBackward(dy: Tensor2D, xhat: Tensor2D, rstd: Tensor2D, weight: Tensor, add?: Tensor2D) {
      const [rows, cols] = dy.shape;
      const { uniforms, workgroups } = rowShape(rows, cols);
      const [dInput] = gpu.run(
        add ? 'distilbertLayerNormBackwardAdd' : 'distilbertLayerNormBackward',
        layerNormBackwardCode(Boolean(add)),
        add ? [dy, xhat, rstd, weight, add] : [dy, xhat, rstd, weight],
        [[rows, cols]],
        uniforms,
        workgroups,
      ) as Tensor2D[];
      const [dWeight, dBias] = gpu.run(
        'distilbertLayerNormParameterGradients',
        LAYER_NORM_PARAMETER_GRADIENTS,
        [dy, xhat],
        [[cols], [cols]],
        uniforms,
        [Math.ceil(cols / ELEMENTWISE_THREADS), 1],
      );
      return { dInput, dWeight, dBias };
    },

    gelu: (z: Tensor2D) => elementwise(gpu, 'distilbertGelu', GELU, [z]),
    geluBackward: (z: Tensor2D, dy: Tensor2D) => elementwise(gpu, 'distilbertGeluBackward', GELU_BACKWARD, [z, dy]),
  };
}
