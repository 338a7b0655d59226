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

test("the .vsix holds the five bundles, the manifest, media, schema, TensorFlow.js' Node builds and the native kernel addon; no sources, tests or dev dependencies", () => {
  const { version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));
  const entries = zipEntries(path.join(REPO_ROOT, `distilbert-finetuner-${version}.vsix`)).map((e) =>
    e.replace(/^extension\//, ''),
  );
  for (const needed of [
    'package.json',
    'dist/extension.js',
    'dist/features.js',
    'dist/worker.js',
    'dist/cli.js',
    'dist/webview.js',
    'media/panel.css',
    'schemas/finetune.schema.json',
    'syntaxes/finetune-yaml.tmLanguage.json',
    'language-configuration.json',
    'node_modules/@tensorflow/tfjs-core/dist/tf-core.node.js',
    'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    'native/build/Release/distilbert_native.node',
  ]) {
    assert.ok(entries.includes(needed), `${needed} is in the package`);
  }
  const forbidden = entries.filter((e) =>
    /^(src|test|webview|bench|scripts|sample|out|\.vscode-host)\/|^native\/(?!build\/Release\/distilbert_native\.node$)|\.map$|\.ts$|^node_modules\/(@types|typescript|esbuild|mocha|playwright-core|@vscode\/vsce|tokenizers|yaml|@huggingface)\//.test(
      e,
    ),
  );
  assert.deepEqual(forbidden, []);
});
