// Validation of a `*.finetune.yaml` file against the schema, with exact source ranges.
//
// One function serves the editor (diagnostics, quick fixes), the worker and the CLI: it reads the
// text, returns every problem with the range it belongs to, and the resolved config when there is
// no error. File-system questions go through `ConfigEnvironment` so callers decide how to answer
// them (the extension caches dataset headers; the CLI reads them).
import * as path from 'node:path';
import { isAlias, isMap, isScalar, parseDocument, type Node } from 'yaml';
import {
  CONFIG_KEYS,
  CONFLICTS,
  SCHEMA,
  describeRange,
  type ConfigKey,
  type KeySpec,
  type NumberKey,
  type TrainingConfig,
} from './schema';
import type { DatasetHeader } from '../data/readers';
import { closestMatches } from './suggest';
import { formatValue } from './template';
import { foreignOutputEntries, OUTPUT_ARTIFACTS } from '../outputNames';

export type Severity = 'error' | 'warning';
export type ProblemCode =
  | 'yaml'
  | 'not-a-mapping'
  | 'unknown-key'
  | 'duplicate-key'
  | 'type'
  | 'range'
  | 'enum'
  | 'required'
  | 'missing-file'
  | 'dataset'
  | 'missing-column'
  | 'conflict'
  | 'advice'
  | 'output-dir'
  | 'model-unavailable';

/** [start, end) character offsets into the config text. */
export type Range = [number, number];

export interface Problem {
  severity: Severity;
  code: ProblemCode;
  message: string;
  range: Range;
  key?: string;
  /** What quick fixes may offer: other key names, replacement values (nearest first), or removing the line. */
  fix?: { renameKeyTo?: string[]; replaceValue?: string[]; removeKey?: boolean };
}

/** One `key: value` line of the file. */
export interface ConfigEntry {
  key: string;
  value: unknown;
  keyRange: Range;
  valueRange: Range;
}

export interface ParsedConfig {
  entries: ConfigEntry[];
  problems: Problem[];
}

/** What validation may ask of the outside world. */
export interface ConfigEnvironment {
  /** The folder the config file lives in: relative paths resolve against it. */
  configDir: string;
  /** Whether anything is there: a file, a folder, or something else (a pipe, a device). */
  exists(absolutePath: string): boolean;
  isFile(absolutePath: string): boolean;
  isDirectory(absolutePath: string): boolean;
  /** A dataset file's column names, or why it cannot be read (the run checks every row later). */
  inspectDataset(absolutePath: string): DatasetHeader;
  /** Entries of a folder (names only), for the `output_dir` check. */
  listDirectory(absolutePath: string): string[];
}

export interface ValidationResult {
  problems: Problem[];
  entries: ConfigEntry[];
  /** Present when no problem is an error. */
  config?: TrainingConfig;
}

/** Parses the YAML and returns the top-level entries with their ranges, plus syntax problems. */
export function parseConfig(text: string): ParsedConfig {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  const problems: Problem[] = doc.errors.map((e) => ({
    severity: 'error',
    code: 'yaml',
    message: `YAML: ${e.message.split('\n')[0]}`,
    range: clampRange(e.pos, text.length),
  }));
  const entries: ConfigEntry[] = [];
  const contents = doc.contents as Node | null;
  if (contents === null || (isScalar(contents) && contents.value === null)) return { entries, problems };
  if (!isMap(contents)) {
    problems.push({
      severity: 'error',
      code: 'not-a-mapping',
      message: 'A fine-tune config is a list of `key: value` lines.',
      range: rangeOf(contents, text.length),
    });
    return { entries, problems };
  }
  for (const item of contents.items) {
    if (!isScalar(item.key)) continue;
    const keyRange = rangeOf(item.key as Node, text.length);
    const valueNode = item.value as Node | null;
    // An alias (`*name`) stands for its anchor's node; only that one node is read, never expanded
    // further, so an alias bomb costs nothing (it is a list, refused as the wrong type).
    const target = isAlias(valueNode) ? (valueNode.resolve(doc) ?? null) : valueNode;
    const value = target === null ? null : (target as { toJSON(): unknown }).toJSON();
    const valueRange: Range =
      valueNode && valueNode.range ? [valueNode.range[0], valueNode.range[1]] : [keyRange[1], keyRange[1]];
    entries.push({ key: String((item.key as { value: unknown }).value), value, keyRange, valueRange });
  }
  return { entries, problems };
}

