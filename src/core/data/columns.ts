// Guessing the text and label columns of a dataset from a sample of its rows.
//
// text:  the column whose values are the longest strings on average;
// label: a low-cardinality column, preferring conventional names (label, class, ...).
// Each guess comes with the reason, which the CLI and the config template show.

export interface ColumnGuess {
  textColumn?: string;
  labelColumn?: string;
  /** One sentence per guess: why this column. */
  reasons: string[];
}

const LABEL_NAMES = ['label', 'labels', 'class', 'category', 'target', 'sentiment', 'y', 'tag', 'intent', 'topic'];
const TEXT_NAMES = [
  'text',
  'sentence',
  'content',
  'review',
  'body',
  'message',
  'document',
  'comment',
  'description',
  'tweet',
];

interface ColumnStats {
  column: string;
  filled: number;
  distinct: number;
  meanLength: number;
  stringShare: number;
}

export function guessColumns(columns: string[], rows: Array<Record<string, unknown>>): ColumnGuess {
  const stats = columns.map((column) => statsOf(column, rows));
  const reasons: string[] = [];
  const maxLabelClasses = Math.max(2, Math.min(100, Math.floor(rows.length / 2)));
  // A sample may hold one class only (files sorted by label): a conventional name still qualifies.
  const isLabelLike = (s: ColumnStats) =>
    s.filled > 0 &&
    s.distinct <= maxLabelClasses &&
    (s.distinct >= 2 || nameRank(s.column, LABEL_NAMES) < LABEL_NAMES.length);

  const textCandidates = stats.filter((s) => s.filled > 0 && s.stringShare >= 0.9);
  const longest = [...textCandidates].sort(
    (a, b) => b.meanLength - a.meanLength || nameRank(a.column, TEXT_NAMES) - nameRank(b.column, TEXT_NAMES),
  )[0];
  const text =
    longest && (longest.meanLength >= 8 || !isLabelLike(longest) || textCandidates.length === 1) ? longest : undefined;
  if (text)
    reasons.push(
      `text column \`${text.column}\`: the longest strings (mean ${Math.round(text.meanLength)} characters)`,
    );

  const labelCandidates = stats.filter((s) => s !== text && isLabelLike(s));
  const label = [...labelCandidates].sort(
    (a, b) => nameRank(a.column, LABEL_NAMES) - nameRank(b.column, LABEL_NAMES) || a.distinct - b.distinct,
  )[0];
  if (label) reasons.push(`label column \`${label.column}\`: ${label.distinct} distinct values in ${rows.length} rows`);

  return { textColumn: text?.column, labelColumn: label?.column, reasons };
}

function nameRank(column: string, names: string[]): number {
  const index = names.indexOf(column.toLowerCase());
  return index < 0 ? names.length : index;
}

function statsOf(column: string, rows: Array<Record<string, unknown>>): ColumnStats {
  const distinct = new Set<string>();
  let filled = 0;
  let strings = 0;
  let totalLength = 0;
  for (const row of rows) {
    const value = row[column];
    if (value === undefined || value === null || value === '') continue;
    filled++;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    if (typeof value === 'string' && !/^-?\d+(\.\d+)?$/.test(value.trim())) strings++;
    totalLength += text.length;
    if (distinct.size <= 1000) distinct.add(text);
  }
  return {
    column,
    filled,
    distinct: distinct.size,
    meanLength: filled ? totalLength / filled : 0,
    stringShare: filled ? strings / filled : 0,
  };
}
