// Using a fine-tuned model in the editor: Classify with Fine-tuned Model on a selection (one result
// per line), the model picker, Predict Labels on a file and Evaluate in the panel, with a model
// this suite trains first. The model runs in the model worker, never in the extension host.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Classification, FileEvaluation, PredictFileResult } from '../../src/run/protocol';
import { COMMANDS, EXTENSION_ID } from '../../src/vscode/ids';
import type { Run } from '../../src/vscode/runManager';
import type { RunsView } from '../../src/vscode/runsView';
import type { ModelCommands } from '../../src/vscode/useModel';
import { closeAllEditors, waitFor, workspacePath } from './helpers';

const api = () =>
  vscode.extensions.getExtension(EXTENSION_ID)!.exports as { models: ModelCommands; runsView: RunsView };
const models = () => api().models;
const MODEL = () => workspacePath('use-out');

export default function (): void {
  suite('using a fine-tuned model', () => {
    suiteSetup(async function () {
      this.timeout(180_000);
      fs.writeFileSync(
        workspacePath('use.finetune.yaml'),
        'model: ./tiny-model\ntrain_file: reviews.csv\nlearning_rate: 1e-3\nnum_train_epochs: 2\nmax_length: 32\nsave_strategy: "no"\noutput_dir: use-out\n',
      );
      const run = await vscode.commands.executeCommand<Run | undefined>(
        COMMANDS.startTraining,
        vscode.Uri.file(workspacePath('use.finetune.yaml')),
      );
      assert.ok(run, 'a run started');
      const state = await waitFor(
        'the run to end',
        () => (['finished', 'failed'].includes(run.state.phase) ? run.state : undefined),
        150_000,
      );
      assert.equal(state.phase, 'finished', JSON.stringify(state.failed));
    });
    suiteTeardown(closeAllEditors);

    test('Classify with Fine-tuned Model: one result per selected line, and the model stays loaded in one worker', async () => {
      const document = await vscode.workspace.openTextDocument({
        content: 'Great product, I love it.\n\nTerrible, it broke after a day.\nWorks fine',
      });
      const editor = await vscode.window.showTextDocument(document);
      editor.selection = new vscode.Selection(0, 0, 3, 10);
      const first = await vscode.commands.executeCommand<Classification[]>(COMMANDS.classifySelection, MODEL());
      assert.deepEqual(
        first.map((r) => r.text),
        ['Great product, I love it.', 'Terrible, it broke after a day.', 'Works fine'],
        'blank lines are left out',
      );
      for (const result of first) {
        assert.ok(['negative', 'positive'].includes(result.label));
        const sum = Object.values(result.probabilities).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5);
        assert.equal(result.score, Math.max(...Object.values(result.probabilities)));
      }
      const pid = models().workerPid;
      assert.ok(pid && pid !== process.pid, 'a worker process of its own');

      // Part of one line: the selected words only.
      editor.selection = new vscode.Selection(2, 0, 2, 8);
      const part = await vscode.commands.executeCommand<Classification[]>(COMMANDS.classifySelection, MODEL());
      assert.deepEqual(
        part.map((r) => r.text),
        ['Terrible'],
      );
      assert.equal(models().workerPid, pid, 'the same worker answered, with the model loaded');
    });

    test('without a model argument the picker asks, with the last model used first', async () => {
      const editor = await vscode.window.showTextDocument(
        await vscode.workspace.openTextDocument({ content: 'Excellent sound quality' }),
      );
      editor.selection = new vscode.Selection(0, 0, 0, 23);
      const pending = vscode.commands.executeCommand<Classification[]>(COMMANDS.classifySelection);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the quick pick opens
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      const results = await pending;
      assert.equal(results?.length, 1);
      assert.equal(results[0].text, 'Excellent sound quality');
    });

    test('Predict Labels writes <name>.predictions.csv beside the file, which is not touched', async () => {
      const input = workspacePath('unlabelled.csv');
      fs.writeFileSync(input, 'id,text\n1,"Nice, sturdy case"\n2,Stopped working\n');
      const before = fs.readFileSync(input);
      const result = await vscode.commands.executeCommand<PredictFileResult>(
        COMMANDS.predictFile,
        vscode.Uri.file(input),
        MODEL(),
      );
      assert.equal(result.output, workspacePath('unlabelled.predictions.csv'));
      assert.equal(result.rows, 2);
      const lines = fs.readFileSync(result.output, 'utf8').trim().split('\n');
      assert.equal(lines[0], 'id,text,predicted_label,predicted_score');
      assert.match(lines[1], /^1,"Nice, sturdy case",(negative|positive),0\.\d+$/);
      assert.deepEqual(fs.readFileSync(input), before);
    });

    test('Evaluate shows the metrics, per class and the confusion matrix, in a panel beside the file', async () => {
      await vscode.window.showTextDocument(vscode.Uri.file(workspacePath('reviews.csv')), {
        viewColumn: vscode.ViewColumn.One,
      });
      const evaluation = await vscode.commands.executeCommand<FileEvaluation>(
        COMMANDS.evaluateFile,
        vscode.Uri.file(workspacePath('reviews.csv')),
        MODEL(),
      );
      assert.ok(evaluation.metrics.eval_accuracy >= 0 && evaluation.metrics.eval_accuracy <= 1);
      assert.deepEqual(evaluation.metrics.labels, ['negative', 'positive']);
      assert.equal(
        evaluation.metrics.confusion_matrix.flat().reduce((a, b) => a + b, 0),
        evaluation.examples,
      );
      assert.match(evaluation.warning ?? '', /train/, 'the training file is not held out, and the panel says so');
      const tab = await waitFor('the evaluation panel', () =>
        vscode.window.tabGroups.all
          .flatMap((g) => g.tabs.map((t) => ({ t, column: g.viewColumn })))
          .find(({ t }) => t.label === 'Evaluate use-out on reviews.csv'),
      );
      assert.equal(tab.column, vscode.ViewColumn.Two, 'beside the file');
    });

    test('the Runs view lists the workspace runs newest first, named by their configs; Compare opens two side by side', async () => {
      const view = api().runsView;
      view.refresh();
      const runs = await view.runs();
      const names = runs.map((r) => r.name);
      assert.equal(names[0], 'use', 'the newest run first, named by its config');
      assert.ok(names.includes('small'), `the panel suite's run too: ${names.join(', ')}`);
      assert.ok(
        runs.every((r) => !/checkpoint-\d+$/.test(r.run.outputDir)),
        'checkpoints are not runs',
      );
      const use = runs[0];
      assert.ok(use.run.final?.eval_accuracy !== undefined);
      const children = await view.getChildren(use);
      const labels = children.map((c) => view.getTreeItem(c).label);
      assert.ok(labels.includes('backend') && labels.includes('output'), labels.join(', '));
      const final = children.map((c) => view.getTreeItem(c)).find((i) => i.label === 'final');
      assert.match(String(final?.description), /^loss 0\.\d{4} · accuracy 0\.\d{4} · F1 0\.\d{4}$/);
      const item = view.getTreeItem(use);
      assert.match(String(item.description), /accuracy 0\.\d{4} · F1 0\.\d{4}/);

      const small = runs.find((r) => r.name === 'small')!;
      const comparison = await vscode.commands.executeCommand<{ differing: string[]; runs: Array<{ name: string }> }>(
        COMMANDS.compareRuns,
        use,
        [use, small],
      );
      assert.deepEqual(
        comparison.runs.map((r) => r.name),
        ['use', 'small'],
      );
      assert.ok(comparison.differing.includes('output_dir') === false, 'output_dir is not a hyperparameter');
      assert.ok(comparison.differing.includes('save_strategy'), comparison.differing.join(', '));
      await waitFor('the comparison panel', () =>
        vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Compare use · small'),
      );
    });

    test('the model ran in the model worker: TensorFlow.js is not loaded in the extension host', () => {
      const loaded = Object.keys(require.cache).filter(
        (m) => m.includes(`${path.sep}@tensorflow${path.sep}`) || m.endsWith('distilbert_native.node'),
      );
      assert.deepEqual(loaded, []);
    });
  });
}
