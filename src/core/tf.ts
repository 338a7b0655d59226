// The one TensorFlow.js namespace the core computes with.
//
// It is bound at run time by `loadBackend` (backends/loadBackend.ts): to @tensorflow/tfjs-core with the
// wasm or cpu backend, or to @tensorflow/tfjs-node[-gpu], which carries its own tfjs-core when it
// is installed elsewhere. Every module imports `tf` from here, so they all use the same engine.
// Types come from tfjs-core at compile time only; nothing here loads TensorFlow.js by itself.
import type * as TfCore from '@tensorflow/tfjs-core';

export type Tf = typeof TfCore;
export type Tensor = TfCore.Tensor;
export type Tensor1D = TfCore.Tensor1D;
export type Tensor2D = TfCore.Tensor2D;
export type Tensor3D = TfCore.Tensor3D;
export type Tensor4D = TfCore.Tensor4D;
export type Rank = TfCore.Rank;

// A live binding: modules that imported `tf` see the namespace once it is bound.
export let tf: Tf = new Proxy({} as Tf, {
  get(_target, property) {
    throw new Error(`TensorFlow.js is not loaded yet (tf.${String(property)}): call loadBackend() first`);
  },
});

export function bindTf(namespace: Tf): void {
  tf = namespace;
}

/**
 * tf.tidy for results typed as interfaces: tensors created inside `fn` are disposed when it
 * returns, except those in its result (objects and arrays of tensors are walked).
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => TfCore.TensorContainer) as unknown as T;
}
