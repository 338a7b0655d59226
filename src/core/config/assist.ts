// What the editor offers in a config file, computed from the schema without VS Code: the cursor's
// context, completion items, hover text. src/vscode/configLanguage.ts turns these into VS Code objects.
import * as path from 'node:path';
import { DATASET_EXTENSIONS, SCHEMA, CONFIG_KEYS, describeRange, type ConfigKey, type KeySpec } from './schema';
import { formatValue } from './template';
import { parseConfig, type ConfigEnvironment, type Range } from './validate';
import { CHECKPOINT_FOLDER, CONFIG_NAME } from '../outputNames';

export interface AssistEnvironment extends ConfigEnvironment {
  /** Names in a folder, with a trailing "/" for folders. */
  listEntries(folder: string): string[];
}

export type CompletionKind = 'key' | 'enum' | 'column' | 'file' | 'folder' | 'model' | 'value';

export interface CompletionData {
  label: string;
  /** Text to insert; `${1:...}` placeholders mark a snippet. */
  insertText: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  /** The text the item replaces. */
  range: Range;
  sortText?: string;
}

/** Hub models worth suggesting; any hub id or local folder is accepted. */
export const SUGGESTED_MODELS: Array<[string, string]> = [
  ['distilbert-base-uncased', 'The reference model: 66M parameters, English, lowercased (the default).'],
  ['distilbert-base-cased', 'The same, case-sensitive.'],
  ['distilbert-base-multilingual-cased', '104 languages, case-sensitive.'],
  [
    'distilbert-base-uncased-finetuned-sst-2-english',
    'Already fine-tuned on SST-2 sentiment (2 labels): a strong start for sentiment data.',
  ],
];

interface CursorContext {
  /** 'key': the cursor is where a key goes; 'value': after `key:`. */
  where: 'key' | 'value';
  key?: string;
  range: Range;
  /** Keys already in the file (other than the one being typed). */
  present: Set<string>;
}

export function cursorContext(text: string, offset: number): CursorContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const lineEndIndex = text.indexOf('\n', offset);
  const lineEnd = lineEndIndex < 0 ? text.length : lineEndIndex;
  const before = text.slice(lineStart, offset);
  const line = text.slice(lineStart, lineEnd);
  const present = new Set(parseConfig(text).entries.map((e) => e.key));
  const colon = before.indexOf(':');
  if (colon < 0) {
    const word = /[\w-]*$/.exec(before)![0];
    const current = /^\s*([\w-]*)/.exec(line)![1];
    present.delete(current);
    const start = offset - word.length;
    const tail = /^[\w-]*/.exec(text.slice(offset, lineEnd))![0];
    return { where: 'key', range: [start, offset + tail.length], present };
  }
  const key = before.slice(0, colon).trim();
  // The value runs from after ": " to a comment or the end of the line.
  let valueStart = lineStart + colon + 1;
  while (text[valueStart] === ' ' && valueStart < offset) valueStart++;
  const comment = line.indexOf(' #', colon);
  const valueEnd = comment >= 0 ? lineStart + comment : lineEnd;
  return { where: 'value', key, range: [valueStart, Math.max(valueStart, Math.min(valueEnd, lineEnd))], present };
}

export function completions(text: string, offset: number, env: AssistEnvironment): CompletionData[] {
  const context = cursorContext(text, offset);
  if (context.where === 'key') {
    return CONFIG_KEYS.filter((key) => !context.present.has(key)).map((key, i) => {
      const spec = SCHEMA[key] as KeySpec;
      const value = spec.default === undefined ? '' : formatValue(spec.default);
      return {
        label: key,
        kind: 'key' as const,
        range: context.range,
        detail: spec.default === undefined ? spec.comment : `${spec.comment} (default ${value})`,
        documentation: hoverMarkdown(key),
        insertText: `${key}: \${1:${value}}`,
        sortText: `${(SCHEMA[key] as KeySpec).inTemplate ? 0 : 1}${String(i).padStart(2, '0')}`,
      };
    });
  }
  const key = context.key as ConfigKey;
  const spec = SCHEMA[key] as KeySpec | undefined;
  if (!spec) return [];
  const item = (label: string, kind: CompletionKind, detail?: string, documentation?: string): CompletionData => ({
    label,
    insertText: formatValue(label),
    kind,
    detail,
    documentation,
    range: context.range,
  });
  if (spec.type === 'string' && spec.enum) {
    return spec.enum.map((value) => ({
      ...item(value, 'enum', value === spec.default ? 'default' : undefined, spec.enumDocs?.[value]),
      sortText: value === spec.default ? '0' : `1${value}`,
    }));
  }
  if (spec.type === 'boolean') {
    return ['false', 'true'].map((value) => ({
      ...item(value, 'value', String(spec.default) === value ? 'default' : undefined),
      insertText: value,
    }));
  }
  switch (spec.kind) {
    case 'column': {
      const train = trainFileOf(text, env);
      const columns = train ? (env.inspectDataset(train).columns ?? []) : [];
      return columns.map((column) => item(column, 'column', `a column of ${path.basename(train!)}`));
    }
    case 'file':
      return env
        .listEntries(env.configDir)
        .filter((name) => DATASET_EXTENSIONS.some((ext) => name.toLowerCase().endsWith(ext)))
        .map((name) => item(name, 'file', 'a dataset next to this config'));
    case 'model': {
      const folders = localModelFolders(env).map((folder) =>
        item(folder, 'folder', 'a model folder (config.json) next to this config'),
      );
      return [...SUGGESTED_MODELS.map(([id, about]) => item(id, 'model', 'Hugging Face hub', about)), ...folders];
    }
    case 'folder': {
      if (key === 'resume_from_checkpoint') {
        const output = path.resolve(env.configDir, outputDirOf(text));
        const checkpoints = env.listEntries(output).filter((name) => CHECKPOINT_FOLDER.test(name.slice(0, -1)));
        return [
          item('true', 'value', 'the latest checkpoint in output_dir'),
          ...checkpoints.map((name) =>
            item(
              path.join(path.relative(env.configDir, output) || '.', name.slice(0, -1)),
              'folder',
              'a checkpoint of an earlier run',
            ),
          ),
        ];
      }
      return spec.default === undefined ? [] : [item(String(spec.default), 'value', 'default')];
    }
    default:
      return spec.default === undefined ? [] : [item(formatValue(spec.default), 'value', 'default')];
  }
}

