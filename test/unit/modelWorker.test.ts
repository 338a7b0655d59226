// The model worker as the editor runs it: a real child process (dist/modelWorker.js) started by
// ModelWorkerClient, with a model trained here by the real CLI. One model stays loaded between
// requests; Predict Labels writes <name>.predictions.<ext> and nothing else; a cancelled request
// writes nothing; the worker ends after its idle time and a dead one is replaced.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { parseCsv } from '../../src/core/data/csv';
import { ModelWorkerClient, ModelWorkerError } from '../../src/run/modelWorkerClient';
import { REPO_ROOT, smallModel, tempDir, uciSample, writeConfig } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const WORKER = path.join(REPO_ROOT, 'dist', 'modelWorker.js');
const dir = tempDir('model-worker');
const model = path.join(dir, 'out');
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const clients: ModelWorkerClient[] = [];

function client(idleMs = 60_000): ModelWorkerClient {
  const created = new ModelWorkerClient({ workerPath: WORKER, idleMs });
  clients.push(created);
  return created;
}

before(() => {
  smallModel(path.join(dir, 'small-model'));
  uciSample(dir, 400);
  const { file } = writeConfig(dir, {
    model: './small-model',
    train_file: 'reviews.csv',
    learning_rate: 1e-3,
    num_train_epochs: 2,
    per_device_train_batch_size: 16,
    max_length: 32,
    save_strategy: 'no',
    output_dir: 'out',
  });
  const trained = spawnSync(process.execPath, [CLI, 'train', file], { encoding: 'utf8' });
  assert.equal(trained.status, 0, trained.stderr);
});

after(() => clients.forEach((c) => c.dispose()));

test('classify: the CLI predict answers, and the second request finds the model loaded in the same worker', async () => {
  const worker = client();
  const texts = ['Great phone, works perfectly.', 'Terrible, it broke after a day.', 'ok'];
  const first = await worker.request({ type: 'classify', model, texts }).answer;
  assert.equal(first.type, 'classified');
  assert.ok(first.load_seconds > 0, 'the first request loads the model');
  const pid = worker.pid;
  const second = await worker.request({ type: 'classify', model, texts }).answer;
  assert.equal(second.load_seconds, 0, 'the second finds it loaded');
  assert.equal(worker.pid, pid, 'in the same worker');
  assert.ok(first.type === 'classified' && second.type === 'classified');
  const cli = spawnSync(
    process.execPath,
    [CLI, 'predict', '--model', model, '--json', ...texts.flatMap((t) => ['--text', t])],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(cli.status, 0, cli.stderr);
  const expected = cli.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { label: string; probabilities: Record<string, number> });
  second.results.forEach((result, i) => {
    assert.equal(result.text, texts[i]);
    assert.equal(result.label, expected[i].label);
    assert.deepEqual(Object.keys(result.probabilities), ['negative', 'positive']);
    for (const [label, p] of Object.entries(result.probabilities))
      assert.ok(Math.abs(p - expected[i].probabilities[label]) < 1e-6, `${label}: ${p}`);
  });
  assert.match(second.backend, /native|WebAssembly|wasm|CPU/i);
});

test('predict a CSV: <name>.predictions.csv has every row and column as it was plus two, and the input is untouched', async () => {
  const input = path.join(dir, 'unlabelled.csv');
  fs.writeFileSync(
    input,
    'id,comment,source\n1,"Great value, would buy again",web\n2,"He said ""never again""",store\n3,,web\n4,Battery died in a week,app\n',
  );
  const before = sha256(input);
  const progress: number[] = [];
  const answer = await client().request({ type: 'predictFile', model, file: input }, (done) => progress.push(done))
    .answer;
  assert.equal(answer.type, 'predicted');
  assert.ok(answer.type === 'predicted');
  assert.equal(answer.result.output, path.join(dir, 'unlabelled.predictions.csv'));
  assert.equal(answer.result.textColumn, 'comment', 'the text column is guessed');
  assert.equal(sha256(input), before, 'the input is never written');
  const [header, ...rows] = parseCsv(fs.readFileSync(answer.result.output, 'utf8')).map((r) => r.fields);
  assert.deepEqual(header, ['id', 'comment', 'source', 'predicted_label', 'predicted_score']);
  assert.deepEqual(
    rows.map((r) => r.slice(0, 3)),
    [
      ['1', 'Great value, would buy again', 'web'],
      ['2', 'He said "never again"', 'store'],
      ['3', '', 'web'],
      ['4', 'Battery died in a week', 'app'],
    ],
  );
  for (const i of [0, 1, 3]) {
    assert.ok(['negative', 'positive'].includes(rows[i][3]));
    assert.ok(Number(rows[i][4]) >= 0.5 && Number(rows[i][4]) <= 1);
  }
  assert.deepEqual(rows[2].slice(3), ['', ''], 'a blank text gets no prediction');
  assert.deepEqual(progress, [3]);
  assert.deepEqual(
    fs.readdirSync(dir).filter((n) => n.startsWith('.')),
    [],
    'no temporary file left',
  );
});

