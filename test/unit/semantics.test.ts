// The Trainer's semantics pinned against hand-computed values: schedules with warmup, clipping,
// AdamW's decoupled weight decay and its exclusions, the Training Loss column, metrics.
import * as assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { tf } from '../../src/core/tf';
import { learningRateAt, lrLambda, warmupSteps, type Schedule } from '../../src/core/train/schedule';
import { AdamW, clipCoefficient, globalGradNorm } from '../../src/core/train/optimizer';
import { accuracy, confusionMatrix, f1Score, perClassMetrics } from '../../src/core/train/metrics';
import {
  markdownTable,
  maybeRound,
  parseLogHistory,
  pythonFloat,
  hyperparameters,
} from '../../src/core/train/modelCard';
import { planTraining } from '../../src/core/train/trainer';
import { parameterSpecs } from '../../src/core/model/parameters';
import { parseDistilBertConfig } from '../../src/core/model/distilbertConfig';
import { stratifiedSplit } from '../../src/core/data/dataset';
import type { TrainingConfig } from '../../src/core/config/schema';

before(async () => {
  // device: cpu, as users pick it: on Linux x64 with the addon built (as here) that is the native
  // kernels, never a silent fall back to the JavaScript ones.
  const { backend, skipped } = await loadBackend('cpu');
  assert.equal(backend, 'native', `device: cpu ran on ${backend} (skipped: ${skipped.join('; ')})`);
});

const near = (a: number, b: number, tolerance = 1e-12) => assert.ok(Math.abs(a - b) <= tolerance, `${a} vs ${b}`);

test('linear schedule with warmup: 0 at step 0, peak at the end of warmup, 0 at the end', () => {
  const s: Schedule = { type: 'linear', learningRate: 2e-5, warmupSteps: 4, totalSteps: 20 };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 12, 19, 20].map((k) => lrLambda(s, k)),
    [0, 0.25, 0.5, 0.75, 1, 0.5, 1 / 16, 0],
  );
  near(learningRateAt(s, 2), 1e-5);
  // The reference recipe has no warmup: lambda(k) = (N - k) / N.
  const noWarmup: Schedule = { type: 'linear', learningRate: 2e-5, warmupSteps: 0, totalSteps: 240 };
  near(learningRateAt(noWarmup, 0), 2e-5);
  near(learningRateAt(noWarmup, 120), 1e-5);
});

test('cosine, constant and constant_with_warmup schedules', () => {
  const cosine: Schedule = { type: 'cosine', learningRate: 1, warmupSteps: 2, totalSteps: 10 };
  assert.deepEqual(
    [0, 1, 2].map((k) => lrLambda(cosine, k)),
    [0, 0.5, 1],
  );
  near(lrLambda(cosine, 6), 0.5, 1e-12); // half-way through the decay: cos(pi/2)
  near(lrLambda(cosine, 10), 0, 1e-12);
  assert.equal(lrLambda({ ...cosine, type: 'constant' }, 0), 1);
  assert.deepEqual(
    [0, 1, 5].map((k) => lrLambda({ ...cosine, type: 'constant_with_warmup' }, k)),
    [0, 0.5, 1],
  );
});

test('warmup_ratio rounds up as the Trainer does; warmup_steps wins', () => {
  assert.equal(warmupSteps(240, 0, 0.1), 24);
  assert.equal(warmupSteps(95, 0, 0.1), 10);
  assert.equal(warmupSteps(240, 7, 0.1), 7);
});

