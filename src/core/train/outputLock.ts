// One run per output folder. Two runs writing the same checkpoints and model would leave a folder
// that is neither, so a run holds a lock file in output_dir while it trains; a second run is
// refused with the first one's process id. A lock whose process is gone (killed) is taken over.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors';
import { LOCK_NAME } from '../outputNames';

interface LockContents {
  pid: number;
  hostname: string;
  started: string;
}

/** Takes the lock of `outputDir` (creating the folder); returns its release. */
export function lockOutputDir(outputDir: string): () => void {
  fs.mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, LOCK_NAME);
  const mine: LockContents = { pid: process.pid, hostname: os.hostname(), started: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify(mine), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readLock(file);
    // A second EEXIST means another run took the stale lock at the same moment.
    if ((holder && isAlive(holder)) || attempt > 0) {
      const who = holder
        ? `process ${holder.pid}${holder.hostname !== mine.hostname ? ` on ${holder.hostname}` : ''}, started ${holder.started}`
        : 'starting now';
      throw new UserError(
        `output_dir ${outputDir} is in use by another training run (${who})`,
        `Wait for that run to end or cancel it, or set a different output_dir. If no run uses it, delete ${file}.`,
      );
    }
    fs.rmSync(file, { force: true }); // stale: its process is gone
  }
  const release = () => {
    process.off('exit', release);
    if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
  };
  // A process that exits while training (a fatal error reported with process.exit) still frees the folder.
  process.on('exit', release);
  return release;
}

function readLock(file: string): LockContents | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockContents>;
    return typeof value.pid === 'number'
      ? { pid: value.pid, hostname: String(value.hostname ?? ''), started: String(value.started ?? '?') }
      : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

function isAlive(holder: LockContents): boolean {
  if (holder.hostname !== os.hostname()) return true; // another machine: we cannot tell, so respect it
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
