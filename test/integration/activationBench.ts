// For `npm run bench`: the extension's activation in the real extension host, as VS Code activates
// it on first use. Selected by DISTILBERT_FINETUNE_BENCH=activation (not part of npm test).
//
// Two numbers, because the first is mostly VS Code's:
//   BENCH_ACTIVATION_MS       extension.activate() as a caller sees it: VS Code sets up the
//                             extension's context (storage, secrets: round trips to the window),
//                             loads our module and calls activate().
//   BENCH_OWN_ACTIVATION_MS   what our code costs of that: loading dist/extension.js and running
//                             activate(), timed by wrapping Node's module loader for that one file.
import * as assert from 'node:assert/strict';
import Module from 'node:module';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID } from '../../src/vscode/ids';

type Loader = (request: string, parent: unknown, isMain: boolean) => unknown;

export default function (): void {
  suite('activation time', () => {
    test('measure', async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
      assert.equal(extension.isActive, false);
      const main = path.join(extension.extensionPath, 'dist', 'extension.js');
      const loader = Module as unknown as { _load: Loader; _resolveFilename(request: string, parent: unknown): string };
      const originalLoad = loader._load;
      let own = 0;
      loader._load = function (request, parent, isMain) {
        const start = performance.now();
        const exports = originalLoad.call(this, request, parent, isMain) as {
          activate?: (...args: unknown[]) => unknown;
        };
        let file = '';
        try {
          file = loader._resolveFilename(request, parent);
        } catch {
          // not a file module
        }
        if (file === main && typeof exports.activate === 'function') {
          own += performance.now() - start;
          const activate = exports.activate;
          // esbuild's exports are getters: hand VS Code a copy whose activate is timed.
          return {
            ...exports,
            activate: (...args: unknown[]) => {
              const called = performance.now();
              try {
                return activate(...args);
              } finally {
                own += performance.now() - called;
              }
            },
          };
        }
        return exports;
      };
      // Let the workbench settle first: its own start-up shares the two cores.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const start = performance.now();
      await extension.activate();
      const total = performance.now() - start;
      loader._load = originalLoad;
      assert.ok(own > 0, 'the extension module was loaded through the timed loader');
      console.log(`BENCH_ACTIVATION_MS ${total.toFixed(1)}`);
      console.log(`BENCH_OWN_ACTIVATION_MS ${own.toFixed(2)}`);
    });
  });
}