test('steps and epochs: ceil(examples / batch) per epoch, max_steps overrides epochs', () => {
  const base = {
    per_device_train_batch_size: 20,
    gradient_accumulation_steps: 1,
    num_train_epochs: 2,
    max_steps: -1,
    warmup_steps: 0,
    warmup_ratio: 0,
  } as TrainingConfig;
  assert.deepEqual(planTraining(base, 2400), {
    batchesPerEpoch: 120,
    stepsPerEpoch: 120,
    totalSteps: 240,
    numEpochs: 2,
    warmupSteps: 0,
  });
  assert.equal(planTraining(base, 2401).stepsPerEpoch, 121);
  assert.deepEqual(planTraining({ ...base, gradient_accumulation_steps: 4 }, 2400).stepsPerEpoch, 30);
  assert.deepEqual(planTraining({ ...base, max_steps: 300 }, 2400), {
    batchesPerEpoch: 120,
    stepsPerEpoch: 120,
    totalSteps: 300,
    numEpochs: 3,
    warmupSteps: 0,
  });
  assert.equal(planTraining({ ...base, num_train_epochs: 1.5 }, 2400).totalSteps, 180);
});

test('clipping: the total norm over all tensors; gradients scaled by max / (norm + 1e-6) before AdamW', async () => {
  const grads = new Map([
    ['a', tf.tensor1d([3, 0])],
    ['b', tf.tensor1d([0, 4])],
  ]);
  const norm = await globalGradNorm(grads);
  near(norm, 5, 1e-6);
  const coef = clipCoefficient(norm, 1);
  near(coef, Math.fround(1 / Math.fround(5 + Math.fround(1e-6))), 1e-9);
  assert.equal(clipCoefficient(0.5, 1), 1, 'untouched below the limit');
  assert.equal(clipCoefficient(3, 0), 1, 'max_grad_norm 0 disables clipping');
  // AdamW applies the coefficient: with lr 0 nothing moves, but m holds (1 - b1) * coef * g.
  const config = parseDistilBertConfig({
    vocab_size: 4,
    dim: 2,
    n_layers: 1,
    n_heads: 1,
    hidden_dim: 2,
    max_position_embeddings: 4,
  });
  const optimizer = new AdamW(parameterSpecs(config), { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const params = new Map([['classifier.bias', tf.tensor1d([0, 0])]]);
  const { gradNorm } = await optimizer.apply(params, new Map([['classifier.bias', tf.tensor1d([3, 4])]]), 0, 1);
  near(gradNorm.dataSync()[0], 5, 1e-6);
  const m = (await optimizer.moments()).get('classifier.bias')!.expAvg;
  near(m[0], 0.1 * 3 * coef, 1e-7);
  near(m[1], 0.1 * 4 * coef, 1e-7);
});

test('AdamW: one step by hand, decoupled weight decay on weights only (not biases, not LayerNorm)', async () => {
  const config = parseDistilBertConfig({
    vocab_size: 4,
    dim: 2,
    n_layers: 1,
    n_heads: 1,
    hidden_dim: 2,
    max_position_embeddings: 4,
  });
  const specs = parameterSpecs(config);
  const decayed = specs.filter((s) => s.decay).map((s) => s.name);
  assert.ok(decayed.includes('distilbert.embeddings.word_embeddings.weight'));
  assert.ok(decayed.includes('distilbert.transformer.layer.0.attention.q_lin.weight'));
  assert.ok(decayed.includes('classifier.weight'));
  assert.ok(!decayed.some((n) => n.endsWith('.bias')), 'no bias decays');
  assert.ok(!decayed.some((n) => /LayerNorm|layer_norm/.test(n)), 'no LayerNorm weight decays');

  const optimizer = new AdamW(specs, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1 });
  const weight = 'classifier.weight';
  const bias = 'classifier.bias';
  const params = new Map([
    [weight, tf.tensor1d([1])],
    [bias, tf.tensor1d([1])],
  ]);
  await optimizer.apply(
    params,
    new Map([
      [weight, tf.tensor1d([0.5])],
      [bias, tf.tensor1d([0.5])],
    ]),
    0.01,
    0,
  );
  // t = 1: m = 0.05, v = 0.00025; m-hat = 0.5, v-hat = 0.25 -> update = lr * 0.5 / (0.5 + 1e-8) ~= 0.01
  const update = (0.01 * (0.05 / 0.1)) / (Math.sqrt(0.00025) / Math.sqrt(0.001) + 1e-8);
  near(params.get(weight)!.dataSync()[0], Math.fround(1 * (1 - 0.01 * 0.1) - update), 1e-6);
  near(params.get(bias)!.dataSync()[0], Math.fround(1 - update), 1e-6);
  assert.equal(optimizer.step, 1);
});

test('accuracy and every F1 average on known confusion matrices (values of sklearn)', () => {
  // truth:     0 0 0 0 1 1 1 2 2 2
  // predicted: 0 0 1 2 1 1 0 2 2 1
  const truth = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
  const predicted = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
  const m = confusionMatrix(truth, predicted, 3);
  assert.deepEqual(m, [
    [2, 1, 1],
    [1, 2, 0],
    [0, 1, 2],
  ]);
  assert.equal(accuracy(m), 0.6);
  const perClass = perClassMetrics(m, ['a', 'b', 'c']);
  // class 0: P 2/3, R 2/4, F1 4/7; class 1: P 2/4, R 2/3, F1 4/7; class 2: P 2/3, R 2/3, F1 2/3
  near(perClass[0].precision, 2 / 3);
  near(perClass[0].recall, 0.5);
  near(perClass[0].f1, 4 / 7);
  near(perClass[1].f1, 4 / 7);
  near(perClass[2].f1, 2 / 3);
  near(f1Score(m, 'macro'), (4 / 7 + 4 / 7 + 2 / 3) / 3);
  near(f1Score(m, 'weighted'), ((4 / 7) * 4 + (4 / 7) * 3 + (2 / 3) * 3) / 10); // sklearn: 0.6
  near(f1Score(m, 'weighted'), 0.6, 1e-12);
  near(f1Score(m, 'micro'), 0.6);
  // Binary: F1 of label 1. truth 0 1 1 0 1, predicted 0 1 0 0 1 -> P 1, R 2/3, F1 0.8
  const binary = confusionMatrix([0, 1, 1, 0, 1], [0, 1, 0, 0, 1], 2);
  near(f1Score(binary, 'binary'), 0.8);
  assert.throws(() => f1Score(m, 'binary'), /needs 2 labels/);
  // Zero division: a class never predicted and never true gives 0 and is left out of macro.
  const absent = confusionMatrix([0, 1], [0, 1], 3);
  near(f1Score(absent, 'macro'), 1);
  near(perClassMetrics(absent, ['a', 'b', 'c'])[2].precision, 0);
});

test('Training Loss: the latest mean loss logged before each evaluation, "No log" before any', () => {
  const history = [
    { step: 10, epoch: 0.5, eval_loss: 0.69, eval_accuracy: 0.5, eval_f1: 0.33 },
    { step: 15, epoch: 0.75, loss: 0.6931, learning_rate: 1e-5, grad_norm: 1 },
    { step: 20, epoch: 1, eval_loss: 0.5, eval_accuracy: 0.75, eval_f1: 0.74 },
    { step: 40, epoch: 2, eval_loss: 0.4, eval_accuracy: 0.8, eval_f1: 0.8 },
    {
      step: 40,
      epoch: 2,
      train_runtime: 10,
      train_loss: 0.6,
      train_samples_per_second: 1,
      train_steps_per_second: 1,
      total_flos: 0,
    },
  ];
  const { rows, evalResults } = parseLogHistory(history);
  assert.deepEqual(
    rows.map((r) => r[0][1]),
    ['No log', 0.6931, 0.6931],
  );
  assert.deepEqual(
    rows[0].map(([name]) => name),
    ['Training Loss', 'Epoch', 'Step', 'Validation Loss', 'Accuracy', 'F1'],
  );
  assert.deepEqual(
    evalResults.map(([name]) => name),
    ['Loss', 'Accuracy', 'F1'],
  );
  assert.equal(
    markdownTable(rows),
    '| Training Loss | Epoch | Step | Validation Loss | Accuracy | F1   |\n' +
      '|:-------------:|:-----:|:----:|:---------------:|:--------:|:----:|\n' +
      '| No log        | 0.5   | 10   | 0.69            | 0.5      | 0.33 |\n' +
      '| 0.6931        | 1.0   | 20   | 0.5             | 0.75     | 0.74 |\n' +
      '| 0.6931        | 2.0   | 40   | 0.4             | 0.8      | 0.8  |\n',
  );
});

test('numbers print as Python prints them in the model card', () => {
  assert.deepEqual([2e-5, 1e-8, 0.9, 0.999, 2, 0.0001, 1e16].map(pythonFloat), [
    '2e-05',
    '1e-08',
    '0.9',
    '0.999',
    '2.0',
    '0.0001',
    '1e+16',
  ]);
  assert.equal(maybeRound(0.123456), '0.1235');
  assert.equal(maybeRound(0.5), '0.5');
  assert.equal(maybeRound(120, true), '120');
  const lines = hyperparameters({
    learning_rate: 2e-5,
    per_device_train_batch_size: 20,
    per_device_eval_batch_size: 20,
    seed: 42,
    gradient_accumulation_steps: 1,
    adam_beta1: 0.9,
    adam_beta2: 0.999,
    adam_epsilon: 1e-8,
    lr_scheduler_type: 'linear',
    warmup_ratio: 0,
    warmup_steps: 0,
    max_steps: -1,
    num_train_epochs: 2,
  } as TrainingConfig);
  assert.deepEqual(lines, [
    ['learning_rate', '2e-05'],
    ['train_batch_size', '20'],
    ['eval_batch_size', '20'],
    ['seed', '42'],
    ['optimizer', 'Adam with betas=(0.9,0.999) and epsilon=1e-08'],
    ['lr_scheduler_type', 'linear'],
    ['num_epochs', '2'],
  ]);
});

test('the validation split is stratified, seeded and disjoint', () => {
  const labels = [...new Array(80).fill(0), ...new Array(20).fill(1)];
  const a = stratifiedSplit(labels, 2, 0.2, 42);
  const b = stratifiedSplit(labels, 2, 0.2, 42);
  const c = stratifiedSplit(labels, 2, 0.2, 7);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.validation, c.validation);
  assert.equal(a.validation.length, 20);
  assert.equal([...a.validation].filter((i) => labels[i] === 1).length, 4);
  assert.equal(new Set([...a.train, ...a.validation]).size, 100);
});

