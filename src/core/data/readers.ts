// Readers for the dataset formats: CSV (and other delimiters), TSV, JSON lines, JSON.
//
// Rows stream out one at a time with their location ("reviews.csv:17"), so memory stays bounded
// for large CSV and JSONL files. A JSON array is parsed whole (JSON has no record boundaries).
// Files are opened read-only: the dataset is never written to.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CsvParser, CsvSyntaxError, sniffDelimiter, type CsvRecord } from './csv';
import { UserError, atLine } from '../errors';
import { Utf8Decoder } from './text';

export type DatasetFormat = 'csv' | 'tsv' | 'jsonl' | 'json';

export interface DatasetRow {
  values: Record<string, unknown>;
  /** Where the row is, for messages: "reviews.csv:17" or "data.json item 12". */
  location: string;
}

const FORMATS: Record<string, DatasetFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.jsonl': 'jsonl',
  '.json': 'json',
  '.txt': 'tsv',
  '.ndjson': 'jsonl',
};

export function formatOf(file: string): DatasetFormat {
  const format = FORMATS[path.extname(file).toLowerCase()];
  if (!format)
    throw new UserError(
      `${path.basename(file)}: not a dataset format this reads`,
      'Use a .csv, .tsv, .jsonl or .json file.',
    );
  return format;
}

/** Throws a UserError unless `file` is a non-empty regular file. */
export function assertReadableDataset(file: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new UserError(
      `${file}: no such file`,
      'Check `train_file` / `validation_file`; relative paths resolve against the config file.',
    );
  }
  if (stat.isDirectory()) throw new UserError(`${file} is a folder, not a dataset file`);
  if (!stat.isFile())
    throw new UserError(
      `${file} is not a regular file (a pipe, socket or device)`,
      'A dataset is read more than once (columns, then rows): save it to a file first.',
    );
  if (stat.size === 0)
    throw new UserError(
      `${path.basename(file)}: the file is empty`,
      'A dataset needs a header and at least one row per class.',
    );
}

const CHUNK_BYTES = 1 << 20;

/** Streams the rows of a dataset file. Throws UserError on the first malformed row. */
export async function* readRows(file: string): AsyncGenerator<DatasetRow> {
  assertReadableDataset(file);
  const format = formatOf(file);
  const name = path.basename(file);
  if (format === 'json') {
    yield* jsonRows(file, name);
    return;
  }
  const stream = textChunks(file, name);
  if (format === 'jsonl') yield* jsonLinesRows(stream, name);
  else yield* delimitedRows(stream, name, format === 'tsv' ? '\t' : undefined);
}

/** The file's text in chunks of about CHUNK_BYTES, checked to be UTF-8. */
async function* textChunks(file: string, name: string): AsyncGenerator<string> {
  const decoder = new Utf8Decoder(name);
  for await (const bytes of fs.createReadStream(file, { highWaterMark: CHUNK_BYTES, flags: 'r' })) {
    const text = decoder.push(bytes as Buffer);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

function readText(file: string, name: string): string {
  const decoder = new Utf8Decoder(name);
  return decoder.push(fs.readFileSync(file)) + decoder.end();
}

async function* delimitedRows(
  stream: AsyncIterable<string>,
  name: string,
  fixedDelimiter: string | undefined,
): AsyncGenerator<DatasetRow> {
  let parser: CsvParser | undefined;
  let header: string[] | undefined;
  let rows = 0;
  const toRows = function* (records: CsvRecord[]): Generator<DatasetRow> {
    for (const record of records) {
      if (!header) {
        header = checkHeader(record.fields, name, record.line);
        continue;
      }
      if (record.fields.length !== header.length) {
        if (record.fields.length === 1 && record.fields[0].trim() === '') continue; // whitespace-only line
        throw new UserError(
          atLine(
            name,
            record.line,
            `${record.fields.length} fields, but the header has ${header.length} (delimiter ${JSON.stringify(parser!.delimiter)})`,
          ),
          'A delimiter inside a text must be in a quoted field ("like, this"); a quote inside a quoted field is written twice ("").',
        );
      }
      const values: Record<string, unknown> = {};
      for (let i = 0; i < header.length; i++) values[header[i]] = record.fields[i];
      rows++;
      yield { values, location: `${name}:${record.line}` };
    }
  };
  try {
    for await (const chunk of stream) {
      if (!parser) parser = new CsvParser(fixedDelimiter ?? sniffDelimiter(chunk.slice(0, chunk.search(/\r|\n|$/))));
      yield* toRows(parser.push(chunk));
    }
    if (parser) yield* toRows(parser.end());
  } catch (error) {
    if (error instanceof CsvSyntaxError)
      throw new UserError(
        atLine(name, error.line, error.message),
        'Close the quote; a quote inside a quoted field is written twice ("").',
      );
    throw error;
  }
  if (!header)
    throw new UserError(`${name}: the file is empty`, 'A dataset needs a header and at least one row per class.');
  if (rows === 0)
    throw new UserError(`${name}: the file has a header and no rows`, 'A dataset needs at least one row per class.');
}

function checkHeader(fields: string[], name: string, line: number): string[] {
  const header = fields.map((f, i) => (f.trim() === '' ? `column_${i + 1}` : f.trim()));
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column))
      throw new UserError(
        atLine(name, line, `the header names column \`${column}\` twice`),
        'Give every column a distinct name.',
      );
    seen.add(column);
  }
  return header;
}

