// The Kernels on tfjs' webgpu backend: the TensorFlow.js compositions, with shaders of our own
// where the compositions cost most of a training step (measured on an H200, DistilBERT-base at
// 20x128: 0.67 s a step, against 28 ms for the forward pass without dropout):
// - dropout masks drawn on the GPU: tfjs' randomUniform draws on the CPU in JavaScript and uploads,
//   about 50 million numbers a step;
// - AdamW and gradient clipping over flat buffers in three dispatches a step (webgpuAdamW.ts), with
//   nothing read back: a step has a fixed host cost per dispatch, and per-tensor AdamW and norms
//   made more than a third of them;
// - LayerNorm with its residual add and GELU, forward and backward, one dispatch each where the
//   compositions took nine to twelve (webgpuLayerOps.ts).
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { tf, type Tensor } from '../tf';
import type { Kernels } from './kernels';
import { throwIfGpuFault } from './gpuFaults';
import { flatAdamWFits, webgpuAdamW } from './webgpuAdamW';
import { webgpuLayerOps } from './webgpuLayerOps';
import { WebGpuRuntime } from './webgpuRuntime';
import { tfjsKernels } from './tfjsKernels';

type WebGpuModule = typeof import('@tensorflow/tfjs-backend-webgpu');

/** Called once the webgpu backend is registered (backends/webgpu.ts). */
export function webgpuKernels(): Kernels {
  // Required, not imported: nothing may load tfjs' webgpu backend before Dawn's navigator.gpu is
  // in place, and by now it is loaded.
  const { webgpu_util: util } = require('@tensorflow/tfjs-backend-webgpu') as WebGpuModule;

  /**
   * An element-wise program over same-shaped inputs, read by index: `code` sets `result`, and may
   * call functions that `helpers` defines.
   */
  class ElementwiseProgram implements WebGPUProgram {
    outputShape: number[];
    dispatchLayout: { x: number[] };
    dispatch: [number, number, number];
    workgroupSize: [number, number, number] = [64, 1, 1];
    size = true;

    constructor(
      shape: number[],
      readonly shaderKey: string,
      readonly variableNames: string[],
      readonly uniforms: string,
      private readonly code: string,
      private readonly helpers = '',
    ) {
      this.outputShape = shape;
      this.dispatchLayout = util.flatDispatchLayout(shape);
      this.dispatch = util.computeDispatch(this.dispatchLayout, shape, this.workgroupSize);
    }

    getUserCode(): string {
      return `
      ${this.helpers}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${this.code}
          setOutputAtIndex(index, result);
        }
      }`;
    }
  }

  function run(program: WebGPUProgram, inputs: Tensor[], uniforms: Array<{ type: string; data: number[] }>): Tensor {
    const backend = tf.backend() as unknown as WebGPUBackend;
    return tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(program, inputs, 'float32', uniforms));
  }

  /** 0 with probability `rate`, else 1 / (1 - rate): a PCG hash of (seed, element index). */
  const PCG_HASH = `
      fn pcgHash(v : u32) -> u32 {
        let state = v * 747796405u + 2891336453u;
        let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
        return (word >> 22u) ^ word;
      }`;
  const dropoutCode =
    'let draw = f32(pcgHash(u32(index) ^ pcgHash(uniforms.seed)) >> 8u) * (1.0 / 16777216.0); let result = select(0.0, uniforms.scale, draw >= uniforms.rate);';

  function dropoutMask(shape: number[], rate: number, seed: number): Tensor {
    const program = new ElementwiseProgram(
      shape,
      'distilbertDropoutMask',
      [],
      'rate : f32, seed : u32, scale : f32,',
      dropoutCode,
      PCG_HASH,
    );
    return run(
      program,
      [],
      [
        { type: 'float32', data: [rate] },
        { type: 'uint32', data: [seed >>> 0] },
        { type: 'float32', data: [1 / (1 - rate)] },
      ],
    );
  }

  return {
    ...tfjsKernels,
    ...webgpuLayerOps(WebGpuRuntime.current()),
    name: 'TensorFlow.js ops on WebGPU',
    sequenceMultiple: 16,
    dropoutMask,
    adamw(parameters) {
      const gpu = WebGpuRuntime.current();
      return flatAdamWFits(parameters, gpu.device) ? webgpuAdamW(parameters, gpu) : tfjsKernels.adamw(parameters);
    },
    readBack: (tensor) => WebGpuRuntime.current().readBack(tensor),
    throwIfFault: throwIfGpuFault,
  };
}
