// `distilbert-finetune export`: the config as a Python script for Hugging Face's Trainer. The
// script compiles with Debian's python3; imported there (its heavy imports live in main()), it
// draws the very validation rows the extension draws and passes every value of the config under
// its TrainingArguments name.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadConfigFile } from '../../src/core/config/environment';
import { CONFIG_KEYS, SCHEMA } from '../../src/core/config/schema';
import { prepareData, textFingerprint } from '../../src/core/data/dataset';
import { TRAINING_ARGUMENT_KEYS } from '../../src/core/export/pythonScript';
import { REPO_ROOT, fixture, tempDir, uciSample } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const PYTHON = '/usr/bin/python3';

/** Every key of the schema, set away from its default where it can be. */
const CONFIG = [
  'model: distilbert-base-uncased',
  'train_file: data/reviews.csv',
  'validation_split: 0.25',
  'text_column: text',
  'label_column: label',
  'max_length: 64',
  'learning_rate: 3e-5',
  'per_device_train_batch_size: 16',
  'per_device_eval_batch_size: 32',
  'gradient_accumulation_steps: 2',
  'seed: 7',
  'adam_beta1: 0.85',
  'adam_beta2: 0.995',
  'adam_epsilon: 1e-7',
  'weight_decay: 0.01',
  'lr_scheduler_type: cosine',
  'warmup_ratio: 0.1',
  'max_grad_norm: 0.5',
  'num_train_epochs: 3',
  'max_steps: 500',
  'eval_strategy: steps',
  'eval_steps: 50',
  'logging_strategy: steps',
  'logging_steps: 10',
  'save_strategy: steps',
  'save_steps: 100',
  'save_total_limit: 2',
  'overwrite_output_dir: false',
  'f1_average: macro',
  'output_dir: out/exported',
  'device: cpu',
  '',
].join('\n');

/** Keys that are not TrainingArguments fields, and where the script takes each. */
const ELSEWHERE: Record<string, string> = {
  model: 'CONFIG (from_pretrained)',
  train_file: 'CONFIG',
  validation_file: 'CONFIG',
  validation_split: 'CONFIG (the split)',
  text_column: 'CONFIG',
  text_pair_column: 'CONFIG',
  label_column: 'CONFIG',
  max_length: 'CONFIG (the tokenizer)',
  f1_average: 'CONFIG (compute_metrics)',
  overwrite_output_dir: 'CONFIG (the output folder check; transformers 5 dropped the argument)',
  resume_from_checkpoint: 'CONFIG (trainer.train)',
  warmup_ratio: 'warmup_steps (a float below 1 is a ratio in transformers 5)',
  warmup_steps: 'warmup_steps',
  output_dir: 'output_dir',
  device: 'use_cpu',
};

