// Writing files so that a crash or a kill never leaves a half-written one behind: write a
// temporary file in the same folder, flush it to disk, then rename it over the target.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(temporary, 'w');
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    // A write through a descriptor fails without a path (ENOSPC, EDQUOT): name the file for the message.
    (error as NodeJS.ErrnoException).path ??= file;
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** JSON with 2-space indent; `sortKeys` orders object keys as Python's json.dumps(sort_keys=True). */
export function writeJsonAtomic(file: string, value: unknown, sortKeys = false): void {
  writeFileAtomic(file, `${JSON.stringify(sortKeys ? sortedDeep(value) : value, null, 2)}\n`);
}

function sortedDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedDeep);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortedDeep((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/**
 * Builds a folder under a temporary name next to `target`, then swaps it into place, so readers
 * see either the old complete folder or the new complete one.
 */
export function writeDirectoryAtomic(target: string, build: (staging: string) => void): void {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `.${path.basename(target)}.staging-`));
  try {
    build(staging);
    const previous = fs.existsSync(target) ? `${staging}.previous` : undefined;
    if (previous) fs.renameSync(target, previous);
    fs.renameSync(staging, target);
    if (previous) fs.rmSync(previous, { recursive: true, force: true });
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Writes several files into `folder` so that a failure (a full disk) while writing them changes
 * none: they are built in a staging folder inside `folder`, then renamed into place one by one
 * (renames do not need space and do not fail half-way through a file).
 */
export function writeFilesIntoFolder(folder: string, build: (staging: string) => void): void {
  fs.mkdirSync(folder, { recursive: true });
  const staging = fs.mkdtempSync(path.join(folder, STAGING_PREFIX));
  try {
    build(staging);
    for (const name of fs.readdirSync(staging)) fs.renameSync(path.join(staging, name), path.join(folder, name));
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** Staging folders of `writeFilesIntoFolder`: left behind only by a killed process. */
export const STAGING_PREFIX = '.output.staging-';
