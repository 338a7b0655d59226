// Predict Labels on an unlabelled file: `<name>.predictions.<ext>` beside it, each row as it was
// with the predicted label and its probability added as columns. The input is only read; the
// output is written whole or not at all (files.ts), and never over the input.
import * as path from 'node:path';
import { guessColumns } from '../data/columns';
import { formatOf, readColumnsSync, readRows, type DatasetRow } from '../data/readers';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import type { Classifier } from './classifier';
import type { Classification, PredictFileResult } from './results';

export interface PredictFileOptions {
  /** The column with the texts; guessed (the longest strings) when not given. */
  textColumn?: string;
  /** Rows done so far, after each batch; throwing from it stops the run (nothing is written). */
  onProgress?: (done: number, total: number) => void;
}

/** `reviews.csv` -> `reviews.predictions.csv`. */
export function predictionsPath(input: string): string {
  const ext = path.extname(input);
  return path.join(path.dirname(input), `${path.basename(input, ext)}.predictions${ext}`);
}

export async function predictFile(
  classifier: Classifier,
  input: string,
  options: PredictFileOptions = {},
): Promise<PredictFileResult> {
  const name = path.basename(input);
  const rows: DatasetRow[] = [];
  for await (const row of readRows(input)) rows.push(row);
  if (rows.length === 0) throw new UserError(`${name} has no rows to predict`);
  const columns = readColumnsSync(input) ?? [...new Set(rows.flatMap((r) => Object.keys(r.values)))];
  const textColumn = options.textColumn ?? guessTextColumn(input, columns, rows);
  if (!columns.includes(textColumn))
    throw new UserError(`${name} has no column "${textColumn}" (columns: ${columns.join(', ')})`);
  const texts = rows.map((r) => cellText(r.values[textColumn]));
  const added = { label: freeName('predicted_label', columns), score: freeName('predicted_score', columns) };

  // Blank texts get no prediction (empty cells), as the trainer skips them.
  const filled = texts.flatMap((t, i) => (t === undefined ? [] : [i]));
  const predictions: Array<Classification | undefined> = new Array(rows.length);
  if (filled.length > 0) {
    const results = await classifier.classify(
      filled.map((i) => texts[i]!),
      (done) => options.onProgress?.(done, filled.length),
    );
    filled.forEach((row, j) => (predictions[row] = results[j]));
  }
  const output = predictionsPath(input);
  writeFileAtomic(output, serialize(input, columns, rows, predictions, added));
  return { output, rows: rows.length, textColumn, columns: added };
}

function guessTextColumn(input: string, columns: string[], rows: DatasetRow[]): string {
  const guess = guessColumns(
    columns,
    rows.slice(0, 2000).map((r) => r.values),
  );
  if (!guess.textColumn)
    throw new UserError(
      `${path.basename(input)}: cannot tell which column holds the text (columns: ${columns.join(', ')})`,
      'Name the text column when asked.',
    );
  return guess.textColumn;
}

function cellText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.trim() === '' ? undefined : text;
}

/** `predicted_label`, or `predicted_label_2`... when the file has that column already. */
function freeName(wanted: string, columns: string[]): string {
  let name = wanted;
  for (let n = 2; columns.includes(name); n++) name = `${wanted}_${n}`;
  return name;
}

function serialize(
  input: string,
  columns: string[],
  rows: DatasetRow[],
  predictions: Array<Classification | undefined>,
  added: { label: string; score: string },
): string {
  const format = formatOf(input);
  const withPrediction = (row: DatasetRow, i: number): Record<string, unknown> => ({
    ...row.values,
    [added.label]: predictions[i]?.label ?? null,
    [added.score]: predictions[i] ? round(predictions[i]!.score) : null,
  });
  if (format === 'jsonl') return rows.map((r, i) => `${JSON.stringify(withPrediction(r, i))}\n`).join('');
  if (format === 'json') return `${JSON.stringify(rows.map(withPrediction), null, 2)}\n`;
  const delimiter = format === 'csv' ? ',' : '\t';
  const header = [...columns, added.label, added.score];
  const line = (cells: unknown[]) => cells.map((c) => field(c, delimiter)).join(delimiter);
  return [line(header), ...rows.map((r, i) => line(header.map((c) => withPrediction(r, i)[c])))].join('\n') + '\n';
}

/** A CSV/TSV field, quoted when it holds the delimiter, a quote or a line break (RFC 4180). */
function field(value: unknown, delimiter: string): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.includes(delimiter) || /["\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Probabilities to 6 decimals: enough to rank, short to read. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
