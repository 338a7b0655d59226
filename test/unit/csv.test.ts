import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvParser, CsvSyntaxError, parseCsv, sniffDelimiter } from '../../src/core/data/csv';

const fields = (text: string, d = ',') => parseCsv(text, d).map((r) => r.fields);

test('RFC 4180: quotes, doubled quotes, delimiters and newlines inside quotes', () => {
  assert.deepEqual(fields('text,label\n"Good, cheap",pos\n"He said ""hi""",neg\n"two\nlines",pos\n'), [
    ['text', 'label'],
    ['Good, cheap', 'pos'],
    ['He said "hi"', 'neg'],
    ['two\nlines', 'pos'],
  ]);
});

test('CRLF, lone CR, a byte-order mark, blank lines and no final newline', () => {
  assert.deepEqual(fields('\uFEFFa,b\r\n1,2\r\n\r\n3,4\r5,6'), [
    ['a', 'b'],
    ['1', '2'],
    ['3', '4'],
    ['5', '6'],
  ]);
});

test('empty fields and a trailing delimiter', () => {
  assert.deepEqual(fields('a,b,c\n,,\n1,,\n'), [
    ['a', 'b', 'c'],
    ['', '', ''],
    ['1', '', ''],
  ]);
});

test('records carry the physical line they start on, across quoted newlines and CRLF', () => {
  const records = parseCsv('h1,h2\r\n"x\r\ny",1\r\nz,2\r\n');
  assert.deepEqual(
    records.map((r) => r.line),
    [1, 2, 4],
  );
});

test('chunk boundaries anywhere give the same records', () => {
  const text = 'text,label\r\n"a, ""quoted""\r\nvalue",1\r\nplain,2\n"x",3';
  const whole = parseCsv(text);
  for (let size = 1; size <= 7; size++) {
    const parser = new CsvParser(',');
    const records = [];
    for (let i = 0; i < text.length; i += size) records.push(...parser.push(text.slice(i, i + size)));
    records.push(...parser.end());
    assert.deepEqual(records, whole, `chunk size ${size}`);
  }
});

test('an unclosed quote is an error that names the line where the quote opened', () => {
  assert.throws(
    () => parseCsv('a,b\n1,2\n"never closed,3\n4,5\n'),
    (e: unknown) => e instanceof CsvSyntaxError && e.line === 3,
  );
});

test('tabs and other delimiters', () => {
  assert.deepEqual(fields('a\tb\n"x\ty"\t2\n', '\t'), [
    ['a', 'b'],
    ['x\ty', '2'],
  ]);
  assert.equal(sniffDelimiter('text;label'), ';');
  assert.equal(sniffDelimiter('text\tlabel'), '\t');
  assert.equal(sniffDelimiter('"a;b",c'), ',');
  assert.equal(sniffDelimiter('single'), ',');
});

test('a byte-order mark after an empty first chunk is still the byte-order mark (found by the chunking property)', () => {
  const parser = new CsvParser(',');
  const records = [...parser.push(''), ...parser.push('\uFEFFa,b\n'), ...parser.end()];
  assert.deepEqual(
    records.map((r) => r.fields),
    [['a', 'b']],
  );
});