/** Validates the text; returns problems with ranges and, when there is no error, the resolved config. */
export function validateConfig(text: string, env: ConfigEnvironment): ValidationResult {
  const { entries, problems } = parseConfig(text);
  const values = new Map<ConfigKey, { entry: ConfigEntry; value: unknown }>();
  const seen = new Set<string>();

  for (const entry of entries) {
    if (seen.has(entry.key)) {
      problems.push({
        severity: 'error',
        code: 'duplicate-key',
        key: entry.key,
        range: entry.keyRange,
        message: `\`${entry.key}\` is set twice; remove one.`,
        fix: { removeKey: true },
      });
      continue;
    }
    seen.add(entry.key);
    if (!(entry.key in SCHEMA)) {
      const suggestions = closestMatches(entry.key, CONFIG_KEYS);
      const hint = suggestions.length ? ` Did you mean \`${suggestions[0]}\`?` : '';
      problems.push({
        severity: 'error',
        code: 'unknown-key',
        key: entry.key,
        range: entry.keyRange,
        message: `Unknown key \`${entry.key}\`.${hint}`,
        fix: suggestions.length ? { renameKeyTo: suggestions } : { removeKey: true },
      });
      continue;
    }
    const key = entry.key as ConfigKey;
    if (entry.value === null) continue; // `key:` with no value means "use the default"
    const problem = checkValue(key, entry);
    if (problem) problems.push(problem);
    else values.set(key, { entry, value: entry.value });
  }

  if (!values.has('train_file') && !problems.some((p) => p.key === 'train_file')) {
    const firstLineEnd = text.includes('\n') ? text.indexOf('\n') : text.length;
    problems.push({
      severity: 'error',
      code: 'required',
      key: 'train_file',
      range: [0, firstLineEnd],
      message: '`train_file` is required: the dataset to train on.',
    });
  }

  for (const {
    keys: [a, b],
    why,
  } of CONFLICTS) {
    const second = values.get(b) ?? values.get(a);
    if (values.has(a) && values.has(b) && second) {
      problems.push({
        severity: 'error',
        code: 'conflict',
        key: b,
        range: second.entry.keyRange,
        message: `\`${a}\` and \`${b}\` conflict: ${why}.`,
        fix: { removeKey: true },
      });
    }
  }

  checkFilesAndColumns(values, env, problems);

  const config = problems.some((p) => p.severity === 'error') ? undefined : resolve(values, env);
  return { problems, entries, config };
}

function checkValue(key: ConfigKey, entry: ConfigEntry): Problem | undefined {
  const spec = SCHEMA[key] as KeySpec;
  const { value } = entry;
  const at = (code: ProblemCode, message: string, fix?: Problem['fix'], severity: Severity = 'error'): Problem => ({
    severity,
    code,
    key,
    message,
    range: entry.valueRange,
    fix,
  });
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || Number.isNaN(value))
        return at('type', `\`${key}\` must be a number, not ${describe(value)}.`);
      // YAML's .inf passes every lower bound; no hyperparameter means anything at infinity.
      if (!Number.isFinite(value)) return at('type', `\`${key}\` must be a finite number, not ${value}.`);
      if (spec.type === 'integer' && !Number.isInteger(value))
        return at('type', `\`${key}\` must be a whole number, not ${value}.`, {
          replaceValue: [formatValue(Math.round(value))],
        });
      const bound = outOfRange(spec, value);
      if (bound !== undefined)
        return at('range', `\`${key}\` must be ${describeRange(spec)}; ${value} is out of range.`, {
          replaceValue: [formatValue(bound)],
        });
      if (spec.advised && (value < spec.advised.min || value > spec.advised.max)) {
        return at(
          'advice',
          `\`${key}\` ${value} is outside the usual ${spec.advised.min} to ${spec.advised.max}: ${spec.advised.why}.`,
          undefined,
          'warning',
        );
      }
      return undefined;
    }
    case 'string': {
      if (typeof value !== 'string') {
        if (spec.enum && (typeof value === 'boolean' || typeof value === 'number')) {
          // YAML reads `no` as a string but `false` as a boolean: say which spellings are valid.
          return at(
            'enum',
            `\`${key}\` must be one of ${spec.enum.map((v) => `\`${v}\``).join(', ')}, not ${describe(value)}.`,
            { replaceValue: [...spec.enum] },
          );
        }
        return at('type', `\`${key}\` must be a string, not ${describe(value)}.`);
      }
      if (spec.enum && !spec.enum.includes(value)) {
        const near = closestMatches(value, spec.enum);
        return at(
          'enum',
          `\`${key}\` must be one of ${spec.enum.map((v) => `\`${v}\``).join(', ')}; \`${value}\` is not.${near.length ? ` Did you mean \`${near[0]}\`?` : ''}`,
          { replaceValue: [...near, ...spec.enum.filter((v) => !near.includes(v))] },
        );
      }
      if (value.trim() === '') return at('type', `\`${key}\` is empty.`);
      return undefined;
    }
    case 'boolean|string':
      if (typeof value !== 'boolean' && typeof value !== 'string')
        return at('type', `\`${key}\` must be \`true\` or a folder path, not ${describe(value)}.`);
      return undefined;
    case 'boolean':
      if (typeof value !== 'boolean')
        return at('type', `\`${key}\` must be \`true\` or \`false\`, not ${describe(value)}.`, {
          replaceValue: ['true', 'false'],
        });
      return undefined;
  }
}

