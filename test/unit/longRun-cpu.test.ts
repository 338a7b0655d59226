// Memory stays flat over a long run on the cpu backend (see longRun.ts).
import { test } from 'node:test';
import { STEPS, memoryStaysFlat } from './longRun';

test(`${STEPS} steps on cpu: tensor count, tensor bytes and heap stay flat`, { timeout: 300_000 }, () =>
  memoryStaysFlat('cpu'),
);
