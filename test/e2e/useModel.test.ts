// After training, in real VS Code (the packed .vsix): two runs of the CLI in the workspace, the
// Runs view comparing them (the README's picture of it), Classify with Fine-tuned Model on three
// selected lines (each line's label after it, the classes in its hover: the README's picture) and
// Predict Labels on a file from the Explorer. The model runs in the model worker.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../support/vscodeServer';
import {
  clickMenuItem,
  openExplorerContextMenuItem,
  openFile,
  openInstalledWorkbench,
  runPanel,
  saveScreenshot,
  withFailureScreenshot,
  type InstalledWorkbench,
} from '../support/workbench';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
let workbench: InstalledWorkbench;
let page: Page;
let workspace: string;

/** A run of the CLI in the workspace: the UCI sentences, the fixture's small model, these keys. */
function train(name: string, keys: string): void {
  fs.writeFileSync(
    path.join(workspace, `${name}.finetune.yaml`),
    `model: ./tiny-model\ntrain_file: sentences.csv\ntext_column: text\nlabel_column: label\nmax_length: 48\nper_device_train_batch_size: 32\nlogging_steps: 5\n${keys}\noutput_dir: ${name}-out\n`,
  );
  execFileSync(process.execPath, [CLI, 'train', path.join(workspace, `${name}.finetune.yaml`)], { stdio: 'ignore' });
}

before(async () => {
  workbench = await openInstalledWorkbench('e2e-use-model', { width: 1680, height: 960 });
  ({ page, workspace } = workbench);
  fs.copyFileSync(path.join(REPO_ROOT, 'test/fixtures/data/uci_sentiment.csv'), path.join(workspace, 'sentences.csv'));
  train('sentiment-lr5e-4', 'learning_rate: 5e-4\nnum_train_epochs: 2');
  train('sentiment-lr1e-3', 'learning_rate: 1e-3\nnum_train_epochs: 3');
  fs.writeFileSync(
    path.join(workspace, 'feedback.txt'),
    'The battery lasts all day and the screen is gorgeous.\nIt stopped charging after a week, total waste of money.\nCustomer service never answered my emails.\n',
  );
  fs.writeFileSync(
    path.join(workspace, 'unlabelled.csv'),
    'id,text\n1,"Sturdy, well made and cheap"\n2,Broke on the first day\n',
  );
});

after(() => workbench?.close());

/** Picks the first model of the picker: the newest model folder, with its accuracy shown. */
async function pickNewestModel(): Promise<void> {
  const first = page.locator('.quick-input-list .monaco-list-row').first();
  await first.waitFor({ timeout: 30_000 });
  assert.match(
    (await first.innerText()).replace(/\s+/g, ' '),
    /sentiment-lr1e-3-out\s*accuracy 0\.\d{4} · F1 0\.\d{4}/,
  );
  await page.keyboard.press('Enter');
}

test('the Runs view lists both runs; Compare shows them side by side with both loss curves', { timeout: 300_000 }, () =>
  withFailureScreenshot(page, 'runs', async () => {
    const header = page.getByRole('button', { name: /DistilBERT Runs/ }).first();
    await header.waitFor({ timeout: 60_000 });
    await header.click();
    // The Runs view's items are named by their configs; the Explorer's files have longer names.
    const newest = page.getByRole('treeitem', { name: /^sentiment-lr1e-3(?![-.])/ });
    const older = page.getByRole('treeitem', { name: /^sentiment-lr5e-4(?![-.])/ });
    await newest.waitFor({ timeout: 60_000 });
    // The lower item first: a click also expands an item, which pushes the items below it down.
    await older.click();
    await newest.click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Compare Runs' }).first().click();
    const compare = runPanel(page);
    await compare
      .getByRole('heading', { name: 'Compare sentiment-lr1e-3 · sentiment-lr5e-4' })
      .waitFor({ timeout: 60_000 });
    await compare.getByText('What differs: learning_rate, num_train_epochs.').waitFor();
    assert.equal(await compare.locator('svg.chart polyline.series').count(), 2, 'one loss curve per run');
    await saveScreenshot(page, 'screenshot-runs.png');
  }),
);

test(
  'Classify with Fine-tuned Model: each selected line gets its label, the hover every class',
  { timeout: 300_000 },
  () =>
    withFailureScreenshot(page, 'classify', async () => {
      await openFile(page, 'feedback.txt');
      await page.locator('.monaco-editor .view-lines').first().click();
      await page.keyboard.press('Control+A');
      await page
        .locator('.monaco-editor .view-lines')
        .first()
        .click({ button: 'right', position: { x: 40, y: 8 } });
      await clickMenuItem(page, 'Classify with Fine-tuned Model');
      await pickNewestModel();
      // Each line's result is drawn after it (a decoration's ::after content).
      // (Code for the page is a string: the tests compile without the DOM's types.)
      const labelled = await page.waitForFunction(
        `[...document.querySelectorAll('.monaco-editor .view-lines span')].filter((e) =>
        /(positive|negative) 0\\.\\d\\d/.test(getComputedStyle(e, '::after').content)).length >= 3 &&
       [...document.querySelectorAll('.monaco-editor .view-lines span')].filter((e) =>
        /(positive|negative) 0\\.\\d\\d/.test(getComputedStyle(e, '::after').content)).length`,
        undefined,
        { timeout: 60_000 },
      );
      assert.equal(await labelled.jsonValue(), 3);
      // Hovering a classified line shows every class's probability.
      await page.keyboard.press('Control+Home');
      const box = await page.locator('.monaco-editor .view-line').first().boundingBox();
      await page.mouse.move(box!.x + 120, box!.y + box!.height / 2);
      await page.locator('.monaco-hover', { hasText: 'probability' }).first().waitFor({ timeout: 30_000 });
      await saveScreenshot(page, 'screenshot-classify.png');
      await page.keyboard.press('Escape');
    }),
);

test('Predict Labels from the Explorer writes unlabelled.predictions.csv', { timeout: 300_000 }, () =>
  withFailureScreenshot(page, 'predict', async () => {
    await openExplorerContextMenuItem(page, 'unlabelled.csv', 'Predict Labels with Fine-tuned Model…');
    await pickNewestModel();
    await page.getByRole('treeitem', { name: 'unlabelled.predictions.csv' }).waitFor({ timeout: 60_000 });
    const written = fs.readFileSync(path.join(workspace, 'unlabelled.predictions.csv'), 'utf8').trim().split('\n');
    assert.equal(written[0], 'id,text,predicted_label,predicted_score');
    assert.match(written[1], /^1,"Sturdy, well made and cheap",(positive|negative),0\.\d+$/);
  }),
);
