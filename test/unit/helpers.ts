// Shared helpers of the unit tests.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The repository root, found from the bundle's location (out/test/unit/...). */
export const REPO_ROOT = (() => {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    if (path.dirname(dir) === dir) throw new Error('repository root not found');
  }
})();

export function fixture(...parts: string[]): string {
  return path.join(REPO_ROOT, 'test', 'fixtures', ...parts);
}
