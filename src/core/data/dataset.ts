// From dataset files to tokenized examples: rows stream in once, each text is tokenized right away
// into one growing Int32Array (memory stays proportional to the tokens, not to JS objects), labels
// get stable ids (sorted), and the validation set comes from `validation_file` or a seeded,
// stratified `validation_split`.
import * as path from 'node:path';
import { UserError } from '../errors';
import { Random } from '../random';
import { guessColumns } from './columns';
import { readColumnsSync, readRows, sampleRows } from './readers';

/** Tokenized examples: example i has tokens ids[offsets[i] .. offsets[i+1]). */
export interface EncodedExamples {
  ids: Int32Array;
  offsets: Uint32Array;
  labels: Int32Array;
  count: number;
  /** A fingerprint of each example's text (textFingerprint), to tell later data from training data. */
  fingerprints: Uint32Array;
}

export interface PreparedData {
  textColumn: string;
  pairColumn?: string;
  labelColumn: string;
  /** Sorted; id = index. */
  labels: string[];
  train: EncodedExamples;
  validation: EncodedExamples;
  /** What happened, for the log: guessed columns, skipped rows, the split. */
  notes: string[];
}

export interface DataSettings {
  trainFile: string;
  validationFile?: string;
  validationSplit: number;
  textColumn?: string;
  pairColumn?: string;
  labelColumn?: string;
  seed: number;
}

export type Encode = (text: string, pair: string | undefined) => ArrayLike<number>;

/** A growable store of token sequences. */
/**
 * A 32-bit FNV-1a hash of an example's text (and pair), trimmed: what the output folder records of
 * the training data (training_data.json), so `evaluate` can say when it is given texts the model
 * was trained on without keeping the texts themselves.
 */
export function textFingerprint(text: string, pair?: string): number {
  const whole = pair === undefined ? text.trim() : `${text.trim()}\u0000${pair.trim()}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < whole.length; i++) {
    hash ^= whole.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

class ExampleStore {
  ids = new Int32Array(1 << 16);
  offsets: number[] = [0];
  labels: number[] = [];
  locations: string[] = [];
  fingerprints: number[] = [];

  add(tokens: ArrayLike<number>, label: number, location: string, fingerprint: number): void {
    this.fingerprints.push(fingerprint);
    const end = this.offsets[this.offsets.length - 1];
    while (end + tokens.length > this.ids.length) {
      const grown = new Int32Array(this.ids.length * 2);
      grown.set(this.ids);
      this.ids = grown;
    }
    this.ids.set(tokens, end);
    this.offsets.push(end + tokens.length);
    this.labels.push(label);
    this.locations.push(location);
  }

  get count(): number {
    return this.labels.length;
  }

  /** The examples at `rows`, with labels mapped through `labelIds`. */
  select(rows: ArrayLike<number>, labelIds: Int32Array): EncodedExamples {
    let total = 0;
    for (let i = 0; i < rows.length; i++) total += this.offsets[rows[i] + 1] - this.offsets[rows[i]];
    const ids = new Int32Array(total);
    const offsets = new Uint32Array(rows.length + 1);
    const labels = new Int32Array(rows.length);
    const fingerprints = new Uint32Array(rows.length);
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      fingerprints[i] = this.fingerprints[r];
      ids.set(this.ids.subarray(this.offsets[r], this.offsets[r + 1]), at);
      at += this.offsets[r + 1] - this.offsets[r];
      offsets[i + 1] = at;
      labels[i] = labelIds[this.labels[r]];
    }
    return { ids, offsets, labels, count: rows.length, fingerprints };
  }
}

export async function prepareData(settings: DataSettings, encode: Encode): Promise<PreparedData> {
  const notes: string[] = [];
  const columns = await chooseColumns(settings, notes);
  const trainName = path.basename(settings.trainFile);

  const labelNames: string[] = [];
  const labelIndex = new Map<string, number>();
  const intern = (label: string) => {
    let index = labelIndex.get(label);
    if (index === undefined) {
      index = labelNames.length;
      labelIndex.set(label, index);
      labelNames.push(label);
    }
    return index;
  };

  const train = await readExamples(settings.trainFile, columns, encode, intern, notes);
  if (train.count === 0)
    throw new UserError(
      `${trainName}: no row has both a text and a label`,
      `Check text_column (${columns.text}) and label_column (${columns.label}).`,
    );

  // Stable ids: labels sorted (numerically when they are all integers), as `label2id` is saved.
  const numeric = labelNames.every((l) => /^-?\d+$/.test(l));
  const sorted = [...labelNames].sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
  if (sorted.length < 2) {
    throw new UserError(
      `${trainName}: every row has the label "${sorted[0]}"; a classifier needs at least two classes`,
      `Check label_column (${columns.label}), or add examples of the other classes.`,
    );
  }
  // Nearly a label per row: nothing repeats, so there is nothing to learn (an id or a text column?).
  if (sorted.length > 10 && sorted.length > train.count / 2) {
    throw new UserError(
      `${trainName}: \`${columns.label}\` has ${sorted.length} distinct labels in ${train.count} rows; a classifier learns a label from several examples of it`,
      `Check label_column (${columns.label}): it looks like an id or a free-text column, not a class.`,
    );
  }
  const remap = new Int32Array(labelNames.length);
  labelNames.forEach((name, i) => (remap[i] = sorted.indexOf(name)));

  let trainRows: Uint32Array;
  let validation: EncodedExamples;
  if (settings.validationFile) {
    const sortedIds = Object.fromEntries(sorted.map((label, id) => [label, id]));
    validation = await encodeLabelledFile(settings.validationFile, columns, encode, sortedIds, trainName, notes);
    trainRows = Uint32Array.from({ length: train.count }, (_, i) => i);
  } else {
    const split = stratifiedSplit(
      train.labels.map((l) => remap[l]),
      sorted.length,
      settings.validationSplit,
      settings.seed,
    );
    if (split.validation.length === 0) {
      throw new UserError(
        `${trainName}: ${train.count} rows are too few for a validation_split of ${settings.validationSplit}`,
        'Add rows, raise validation_split, or give a validation_file.',
      );
    }
    trainRows = split.train;
    validation = train.select(split.validation, remap);
    notes.push(
      `validation: ${split.validation.length} rows of ${trainName} (validation_split ${settings.validationSplit}, stratified by label, seed ${settings.seed})`,
    );
  }
  return {
    textColumn: columns.text,
    pairColumn: columns.pair,
    labelColumn: columns.label,
    labels: sorted,
    train: train.select(trainRows, remap),
    validation,
    notes,
  };
}

