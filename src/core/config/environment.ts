// The file system as validation sees it, for the CLI, the worker and the editor.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspectDatasetSync, type DatasetHeader } from '../data/readers';
import { UserError } from '../errors';
import type { AssistEnvironment } from './assist';
import type { ConfigEnvironment } from './validate';
import { validateConfig } from './validate';
import type { TrainingConfig } from './schema';

const stat = (p: string) => {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
};

export function fileSystemEnvironment(
  configDir: string,
  inspectDataset: (file: string) => DatasetHeader = inspectDatasetSync,
): ConfigEnvironment {
  return {
    configDir,
    exists: (p) => stat(p) !== undefined,
    isFile: (p) => stat(p)?.isFile() ?? false,
    isDirectory: (p) => stat(p)?.isDirectory() ?? false,
    inspectDataset,
    listDirectory: (p) => {
      try {
        return fs.readdirSync(p);
      } catch {
        return [];
      }
    },
  };
}

/**
 * The environment for the editor: dataset columns are cached by file and modification time, so
 * re-validating on every keystroke does not re-read the data.
 */
export function editorEnvironment(configDir: string): AssistEnvironment {
  const base = fileSystemEnvironment(configDir, cachedInspection);
  return {
    ...base,
    listEntries: (folder) => {
      try {
        return fs
          .readdirSync(folder, { withFileTypes: true })
          .filter((e) => !e.name.startsWith('.'))
          .map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
      } catch {
        return [];
      }
    },
  };
}

const headerCache = new Map<string, { mtimeMs: number; size: number; header: DatasetHeader }>();

function cachedInspection(file: string): DatasetHeader {
  const info = stat(file);
  if (!info) return {};
  const cached = headerCache.get(file);
  if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.header;
  const header = inspectDatasetSync(file);
  headerCache.set(file, { mtimeMs: info.mtimeMs, size: info.size, header });
  return header;
}

/**
 * Reads and validates a config file for a run (CLI, worker). Errors become one UserError whose
 * message lists each with its line; warnings are returned for the run's log.
 */
export function loadConfigFile(configPath: string): { config: TrainingConfig; warnings: string[] } {
  const absolute = path.resolve(configPath);
  let text: string;
  try {
    text = fs.readFileSync(absolute, 'utf8');
  } catch {
    throw new UserError(`${configPath}: no such config file`);
  }
  const { problems, config } = validateConfig(text, fileSystemEnvironment(path.dirname(absolute)));
  const where = (offset: number) => `${path.basename(absolute)}:${text.slice(0, offset).split('\n').length}`;
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !config) {
    const first = errors[0];
    const more =
      errors.length > 1
        ? ` (and ${errors.length - 1} more: ${errors
            .slice(1)
            .map((e) => `${where(e.range[0])}: ${e.message}`)
            .join(' ')})`
        : '';
    throw new UserError(
      `${where(first.range[0])}: ${first.message}${more}`,
      'Open the config in VS Code to see every problem underlined, with quick fixes.',
    );
  }
  return { config, warnings: problems.map((p) => `${where(p.range[0])}: ${p.message}`) };
}
