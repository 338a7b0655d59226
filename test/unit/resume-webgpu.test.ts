// Cancel, checkpoint, resume on WebGPU (SwiftShader): the same final weights, bit for bit, as an
// uninterrupted run, with the optimizer's moments in flat GPU buffers (kernels/webgpuAdamW.ts)
// written to the checkpoint and read back from it.
import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { kernels } from '../../src/core/kernels/activeKernels';
import { cancelThenResumeIsExact, resumeWorkspace } from './resumeCheck';
import { requireSwiftShaderInThisProcess } from './webgpuHelpers';

before(async () => {
  requireSwiftShaderInThisProcess();
  assert.equal((await loadBackend('webgpu')).backend, 'webgpu');
  assert.equal(kernels().name, 'TensorFlow.js ops on WebGPU');
});

test('webgpu: cancel then resume gives the same final weights as an uninterrupted run', async () => {
  // tfjs' webgpu reductions and scatter add in an order that may vary between runs: the weights
  // agree within 1e-6 (6.5e-8 seen), the log history to 6 significant digits.
  await cancelThenResumeIsExact(resumeWorkspace('webgpu'), 1e-6);
});
