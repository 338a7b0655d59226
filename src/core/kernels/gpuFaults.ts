// What goes wrong on a GPU, as an error type of the kernels: the device reports faults
// asynchronously (an allocation that does not fit, a lost device, a shader that does not compile)
// and the work that depended on one reads back as zeros. backends/webgpu.ts records the first
// fault the device reports; the webgpu kernels' throwIfFault() throws it, so the trainer ends a
// run with its message before it saves anything computed after it, without asking which backend runs.

export type GpuFaultKind = 'out-of-memory' | 'device-lost' | 'shader' | 'gpu';

/** What the GPU reported, by kind: each kind has its own advice (train/failures.ts). */
export class GpuFault extends Error {
  constructor(
    readonly kind: GpuFaultKind,
    message: string,
  ) {
    super(message);
    this.name = 'GpuFault';
  }
}

const DOES_NOT_FIT =
  /out of memory|\bOOM\b|exceeds the max|exceeds .*limit|too large|failed to allocate|allocation failed/i;
const SHADER = /shader|WGSL|compil/i;

/** A GPU error message, classified. */
export function classifyGpuError(message: string): GpuFault {
  const first = message.split('\n')[0].trim();
  if (DOES_NOT_FIT.test(message)) return new GpuFault('out-of-memory', `a GPU allocation does not fit: ${first}`);
  if (SHADER.test(message)) return new GpuFault('shader', `a GPU kernel failed to compile: ${first}`);
  return new GpuFault('gpu', `the GPU reported an error: ${first}`);
}

let fault: GpuFault | undefined;

/** Keeps the first fault the device reported. */
export function recordGpuFault(reported: GpuFault): void {
  fault ??= reported;
}

/** Throws the first error the GPU reported (out of memory, device lost, a failed shader), if any. */
export function throwIfGpuFault(): void {
  if (fault) throw fault;
}

/** The first error the GPU reported, if any: when a run fails, the cause to report. */
export function recordedGpuFault(): GpuFault | undefined {
  return fault;
}
