// The checkpoint-<step>/ folders of an output folder. Only file-system reads, so the extension host
// can find them (the Resume code lens) without bundling the trainer.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_FOLDER, RESUME_STATE_NAME } from '../outputNames';

/** Complete checkpoint-<step> folders (they have resume_state.json), oldest first. */
export function listCheckpoints(outputDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(outputDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => CHECKPOINT_FOLDER.test(name) && fs.existsSync(path.join(outputDir, name, RESUME_STATE_NAME)))
    .sort((a, b) => Number(CHECKPOINT_FOLDER.exec(a)![1]) - Number(CHECKPOINT_FOLDER.exec(b)![1]))
    .map((name) => path.join(outputDir, name));
}

export function latestCheckpoint(outputDir: string): string | undefined {
  return listCheckpoints(outputDir).pop();
}

/** The checkpoint written last (by time), e.g. by a run that stopped when its window closed. */
export function newestCheckpoint(outputDir: string): string | undefined {
  return listCheckpoints(outputDir)
    .map((folder) => ({ folder, mtime: fs.statSync(folder).mtimeMs }))
    .sort((a, b) => a.mtime - b.mtime)
    .pop()?.folder;
}
