// npm run package: production bundles, then one .vsix per platform, each with only what runs there
// (see .vscodeignore): its own dawn.node from the `webgpu` package (WebGPU through Metal, D3D12 or
// Vulkan) and, for linux-x64 where it is built, the native CPU kernel addon. Prints each size.
//
//   npm run package                   every target
//   npm run package -- linux-x64      only the named targets
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { name, version } = require('../package.json');
const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

/** VS Code's platform targets, and the folder of node_modules/webgpu/dist/ that each one needs. */
export const TARGETS = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-arm64': 'darwin-universal',
  'darwin-x64': 'darwin-universal',
  'win32-x64': 'win32-x64',
};
/** The native CPU kernels are built here, for this machine only. */
const NATIVE_TARGET = 'linux-x64';

export const vsixName = (target) => `${name}-${target}-${version}.vsix`;

const picked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const targets = picked.length ? picked : Object.keys(TARGETS);
for (const target of targets) if (!(target in TARGETS)) throw new Error(`unknown target ${target}`);

run(process.execPath, ['esbuild.mjs', '--production']);
run(process.execPath, ['scripts/build-native.mjs']);
const ignoreDir = mkdtempSync(join(tmpdir(), 'vsce-ignore-'));
try {
  for (const target of targets) {
    // .vscodeignore, plus every other platform's Dawn build (and the addon where it does not run).
    const others = [...new Set(Object.values(TARGETS))].filter((dir) => dir !== TARGETS[target]);
    const extra = [
      '# per-target exclusions (scripts/package.mjs)',
      ...others.map((dir) => `node_modules/webgpu/dist/${dir}/**`),
      'node_modules/webgpu/dist/win32-arm64/**',
      ...(target === NATIVE_TARGET ? [] : ['native/**']),
    ];
    const ignoreFile = join(ignoreDir, `${target}.vscodeignore`);
    // vsce lets a `!pattern` win over every ignore: drop the addon's where it does not belong.
    const base = readFileSync('.vscodeignore', 'utf8')
      .split('\n')
      .filter((line) => target === NATIVE_TARGET || !line.startsWith('!native/'));
    writeFileSync(ignoreFile, `${base.join('\n')}\n${extra.join('\n')}\n`);
    const out = vsixName(target);
    // vsce 3 runs on Node 20; --no-rewrite-relative-links keeps README links as written.
    run(process.execPath, [
      new URL('../node_modules/@vscode/vsce/vsce', import.meta.url).pathname,
      'package',
      '--target',
      target,
      '--ignoreFile',
      ignoreFile,
      '--out',
      out,
      '--no-update-package-json',
      '--allow-missing-repository',
      '--skip-license',
    ]);
    const bytes = statSync(out).size;
    console.log(`package: ${out} ${(bytes / 1024 / 1024).toFixed(2)} MiB (${bytes} bytes)`);
  }
} finally {
  rmSync(ignoreDir, { recursive: true, force: true });
}
