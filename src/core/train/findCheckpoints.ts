// The checkpoint-<step>/ folders of an output folder. Only file-system reads, so the extension host
// can find them (the Resume code lens) without bundling the trainer.
import * as fs from 'node:fs';
import * as path from 'node:path';

const CHECKPOINT = /^checkpoint-(\d+)$/;

/** Complete checkpoint-<step> folders (they have resume_state.json), oldest first. */
export function listCheckpoints(outputDir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(outputDir);
  } catch {
    return [];
  }
  return names
    .filter((name) => CHECKPOINT.test(name) && fs.existsSync(path.join(outputDir, name, 'resume_state.json')))
    .sort((a, b) => Number(CHECKPOINT.exec(a)![1]) - Number(CHECKPOINT.exec(b)![1]))
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