/**
 * A value to suggest when `value` is out of range, or undefined when it is in range: the violated
 * bound when it is inclusive, else the default (a learning rate of 0 is better fixed to 2e-5 than
 * to "the smallest number above 0").
 */
function outOfRange(spec: NumberKey, value: number): number | undefined {
  if (spec.minimum !== undefined && value < spec.minimum) return spec.minimum;
  if (spec.maximum !== undefined && value > spec.maximum) return spec.maximum;
  const fallback = (bound: number, step: number) =>
    spec.default ?? (spec.type === 'integer' ? bound + step : bound + step * Math.max(Math.abs(bound), 1e-3) * 1e-3);
  if (spec.exclusiveMinimum !== undefined && value <= spec.exclusiveMinimum) return fallback(spec.exclusiveMinimum, 1);
  if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) return fallback(spec.exclusiveMaximum, -1);
  return undefined;
}

function checkFilesAndColumns(
  values: Map<ConfigKey, { entry: ConfigEntry; value: unknown }>,
  env: ConfigEnvironment,
  problems: Problem[],
): void {
  const abs = (p: string) => path.resolve(env.configDir, p);
  const datasetColumns = new Map<string, string[] | undefined>();

  for (const key of ['train_file', 'validation_file'] as const) {
    const v = values.get(key);
    if (!v) continue;
    const file = abs(v.value as string);
    if (!env.isFile(file)) {
      const what = env.isDirectory(file)
        ? `${file} is a folder; name a dataset file in it`
        : env.exists(file)
          ? `${file} is not a regular file (a pipe, socket or device); a dataset is read twice, so it must be a file`
          : `no file at ${file}`;
      problems.push({
        severity: 'error',
        code: 'missing-file',
        key,
        range: v.entry.valueRange,
        message: `\`${key}\`: ${what}.`,
      });
      continue;
    }
    const header = env.inspectDataset(file);
    if (header.problem)
      problems.push({
        severity: 'error',
        code: 'dataset',
        key,
        range: v.entry.valueRange,
        message: `\`${key}\`: ${header.problem}.`,
      });
    datasetColumns.set(key, header.columns);
  }

  const trainColumns = datasetColumns.get('train_file');
  if (trainColumns) {
    for (const key of ['text_column', 'text_pair_column', 'label_column'] as const) {
      const v = values.get(key);
      if (!v || trainColumns.includes(v.value as string)) continue;
      const near = closestMatches(v.value as string, trainColumns);
      problems.push({
        severity: 'error',
        code: 'missing-column',
        key,
        range: v.entry.valueRange,
        message: `\`${key}\`: the dataset has no column \`${v.value}\`; its columns are ${trainColumns.map((c) => `\`${c}\``).join(', ')}.`,
        fix: { replaceValue: [...near, ...trainColumns.filter((c) => !near.includes(c))].map((c) => formatValue(c)) },
      });
    }
  }

  // A label column that is also the text (or pair) column cannot mean anything: one class per text.
  const label = values.get('label_column');
  for (const key of ['text_column', 'text_pair_column'] as const) {
    const other = values.get(key);
    if (!label || !other || label.value !== other.value) continue;
    const texts = new Set([values.get('text_column')?.value, values.get('text_pair_column')?.value]);
    problems.push({
      severity: 'error',
      code: 'conflict',
      key: 'label_column',
      range: label.entry.valueRange,
      message: `\`label_column\` is the same column as \`${key}\` (\`${label.value}\`): the model would be taught to name each text by itself, one class per distinct text.`,
      fix: trainColumns
        ? { replaceValue: trainColumns.filter((c) => !texts.has(c)).map((c) => formatValue(c)) }
        : undefined,
    });
  }

  const model = values.get('model');
  if (model && looksLikePath(model.value as string) && !env.isDirectory(abs(model.value as string))) {
    problems.push({
      severity: 'error',
      code: 'missing-file',
      key: 'model',
      range: model.entry.valueRange,
      message: `\`model\`: no model folder at ${abs(model.value as string)}.`,
    });
  }

  const resume = values.get('resume_from_checkpoint');
  if (resume && typeof resume.value === 'string' && !env.isDirectory(abs(resume.value))) {
    problems.push({
      severity: 'error',
      code: 'missing-file',
      key: 'resume_from_checkpoint',
      range: resume.entry.valueRange,
      message: `\`resume_from_checkpoint\`: no checkpoint folder at ${abs(resume.value)}.`,
    });
  }

  const out = values.get('output_dir');
  const outputDir = abs((out?.value as string | undefined) ?? (SCHEMA.output_dir.default as string));
  const range = out?.entry.valueRange ?? [0, 0];
  const protectedFiles = [values.get('train_file'), values.get('validation_file')]
    .filter((v) => v)
    .map((v) => abs(v!.value as string));
  if (protectedFiles.some((f) => f === outputDir || path.dirname(f) === outputDir) || outputDir === env.configDir) {
    problems.push({
      severity: 'error',
      code: 'output-dir',
      key: 'output_dir',
      range,
      message: `\`output_dir\` ${outputDir} is the folder of your data; the model would be written among your files. Use a subfolder.`,
    });
  } else if (env.isDirectory(outputDir)) {
    const foreign = foreignOutputEntries(env.listDirectory(outputDir), (p) => env.isFile(path.join(outputDir, p)));
    if (foreign.length > 0) {
      const listed = `${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}`;
      const overwrite = values.get('overwrite_output_dir')?.value === true;
      const replaced = foreign.filter((name) => OUTPUT_ARTIFACTS.includes(name));
      if (!overwrite) {
        problems.push({
          severity: 'error',
          code: 'output-dir',
          key: 'output_dir',
          range,
          message: `\`output_dir\` ${outputDir} holds files this extension did not write (${listed}); a run would write among them. Use a new folder, or set \`overwrite_output_dir: true\`.`,
          fix: { replaceValue: [formatValue(freshFolder(env, outputDir, (out?.value as string | undefined) ?? ''))] },
        });
      } else if (replaced.length > 0) {
        problems.push({
          severity: 'warning',
          code: 'output-dir',
          key: 'output_dir',
          range,
          message: `\`overwrite_output_dir\` is true: ${replaced.join(', ')} in ${outputDir} will be replaced by this run's; its other files stay.`,
        });
      }
    }
  }
}