/** Markdown for a key: its doc, type, default, range, and the Hugging Face argument it mirrors. */
export function hoverMarkdown(key: string): string | undefined {
  const spec = (SCHEMA as Record<string, KeySpec>)[key];
  if (!spec) return undefined;
  const facts: string[] = [`type: ${spec.type === 'boolean|string' ? '`true` or a path' : spec.type}`];
  if (spec.default !== undefined) facts.push(`default: \`${formatValue(spec.default)}\``);
  if (spec.type === 'number' || spec.type === 'integer') {
    const range = describeRange(spec);
    if (range) facts.push(`range: ${range}`);
  }
  if (spec.type === 'string' && spec.enum) facts.push(`one of: ${spec.enum.map((v) => `\`${v}\``).join(', ')}`);
  const lines = [`**${key}**`, '', spec.doc, '', facts.join(' · '), '', `Hugging Face: \`${spec.hf}\``];
  if (spec.type === 'string' && spec.enumDocs)
    lines.push('', ...spec.enum!.map((v) => `- \`${v}\`: ${spec.enumDocs![v]}`));
  return lines.join('\n');
}

/** The key whose name or value is under the offset, with the key's range. */
export function keyAt(text: string, offset: number): { key: string; range: Range } | undefined {
  for (const entry of parseConfig(text).entries) {
    if (
      (offset >= entry.keyRange[0] && offset <= entry.keyRange[1]) ||
      (offset >= entry.valueRange[0] && offset <= entry.valueRange[1])
    ) {
      return { key: entry.key, range: entry.keyRange };
    }
  }
  return undefined;
}

function trainFileOf(text: string, env: ConfigEnvironment): string | undefined {
  const entry = parseConfig(text).entries.find((e) => e.key === 'train_file');
  return typeof entry?.value === 'string' ? path.resolve(env.configDir, entry.value) : undefined;
}

/**
 * The edit that sets `key` to `value` (already formatted): its value replaced where the key is
 * written, else a line `key: value` added at the end.
 */
export function setValueEdit(text: string, key: ConfigKey, value: string): { range: Range; text: string } {
  const entry = parseConfig(text).entries.find((e) => e.key === key);
  if (entry) return { range: entry.valueRange, text: value };
  const end = text.length;
  return { range: [end, end], text: `${text.length === 0 || text.endsWith('\n') ? '' : '\n'}${key}: ${value}\n` };
}

/** Model folders (with a config.json) next to the config, as `model:` values: `./small-model`. */
export function localModelFolders(env: AssistEnvironment): string[] {
  return env
    .listEntries(env.configDir)
    .filter((name) => name.endsWith('/') && env.isFile(path.join(env.configDir, name, CONFIG_NAME)))
    .map((name) => `./${name.slice(0, -1)}`);
}

/** A key's value as the config writes it (its default when absent): paths relative to the config. */
export function writtenValue(text: string, key: ConfigKey): string {
  const entry = parseConfig(text).entries.find((e) => e.key === key);
  const spec: KeySpec = SCHEMA[key];
  return typeof entry?.value === 'string' ? entry.value : String(spec.default ?? '');
}

/** output_dir as written (default when absent), relative to the config. */
export function outputDirOf(text: string): string {
  return writtenValue(text, 'output_dir');
}
