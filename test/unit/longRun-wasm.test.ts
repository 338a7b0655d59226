// Memory stays flat over a long run on the wasm backend (see longRun.ts).
import { test } from 'node:test';
import { STEPS, memoryStaysFlat } from './longRun';

test(`${STEPS} steps on wasm: tensor count, tensor bytes and heap stay flat`, { timeout: 300_000 }, () =>
  memoryStaysFlat('wasm'),
);
