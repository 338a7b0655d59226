// The .vsix holds what the extension needs at run time and nothing else.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../support/vscodeServer';

/** Entry names of a zip file, from its central directory. */
function zipEntries(file: string): string[] {
  const bytes = fs.readFileSync(file);
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const nameLength = bytes.readUInt16LE(at + 28);
    names.push(bytes.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return names;
}

/** The platform targets `npm run package` builds, and the Dawn build each must carry (scripts/package.mjs). */
const TARGETS: Record<string, string> = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'darwin-arm64': 'darwin-universal',
  'darwin-x64': 'darwin-universal',
  'win32-x64': 'win32-x64',
};
const MAX_VSIX_BYTES = 40 * 1024 * 1024;

for (const [target, dawn] of Object.entries(TARGETS)) {
  test(`the ${target} .vsix holds the six bundles, the manifest, media, schema, TensorFlow.js' Node builds and its own dawn.node; no sources, tests, dev dependencies or other platforms' binaries; under 40 MB`, () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
    const file = path.join(REPO_ROOT, `distilbert-finetuner-${target}-${version}.vsix`);
    assert.ok(fs.statSync(file).size < MAX_VSIX_BYTES, `${file}: ${fs.statSync(file).size} bytes`);
    const entries = zipEntries(file).map((e) => e.replace(/^extension\//, ''));
    for (const needed of [
      'package.json',
      'dist/extension.js',
      'dist/features.js',
      'dist/worker.js',
      'dist/modelWorker.js',
      'dist/cli.js',
      'dist/webview.js',
      'media/panel.css',
      'media/bert-base-uncased-vocab.txt',
      'schemas/finetune.schema.json',
      'syntaxes/finetune-yaml.tmLanguage.json',
      'language-configuration.json',
      'node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.node.js',
      'node_modules/webgpu/index.js',
      'node_modules/webgpu/package.json',
      `node_modules/webgpu/dist/${dawn}/dawn.node`,
    ]) {
      assert.ok(entries.includes(needed), `${needed} is in the ${target} package`);
    }
    const dawnBuilds = entries.filter((e) => /^node_modules\/webgpu\/dist\/[^/]+\/dawn\.node$/.test(e));
    assert.deepEqual(dawnBuilds, [`node_modules/webgpu/dist/${dawn}/dawn.node`], 'only its own Dawn build');
    const addon = 'native/build/Release/distilbert_native.node';
    assert.equal(entries.includes(addon), target === 'linux-x64', 'the native CPU kernels only where they are built');
    const forbidden = entries.filter((e) =>
      /^(src|test|webview|bench|scripts|sample|out|\.vscode-host)\/|^native\/(?!build\/Release\/distilbert_native\.node$)|\.map$|\.ts$|^node_modules\/(@types|typescript|esbuild|mocha|playwright-core|@vscode\/vsce|tokenizers|yaml|@huggingface|eslint|prettier|dependency-cruiser)\/|^tmp\/|^node_modules\/webgpu\/(build|node_modules)\//.test(
        e,
      ),
    );
    assert.deepEqual(forbidden, []);
  });
}
