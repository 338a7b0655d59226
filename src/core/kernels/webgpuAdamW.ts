// AdamW over flat GPU buffers: every parameter, gradient and moment in one buffer each (a
// parameter is a range of them), updated in three dispatches a step whatever the number of
// parameters, and clip_grad_norm_ computed and applied on the GPU, so nothing is read back:
//   1. sums of squares of the gradients, a partial sum per chunk of a tensor
//   2. one workgroup: each tensor's norm from its chunks, the total norm, the clipping coefficient
//   3. AdamW on every chunk, its gradients scaled by that coefficient (decayed or not per tensor)
// The arithmetic per element is tfjsKernels' adamwOne in the same order, so the same float32
// results; the norm is summed in float32 on the GPU where the CPU backends sum in double.
// Gradients are copied in and parameters out as tfjs tensors (copies are commands, not dispatches):
// the model keeps one tensor per parameter. Buffers, bind groups and the uniform buffer are made
// once; a step writes 48 bytes of uniforms and records copies and three dispatches.
import type { Tensor } from '../tf';
import type { AdamWParameter, AdamWUpdate, MultiTensorAdamW } from './kernels';
import { grid, workgroupSumCode, type WebGpuRuntime } from './webgpuRuntime';

/** Elements of one chunk: a workgroup's share of a tensor. */
const CHUNK = 4096;
const WORKGROUP = 256;

const STEP_STRUCT = `
struct Step {
  beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32,
  decay : f32, stepSize : f32, bc2Sqrt : f32, epsilon : f32,
  maxNorm : f32, tensors : u32, chunks : u32, gridX : u32,
};`;

const REDUCE = workgroupSumCode(WORKGROUP);

// A chunk is vec4(first element, end, tensor index, 1 if decayed).
const SUMS_OF_SQUARES = `${STEP_STRUCT}${REDUCE}
@group(0) @binding(0) var<storage, read> grads : array<f32>;
@group(0) @binding(1) var<storage, read> chunks : array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> sums : array<f32>;
@group(0) @binding(3) var<uniform> step : Step;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let c = wid.x + wid.y * step.gridX;
  if (c >= step.chunks) { return; }
  let chunk = chunks[c];
  var s = 0.0;
  for (var i = chunk.x + lid; i < chunk.y; i = i + ${WORKGROUP}u) { let g = grads[i]; s = s + g * g; }
  let total = workgroupSum(lid, s);
  if (lid == 0u) { sums[c] = total; }
}`;

// A tensor is vec2(first chunk, end chunk). clip = [total norm, coefficient].
const CLIP = `${STEP_STRUCT}${REDUCE}
@group(0) @binding(0) var<storage, read> sums : array<f32>;
@group(0) @binding(1) var<storage, read> tensors : array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> clip : array<f32>;
@group(0) @binding(3) var<uniform> step : Step;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid : u32) {
  var squares = 0.0;
  for (var t = lid; t < step.tensors; t = t + ${WORKGROUP}u) {
    let range = tensors[t];
    var s = 0.0;
    for (var c = range.x; c < range.y; c = c + 1u) { s = s + sums[c]; }
    let norm = sqrt(s);
    squares = squares + norm * norm;
  }
  let total = workgroupSum(lid, squares);
  if (lid == 0u) {
    let norm = sqrt(total);
    clip[0] = norm;
    clip[1] = select(1.0, min(1.0, step.maxNorm / (norm + 1e-6)), step.maxNorm > 0.0);
  }
}`;

const ADAMW = `${STEP_STRUCT}
@group(0) @binding(0) var<storage, read_write> params : array<f32>;
@group(0) @binding(1) var<storage, read> grads : array<f32>;
@group(0) @binding(2) var<storage, read_write> expAvg : array<f32>;
@group(0) @binding(3) var<storage, read_write> expAvgSq : array<f32>;
@group(0) @binding(4) var<storage, read> chunks : array<vec4<u32>>;
@group(0) @binding(5) var<storage, read> clip : array<f32>;
@group(0) @binding(6) var<uniform> step : Step;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) wid : vec3<u32>, @builtin(local_invocation_index) lid : u32) {
  let c = wid.x + wid.y * step.gridX;
  if (c >= step.chunks) { return; }
  let chunk = chunks[c];
  let gradScale = clip[1];
  let decay = select(1.0, step.decay, chunk.w == 1u);
  for (var i = chunk.x + lid; i < chunk.y; i = i + ${WORKGROUP}u) {
    let g = grads[i] * gradScale;
    let m = expAvg[i] * step.beta1 + g * step.oneMinusBeta1;
    let v = expAvgSq[i] * step.beta2 + (g * g) * step.oneMinusBeta2;
    expAvg[i] = m;
    expAvgSq[i] = v;
    let denominator = sqrt(v) / step.bc2Sqrt + step.epsilon;
    params[i] = params[i] * decay - (m / denominator) * step.stepSize;
  }
}`;

interface Layout {
  offsets: number[];
  sizes: number[];
  total: number;
  chunks: Uint32Array;
  tensors: Uint32Array;
}

