// Property-based tests (fast-check) of everything that reads user files: any bytes given to the
// dataset readers, any text given to the config loader, end in data or in a clean UserError —
// never another exception, a hang or a crash. Plus round trips that pin down what "data" means.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { fileSystemEnvironment, loadConfigFile } from '../../src/core/config/environment';
import { CONFIG_KEYS } from '../../src/core/config/schema';
import { validateConfig } from '../../src/core/config/validate';
import { CsvParser } from '../../src/core/data/csv';
import { inspectDatasetSync, readRows, type DatasetRow } from '../../src/core/data/readers';
import { Utf8Decoder } from '../../src/core/data/text';
import { UserError } from '../../src/core/errors';
import { tempDir, uciSample } from './helpers';

const dir = tempDir('properties');
fs.writeFileSync(path.join(dir, 'data.csv'), 'text,label\na,b\nc,d\n');
const RUNS = { numRuns: 200 };

/** Reads a file's rows; a UserError is a clean outcome, anything else is rethrown (a failure). */
async function readOrUserError(file: string): Promise<DatasetRow[] | UserError> {
  const rows: DatasetRow[] = [];
  try {
    for await (const row of readRows(file)) rows.push(row);
    return rows;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
}

let fileCount = 0;
function writeTemp(extension: string, data: string | Uint8Array): string {
  const file = path.join(dir, `case-${++fileCount}${extension}`);
  fs.writeFileSync(file, data);
  return file;
}

/** Text made mostly of what CSV and JSON care about, so the generator reaches the parsers' corners. */
const trickyText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', ',', ';', '\t', '\n', '\r', '{', '}', '[', ']', ':', ' ', '\uFEFF', 'é', '😀', 'a', 'b'),
    fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
  ),
  maxLength: 200,
});

for (const extension of ['.csv', '.tsv', '.jsonl', '.json']) {
  test(`${extension}: any bytes are read as rows or refused with a UserError`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        const file = writeTemp(extension, bytes);
        await readOrUserError(file);
        // The editor's look at the file: its columns or a problem, never neither (which is what an
        // exception other than a UserError comes out as).
        const header = inspectDatasetSync(file);
        assert.ok(header.columns !== undefined || header.problem !== undefined, 'columns or a problem');
        if (header.problem !== undefined)
          assert.ok(header.problem.startsWith(path.basename(file)), `names the file: ${header.problem}`);
      }),
      RUNS,
    );
  });

  test(`${extension}: any text of quotes, delimiters, brackets and newlines is read as rows or refused with a UserError`, async () => {
    await fc.assert(
      fc.asyncProperty(trickyText, async (text) => {
        const file = writeTemp(extension, text);
        const outcome = await readOrUserError(file);
        if (outcome instanceof UserError)
          assert.ok(outcome.message.startsWith(path.basename(file)), `names the file: ${outcome.message}`);
        inspectDatasetSync(file);
      }),
      RUNS,
    );
  });
}

test('CSV: any table written with RFC 4180 quoting reads back cell for cell', async () => {
  const cell = fc.string({ unit: fc.constantFrom('"', ',', '\n', '\r\n', ' ', 'x', 'é', '😀'), maxLength: 12 });
  const table = fc.integer({ min: 2, max: 4 }).chain((width) =>
    fc.record({
      header: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: width, maxLength: width }),
      rows: fc.array(fc.array(cell, { minLength: width, maxLength: width }), { minLength: 1, maxLength: 8 }),
    }),
  );
  const quote = (field: string) => `"${field.replace(/"/g, '""')}"`;
  await fc.assert(
    fc.asyncProperty(table, fc.boolean(), async ({ header, rows }, crlf) => {
      const newline = crlf ? '\r\n' : '\n';
      const text = [header.join(','), ...rows.map((r) => r.map(quote).join(','))].join(newline) + newline;
      const outcome = await readOrUserError(writeTemp('.csv', text));
      assert.ok(Array.isArray(outcome), String(outcome));
      assert.deepEqual(
        outcome.map((row) => header.map((h) => row.values[h])),
        rows,
      );
    }),
    RUNS,
  );
});

test('CSV: parsing in chunks of any sizes gives the records of parsing the whole text', () => {
  fc.assert(
    fc.property(trickyText, fc.array(fc.nat({ max: 50 }), { maxLength: 10 }), (text, cuts) => {
      const whole = (() => {
        const parser = new CsvParser(',');
        try {
          return [...parser.push(text), ...parser.end()];
        } catch (error) {
          return (error as Error).message;
        }
      })();
      const parser = new CsvParser(',');
      const records = [];
      let at = 0;
      try {
        for (const cut of cuts) {
          records.push(...parser.push(text.slice(at, at + cut)));
          at += cut;
        }
        records.push(...parser.push(text.slice(at)), ...parser.end());
        assert.deepEqual(records, whole);
      } catch (error) {
        assert.equal((error as Error).message, whole);
      }
    }),
    RUNS,
  );
});