test('gradient accumulation: two micro-batches of 2 make the same update as one batch of 4', async () => {
  const fs = await import('node:fs');
  const { loadModel, disposeModel } = await import('../../src/core/model/modelFolder');
  const { optimizerStep } = await import('../../src/core/train/step');
  const { fixture } = await import('./helpers');
  const cases = JSON.parse(fs.readFileSync(fixture('tiny-distilbert', 'cases.json'), 'utf8'));
  const ids: number[][] = cases.batch.input_ids.map((row: number[]) => row.slice(0, 4)); // 4 rows, no padding
  const batch = (rows: number[][]) => ({
    inputIds: Int32Array.from(rows.flat()),
    attentionMask: Int32Array.from(rows.flat().map(() => 1)),
    batchSize: rows.length,
    seqLength: 4,
  });
  const labels = Int32Array.from(cases.batch.labels);
  const run = async (micro: Array<{ batch: ReturnType<typeof batch>; labels: Int32Array }>) => {
    const { model, specs } = loadModel(fixture('tiny-distilbert'), { seed: 0 });
    const optimizer = new AdamW(specs, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
    const result = await (await optimizerStep(model, optimizer, micro, 1e-3, 1, undefined)).read();
    const weights = Array.from(model.params.get('classifier.weight')!.dataSync());
    optimizer.dispose();
    disposeModel(model);
    return { result, weights };
  };
  const whole = await run([{ batch: batch(ids), labels }]);
  const accumulated = await run([
    { batch: batch(ids.slice(0, 2)), labels: labels.slice(0, 2) },
    { batch: batch(ids.slice(2)), labels: labels.slice(2) },
  ]);
  near(accumulated.result.loss, whole.result.loss, 1e-6);
  near(accumulated.result.gradNorm, whole.result.gradNorm, 1e-6);
  whole.weights.forEach((w, i) => near(accumulated.weights[i], w, 1e-7));
});
