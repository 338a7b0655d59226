// End to end: the packed .vsix in real VS Code, in chromium, driven as a person would. Right-click
// the dataset, Fine-tune DistilBERT, Start training from the code lens; the model downloads from a
// (mock) Hugging Face hub; the panel beside the dataset shows progress, the results table and the
// final metrics; Run again, then Cancel; then a window reload restores the panel.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as os from 'node:os';
import type { FrameLocator, Page } from 'playwright-core';
import { writeTinyModel } from '../../src/core/model/tinyModels';
import { MockHub } from '../support/mockHub';
import { REPO_ROOT, waitForWorkbench } from '../support/vscodeServer';
import { openExplorerContextMenuItem, openInstalledWorkbench, runCommand, saveScreenshot, withFailureScreenshot, type InstalledWorkbench } from '../support/workbench';

let workbench: InstalledWorkbench;
let hub: MockHub;
let page: Page;
let workspace: string;

before(async () => {
  // distilbert-base-uncased as the hub would serve it, at a size that trains in seconds.
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-model-'));
  const base = writeTinyModel(modelDir, path.join(REPO_ROOT, 'test/fixtures/vocab/vocab.txt'), { shape: { dim: 96, n_layers: 2, n_heads: 4, hidden_dim: 192, max_position_embeddings: 128 } });
  hub = new MockHub({ 'distilbert-base-uncased': base });
  await hub.start();
  workbench = await openInstalledWorkbench('e2e-panel', { width: 1680, height: 960 }, { HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '' });
  ({ page, workspace } = workbench);
});

after(async () => {
  await workbench?.close();
  await hub?.stop();
});

/** The run panel's page (a webview iframe inside an iframe). */
function panel(): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

test('Fine-tune DistilBERT, Start training: the panel beside the dataset shows the run, its table and final metrics', { timeout: 240_000 }, () => withFailureScreenshot(page, 'panel', async () => {
  await openExplorerContextMenuItem(page, 'reviews.csv', 'Fine-tune DistilBERT');
  await page.getByRole('tab', { name: /reviews\.finetune\.yaml/ }).waitFor();
  const lens = page.locator('.codelens-decoration a', { hasText: 'Start training' });
  await lens.waitFor({ timeout: 30_000 });
  await lens.click();

  // The panel opens in the group right of the dataset's.
  const panelTab = page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 1/ });
  await panelTab.waitFor({ timeout: 30_000 });
  const datasetGroup = page.locator('.editor-group-container', { has: page.getByRole('tab', { name: /^reviews\.csv/ }) }).first();
  const panelGroup = page.locator('.editor-group-container', { has: panelTab });
  const [datasetBox, panelBox] = [await datasetGroup.boundingBox(), await panelGroup.boundingBox()];
  assert.ok(datasetBox && panelBox && panelBox.x > datasetBox.x, 'the panel is right of the dataset');

  // Progress moves: the download from the hub, then training steps.
  await panel().getByText(/Downloading|Step \d+ \/ \d+/).first().waitFor({ timeout: 60_000 });
  await panel().getByText(/Step [1-9]\d* \/ \d+/).first().waitFor({ timeout: 60_000 });

  // The table gets one row per epoch, with the numbers the worker reported (trainer_state.json).
  await panel().getByRole('heading', { name: 'Final metrics' }).waitFor({ timeout: 180_000 });
  const out = path.join(workspace, 'reviews-distilbert');
  const history = JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8')).log_history as Array<Record<string, number>>;
  const evaluations = history.filter((l) => 'eval_loss' in l && !('train_runtime' in l));
  assert.equal(evaluations.length, 2);
  const table = panel().locator('section.table vscode-data-grid-row');
  await table.nth(2).waitFor();
  assert.equal(await table.count(), 3, 'a header and one row per epoch');
  for (const [i, evaluation] of evaluations.entries()) {
    const cells = await table.nth(i + 1).locator('vscode-data-grid-cell').allInnerTexts();
    assert.deepEqual(cells.slice(1), [(i + 1).toFixed(1), String(evaluation.step), evaluation.eval_loss.toFixed(4), evaluation.eval_accuracy.toFixed(4), evaluation.eval_f1.toFixed(4)]);
  }
  const all = JSON.parse(fs.readFileSync(path.join(out, 'all_results.json'), 'utf8'));
  await panel().locator('section.final').getByText(all.eval_accuracy.toFixed(4)).first().waitFor();
  await panel().getByText('Confusion matrix (rows: true label, columns: predicted)').waitFor();
  await saveScreenshot(page, 'screenshot-finished.png');
}));

/** Makes the config's runs long enough to watch and to cancel: an edit made outside the editor, which VS Code picks up. */
async function longerRuns(): Promise<void> {
  const config = path.join(workspace, 'reviews.finetune.yaml');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/^num_train_epochs: .*$/m, 'num_train_epochs: 400'));
  await page.locator('.view-lines', { hasText: 'num_train_epochs: 400' }).first().waitFor({ timeout: 30_000 }).catch(async () => {
    await page.getByRole('tab', { name: /reviews\.finetune\.yaml/ }).click();
    await page.locator('.view-lines', { hasText: 'num_train_epochs: 400' }).first().waitFor({ timeout: 30_000 });
  });
}

test('Run again, then Cancel: the second run stops with a checkpoint', { timeout: 180_000 }, () => withFailureScreenshot(page, 'cancel', async () => {
  await longerRuns();
  await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 1/ }).click();
  await panel().locator('vscode-button', { hasText: 'Run again' }).click();
  await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 2/ }).waitFor({ timeout: 30_000 });
  await panel().getByText(/Step [1-9]\d* \/ \d+/).first().waitFor({ timeout: 60_000 });
  await page.waitForTimeout(1500);
  await saveScreenshot(page, 'screenshot-running.png');
  await panel().locator('vscode-button', { hasText: 'Cancel' }).click();
  await panel().getByText(/Cancelled at step \d+\. Checkpoint: .*checkpoint-\d+/).waitFor({ timeout: 60_000 });
  assert.ok(fs.readdirSync(path.join(workspace, 'reviews-distilbert')).some((name) => /^checkpoint-\d+$/.test(name)));
}));

test('a window reload during a run restores the panel with its state', { timeout: 180_000 }, () => withFailureScreenshot(page, 'reload', async () => {
  await panel().locator('vscode-button', { hasText: 'Run again' }).click();
  await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 3/ }).waitFor({ timeout: 30_000 });
  await panel().getByText(/Step [1-9]\d* \/ \d+/).first().waitFor({ timeout: 60_000 });
  await runCommand(page, 'Developer: Reload Window');
  await page.waitForLoadState('load');
  await waitForWorkbench(page);
  await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 3/ }).click({ timeout: 60_000 });
  // The worker stopped with the old window and wrote a checkpoint; the panel says so, with the progress it had.
  await panel().getByText(/Cancelled at step \d+/).waitFor({ timeout: 60_000 });
  await panel().getByText(/Step \d+ \/ \d+/).first().waitFor();
}));
