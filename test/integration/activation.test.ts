// The extension in a real extension host: lazy activation, the Fine-tune DistilBERT command, and
// proof that TensorFlow.js never loads in the extension host.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, EXTENSION_ID } from '../../src/vscode/ids';
import { workspacePath, closeAllEditors } from './helpers';

export default function (): void {
  suite('activation and Fine-tune DistilBERT', () => {
    test('the extension is installed and not active before it is used', () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is not installed`);
      assert.equal(extension.isActive, false, 'activation must be lazy');
    });

    test('opening a dataset does not activate the extension', async () => {
      await vscode.window.showTextDocument(vscode.Uri.file(workspacePath('reviews.csv')));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(vscode.extensions.getExtension(EXTENSION_ID)!.isActive, false);
      await closeAllEditors();
    });

    test('Fine-tune DistilBERT writes <name>.finetune.yaml with guessed columns and opens it beside the dataset', async () => {
      const dataset = vscode.Uri.file(workspacePath('reviews.csv'));
      const config = workspacePath('reviews.finetune.yaml');
      assert.equal(fs.existsSync(config), false);
      await vscode.commands.executeCommand(COMMANDS.fineTune, dataset);
      assert.ok(vscode.extensions.getExtension(EXTENSION_ID)!.isActive);
      const text = fs.readFileSync(config, 'utf8');
      assert.match(text, /^train_file: reviews\.csv\b/m);
      assert.match(text, /^text_column: text\b/m);
      assert.match(text, /^label_column: label\b/m);
      assert.match(text, /^learning_rate: 2e-5\b/m);
      assert.match(text, /^per_device_train_batch_size: 20\b/m);
      const editors = vscode.window.visibleTextEditors;
      const configEditor = editors.find((e) => e.document.uri.fsPath === config);
      const datasetEditor = editors.find((e) => e.document.uri.fsPath === dataset.fsPath);
      assert.ok(configEditor, 'the config is open');
      assert.ok(datasetEditor, 'the dataset is open');
      assert.notEqual(configEditor.viewColumn, datasetEditor.viewColumn, 'config and dataset side by side');
      assert.equal(configEditor.document.languageId, 'finetune-yaml');
    });

    test('running the command again focuses the visible config instead of opening another copy', async () => {
      const config = workspacePath('reviews.finetune.yaml');
      await vscode.commands.executeCommand(COMMANDS.fineTune, vscode.Uri.file(workspacePath('reviews.csv')));
      const copies = vscode.window.visibleTextEditors.filter((e) => e.document.uri.fsPath === config);
      assert.equal(copies.length, 1);
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, config);
    });

    test('an existing config is opened, never overwritten', async () => {
      const config = workspacePath('reviews.finetune.yaml');
      fs.writeFileSync(config, 'train_file: reviews.csv\nseed: 7\n');
      await closeAllEditors();
      await vscode.commands.executeCommand(COMMANDS.fineTune, vscode.Uri.file(workspacePath('reviews.csv')));
      assert.equal(fs.readFileSync(config, 'utf8'), 'train_file: reviews.csv\nseed: 7\n');
      assert.ok(vscode.window.visibleTextEditors.some((e) => e.document.uri.fsPath === config));
      fs.unlinkSync(config);
      await closeAllEditors();
    });

    test('TensorFlow.js is never loaded in the extension host', () => {
      const loaded = Object.keys(require.cache).filter((m) => m.includes(`${path.sep}@tensorflow${path.sep}`));
      assert.deepEqual(loaded, []);
    });
  });
}
