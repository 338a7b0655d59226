// The "learns, honestly" check, shared by the per-backend test files (a process loads one backend).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { runTraining } from '../../src/core/train/runTraining';
import type { RunEvent } from '../../src/run/protocol';
import { fixture, smallModel, tempDir, writeConfig } from './helpers';

/**
 * A small DistilBERT (dim 32, 1 layer) trained from scratch on the 3,000 UCI sentiment sentences
 * (80/20 stratified split, so the majority baseline is 50%) for 3 epochs.
 */
export async function learnsUciSentiment(
  t: TestContext,
  device: 'cpu' | 'wasm',
  expectedBackend: 'cpu' | 'wasm' | 'native',
): Promise<void> {
  const dir = tempDir(`learns-${device}`);
  smallModel(path.join(dir, 'small-model'));
  fs.copyFileSync(fixture('data/uci_sentiment.csv'), path.join(dir, 'uci_sentiment.csv'));
  const { config } = writeConfig(dir, {
    model: './small-model',
    train_file: 'uci_sentiment.csv',
    text_column: 'text',
    label_column: 'label',
    learning_rate: 1e-3,
    num_train_epochs: 3,
    per_device_train_batch_size: 32,
    max_length: 48,
    logging_steps: 25,
    save_strategy: 'no',
    device,
  });
  const events: RunEvent[] = [];
  const started = Date.now();
  const outcome = await runTraining(config, {
    emit: (e) => events.push(e),
    isCancelled: () => false,
    extensionVersion: 'test',
  });
  const seconds = (Date.now() - started) / 1000;
  const metrics = outcome.finalMetrics!;
  const majority =
    Math.max(...metrics.per_class.map((c) => c.support)) / metrics.per_class.reduce((a, c) => a + c.support, 0);
  t.diagnostic(
    `${expectedBackend}: accuracy ${metrics.eval_accuracy.toFixed(4)}, F1 ${metrics.eval_f1.toFixed(4)}, majority baseline ${majority.toFixed(4)}, ${seconds.toFixed(1)} s`,
  );
  assert.equal(majority, 0.5);
  assert.ok(
    metrics.eval_accuracy >= majority + 0.2,
    `accuracy ${metrics.eval_accuracy} beats the baseline ${majority} by 20 points`,
  );
  assert.ok(metrics.eval_f1 >= 0.7);
  assert.equal(events.filter((e) => e.type === 'evaluation').length, 3, 'one table row per epoch');
  const started2 = events.find((e) => e.type === 'started');
  assert.equal(started2?.type === 'started' && started2.backend, expectedBackend);
}
