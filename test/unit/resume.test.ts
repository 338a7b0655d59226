// Cancel, checkpoint, resume: the same final weights as an uninterrupted run. And what a finished
// run leaves behind: the model card and trainer_state.json in the Trainer's structure, and no
// leaked tensors.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { loadModel, disposeModel } from '../../src/core/model/modelFolder';
import { cancelThenResumeIsExact, resumeWorkspace } from './resumeCheck';

const workspace = resumeWorkspace('wasm', 'resume');
const { dir, run } = workspace;

before(async () => {
  await loadBackend('wasm');
});

test('cancel then resume gives the same final weights as an uninterrupted run', async () => {
  await cancelThenResumeIsExact(workspace);
});

test("the output folder holds the Trainer's files; the model card and trainer_state.json have its structure", () => {
  const out = path.join(dir, 'whole');
  for (const file of [
    'model.safetensors',
    'config.json',
    'vocab.txt',
    'tokenizer.json',
    'tokenizer_config.json',
    'special_tokens_map.json',
    'README.md',
    'trainer_state.json',
    'training_args.json',
    'all_results.json',
    'eval_results.json',
    'train_results.json',
  ]) {
    assert.ok(fs.existsSync(path.join(out, file)), file);
  }
  const card = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  const sections = [...card.matchAll(/^(#+) (.+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(sections, [
    '# whole',
    '## Model description',
    '## Intended uses & limitations',
    '## Training and evaluation data',
    '## Training procedure',
    '### Training hyperparameters',
    '### Training results',
    '### Framework versions',
  ]);
  assert.match(
    card,
    /^---\nlibrary_name: transformers\ntags:\n- generated_from_trainer\nmetrics:\n- accuracy\n- f1\nmodel-index:\n- name: whole\n {2}results: \[\]\n---\n/,
  );
  assert.match(
    card,
    /This model was trained from scratch on the reviews\.csv dataset\.\nIt achieves the following results on the evaluation set:\n- Loss: [\d.]+\n- Accuracy: [\d.]+\n- F1: [\d.]+\n/,
  );
  const hyper = card
    .split('The following hyperparameters were used during training:\n')[1]
    .split('\n\n')[0]
    .split('\n')
    .map((l) => l.split(':')[0]);
  assert.deepEqual(hyper, [
    '- learning_rate',
    '- train_batch_size',
    '- eval_batch_size',
    '- seed',
    '- optimizer',
    '- lr_scheduler_type',
    '- lr_scheduler_warmup_steps',
    '- num_epochs',
  ]);
  assert.match(
    card,
    /\| Training Loss \| Epoch \| Step \| Validation Loss \| Accuracy \| F1 +\|\n\|:-+:\|:-+:\|:-+:\|:-+:\|:-+:\|:-+:\|\n(\| [\d.]+ +\| [12]\.0 +\| \d+ +\| [\d.]+ +\| [\d.]+ +\| [\d.]+ +\|\n){2}/,
  );
  assert.match(
    card,
    /^- optimizer: Adam with betas=\(0\.9,0\.999\) and epsilon=1e-08$/m,
    "the reference card's wording",
  );
  assert.match(
    card,
    /### Framework versions\n\n- DistilBERT Fine-Tuner test\n- TensorFlow\.js 4\.22\.0 \(backend: WebAssembly/,
  );

  const state = JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8'));
  assert.deepEqual(Object.keys(state), [...Object.keys(state)].sort(), 'keys sorted, as HF writes them');
  for (const key of [
    'best_metric',
    'epoch',
    'global_step',
    'log_history',
    'logging_steps',
    'max_steps',
    'num_train_epochs',
    'total_flos',
    'train_batch_size',
  ])
    assert.ok(key in state, key);
  const logs = state.log_history as Array<Record<string, number>>;
  const train = logs.filter((l) => 'loss' in l);
  const evals = logs.filter((l) => 'eval_loss' in l);
  const summary = logs[logs.length - 1];
  assert.ok(
    train.length >= 5 &&
      train.every((l) => ['epoch', 'grad_norm', 'learning_rate', 'loss', 'step'].every((k) => k in l)),
  );
  assert.deepEqual(train.map((l) => l.step).slice(0, 3), [4, 8, 12]);
  assert.equal(evals.length, 2);
  assert.ok(
    evals.every((l) =>
      [
        'eval_accuracy',
        'eval_f1',
        'eval_loss',
        'eval_runtime',
        'eval_samples_per_second',
        'eval_steps_per_second',
        'epoch',
        'step',
      ].every((k) => k in l),
    ),
  );
  assert.ok(
    ['train_loss', 'train_runtime', 'train_samples_per_second', 'train_steps_per_second', 'total_flos'].every(
      (k) => k in summary,
    ),
  );
  assert.equal(state.global_step, summary.step);
  // config.json carries the labels; the saved model loads back.
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  assert.deepEqual(config.id2label, { 0: 'negative', 1: 'positive' });
  const reloaded = loadModel(out, { seed: 0 });
  assert.deepEqual(reloaded.newlyInitialized, []);
  disposeModel(reloaded.model);
});

test('eval_strategy steps evaluates every eval_steps; logging_strategy epoch logs at epoch ends', async () => {
  const { events, outcome } = await run({
    output_dir: 'by-steps',
    save_strategy: 'no',
    eval_strategy: 'steps',
    eval_steps: 5,
    logging_strategy: 'epoch',
    num_train_epochs: 1,
  });
  const rows = events.filter((e) => e.type === 'evaluation');
  assert.deepEqual(
    rows.map((e) => e.type === 'evaluation' && e.step),
    [5, 10],
  );
  assert.deepEqual(
    rows.map((e) => e.type === 'evaluation' && e.training_loss),
    [null, null],
    '"No log" before the first log at the end of the epoch',
  );
  const losses = outcome.history.filter((l) => l.loss !== undefined);
  assert.deepEqual(
    losses.map((l) => l.step),
    [12],
  );
  assert.equal(outcome.finalMetrics!.step, 12, 'a final evaluation after the last step');
});