/**
 * Reads every row once without tokenizing, so that the data's problems (a broken row, one class,
 * a missing column) surface in seconds, before a model is downloaded. Returns the labels.
 */
export async function checkData(settings: DataSettings): Promise<string[]> {
  return (await prepareData(settings, () => NO_TOKENS)).labels;
}

const NO_TOKENS: number[] = [];

/**
 * Examples of a labelled file whose labels must all be in `label2id` (a validation file, or data
 * for a saved model): an unknown label is an error that names its row.
 */
export async function encodeLabelledFile(
  file: string,
  columns: { text: string; pair?: string; label: string },
  encode: Encode,
  label2id: Record<string, number>,
  knownFrom: string,
  notes: string[],
): Promise<EncodedExamples> {
  const store = await readExamples(file, columns, encode, (label) => label2id[label] ?? -1, notes);
  const unseen = store.labels.indexOf(-1);
  if (unseen >= 0) {
    throw new UserError(
      `${store.locations[unseen]}: the label of this row does not occur in ${knownFrom}`,
      `The model can only predict the labels it was trained on (${Object.keys(label2id)
        .map((l) => `"${l}"`)
        .join(', ')}).`,
    );
  }
  if (store.count === 0) throw new UserError(`${path.basename(file)}: no row has both a text and a label`);
  const identity = Int32Array.from({ length: Math.max(0, ...store.labels) + 1 }, (_, i) => i);
  return store.select(
    Uint32Array.from({ length: store.count }, (_, i) => i),
    identity,
  );
}

