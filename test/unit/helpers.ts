// Shared helpers of the unit tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as os from 'node:os';
import { stringify } from 'yaml';
import { fileSystemEnvironment } from '../../src/core/config/environment';
import type { TrainingConfig } from '../../src/core/config/schema';
import { validateConfig } from '../../src/core/config/validate';
import { writeTinyModel, type TinyModelShape } from '../../src/core/model/tinyModels';

/** The repository root, found from the bundle's location (out/test/unit/...). */
export const REPO_ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('repository root not found');
  }
})();

export function fixture(...parts: string[]): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', ...parts);
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** The small from-scratch DistilBERT the trainer tests use (real bert-base-uncased vocabulary). */
export const SMALL_SHAPE: TinyModelShape = {
  dim: 32,
  n_layers: 1,
  n_heads: 2,
  hidden_dim: 64,
  max_position_embeddings: 64,
};

export function smallModel(folder: string, weights = false, shape: TinyModelShape = SMALL_SHAPE): string {
  return writeTinyModel(folder, fixture('vocab/vocab.txt'), { weights, shape });
}

/**
 * A config file in `dir` with these keys, validated and resolved as the worker resolves it.
 * Returns the resolved config and the file's path.
 */
export function writeConfig(
  dir: string,
  keys: Record<string, unknown>,
  name = 'run.finetune.yaml',
): { config: TrainingConfig; file: string } {
  const file = path.join(dir, name);
  fs.writeFileSync(file, stringify(keys));
  const { config, problems } = validateConfig(fs.readFileSync(file, 'utf8'), fileSystemEnvironment(dir));
  const errors = problems.filter((p) => p.severity === 'error');
  if (!config || errors.length) throw new Error(`test config is invalid: ${errors.map((p) => p.message).join('; ')}`);
  return { config, file };
}

/** `count` rows of the UCI sentiment CSV (header included), for quick runs. */
export function uciSample(dir: string, count: number, name = 'reviews.csv'): string {
  const lines = fs.readFileSync(fixture('data/uci_sentiment.csv'), 'utf8').split('\n');
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.slice(0, count + 1).join('\n')}\n`);
  return file;
}
