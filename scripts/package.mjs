// npm run package: production bundles, then a .vsix with only what runs (see .vscodeignore).
// Prints the file list summary and the size.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { name, version } = require('../package.json');
const out = `${name}-${version}.vsix`;
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

run(process.execPath, ['esbuild.mjs', '--production']);
run(process.execPath, ['scripts/build-native.mjs']);
// vsce 3 runs on Node 20; --no-rewrite-relative-links keeps README links as written.
run(process.execPath, [
  new URL('../node_modules/@vscode/vsce/vsce', import.meta.url).pathname,
  'package',
  '--out',
  out,
  '--no-update-package-json',
  '--allow-missing-repository',
  '--skip-license',
]);
const bytes = statSync(out).size;
console.log(`package: ${out} ${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes} bytes)`);
