/// <reference types="@webgpu/types" />
// Our own work on the device that tfjs' webgpu backend holds, recorded into tfjs' own command
// encoder: it runs in order with tfjs' ops, and tfjs tensors go in and come out. What costs the
// host in tfjs' per-op path (a uniform buffer, a bind group and a shader key per op) is made once
// here by whoever owns it (pipelines per WGSL program, buffers and bind groups per shape) and reused.
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { tf, type Tensor } from '../tf';

/** The parts of tfjs' WebGPUBackend this runtime uses (4.22; pinned in package.json). */
interface TfjsWebGpu {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown } | undefined };
  commandEncoder: GPUCommandEncoder | null;
  commandQueueOwnedIds: WeakSet<object>;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: 'float32'): { dataId: object; shape: number[]; dtype: 'float32' };
}

/** Staging buffers for reads, by size, free for the next read (one device per process). */
const stagingPool = new Map<number, GPUBuffer[]>();

const STORAGE_USAGE = () => GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

let runtime: WebGpuRuntime | undefined;

export class WebGpuRuntime {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly backend: TfjsWebGpu) {}

  /** The runtime of the active webgpu backend (one per process, so its caches last). */
  static current(): WebGpuRuntime {
    const backend = tf.backend() as unknown as WebGPUBackend & TfjsWebGpu;
    if (runtime?.backend !== backend) runtime = new WebGpuRuntime(backend);
    return runtime;
  }

  get device(): GPUDevice {
    return this.backend.device;
  }

  /** A compute pipeline for `code` (entry point `main`), compiled once; `label` names it in profiles. */
  pipeline(label: string, code: string): GPUComputePipeline {
    let pipeline = this.pipelines.get(label);
    if (!pipeline) {
      const module = this.device.createShaderModule({ code, label });
      pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label });
      this.pipelines.set(label, pipeline);
    }
    return pipeline;
  }

  bindGroup(pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
    return this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  buffer(bytes: number, usage = STORAGE_USAGE()): GPUBuffer {
    return this.device.createBuffer({ size: Math.max(4, Math.ceil(bytes / 4) * 4), usage });
  }

  /** The GPU buffer holding a float32 tensor (uploaded first if its values are on the CPU). */
  bufferOf(tensor: Tensor): GPUBuffer {
    this.backend.uploadToGPU(tensor.dataId);
    const data = this.backend.tensorMap.get(tensor.dataId);
    if (!data || !(data.resource instanceof GPUBuffer)) throw new Error('tensor is not in a GPU buffer');
    // Disposed before the queue runs, its buffer waits (as tfjs' own inputs do).
    this.backend.commandQueueOwnedIds.add(tensor.dataId);
    return data.resource;
  }

  /** Records copies into tfjs' command encoder (outside any compute pass). */
  copy(from: GPUBuffer, fromOffset: number, to: GPUBuffer, toOffset: number, bytes: number): void {
    this.encoder().copyBufferToBuffer(from, fromOffset, to, toOffset, bytes);
  }

  /** A new float32 tensor (from tfjs' buffer pool) holding `bytes` of `from` at `offset`. */
  tensorFrom(from: GPUBuffer, offset: number, shape: number[]): Tensor {
    const info = this.backend.makeTensorInfo(shape, 'float32');
    this.backend.uploadToGPU(info.dataId);
    const target = this.backend.tensorMap.get(info.dataId)!.resource as GPUBuffer;
    this.backend.commandQueueOwnedIds.add(info.dataId);
    this.copy(from, offset, target, 0, 4 * shape.reduce((a, b) => a * b, 1));
    return tf.engine().makeTensorFromTensorInfo(info);
  }

  /**
   * One dispatch of a program of ours over tfjs tensors, recorded in order with tfjs' ops. Its
   * bindings: the outputs (new float32 tensors from tfjs' buffer pool), then the inputs, then a
   * uniform buffer holding `uniforms` (made once per distinct value: one per shape).
   */
  run(
    label: string,
    code: string,
    inputs: Tensor[],
    outputShapes: number[][],
    uniforms: Uint32Array,
    workgroups: [number, number],
  ): Tensor[] {
    const pipeline = this.pipeline(label, code);
    const outputs = outputShapes.map((shape) => {
      const info = this.backend.makeTensorInfo(shape, 'float32');
      this.backend.uploadToGPU(info.dataId);
      this.backend.commandQueueOwnedIds.add(info.dataId);
      return info;
    });
    const buffers = [
      ...outputs.map((info) => this.backend.tensorMap.get(info.dataId)!.resource as GPUBuffer),
      ...inputs.map((tensor) => this.bufferOf(tensor)),
      this.uniformBuffer(label, uniforms),
    ];
    this.pass([{ pipeline, bindGroup: this.bindGroup(pipeline, buffers), workgroups }]);
    return outputs.map((info) => tf.engine().makeTensorFromTensorInfo(info));
  }

  private readonly uniformBuffers = new Map<string, GPUBuffer>();

  private uniformBuffer(label: string, words: Uint32Array): GPUBuffer {
    const key = `${label}:${words.join(',')}`;
    let buffer = this.uniformBuffers.get(key);
    if (!buffer) {
      buffer = this.buffer(Math.max(16, words.byteLength), GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
      this.write(buffer, 0, words);
      this.uniformBuffers.set(key, buffer);
    }
    return buffer;
  }

  /** Records one compute pass of `dispatches` into tfjs' command encoder. */
  pass(dispatches: Array<{ pipeline: GPUComputePipeline; bindGroup: GPUBindGroup; workgroups: [number, number] }>) {
    const pass = this.encoder().beginComputePass();
    for (const { pipeline, bindGroup, workgroups } of dispatches) {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(workgroups[0], workgroups[1]);
    }
    pass.end();
  }

  write(buffer: GPUBuffer, offset: number, data: Float32Array | Uint32Array): void {
    this.backend.queue.writeBuffer(buffer, offset, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Sends what is recorded so far (ours and tfjs') to the GPU. */
  submit(): void {
    if (this.backend.commandEncoder) {
      this.backend.endComputePassEncoder();
      this.backend.submitQueue();
    }
  }

  /**
   * `bytes` of `from` read back through a staging buffer of this runtime's (kept per size, so reads
   * make no buffers after the first of a size; `pooled: false` for a large, rare read, whose staging
   * buffer is destroyed after it). The copy is queued and submitted before this returns.
   */
  read(from: GPUBuffer, bytes: number, pooled = true): Promise<Float32Array> {
    const free = stagingPool.get(bytes) ?? [];
    stagingPool.set(bytes, free);
    const staging =
      free.pop() ?? this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.copy(from, 0, staging, 0, bytes);
    this.submit();
    return staging.mapAsync(GPUMapMode.READ).then(() => {
      const values = new Float32Array(staging.getMappedRange().slice(0));
      staging.unmap();
      if (pooled) free.push(staging);
      else staging.destroy();
      return values;
    });
  }

  /** A float32 tensor read back, disposed as soon as its copy is queued. */
  readBack(tensor: Tensor): Promise<Float32Array> {
    const values = this.read(this.bufferOf(tensor), 4 * tensor.size);
    tensor.dispose();
    return values;
  }

  private encoder(): GPUCommandEncoder {
    this.backend.ensureCommandEncoderReady();
    this.backend.endComputePassEncoder();
    return this.backend.commandEncoder!;
  }
}

/**
 * WGSL: `workgroupSum(lid, value)`, the sum of `value` over a workgroup of `threads` (a power of
 * two), by halving; every thread gets the total, and the scratch is free again when it returns.
 */
export function workgroupSumCode(threads: number): string {
  return `
var<workgroup> partialSums : array<f32, ${threads}>;
fn workgroupSum(lid : u32, value : f32) -> f32 {
  partialSums[lid] = value;
  workgroupBarrier();
  for (var stride = ${threads / 2}u; stride > 0u; stride = stride >> 1u) {
    if (lid < stride) { partialSums[lid] = partialSums[lid] + partialSums[lid + stride]; }
    workgroupBarrier();
  }
  let total = partialSums[0];
  workgroupBarrier();
  return total;
}`;
}

/** A 2-D grid of `count` workgroups (one dimension holds at most 65,535). */
export function grid(count: number): [number, number] {
  const x = Math.min(Math.max(count, 1), 32768);
  return [x, Math.ceil(Math.max(count, 1) / x)];
}