/** `out` -> `out-2` (or -3, ...): the first name beside `outputDir` that does not exist. */
export function freshFolder(env: ConfigEnvironment, outputDir: string, written: string): string {
  const base = written.replace(/[\\/]+$/, '') || path.basename(outputDir);
  for (let n = 2; ; n++) {
    const candidate = `${base}-${n}`;
    if (!env.isDirectory(path.resolve(env.configDir, candidate)) && !env.isFile(path.resolve(env.configDir, candidate)))
      return candidate;
  }
}

/** A `model` value that names a folder rather than a hub id. */
export function looksLikePath(model: string): boolean {
  return (
    model.startsWith('.') ||
    model.startsWith('/') ||
    model.startsWith('~') ||
    /^[A-Za-z]:[\\/]/.test(model) ||
    model.includes('\\') ||
    model.split('/').length > 2
  );
}

function resolve(values: Map<ConfigKey, { value: unknown }>, env: ConfigEnvironment): TrainingConfig {
  const { configDir } = env;
  const config: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const v = values.get(key);
    const value = v ? v.value : (SCHEMA[key] as KeySpec).default;
    if (value !== undefined) config[key] = value;
  }
  for (const key of ['train_file', 'validation_file', 'output_dir'] as const) {
    if (typeof config[key] === 'string') config[key] = path.resolve(configDir, config[key] as string);
  }
  // A model folder beside the config wins over a hub id of the same shape ("models/mine"), as a
  // local folder does in transformers' from_pretrained.
  if (
    typeof config.model === 'string' &&
    (looksLikePath(config.model) || env.isDirectory(path.resolve(configDir, config.model)))
  ) {
    config.model = path.resolve(configDir, config.model);
  }
  if (typeof config.resume_from_checkpoint === 'string')
    config.resume_from_checkpoint = path.resolve(configDir, config.resume_from_checkpoint);
  return config as unknown as TrainingConfig;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value !== null && typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the text "${value}"`;
  return `\`${String(value)}\``;
}

function rangeOf(node: Node, length: number): Range {
  return node.range ? clampRange([node.range[0], node.range[1]], length) : [0, 0];
}

function clampRange([s, e]: [number, number], length: number): Range {
  const start = Math.max(0, Math.min(s, length));
  return [start, Math.max(start, Math.min(e, length))];
}