/** The text, pair and label columns: as configured, else guessed from a sample (with a note saying so). */
export async function chooseColumns(
  settings: Pick<DataSettings, 'trainFile' | 'textColumn' | 'pairColumn' | 'labelColumn'>,
  notes: string[],
): Promise<{ text: string; pair?: string; label: string }> {
  const name = path.basename(settings.trainFile);
  const available = readColumnsSync(settings.trainFile);
  let { textColumn: text, labelColumn: label } = settings;
  if (!text || !label) {
    const sample = await sampleRows(settings.trainFile, 2000);
    const columns = available ?? Object.keys(sample[0]?.values ?? {});
    const guess = guessColumns(
      columns.filter((c) => c !== text && c !== label),
      sample.map((r) => r.values),
    );
    if (!text) {
      if (!guess.textColumn)
        throw new UserError(
          `${name}: cannot tell which column holds the text (columns: ${columns.join(', ')})`,
          'Set text_column in the config.',
        );
      text = guess.textColumn;
      notes.push(`guessed ${guess.reasons.find((r) => r.startsWith('text')) ?? `text column \`${text}\``}`);
    }
    if (!label) {
      const labelGuess = guess.labelColumn !== text ? guess.labelColumn : undefined;
      if (!labelGuess)
        throw new UserError(
          `${name}: cannot tell which column holds the label (columns: ${columns.join(', ')})`,
          'Set label_column in the config.',
        );
      label = labelGuess;
      notes.push(`guessed ${guess.reasons.find((r) => r.startsWith('label')) ?? `label column \`${label}\``}`);
    }
  }
  const pair = settings.pairColumn;
  if (available) {
    for (const [key, column] of [
      ['text_column', text],
      ['label_column', label],
      ['text_pair_column', pair],
    ] as const) {
      if (column !== undefined && !available.includes(column)) {
        throw new UserError(
          `${name}: no column \`${column}\` (${key}); the columns are ${available.map((c) => `\`${c}\``).join(', ')}`,
          `Set ${key} to one of them.`,
        );
      }
    }
  }
  return { text, pair, label };
}

async function readExamples(
  file: string,
  columns: { text: string; pair?: string; label: string },
  encode: Encode,
  labelId: (label: string) => number,
  notes: string[],
): Promise<ExampleStore> {
  const store = new ExampleStore();
  let emptyText = 0;
  let emptyLabel = 0;
  let rows = 0;
  for await (const row of readRows(file)) {
    rows++;
    const text = asText(row.values[columns.text]);
    const pair = columns.pair === undefined ? undefined : asText(row.values[columns.pair]);
    const label = asText(row.values[columns.label]);
    if (text === undefined || (columns.pair !== undefined && pair === undefined)) {
      emptyText++;
      continue;
    }
    if (label === undefined) {
      emptyLabel++;
      continue;
    }
    store.add(encode(text, pair), labelId(label), row.location, textFingerprint(text, pair));
  }
  const name = path.basename(file);
  if (emptyText + emptyLabel > 0) {
    if (store.count === 0) {
      const text = `text (\`${columns.text}\`)`;
      const label = `label (\`${columns.label}\`)`;
      throw new UserError(
        emptyText === rows || emptyLabel === rows
          ? `${name}: all ${rows} rows have an empty ${emptyText === rows ? text : label}`
          : `${name}: no row has both a ${text} and a ${label}: ${emptyText} with an empty text, ${emptyLabel} with an empty label`,
        'Check text_column and label_column.',
      );
    }
    notes.push(
      `${name}: skipped ${emptyText + emptyLabel} of ${rows} rows (${emptyText} with an empty text, ${emptyLabel} with an empty label)`,
    );
  }
  notes.push(`${name}: ${store.count} examples`);
  return store;
}

/** A cell as text: strings trimmed, numbers and booleans written out; empty, null or nested values are undefined. */
function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Per class, a seeded shuffle puts round(n * fraction) examples into validation (at least one
 * when the class has two or more, never the last one).
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  numLabels: number,
  fraction: number,
  seed: number,
): { train: Uint32Array; validation: Uint32Array } {
  const byClass: number[][] = Array.from({ length: numLabels }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const random = new Random(seed, 'validation-split');
  const train: number[] = [];
  const validation: number[] = [];
  for (const members of byClass) {
    random.shuffle(members);
    let take = Math.round(members.length * fraction);
    if (members.length >= 2) take = Math.min(Math.max(take, 1), members.length - 1);
    else take = 0;
    validation.push(...members.slice(0, take));
    train.push(...members.slice(take));
  }
  return {
    train: Uint32Array.from(train.sort((a, b) => a - b)),
    validation: Uint32Array.from(validation.sort((a, b) => a - b)),
  };
}
