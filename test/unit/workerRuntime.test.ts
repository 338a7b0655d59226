// Which Node.js runs the worker: the extension host's, or — when that is VS Code's Electron, which
// cannot use a GPU — a system Node.js found on PATH, with the choice said; never a crash.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { chooseWorkerRuntime, RuntimeError } from '../../src/run/workerRuntime';
import { tempDir } from './helpers';

/** A folder for PATH holding `node`: the real Node.js running this test, or a script that prints `version`. */
function pathWithNode(version?: string): string {
  const dir = tempDir('path');
  const file = path.join(dir, 'node');
  if (version) fs.writeFileSync(file, `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  else fs.symlinkSync(process.execPath, file);
  return dir;
}

const ELECTRON = { hostExecPath: '/opt/vscode/code', electronVersion: '34.5.8' };

test("outside Electron (code-server, a remote host) the worker runs on the extension host's Node.js", () => {
  const runtime = chooseWorkerRuntime({ device: 'webgpu', hostExecPath: process.execPath, searchPath: '' });
  assert.equal(runtime.execPath, process.execPath);
  assert.equal(runtime.note, undefined);
});

test('in Electron, a CPU run stays on the Electron runtime', () => {
  for (const device of ['cpu', 'wasm'] as const) {
    const runtime = chooseWorkerRuntime({ device, ...ELECTRON, searchPath: pathWithNode() });
    assert.equal(runtime.execPath, ELECTRON.hostExecPath);
  }
});

test('in Electron, a run that may use a GPU goes to the system Node.js on PATH, and says so', () => {
  const dir = pathWithNode();
  for (const device of ['auto', 'gpu', 'webgpu'] as const) {
    const runtime = chooseWorkerRuntime({ device, ...ELECTRON, searchPath: `/nonexistent${path.delimiter}${dir}` });
    assert.equal(runtime.execPath, path.join(dir, 'node'));
    assert.match(runtime.description, new RegExp(`system Node.js ${process.version.replace(/\./g, '\\.')}`));
    assert.match(runtime.note ?? '', /Electron runtime cannot use a GPU/);
  }
});

test('a Node.js older than 20 on PATH is passed over', () => {
  const old = pathWithNode('v18.19.0');
  const runtime = chooseWorkerRuntime({ device: 'auto', ...ELECTRON, searchPath: old });
  assert.equal(runtime.execPath, ELECTRON.hostExecPath, 'no usable system Node.js: the CPU in Electron');
  assert.match(runtime.note ?? '', /No system Node\.js 20\+ was found on PATH.*on the CPU.*Node Path/);
});

test('without a system Node.js, gpu and webgpu are refused with the fix; auto trains on the CPU', () => {
  for (const device of ['gpu', 'webgpu'] as const) {
    assert.throws(
      () => chooseWorkerRuntime({ device, ...ELECTRON, searchPath: tempDir('empty-path') }),
      (error: unknown) =>
        error instanceof RuntimeError &&
        new RegExp(`device: ${device} needs a system Node\\.js 20 or later`).test(error.message) &&
        /Install Node\.js 20 or later.*Node Path/.test(error.hint),
    );
  }
});

test('the Node Path setting wins, and one that is not Node.js is refused by name', () => {
  const dir = pathWithNode();
  const runtime = chooseWorkerRuntime({
    device: 'webgpu',
    ...ELECTRON,
    configuredNodePath: path.join(dir, 'node'),
    searchPath: '',
  });
  assert.equal(runtime.execPath, path.join(dir, 'node'));
  assert.match(runtime.description, /from the Node Path setting/);
  assert.throws(
    () => chooseWorkerRuntime({ device: 'auto', ...ELECTRON, configuredNodePath: '/bin/true', searchPath: '' }),
    /the Node Path setting, \/bin\/true, is not a Node\.js executable/,
  );
});