async function* jsonLinesRows(stream: AsyncIterable<string>, name: string): AsyncGenerator<DatasetRow> {
  let pending = '';
  let line = 0;
  const parse = (text: string, lineNumber: number): DatasetRow | undefined => {
    const trimmed = text.trim();
    if (trimmed === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new UserError(
        atLine(name, lineNumber, `invalid JSON (${(error as Error).message})`),
        'Each line of a .jsonl file is one JSON object.',
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UserError(atLine(name, lineNumber, 'expected a JSON object like {"text": ..., "label": ...}'));
    }
    return { values: value as Record<string, unknown>, location: `${name}:${lineNumber}` };
  };
  for await (const chunk of stream) {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const row = parse(pending.slice(0, newline), ++line);
      pending = pending.slice(newline + 1);
      if (row) yield row;
    }
  }
  const last = parse(pending, line + 1);
  if (last) yield last;
}

async function* jsonRows(file: string, name: string): AsyncGenerator<DatasetRow> {
  const items = jsonRecords(readText(file, name), name);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw new UserError(`${name} item ${i + 1}: expected a JSON object like {"text": ..., "label": ...}`);
    }
    yield { values: item as Record<string, unknown>, location: `${name} item ${i + 1}` };
  }
}

/** The records of a .json file: a top-level array, or the one array inside a top-level object ({"data": [...]}). */
function jsonRecords(text: string, name: string): unknown[] {
  let value: unknown;
  try {
    value = JSON.parse(text); // Utf8Decoder has dropped a byte-order mark
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    throw new UserError(
      atLine(name, line, `invalid JSON (${message})`),
      'A .json dataset is an array of objects; for one object per line use .jsonl.',
    );
  }
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const arrays = Object.entries(value).filter(([, v]) => Array.isArray(v));
    if (arrays.length === 1) return arrays[0][1] as unknown[];
  }
  throw new UserError(`${name}: expected an array of objects (or an object holding one array, like {"data": [...]})`);
}

/** What the editor can tell of a dataset from its first bytes: its columns, or why it cannot be read. */
export interface DatasetHeader {
  columns?: string[];
  /** Why the file is not a readable dataset (empty, binary, not UTF-8, no rows), for a diagnostic. */
  problem?: string;
}

const PREFIX_BYTES = 256 << 10;

/**
 * The column names of a dataset, read from its first bytes (header line, first JSON lines) or, for
 * a .json file under 64 MiB, from its first records; or a problem that makes it unreadable.
 */
export function inspectDatasetSync(file: string): DatasetHeader {
  const name = path.basename(file);
  try {
    const format = formatOf(file);
    assertReadableDataset(file);
    const size = fs.statSync(file).size;
    if (format === 'json') {
      if (size > 64 << 20) return {};
      return { columns: columnsOfRecords(jsonRecords(readText(file, name), name).slice(0, 100)) };
    }
    const bytes = readPrefix(file, PREFIX_BYTES);
    const complete = bytes.length === size;
    const prefix = new Utf8Decoder(name).push(bytes); // not UTF-8: a UserError, the problem below
    if (format === 'jsonl') {
      const lines = prefix
        .split('\n')
        .slice(0, 100)
        .filter((l) => l.trim() !== '');
      const records = lines.map((l) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          return undefined;
        }
      });
      return { columns: columnsOfRecords(records) };
    }
    const delimiter = format === 'tsv' ? '\t' : sniffDelimiter(prefix.slice(0, prefix.search(/\r|\n|$/)));
    const parser = new CsvParser(delimiter);
    const records = parser.push(prefix);
    let unclosed: string | undefined;
    try {
      if (complete) records.push(...parser.end());
    } catch (error) {
      if (!(error instanceof CsvSyntaxError)) throw error;
      unclosed = atLine(name, error.line, error.message);
    }
    const rows = records.filter((r) => !(r.fields.length === 1 && r.fields[0].trim() === ''));
    if (rows.length === 0) return { problem: unclosed ?? `${name}: the file is empty` };
    const columns = checkHeader(rows[0].fields, name, rows[0].line);
    if (unclosed) return { columns, problem: unclosed };
    if (complete && rows.length === 1) return { columns, problem: `${name}: the file has a header and no rows` };
    return { columns };
  } catch (error) {
    return error instanceof UserError ? { problem: error.message } : {};
  }
}

/** The column names of a dataset, or undefined when they cannot be read. */
export function readColumnsSync(file: string): string[] | undefined {
  return inspectDatasetSync(file).columns;
}

function columnsOfRecords(records: unknown[]): string[] {
  const columns: string[] = [];
  for (const record of records) {
    if (record && typeof record === 'object' && !Array.isArray(record)) {
      for (const key of Object.keys(record)) if (!columns.includes(key)) columns.push(key);
    }
  }
  return columns;
}

function readPrefix(file: string, bytes: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, bytes, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** The first `limit` rows, for column guessing and previews. */
export async function sampleRows(file: string, limit: number): Promise<DatasetRow[]> {
  const rows: DatasetRow[] = [];
  for await (const row of readRows(file)) {
    rows.push(row);
    if (rows.length >= limit) break;
  }
  return rows;
}
