// Training learns on the wasm backend: a from-scratch DistilBERT beats the majority baseline widely.
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { learnsUciSentiment } from './learning';

before(async () => {
  await loadBackend('wasm');
});

test('a small DistilBERT from scratch learns UCI sentiment on the wasm backend', { timeout: 120_000 }, (t) =>
  learnsUciSentiment(t, 'wasm', 'wasm'),
);
