// Training learns on the pure JavaScript cpu backend: a from-scratch DistilBERT beats the majority baseline widely.
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { learnsUciSentiment } from './learning';

before(async () => {
  await loadBackend('js');
});

test(
  'a small DistilBERT from scratch learns UCI sentiment on the pure JavaScript cpu backend',
  { timeout: 120_000 },
  (t) => learnsUciSentiment(t, 'cpu', 'cpu'),
);
