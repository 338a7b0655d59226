// Writing the exported script and its requirements.txt beside it, for the CLI and the editor alike:
// atomically, and never over a file with other contents (a script the user has edited since)
// unless asked to.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfigFile } from '../config/environment';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { REQUIREMENTS, pythonTrainingScript, scriptPathFor } from './pythonScript';

export interface ExportedFiles {
  script: string;
  requirements: string;
}

export function exportTrainingScript(
  configPath: string,
  options: { out?: string; force?: boolean } = {},
): ExportedFiles {
  const { config } = loadConfigFile(configPath);
  const script = path.resolve(options.out ?? scriptPathFor(path.resolve(configPath)));
  const requirements = path.join(path.dirname(script), 'requirements.txt');
  // The script's paths are relative to its own folder.
  const files: Array<[string, string]> = [
    [script, pythonTrainingScript(config, path.join(path.dirname(script), path.basename(configPath)))],
    [requirements, `${REQUIREMENTS.join('\n')}\n`],
  ];
  for (const [file, text] of files) {
    if (!options.force && fs.existsSync(file) && fs.readFileSync(file, 'utf8') !== text) {
      throw new UserError(
        `${file} exists with other contents; nothing was written`,
        'Export to another file (--out FILE), or replace it (--force).',
      );
    }
  }
  for (const [file, text] of files) writeFileAtomic(file, text);
  return { script, requirements };
}
