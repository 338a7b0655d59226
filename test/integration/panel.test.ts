// Runs from the editor: a real worker process, the panel beside the dataset, the state replayed to
// a page that was hidden, cancel and resume. (Failed runs: badInput.test.ts.)
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, EXTENSION_ID } from '../../src/vscode/ids';
import type { Run, RunManager } from '../../src/vscode/runManager';
import type { RunState } from '../../src/run/protocol';
import { closeAllEditors, waitFor, workspacePath } from './helpers';

function runs(): RunManager {
  return (vscode.extensions.getExtension(EXTENSION_ID)!.exports as { runs: RunManager }).runs;
}

async function startRun(configName: string, text: string): Promise<Run> {
  fs.writeFileSync(workspacePath(configName), text);
  await vscode.window.showTextDocument(vscode.Uri.file(workspacePath('reviews.csv')), {
    viewColumn: vscode.ViewColumn.One,
  });
  const document = await vscode.workspace.openTextDocument(workspacePath(configName));
  await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Two });
  const run = await vscode.commands.executeCommand<Run | undefined>(COMMANDS.startTraining, document.uri);
  assert.ok(run, 'a run started');
  return run;
}

const ended = (run: Run) => (['finished', 'cancelled', 'failed'].includes(run.state.phase) ? run.state : undefined);

export default function (): void {
  suite('runs and the run panel', () => {
    suiteTeardown(closeAllEditors);

    test('a run trains in a worker and its panel opens beside the dataset', async () => {
      const run = await startRun(
        'small.finetune.yaml',
        'model: ./tiny-model\ntrain_file: reviews.csv\nlearning_rate: 1e-3\nnum_train_epochs: 2\nmax_length: 32\noutput_dir: small-out\ndevice: wasm\n',
      );
      assert.ok(run.panel, 'a panel');
      assert.equal(run.panel.panel.viewColumn, vscode.ViewColumn.Two, 'in the column right of the dataset');
      const state = await waitFor('the run to end', () => ended(run), 120_000);
      assert.equal(state.phase, 'finished', JSON.stringify(state.failed));
      assert.equal(state.rows.length, 2, 'one table row per epoch');
      assert.equal(state.started?.backend, 'wasm');
      // The header's facts: the model as the config writes it, and what its weights are, once.
      assert.equal(state.model, './tiny-model');
      assert.equal(state.started?.model_source, 'from scratch, no pretrained weights');
      assert.equal(state.started?.from_scratch, true, 'the panel shows the from-scratch banner');
      assert.ok(state.final && fs.existsSync(state.final.modelCard));
      assert.equal(state.progress?.step, state.started?.total_steps);
    });

    test('a panel hidden and shown again gets the whole state replayed', async () => {
      const run = runs().runOf(vscode.Uri.file(workspacePath('small.finetune.yaml')))!;
      const sent: RunState[] = [];
      const panel = run.panel!;
      const listener = panel.panel.webview.onDidReceiveMessage((m: { type?: string }) => {
        if (m?.type === 'ready') setTimeout(() => sent.push(panel.runState), 0);
      });
      // Another editor in the panel's group hides it (its page is discarded: retainContextWhenHidden is off).
      await vscode.window.showTextDocument(vscode.Uri.file(workspacePath('tickets.jsonl')), {
        viewColumn: panel.panel.viewColumn,
        preview: false,
      });
      await waitFor('the panel to be hidden', () => !panel.panel.visible || undefined);
      panel.reveal();
      const replayed = await waitFor('the page to ask for the state again', () => sent[0], 30_000);
      listener.dispose();
      assert.equal(replayed.phase, 'finished');
      assert.equal(replayed.rows.length, 2);
      assert.ok(replayed.final);
    });

    test('a finished run is not offered for resuming, and is replaced without a question when the setting says so', async () => {
      const configUri = vscode.Uri.file(workspacePath('small.finetune.yaml'));
      const out = workspacePath('small-out');
      assert.ok(
        fs.readdirSync(out).some((name) => /^checkpoint-\d+$/.test(name)),
        'the finished run left checkpoints (the check can fail)',
      );
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        configUri,
      );
      const commands = lenses.map((l) => l.command?.command);
      assert.ok(commands.includes(COMMANDS.showResults), 'Show training results is offered');
      assert.ok(!commands.includes(COMMANDS.resumeTraining), 'Resume is not offered for a finished run');
      assert.equal(
        await vscode.commands.executeCommand(COMMANDS.resumeTraining, configUri),
        undefined,
        'nothing to resume',
      );
      // Start asks before replacing a finished run (a modal, answered in the end-to-end tests); with
      // the question turned off it replaces the run at once.
      const settings = vscode.workspace.getConfiguration('distilbertFinetuner');
      await settings.update('confirmReplacingFinishedRun', false, vscode.ConfigurationTarget.Workspace);
      try {
        const modelFile = path.join(out, 'model.safetensors');
        const before = fs.statSync(modelFile).mtimeMs;
        const run = await vscode.commands.executeCommand<Run | undefined>(COMMANDS.startTraining, configUri);
        assert.ok(run, 'a run started without a question');
        const state = await waitFor('the run to end', () => ended(run), 120_000);
        assert.equal(state.phase, 'finished', JSON.stringify(state.failed));
        assert.ok(fs.statSync(modelFile).mtimeMs > before, 'the finished run was replaced');
      } finally {
        await settings.update('confirmReplacingFinishedRun', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    test('Cancel stops a run with a checkpoint; Resume continues it', async () => {
      const run = await startRun(
        'long.finetune.yaml',
        'model: ./tiny-model\ntrain_file: reviews.csv\nnum_train_epochs: 40\nmax_length: 32\noutput_dir: long-out\ndevice: wasm\n',
      );
      await waitFor('a few steps', () => (run.state.progress?.step ?? 0) >= 3 || undefined, 60_000);
      await vscode.commands.executeCommand(COMMANDS.cancelTraining, run.configUri);
      const state = await waitFor('the run to stop', () => ended(run), 60_000);
      assert.equal(state.phase, 'cancelled');
      assert.ok(state.cancelled?.checkpoint && fs.existsSync(state.cancelled.checkpoint));
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        run.configUri,
      );
      assert.ok(
        lenses.some((l) => l.command?.command === COMMANDS.resumeTraining),
        'a Resume code lens',
      );
      const resumed = await vscode.commands.executeCommand<Run>(COMMANDS.resumeTraining, run.configUri);
      await waitFor('the resumed run to start', () => resumed.state.started, 60_000);
      assert.equal(resumed.state.started!.start_step, state.cancelled!.step);
      await vscode.commands.executeCommand(COMMANDS.cancelTraining, run.configUri);
      await waitFor('the resumed run to stop', () => ended(resumed), 60_000);
    });

    test('after all these runs, TensorFlow.js was never loaded in the extension host (training ran in workers)', () => {
      const loaded = Object.keys(require.cache).filter(
        (m) => m.includes(`${path.sep}@tensorflow${path.sep}`) || m.endsWith('distilbert_native.node'),
      );
      assert.deepEqual(loaded, []);
    });
  });
}
