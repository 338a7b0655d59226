import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { readColumnsSync, readRows } from '../../src/core/data/readers';
import { guessColumns } from '../../src/core/data/columns';
import { UserError } from '../../src/core/errors';
import { fixture } from './helpers';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readers-'));
function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}
async function all(file: string) {
  const rows = [];
  for await (const row of readRows(file)) rows.push(row);
  return rows;
}

test('CSV rows become objects keyed by the header, with their location', async () => {
  const rows = await all(write('a.csv', 'text,label\n"hi, there",pos\nbye,neg\n'));
  assert.deepEqual(rows, [
    { values: { text: 'hi, there', label: 'pos' }, location: 'a.csv:2' },
    { values: { text: 'bye', label: 'neg' }, location: 'a.csv:3' },
  ]);
});

test('semicolon CSV, TSV, JSON lines and JSON arrays read the same', async () => {
  const expected = [
    { text: 'x', label: 'a' },
    { text: 'y', label: 'b' },
  ];
  for (const [name, text] of [
    ['s.csv', 'text;label\nx;a\ny;b\n'],
    ['t.tsv', 'text\tlabel\nx\ta\ny\tb\n'],
    ['l.jsonl', '{"text":"x","label":"a"}\n\n{"text":"y","label":"b"}'],
    ['j.json', JSON.stringify(expected)],
    ['d.json', JSON.stringify({ data: expected })],
  ]) {
    assert.deepEqual(
      (await all(write(name, text))).map((r) => r.values),
      expected,
      name,
    );
  }
});

test('a row with the wrong number of fields names its line and the fix', async () => {
  const file = write('bad.csv', 'text,label\nok,pos\nnot, quoted,neg\n');
  await assert.rejects(
    all(file),
    (e: unknown) =>
      e instanceof UserError &&
      e.message === 'bad.csv:3: 3 fields, but the header has 2 (delimiter ",")' &&
      /quoted/.test(e.hint!),
  );
});

test('broken JSON lines, empty and missing files are user errors with a place', async () => {
  await assert.rejects(
    all(write('bad.jsonl', '{"text":"a","label":1}\n{"text": oops}\n')),
    /bad\.jsonl:2: invalid JSON/,
  );
  await assert.rejects(all(write('empty.csv', '')), /empty\.csv: the file is empty/);
  await assert.rejects(all(path.join(dir, 'nope.csv')), /no such file/);
  await assert.rejects(all(write('arr.json', '[1, 2]')), /arr\.json item 1: expected a JSON object/);
  await assert.rejects(
    all(write('q.csv', 'text,label\n"open,1\n')),
    /q\.csv:2: a quoted field starts here and is never closed/,
  );
});

test('columns come from the header without reading the whole file', () => {
  assert.deepEqual(readColumnsSync(fixture('workspace/reviews.csv')), ['text', 'label']);
  assert.deepEqual(readColumnsSync(write('c.jsonl', '{"a":1,"b":2}\n{"a":1,"c":3}\n')), ['a', 'b', 'c']);
  assert.equal(readColumnsSync(path.join(dir, 'missing.csv')), undefined);
});

test('the real datasets read completely, and their columns are guessed right', async () => {
  for (const [file, count] of [
    ['data/uci_sentiment.csv', 3000],
    ['data/spamassassin.csv', 5857],
  ] as const) {
    const rows = await all(fixture(file));
    assert.equal(rows.length, count, file);
    const guess = guessColumns(
      readColumnsSync(fixture(file))!,
      rows.slice(0, 2000).map((r) => r.values),
    );
    assert.equal(guess.textColumn, 'text', file);
    assert.equal(guess.labelColumn, 'label', file);
  }
});

test('column guessing: longest strings for text, few distinct values for labels, names break ties', () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({
    id: String(i),
    body: `a fairly long review number ${i}`,
    title: `t${i}`,
    stars: String(1 + (i % 5)),
    split: i % 2 ? 'a' : 'b',
  }));
  const guess = guessColumns(['id', 'body', 'title', 'stars', 'split'], rows);
  assert.equal(guess.textColumn, 'body');
  assert.equal(guess.labelColumn, 'split');
  const named = guessColumns(
    ['text', 'sentiment', 'other'],
    rows.map((r, i) => ({ text: r.body, sentiment: i % 3 ? 'pos' : 'neg', other: i % 2 ? 'x' : 'y' })),
  );
  assert.equal(named.labelColumn, 'sentiment');
  assert.equal(named.reasons.length, 2);
});

test('a UTF-8 byte-order mark is dropped in every format (the decoder does it once for all)', async () => {
  const bom = '\uFEFF';
  const files = [
    write('bom.csv', `${bom}text,label\ngood,pos\n`),
    write('bom.tsv', `${bom}text\tlabel\ngood\tpos\n`),
    write('bom.jsonl', `${bom}{"text": "good", "label": "pos"}\n`),
    write('bom.json', `${bom}[{"text": "good", "label": "pos"}]`),
  ];
  for (const file of files) {
    const rows = await all(file);
    assert.deepEqual(
      rows.map((r) => r.values),
      [{ text: 'good', label: 'pos' }],
      file,
    );
    assert.deepEqual(readColumnsSync(file), ['text', 'label'], file);
  }
});
