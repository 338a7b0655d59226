// Bundles the six entry points of the extension, and the test suites.
//
//   node esbuild.mjs               all bundles (extension, worker, CLI, webview, tests), with source maps
//   node esbuild.mjs --production  only the six shipped bundles, minified, no source maps
//   node esbuild.mjs --watch       rebuild on change
//
// TensorFlow.js stays external in the worker and the CLI: the native backends
// (@tensorflow/tfjs-node[-gpu]) are optional packages resolved at run time, the wasm backend
// loads its .wasm files from its own package folder, and all of them must share one tfjs-core.
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

// Test bundles of renamed or deleted suites must not linger (node --test runs every file in out/).
if (!production) rmSync('out', { recursive: true, force: true });

// Dawn's bindings (webgpu) are an ES module with a native addon per platform, loaded with import().
const tfjsExternal = ['@tensorflow/*', 'webgpu'];
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
const node = {
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  define: { VERSION: JSON.stringify(version) },
};

/** Every file under `dir` whose name ends with `suffix`. */
function filesUnder(dir, suffix) {
  const found = [];
  if (!existsSync(dir)) return found;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path, suffix));
    else if (name.endsWith(suffix)) found.push(path);
  }
  return found;
}

const shipped = [
  // The extension host: thin, never loads TensorFlow.js. extension.js only registers; features.js
  // (commands, config language, panels, the YAML parser) loads on first use, to keep activation fast.
  {
    ...node,
    entryPoints: ['src/vscode/extension.ts'],
    outfile: 'dist/extension.js',
    external: ['vscode', './features.js'],
  },
  { ...node, entryPoints: ['src/vscode/features.ts'], outfile: 'dist/features.js', external: ['vscode'] },
  // The training worker, forked by the extension.
  { ...node, entryPoints: ['src/worker/main.ts'], outfile: 'dist/worker.js', external: tfjsExternal },
  // The model worker: a fine-tuned model kept loaded for Classify, Predict Labels and Evaluate.
  { ...node, entryPoints: ['src/worker/modelWorker.ts'], outfile: 'dist/modelWorker.js', external: tfjsExternal },
  // The headless CLI over the same core.
  {
    ...node,
    entryPoints: ['src/cli.ts'],
    outfile: 'dist/cli.js',
    external: tfjsExternal,
    banner: { js: '#!/usr/bin/env node' },
  },
  // The run panel's page, for the browser inside the webview.
  {
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    target: 'es2022',
    format: 'iife',
    bundle: true,
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
  },
];

const tests = [
  // Unit tests: plain Node, one bundle per file so `node --test` runs each in its own process.
  {
    ...node,
    entryPoints: filesUnder('test/unit', '.test.ts'),
    outdir: 'out/test/unit',
    outbase: 'test/unit',
    external: [...tfjsExternal, 'yaml', 'tokenizers', '@huggingface/hub', 'fast-check'],
    sourcemap: 'inline',
  },
  // Integration tests: a mocha suite loaded by the real VS Code extension host.
  {
    ...node,
    entryPoints: ['test/integration/index.ts'],
    outfile: 'out/test/integration/index.js',
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
  },
  // Test harness (starts VS Code's server, drives chromium) and the end-to-end tests.
  {
    ...node,
    entryPoints: [...filesUnder('test/e2e', '.test.ts'), 'test/support/runIntegration.ts'],
    outdir: 'out/test',
    outbase: 'test',
    external: ['playwright-core', ...tfjsExternal],
    sourcemap: 'inline',
  },
  // Benchmarks that run our own code.
  {
    ...node,
    entryPoints: filesUnder('bench', '.ts'),
    outdir: 'out/bench',
    outbase: 'bench',
    external: [...tfjsExternal, 'tokenizers', 'playwright-core'],
  },
];

const configs = production ? shipped : [...shipped, ...tests];
if (watch) {
  const contexts = await Promise.all(configs.map((c) => esbuild.context(c)));
  await Promise.all(contexts.map((c) => c.watch()));
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(configs.map((c) => esbuild.build(c)));
  // The JSON Schema shipped in the package is generated from the config schema by the CLI itself.
  writeFileSync('schemas/finetune.schema.json', execFileSync(process.execPath, ['dist/cli.js', 'schema']));
  console.log(`esbuild: built ${configs.length} bundles${production ? ' (production)' : ''}`);
}
