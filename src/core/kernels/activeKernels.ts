// Which Kernels implementation the process computes with. Set once, when the backend loads
// (backends/loadBackend.ts); until then, and on every backend without kernels of its own, the
// TensorFlow.js compositions.
import type { Kernels } from './kernels';
import { tfjsKernels } from './tfjsKernels';

let active: Kernels = tfjsKernels;

export function kernels(): Kernels {
  return active;
}

export function useKernels(chosen: Kernels): void {
  active = chosen;
}
