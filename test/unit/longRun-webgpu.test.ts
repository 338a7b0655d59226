// Memory stays flat over a long run on the webgpu backend (see longRun.ts): tensors, tensor bytes,
// the GPU buffer pool and the heap, over 3 epochs with evaluations and checkpoints (SwiftShader is
// slow, so fewer steps than on the CPU). This process runs with SwiftShader in its environment.
import { before, test } from 'node:test';
import { memoryStaysFlat } from './longRun';
import { requireSwiftShaderInThisProcess } from './webgpuHelpers';

before(requireSwiftShaderInThisProcess);

test('120 steps on webgpu: tensor count, tensor bytes, GPU buffer pool and heap stay flat', { timeout: 600_000 }, () =>
  memoryStaysFlat('webgpu', 120),
);