test('predict a JSON lines file: each object keeps its fields and gains the two', async () => {
  const input = path.join(dir, 'tickets.jsonl');
  fs.writeFileSync(input, '{"text":"Love it","meta":{"n":1}}\n{"text":"Awful sound","meta":null}\n');
  const answer = await client().request({ type: 'predictFile', model, file: input, text_column: 'text' }).answer;
  assert.ok(answer.type === 'predicted');
  const lines = fs
    .readFileSync(path.join(dir, 'tickets.predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => Object.keys(l)),
    [
      ['text', 'meta', 'predicted_label', 'predicted_score'],
      ['text', 'meta', 'predicted_label', 'predicted_score'],
    ],
  );
  assert.deepEqual(lines[0].meta, { n: 1 });
});

test('predict a TSV that has a predicted_label column already, and a JSON array: nothing of theirs is replaced', async () => {
  const tsv = path.join(dir, 'earlier.tsv');
  fs.writeFileSync(tsv, 'text\tpredicted_label\nGood value\tby hand\nNot worth it\t\n');
  const answer = await client().request({ type: 'predictFile', model, file: tsv }).answer;
  assert.ok(answer.type === 'predicted');
  assert.deepEqual(answer.result.columns, { label: 'predicted_label_2', score: 'predicted_score' });
  const rows = fs
    .readFileSync(path.join(dir, 'earlier.predictions.tsv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('\t'));
  assert.deepEqual(rows[0], ['text', 'predicted_label', 'predicted_label_2', 'predicted_score']);
  assert.deepEqual(
    rows.slice(1).map((r) => r.slice(0, 2)),
    [
      ['Good value', 'by hand'],
      ['Not worth it', ''],
    ],
  );

  const json = path.join(dir, 'items.json');
  fs.writeFileSync(
    json,
    JSON.stringify([
      { text: 'Love it', stars: 5 },
      { text: 'Hate it', stars: 1 },
    ]),
  );
  const again = await client().request({ type: 'predictFile', model, file: json }).answer;
  assert.ok(again.type === 'predicted');
  const items = JSON.parse(fs.readFileSync(path.join(dir, 'items.predictions.json'), 'utf8')) as Array<
    Record<string, unknown>
  >;
  assert.deepEqual(
    items.map((i) => [i.text, i.stars, typeof i.predicted_label, typeof i.predicted_score]),
    [
      ['Love it', 5, 'string', 'number'],
      ['Hate it', 1, 'string', 'number'],
    ],
  );
});

test('evaluate a labelled file: the metrics of the CLI evaluate, with per-class metrics and the confusion matrix', async () => {
  const data = uciSample(dir, 120, 'held-out.csv');
  const answer = await client().request({ type: 'evaluateFile', model, file: data }).answer;
  assert.ok(answer.type === 'evaluated');
  const cli = spawnSync(process.execPath, [CLI, 'evaluate', '--model', model, '--data', data, '--json'], {
    encoding: 'utf8',
  });
  assert.equal(cli.status, 0, cli.stderr);
  const expected = JSON.parse(cli.stdout) as { eval_accuracy: number; eval_f1: number };
  const { metrics, examples } = answer.evaluation;
  assert.equal(examples, 120);
  assert.equal(metrics.eval_accuracy, expected.eval_accuracy);
  assert.equal(metrics.eval_f1, expected.eval_f1);
  assert.deepEqual(metrics.labels, ['negative', 'positive']);
  assert.equal(
    metrics.confusion_matrix.flat().reduce((a, b) => a + b, 0),
    120,
  );
  assert.match(answer.evaluation.warning ?? '', /training/, 'these rows are the training file');
});

test('a cancelled prediction writes nothing; the worker answers the next request', async () => {
  const input = path.join(dir, 'many.csv');
  const lines = fs.readFileSync(path.join(dir, 'reviews.csv'), 'utf8').trimEnd().split('\n');
  fs.writeFileSync(input, `${lines[0]}\n${Array.from({ length: 20 }, () => lines.slice(1).join('\n')).join('\n')}\n`);
  const worker = client();
  let cancel = () => {};
  const started = worker.request({ type: 'predictFile', model, file: input }, () => cancel());
  cancel = started.cancel;
  await assert.rejects(
    started.answer,
    (error: ModelWorkerError) => error.cancelled && /nothing was written/.test(error.message),
  );
  assert.ok(!fs.existsSync(path.join(dir, 'many.predictions.csv')));
  const next = await worker.request({ type: 'classify', model, texts: ['fine'] }).answer;
  assert.equal(next.type, 'classified');
});

test('a model that cannot load is a clear error, and the worker lives on', async () => {
  const worker = client();
  await assert.rejects(
    worker.request({ type: 'classify', model: path.join(dir, 'no-such-model'), texts: ['x'] }).answer,
    (error: ModelWorkerError) => /neither a folder nor a Hugging Face hub id|no-such-model/.test(error.message),
  );
  const pid = worker.pid;
  assert.equal((await worker.request({ type: 'classify', model, texts: ['x'] }).answer).type, 'classified');
  assert.equal(worker.pid, pid);
});

test('the worker ends after its idle time; a killed one fails its request and the next starts afresh', async () => {
  const worker = client(1500);
  await worker.request({ type: 'classify', model, texts: ['x'] }).answer;
  const answered = Date.now();
  const pid = worker.pid!;
  // The client forgets its worker on the child's exit event: wait for that, not for a fixed time.
  while (worker.pid !== undefined) {
    assert.ok(Date.now() - answered < 30_000, 'the idle worker ends');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const idle = Date.now() - answered;
  assert.ok(idle >= 1400, `the worker ended ${idle} ms after its last answer, before its 1500 ms idle time`);
  assert.throws(() => process.kill(pid, 0), 'and its process is gone');

  const pending = worker.request({ type: 'classify', model, texts: ['x'] });
  process.kill(worker.pid!, 'SIGKILL');
  await assert.rejects(pending.answer, /the model worker was stopped \(SIGKILL\)/);
  assert.equal((await worker.request({ type: 'classify', model, texts: ['x'] }).answer).type, 'classified');
});