test('UTF-8: text cut into byte chunks anywhere, even inside a character or a byte-order mark, decodes to the same text', () => {
  const text = fc.string({
    unit: fc.oneof(
      fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }),
      fc.constantFrom('\uFEFF', 'é', '€', '😀'),
    ),
    maxLength: 60,
  });
  fc.assert(
    fc.property(text, fc.array(fc.nat({ max: 20 }), { maxLength: 10 }), (text, cuts) => {
      const bytes = Buffer.from(text.replace(/\0/g, ''), 'utf8');
      const decoder = new Utf8Decoder('x.csv');
      let decoded = '';
      let at = 0;
      for (const cut of cuts) {
        decoded += decoder.push(bytes.subarray(at, at + cut));
        at = Math.min(bytes.length, at + cut);
      }
      decoded += decoder.push(bytes.subarray(at)) + decoder.end();
      assert.equal(decoded, bytes.toString('utf8').replace(/^\uFEFF/, ''));
    }),
    RUNS,
  );
});

test('UTF-8: bytes that are not UTF-8 are refused with the line of the first bad byte', () => {
  fc.assert(
    fc.property(
      fc.array(fc.stringMatching(/^[a-z,]{0,10}$/), { minLength: 1, maxLength: 6 }),
      fc.constantFrom(0x80, 0xc3, 0xe9, 0xff, 0xfe),
      (lines, bad) => {
        const good = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
        const bytes = Buffer.concat([good, Buffer.from([bad, 0x41])]);
        assert.throws(
          () => new Utf8Decoder('x.csv').push(bytes) + new Utf8Decoder('x.csv').end(),
          (error: unknown) => {
            return (
              error instanceof UserError &&
              error.message.startsWith(`x.csv:${lines.length + 1}: the file is not UTF-8 text`)
            );
          },
        );
      },
    ),
    RUNS,
  );
});

test('config: any text is a config or a list of problems with ranges inside the text — never an exception', () => {
  const yamlish = fc.string({
    unit: fc.oneof(
      fc.constantFrom(
        ':',
        ' ',
        '\n',
        '-',
        '[',
        ']',
        '{',
        '}',
        '"',
        "'",
        '#',
        '&',
        '*',
        '!',
        '|',
        '>',
        '%',
        '@',
        '`',
        '\t',
      ),
      fc.constantFrom(...CONFIG_KEYS),
      fc.string({ maxLength: 3 }),
    ),
    maxLength: 120,
  });
  fc.assert(
    fc.property(yamlish, (text) => {
      const { problems, config } = validateConfig(text, fileSystemEnvironment(dir));
      const errors = problems.filter((p) => p.severity === 'error');
      assert.ok((config === undefined) === errors.length > 0, 'a config exactly when there is no error');
      for (const p of problems)
        assert.ok(
          p.range[0] >= 0 && p.range[0] <= p.range[1] && p.range[1] <= text.length,
          `range ${p.range} in ${text.length} chars`,
        );
    }),
    RUNS,
  );
});

test('config: any values for the real keys are accepted or refused key by key; the loader throws only UserErrors', () => {
  const anyValue = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.double(),
    fc.integer(),
    fc.constantFrom('data.csv', 'cpu', 'linear', 'epoch', 'no', true, false, null, -1, 0, 1e308, Number.NaN),
  );
  const keys = fc.dictionary(fc.constantFrom(...CONFIG_KEYS), anyValue, { maxKeys: 8 });
  fc.assert(
    fc.property(keys, fc.boolean(), (values, withTrainFile) => {
      const text = stringify(withTrainFile ? { train_file: 'data.csv', ...values } : values);
      const file = path.join(dir, 'any.finetune.yaml');
      fs.writeFileSync(file, text);
      try {
        const { config } = loadConfigFile(file);
        for (const key of Object.keys(config)) assert.ok((CONFIG_KEYS as string[]).includes(key), key);
      } catch (error) {
        assert.ok(error instanceof UserError, String(error));
        // Where, then what: `any.finetune.yaml:<line>: <the first problem>`.
        assert.match(error.message, /^any\.finetune\.yaml:\d+: \S/);
      }
    }),
    RUNS,
  );
});

test('a real dataset reads the same through the property-tested path', async () => {
  const outcome = await readOrUserError(uciSample(dir, 50, 'uci.csv'));
  assert.ok(Array.isArray(outcome) && outcome.length === 50);
});