function python(script: string, code: string): unknown {
  const result = spawnSync(
    PYTHON,
    [
      '-c',
      `import importlib.util, json, sys\nspec = importlib.util.spec_from_file_location("exported", sys.argv[1])\nm = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\n${code}`,
      script,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout);
}

test('export writes a script that compiles, takes every config value under its Hugging Face name, and draws the same validation rows', async () => {
  const dir = tempDir('export');
  fs.mkdirSync(path.join(dir, 'data'));
  uciSample(path.join(dir, 'data'), 300);
  fs.writeFileSync(path.join(dir, 'run.finetune.yaml'), CONFIG);
  const result = spawnSync(process.execPath, [CLI, 'export', 'run.finetune.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  const script = path.join(dir, 'run.train.py');
  assert.deepEqual(result.stdout.trim().split('\n'), [script, path.join(dir, 'requirements.txt')]);
  assert.match(fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8'), /^transformers>=5,<6$/m);
  const text = fs.readFileSync(script, 'utf8');
  assert.match(text, /accelerate launch run\.train\.py/);
  assert.match(text, /torchrun --nproc_per_node=4 run\.train\.py/);
  assert.match(text, /srun --nodes=2/);
  const compiled = spawnSync(PYTHON, ['-m', 'py_compile', script], { encoding: 'utf8' });
  assert.equal(compiled.status, 0, compiled.stderr);

  // Every schema key goes somewhere, and every TrainingArguments keyword is a schema key's HF name.
  const { config } = loadConfigFile(path.join(dir, 'run.finetune.yaml'));
  for (const key of CONFIG_KEYS)
    assert.ok(
      (TRAINING_ARGUMENT_KEYS as readonly string[]).includes(key) || key in ELSEWHERE,
      `${key} has a place in the script`,
    );
  const kwargs = python(script, 'print(json.dumps(m.training_arguments_kwargs()))') as Record<string, unknown>;
  const hfNames = new Set<string>(CONFIG_KEYS.map((key) => SCHEMA[key].hf));
  for (const name of Object.keys(kwargs))
    assert.ok(hfNames.has(name) || ['use_cpu', 'report_to'].includes(name), `${name} is a schema key's HF name`);
  // ... and a field of TrainingArguments in transformers' own source (the fixture names its version).
  const transformers = JSON.parse(fs.readFileSync(fixture('transformers-training-args.json'), 'utf8')) as {
    transformers: string;
    fields: string[];
  };
  assert.match(transformers.transformers, /^5\./, 'the fixture is of the major version requirements.txt pins');
  for (const name of Object.keys(kwargs))
    assert.ok(
      transformers.fields.includes(name),
      `${name} is not a TrainingArguments field of transformers ${transformers.transformers}`,
    );
  for (const dropped of ['overwrite_output_dir', 'warmup_ratio'])
    assert.ok(!transformers.fields.includes(dropped), `${dropped}: ELSEWHERE says transformers 5 dropped it`);
  for (const key of TRAINING_ARGUMENT_KEYS) assert.deepEqual(kwargs[key], config[key], key);
  assert.equal(kwargs.warmup_steps, 0.1, 'warmup_ratio as a float warmup_steps');
  assert.equal(kwargs.output_dir, 'out/exported');
  assert.equal(kwargs.use_cpu, true, 'device: cpu');
  const data = python(script, 'print(json.dumps(m.CONFIG))') as Record<string, unknown>;
  assert.deepEqual(
    {
      model: data.model,
      train_file: data.train_file,
      validation_split: data.validation_split,
      text_column: data.text_column,
      label_column: data.label_column,
      max_length: data.max_length,
      f1_average: data.f1_average,
      overwrite_output_dir: data.overwrite_output_dir,
    },
    {
      model: 'distilbert-base-uncased',
      train_file: 'data/reviews.csv',
      validation_split: 0.25,
      text_column: 'text',
      label_column: 'label',
      max_length: 64,
      f1_average: 'macro',
      overwrite_output_dir: false,
    },
  );

  // The split: the script's validation texts are the extension's validation rows.
  const split = python(
    script,
    'train, validation, labels = m.load_data()\nprint(json.dumps({"labels": labels, "train": len(train), "validation": [[t, p] for t, p, _ in validation]}))',
  ) as { labels: string[]; train: number; validation: Array<[string, string | null]> };
  const ours = await prepareData(
    {
      trainFile: config.train_file,
      validationSplit: config.validation_split,
      textColumn: config.text_column,
      labelColumn: config.label_column,
      seed: config.seed,
    },
    () => [0],
  );
  assert.deepEqual(split.labels, ours.labels);
  assert.equal(split.train, ours.train.count);
  assert.equal(split.validation.length, ours.validation.count);
  assert.deepEqual(
    split.validation.map(([t, p]) => textFingerprint(t, p ?? undefined)).sort(),
    [...ours.validation.fingerprints].sort(),
    'the same validation rows',
  );

  // Only what the machine of a transformers user has: no `datasets`. A model folder without weights
  // is built from its config (from scratch, as here); the run itself was checked with transformers
  // 5.17 on the GPU machine (bench/gpu-device.sh: the same 75 steps an epoch).
  assert.doesNotMatch(text, /import datasets|from datasets/);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'requirements.txt'), 'utf8'), /datasets/);
  fs.mkdirSync(path.join(dir, 'scratch'));
  fs.writeFileSync(path.join(dir, 'scratch', 'config.json'), '{}');
  const weights = python(
    script,
    `print(json.dumps([m.has_weights("distilbert-base-uncased"), m.has_weights(${JSON.stringify(path.join(dir, 'scratch'))})]))`,
  );
  assert.deepEqual(weights, [true, false]);

  // A script edited since is not replaced without --force.
  fs.appendFileSync(script, '# my change\n');
  const again = spawnSync(process.execPath, [CLI, 'export', 'run.finetune.yaml'], { cwd: dir, encoding: 'utf8' });
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^error: .*run\.train\.py exists with other contents; nothing was written — /m);
  assert.match(fs.readFileSync(script, 'utf8'), /# my change\n$/);
  const forced = spawnSync(process.execPath, [CLI, 'export', 'run.finetune.yaml', '--force'], {
    cwd: dir,
    encoding: 'utf8',
  });
  assert.equal(forced.status, 0, forced.stderr);
});
