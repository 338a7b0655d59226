// The `native` TensorFlow.js backend: tfjs' JavaScript cpu backend (tensors are typed arrays in
// this process) with its heaviest kernels replaced by the native addon: matrix products through
// OpenBLAS (transposed and batched ones included), transposes and softmax. Every other kernel is
// the cpu backend's own. The model's fused operations use the addon through nativeKernels.ts.
import type * as TfCore from '@tensorflow/tfjs-core';
import { BinaryOp, Broadcast, outputArray, type NativeAddon } from './addon';

type Tf = typeof TfCore;
interface CpuBackend {
  data: { get(dataId: unknown): { values: Float32Array | Int32Array } };
  makeTensorInfo(shape: number[], dtype: TfCore.DataType, values?: Float32Array | Int32Array): TfCore.TensorInfo;
  firstUse: boolean;
}
type KernelArgs = { inputs: Record<string, TfCore.TensorInfo>; backend: CpuBackend; attrs?: Record<string, unknown> };
type KernelFunc = (args: KernelArgs) => TfCore.TensorInfo;

export const NATIVE_BACKEND = 'native';

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function registerNativeBackend(
  tf: Tf,
  cpuModule: { MathBackendCPU: new () => CpuBackend },
  addon: NativeAddon,
): void {
  if (tf.findBackendFactory(NATIVE_BACKEND)) return;
  tf.registerBackend(
    NATIVE_BACKEND,
    () => {
      const backend = new cpuModule.MathBackendCPU();
      backend.firstUse = false; // no "install tfjs-node" banner: the run names its backend itself
      return backend as unknown as TfCore.KernelBackend;
    },
    3,
  );
  const cpuKernels = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k]));
  for (const kernel of cpuKernels.values()) tf.registerKernel({ ...kernel, backendName: NATIVE_BACKEND });

  const fallback = (name: string) => cpuKernels.get(name)!.kernelFunc as unknown as KernelFunc;
  const override = (kernelName: string, kernelFunc: KernelFunc) => {
    tf.unregisterKernel(kernelName, NATIVE_BACKEND);
    tf.registerKernel({
      kernelName,
      backendName: NATIVE_BACKEND,
      kernelFunc: kernelFunc as unknown as TfCore.KernelFunc,
    });
  };

  const matMul = (args: KernelArgs, bias?: TfCore.TensorInfo): TfCore.TensorInfo | undefined => {
    const { a, b } = args.inputs;
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
    const ra = a.shape.length;
    const rb = b.shape.length;
    const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
    const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const batchA = size(a.shape.slice(0, -2));
    const batchB = size(b.shape.slice(0, -2));
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
    const batch = Math.max(batchA, batchB);
    if (bias && size(bias.shape) !== N) return undefined;
    const outShape = [...(batchA >= batchB ? a.shape.slice(0, -2) : b.shape.slice(0, -2)), M, N];
    const out = outputArray(batch * M * N);
    const data = (t: TfCore.TensorInfo) => args.backend.data.get(t.dataId).values as Float32Array;
    addon.gemm({
      transposeA,
      transposeB,
      M,
      N,
      K,
      a: data(a),
      b: data(b),
      c: out,
      batch,
      strideA: batchA === 1 ? 0 : M * K,
      strideB: batchB === 1 ? 0 : K * N,
      strideC: M * N,
      bias: bias && data(bias),
    });
    return args.backend.makeTensorInfo(outShape, 'float32', out);
  };

  override('BatchMatMul', (args) => matMul(args) ?? fallback('BatchMatMul')(args));
  override('_FusedMatMul', (args) => {
    const { bias, preluActivationWeights } = args.inputs;
    const simple = (args.attrs?.activation ?? 'linear') === 'linear' && !preluActivationWeights;
    return (simple ? matMul(args, bias) : undefined) ?? fallback('_FusedMatMul')(args);
  });
  override('Transpose', (args) => {
    const { x } = args.inputs;
    const perm = args.attrs?.perm as number[];
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length > 6 || x.shape.length < 2)
      return fallback('Transpose')(args);
    const values = args.backend.data.get(x.dataId).values;
    const out = x.dtype === 'float32' ? outputArray(values.length) : new Int32Array(values.length);
    addon.permute(values, out, x.shape, perm);
    return args.backend.makeTensorInfo(
      perm.map((p) => x.shape[p]),
      x.dtype,
      out,
    );
  });
  // Element-wise arithmetic on float32: equal shapes, a scalar on either side, or `b` broadcast
  // over leading dimensions (a bias); other broadcasts go to the cpu kernels.
  const binary = (kernelName: string, op: BinaryOp) =>
    override(kernelName, (args) => {
      const { a, b } = args.inputs;
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return fallback(kernelName)(args);
      const na = size(a.shape);
      const nb = size(b.shape);
      const data = (t: TfCore.TensorInfo) => args.backend.data.get(t.dataId).values as Float32Array;
      const sameShape = a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
      const trailing =
        b.shape.length <= a.shape.length && b.shape.every((d, i) => d === a.shape[a.shape.length - b.shape.length + i]);
      let mode: Broadcast;
      if (sameShape) mode = Broadcast.SameShape;
      else if (nb === 1 && b.shape.length <= a.shape.length) mode = Broadcast.ScalarB;
      else if (na === 1 && a.shape.length <= b.shape.length) mode = Broadcast.ScalarA;
      else if (trailing) mode = Broadcast.RepeatB;
      else return fallback(kernelName)(args);
      const shape = mode === Broadcast.ScalarA ? b.shape : a.shape;
      const out = outputArray(size(shape));
      addon.binary(op, data(a), data(b), out, mode);
      return args.backend.makeTensorInfo(shape, 'float32', out);
    });
  binary('Add', BinaryOp.Add);
  binary('Sub', BinaryOp.Sub);
  binary('Multiply', BinaryOp.Mul);
  binary('RealDiv', BinaryOp.Div);
  override('AddN', (args) => {
    const tensors = Object.values(args.inputs);
    if (tensors.some((t) => t.dtype !== 'float32' || size(t.shape) !== size(tensors[0].shape)))
      return fallback('AddN')(args);
    const out = outputArray(size(tensors[0].shape));
    addon.addN(
      out,
      tensors.map((t) => args.backend.data.get(t.dataId).values as Float32Array),
    );
    return args.backend.makeTensorInfo(tensors[0].shape, 'float32', out);
  });
  override('GatherV2', (args) => {
    const { x, indices } = args.inputs;
    const axis = (args.attrs?.axis as number) ?? 0;
    if (
      axis !== 0 ||
      (args.attrs?.batchDims as number) ||
      indices.dtype !== 'int32' ||
      (x.dtype !== 'float32' && x.dtype !== 'int32') ||
      x.shape.length < 1
    )
      return fallback('GatherV2')(args);
    const row = size(x.shape.slice(1));
    const idx = args.backend.data.get(indices.dataId).values as Int32Array;
    const out = x.dtype === 'float32' ? outputArray(idx.length * row) : new Int32Array(idx.length * row);
    addon.gatherRows(args.backend.data.get(x.dataId).values, idx, row, out);
    return args.backend.makeTensorInfo([...indices.shape, ...x.shape.slice(1)], x.dtype, out);
  });
  override('Softmax', (args) => {
    const { logits } = args.inputs;
    const dim = args.attrs?.dim as number;
    const rank = logits.shape.length;
    if (logits.dtype !== 'float32' || (dim !== -1 && dim !== rank - 1)) return fallback('Softmax')(args);
    const cols = logits.shape[rank - 1];
    const out = outputArray(size(logits.shape));
    addon.softmax({
      x: args.backend.data.get(logits.dataId).values as Float32Array,
      rows: out.length / cols,
      cols,
      y: out,
    });
    return args.backend.makeTensorInfo(logits.shape, 'float32', out);
  });
}
