// For `npm run bench`: the extension's activation time in the real extension host, as VS Code
// activates it on first use. Selected by DISTILBERT_FINETUNE_BENCH=activation (not part of npm test).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID } from '../../src/vscode/ids';

export default function (): void {
  suite('activation time', () => {
    test('measure', async () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
      assert.equal(extension.isActive, false);
      const start = performance.now();
      await extension.activate();
      console.log(`BENCH_ACTIVATION_MS ${(performance.now() - start).toFixed(1)}`);
    });
  });
}
