// The Kernels on tfjs' webgpu backend: the TensorFlow.js compositions, with two shaders of our own
// where the compositions cost most of a training step (measured on an H200, DistilBERT-base at
// 20x128: 0.67 s a step, against 28 ms for the forward pass without dropout):
// - dropout masks drawn on the GPU: tfjs' randomUniform draws on the CPU in JavaScript and uploads,
//   about 50 million numbers a step;
// - AdamW in three dispatches a parameter instead of about twelve (and no scalar uploads): a step
//   has a fixed cost per dispatch, and 100 parameters made AdamW most of the dispatches.
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { tf, type Tensor } from '../tf';
import type { AdamWStep, AdamWTensors, Kernels } from './kernels';
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

  const floats = (...values: number[]) => values.map((value) => ({ type: 'float32', data: [value] }));

  function run(program: WebGPUProgram, inputs: Tensor[], uniforms: Array<{ type: string; data: number[] }>): Tensor {
    const backend = tf.backend() as unknown as WebGPUBackend;
    return tf.engine().makeTensorFromTensorInfo(backend.runWebGPUProgram(program, inputs, 'float32', uniforms));
  }

  // The same operations in the same order as tfjsKernels.adamw, so the same float32 results.
  const MOMENT_UNIFORMS = 'beta : f32, oneMinusBeta : f32, gradScale : f32,';
  const expAvgCode =
    'let g = G[index] * uniforms.gradScale; let result = M[index] * uniforms.beta + g * uniforms.oneMinusBeta;';
  const expAvgSqCode =
    'let g = G[index] * uniforms.gradScale; let result = M[index] * uniforms.beta + (g * g) * uniforms.oneMinusBeta;';
  const PARAM_UNIFORMS = 'decay : f32, stepSize : f32, bc2Sqrt : f32, epsilon : f32,';
  const paramCode =
    'let denominator = sqrt(V[index]) / uniforms.bc2Sqrt + uniforms.epsilon; let result = P[index] * uniforms.decay - (M[index] / denominator) * uniforms.stepSize;';

  function adamw(state: AdamWTensors, grad: Tensor, step: AdamWStep) {
    const { param } = state;
    const shape = param.shape;
    const moment = (previous: Tensor | undefined, key: string, code: string, beta: number) => {
      const from = previous ?? tf.zerosLike(param);
      const next = run(
        new ElementwiseProgram(shape, key, ['M', 'G'], MOMENT_UNIFORMS, code),
        [from, grad],
        floats(beta, 1 - beta, step.gradScale),
      );
      if (!previous) from.dispose();
      return next;
    };
    const expAvg = moment(state.expAvg, 'distilbertAdamWExpAvg', expAvgCode, step.beta1);
    const expAvgSq = moment(state.expAvgSq, 'distilbertAdamWExpAvgSq', expAvgSqCode, step.beta2);
    const next = run(
      new ElementwiseProgram(shape, 'distilbertAdamWParam', ['P', 'M', 'V'], PARAM_UNIFORMS, paramCode),
      [param, expAvg, expAvgSq],
      floats(step.decay, step.stepSize, step.bc2Sqrt, step.epsilon),
    );
    return { param: next, expAvg, expAvgSq };
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

  return { ...tfjsKernels, name: 'TensorFlow.js ops on WebGPU', sequenceMultiple: 16, dropoutMask, adamw };
}
