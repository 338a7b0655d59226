// From dataset files to examples: every kind of bad input is a clear one-line error at the right
// place, and the dataset file is never written to.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { prepareData, type DataSettings } from '../../src/core/data/dataset';
import { UserError } from '../../src/core/errors';
import { tempDir } from './helpers';

const dir = tempDir('dataset');
const encode = (text: string, pair?: string) => Array.from(`${text}${pair ?? ''}`, (c) => c.charCodeAt(0) % 50);
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}
const settings = (trainFile: string, more: Partial<DataSettings> = {}): DataSettings => ({
  trainFile,
  validationSplit: 0.25,
  seed: 42,
  ...more,
});
const rows = (n: number, label: (i: number) => string = (i) => (i % 2 ? 'pos' : 'neg')) =>
  Array.from({ length: n }, (_, i) => `text number ${i},${label(i)}`).join('\n');

test('labels are sorted into stable ids, columns guessed and reported, the split stratified', async () => {
  const data = await prepareData(settings(file('ok.csv', `review,sentiment\n${rows(40)}\n`)), encode);
  assert.deepEqual(data.labels, ['neg', 'pos']);
  assert.equal(data.textColumn, 'review');
  assert.equal(data.labelColumn, 'sentiment');
  assert.ok(data.notes.some((n) => /guessed text column `review`/.test(n)));
  assert.equal(data.train.count + data.validation.count, 40);
  assert.equal(data.validation.count, 10);
  assert.equal([...data.validation.labels].filter((l) => l === 1).length, 5);
  // Integer labels sort numerically (2 < 10), so label2id keeps their values' order.
  const numeric = await prepareData(
    settings(file('num.csv', `t,l\n${rows(30, (i) => String([2, 10, 1][i % 3]))}\n`), {
      textColumn: 't',
      labelColumn: 'l',
    }),
    encode,
  );
  assert.deepEqual(numeric.labels, ['1', '2', '10']);
});

test('empty texts and labels are skipped with a count; all empty is an error', async () => {
  const data = await prepareData(
    settings(file('gaps.csv', `text,label\n${rows(20)}\n,pos\n  ,neg\nsomething,\n`), {
      textColumn: 'text',
      labelColumn: 'label',
    }),
    encode,
  );
  assert.ok(data.notes.includes('gaps.csv: skipped 3 of 23 rows (2 with an empty text, 1 with an empty label)'));
  await assert.rejects(
    prepareData(
      settings(file('allempty.csv', 'text,label\n,a\n,b\n'), { textColumn: 'text', labelColumn: 'label' }),
      encode,
    ),
    /allempty\.csv: all 2 rows have an empty text \(`text`\)/,
  );
});

test('one class only, a missing column, a malformed row, an empty or missing file', async () => {
  await assert.rejects(
    prepareData(
      settings(file('one.csv', `text,label\n${rows(10, () => 'pos')}\n`), { textColumn: 'text', labelColumn: 'label' }),
      encode,
    ),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === 'one.csv: every row has the label "pos"; a classifier needs at least two classes',
  );
  await assert.rejects(
    prepareData(
      settings(file('cols.csv', `body,label\n${rows(10)}\n`), { textColumn: 'text', labelColumn: 'label' }),
      encode,
    ),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === 'cols.csv: no column `text` (text_column); the columns are `body`, `label`',
  );
  await assert.rejects(
    prepareData(
      settings(file('bad.csv', `text,label\n${rows(4)}\nthis, has, commas,pos\n`), {
        textColumn: 'text',
        labelColumn: 'label',
      }),
      encode,
    ),
    /bad\.csv:6: 4 fields, but the header has 2/,
  );
  await assert.rejects(prepareData(settings(file('empty.csv', '')), encode), /empty\.csv: the file is empty/);
  await assert.rejects(prepareData(settings(path.join(dir, 'missing.csv')), encode), /missing\.csv: no such file/);
});

test('a validation label unseen in training is an error naming its row', async () => {
  const train = file(
    'train.jsonl',
    Array.from({ length: 10 }, (_, i) => JSON.stringify({ text: `t${i}`, label: i % 2 ? 'a' : 'b' })).join('\n'),
  );
  const validation = file(
    'valid.jsonl',
    [JSON.stringify({ text: 'x', label: 'a' }), JSON.stringify({ text: 'y', label: 'c' })].join('\n'),
  );
  await assert.rejects(
    prepareData(settings(train, { validationFile: validation, textColumn: 'text', labelColumn: 'label' }), encode),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === 'valid.jsonl:2: the label of this row does not occur in train.jsonl' &&
      /"a", "b"/.test(e.hint!),
  );
});

test('too few rows for the split is an error with a way out', async () => {
  await assert.rejects(
    prepareData(
      settings(file('tiny.csv', 'text,label\na,x\nb,y\n'), { textColumn: 'text', labelColumn: 'label' }),
      encode,
    ),
    /tiny\.csv: 2 rows are too few for a validation_split of 0\.25/,
  );
});

test('the dataset file is never written to', async () => {
  const p = file('ro.csv', `text,label\n${rows(20)}\n`);
  const before = fs.statSync(p);
  fs.chmodSync(p, 0o444);
  await prepareData(settings(p, { textColumn: 'text', labelColumn: 'label' }), encode);
  const after = fs.statSync(p);
  assert.equal(after.mtimeMs, before.mtimeMs);
  assert.equal(after.size, before.size);
});