function layoutOf(parameters: AdamWParameter[]): Layout {
  const offsets: number[] = [];
  const sizes: number[] = [];
  const chunks: number[] = [];
  const tensors: number[] = [];
  let total = 0;
  parameters.forEach((p, t) => {
    const size = p.shape.reduce((a, b) => a * b, 1);
    offsets.push(total);
    sizes.push(size);
    tensors.push(chunks.length / 4);
    for (let start = 0; start < size; start += CHUNK)
      chunks.push(total + start, total + Math.min(size, start + CHUNK), t, p.decay ? 1 : 0);
    tensors.push(chunks.length / 4);
    total += size;
  });
  return { offsets, sizes, total, chunks: Uint32Array.from(chunks), tensors: Uint32Array.from(tensors) };
}

/** Whether the flat buffers fit the device's limits (else the caller keeps per-tensor AdamW). */
export function flatAdamWFits(parameters: AdamWParameter[], device: GPUDevice): boolean {
  const bytes = 4 * parameters.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  return bytes <= device.limits.maxStorageBufferBindingSize && bytes <= device.limits.maxBufferSize;
}

export function webgpuAdamW(parameters: AdamWParameter[], gpu: WebGpuRuntime): MultiTensorAdamW {
  const layout = layoutOf(parameters);
  const chunkCount = layout.chunks.length / 4;
  const bytes = 4 * layout.total;
  const [params, grads, expAvg, expAvgSq] = [0, 1, 2, 3].map(() => gpu.buffer(bytes));
  const chunks = gpu.buffer(layout.chunks.byteLength);
  const tensors = gpu.buffer(layout.tensors.byteLength);
  const sums = gpu.buffer(4 * chunkCount);
  const clip = gpu.buffer(8);
  const uniforms = gpu.buffer(48, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  gpu.write(chunks, 0, layout.chunks);
  gpu.write(tensors, 0, layout.tensors);
  const sumsPipeline = gpu.pipeline('distilbertGradSumsOfSquares', SUMS_OF_SQUARES);
  const clipPipeline = gpu.pipeline('distilbertGradClip', CLIP);
  const adamwPipeline = gpu.pipeline('distilbertMultiTensorAdamW', ADAMW);
  const workgroups = grid(chunkCount);
  const dispatches = [
    { pipeline: sumsPipeline, bindGroup: gpu.bindGroup(sumsPipeline, [grads, chunks, sums, uniforms]), workgroups },
    {
      pipeline: clipPipeline,
      bindGroup: gpu.bindGroup(clipPipeline, [sums, tensors, clip, uniforms]),
      workgroups: [1, 1] as [number, number],
    },
    {
      pipeline: adamwPipeline,
      bindGroup: gpu.bindGroup(adamwPipeline, [params, grads, expAvg, expAvgSq, chunks, clip, uniforms]),
      workgroups,
    },
  ];
  const stepValues = new ArrayBuffer(48);
  const stepFloats = new Float32Array(stepValues);
  const stepInts = new Uint32Array(stepValues);
  let updated = false;
  /** The tensors the last update returned: the flat buffer holds their values. */
  let current: Tensor[] = [];

  const writeStep = (s: AdamWUpdate) => {
    stepFloats.set([s.beta1, 1 - s.beta1, s.beta2, 1 - s.beta2, s.decay, s.stepSize, s.bc2Sqrt, s.epsilon]);
    stepFloats[8] = s.maxGradNorm > 0 ? s.maxGradNorm : 0;
    stepInts.set([parameters.length, chunkCount, workgroups[0]], 9);
    gpu.write(uniforms, 0, stepFloats);
  };

  return {
    async update(next, gradients, step) {
      // A parameter set from outside since the last update (a load, the first update) is copied in.
      next.forEach((tensor, i) => {
        if (tensor !== current[i])
          gpu.copy(gpu.bufferOf(tensor), 0, params, 4 * layout.offsets[i], 4 * layout.sizes[i]);
      });
      gradients.forEach((g, i) => gpu.copy(gpu.bufferOf(g), 0, grads, 4 * layout.offsets[i], 4 * layout.sizes[i]));
      writeStep(step);
      gpu.pass(dispatches);
      current = parameters.map((p, i) => gpu.tensorFrom(params, 4 * layout.offsets[i], p.shape));
      const gradNorm = gpu.tensorFrom(clip, 0, []);
      // Submitted now: the next update's uniforms are written to the queue ahead of anything unsubmitted.
      gpu.submit();
      updated = true;
      return { params: current, gradNorm };
    },
    async readMoments() {
      if (!updated) return parameters.map(() => undefined);
      // A checkpoint's read: its staging buffers (the size of all parameters) are not kept.
      const [m, v] = [await gpu.read(expAvg, bytes, false), await gpu.read(expAvgSq, bytes, false)];
      return parameters.map((_, i) => {
        const range = [layout.offsets[i], layout.offsets[i] + layout.sizes[i]] as const;
        return { expAvg: m.slice(...range), expAvgSq: v.slice(...range) };
      });
    },
    writeMoments(moments) {
      // Zeros where a parameter has none yet: what the first update starts from.
      const m = new Float32Array(layout.total);
      const v = new Float32Array(layout.total);
      moments.forEach((moment, i) => {
        if (!moment) return;
        m.set(moment.expAvg, layout.offsets[i]);
        v.set(moment.expAvgSq, layout.offsets[i]);
      });
      gpu.write(expAvg, 0, m);
      gpu.write(expAvgSq, 0, v);
      updated = moments.some(Boolean);
    },
    dispose() {
      for (const buffer of [params, grads, expAvg, expAvgSq, chunks, tensors, sums, clip, uniforms]) buffer.destroy();
    },
  };
}
