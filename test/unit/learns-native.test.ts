// Training learns on the native kernel backend (OpenBLAS addon): a from-scratch DistilBERT beats the majority baseline widely.
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { learnsUciSentiment } from './learning';

before(async () => {
  await loadBackend('native');
});

test(
  'a small DistilBERT from scratch learns UCI sentiment on the native kernel backend (OpenBLAS addon)',
  { timeout: 120_000 },
  (t) => learnsUciSentiment(t, 'cpu', 'native'),
);
