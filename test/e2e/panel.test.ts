// End to end: the packed .vsix in real VS Code, in chromium, driven as a person would. Right-click
// the dataset, Fine-tune DistilBERT, Start training from the code lens; the model downloads from a
// (mock) Hugging Face hub; the panel beside the dataset shows progress, the results table and the
// final metrics; Run again, then Cancel; then a window reload restores the panel.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import * as os from 'node:os';
import type { FrameLocator, Page } from 'playwright-core';
import { writeTinyModel } from '../../src/core/model/tinyModels';
import { MockHub } from '../support/mockHub';
import { REPO_ROOT, waitForWorkbench } from '../support/vscodeServer';
import {
  dismissNotifications,
  openExplorerContextMenuItem,
  openInstalledWorkbench,
  runCommand,
  runPanel,
  saveScreenshot,
  withFailureScreenshot,
  type InstalledWorkbench,
} from '../support/workbench';

let workbench: InstalledWorkbench;
let hub: MockHub;
let page: Page;
let workspace: string;

before(async () => {
  // distilbert-base-uncased as the hub would serve it, at a size that trains in seconds.
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-model-'));
  const base = writeTinyModel(modelDir, path.join(REPO_ROOT, 'test/fixtures/vocab/vocab.txt'), {
    shape: { dim: 96, n_layers: 2, n_heads: 4, hidden_dim: 192, max_position_embeddings: 128 },
  });
  hub = new MockHub({ 'distilbert-base-uncased': base });
  await hub.start();
  workbench = await openInstalledWorkbench(
    'e2e-panel',
    { width: 1680, height: 960 },
    { HF_ENDPOINT: hub.url, HF_HUB_OFFLINE: '' },
    { dialogs: true },
  );
  ({ page, workspace } = workbench);
});

after(async () => {
  await workbench?.close();
  await hub?.stop();
});

const panel = (): FrameLocator => runPanel(page);

test(
  'Fine-tune DistilBERT, Start training: the panel beside the dataset shows the run, its table and final metrics',
  { timeout: 240_000 },
  () =>
    withFailureScreenshot(page, 'panel', async () => {
      await openExplorerContextMenuItem(page, 'reviews.csv', 'Fine-tune DistilBERT');
      await page.getByRole('tab', { name: /reviews\.finetune\.yaml/ }).waitFor();
      const lens = page.locator('.codelens-decoration a', { hasText: 'Start training' });
      await lens.waitFor({ timeout: 30_000 });
      await lens.click();

      // The panel opens in the group right of the dataset's.
      const panelTab = page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 1/ });
      await panelTab.waitFor({ timeout: 30_000 });
      const datasetGroup = page
        .locator('.editor-group-container', { has: page.getByRole('tab', { name: /^reviews\.csv/ }) })
        .first();
      const panelGroup = page.locator('.editor-group-container', { has: panelTab });
      const [datasetBox, panelBox] = [await datasetGroup.boundingBox(), await panelGroup.boundingBox()];
      assert.ok(datasetBox && panelBox && panelBox.x > datasetBox.x, 'the panel is right of the dataset');

      // The header names the model once, as the config writes it; pretrained weights: no from-scratch banner.
      await panel()
        .getByText(/^distilbert-base-uncased \(pretrained weights\) · native CPU kernels/)
        .waitFor({ timeout: 60_000 });
      assert.equal(await panel().getByText('Trained from scratch').count(), 0);
      // Progress moves: the download from the hub, then training steps.
      await panel()
        .getByText(/Downloading|Step \d+ \/ \d+/)
        .first()
        .waitFor({ timeout: 60_000 });
      await panel()
        .getByText(/Step [1-9]\d* \/ \d+/)
        .first()
        .waitFor({ timeout: 60_000 });

      // The table gets one row per epoch, with the numbers the worker reported (trainer_state.json).
      await panel().getByRole('heading', { name: 'Final metrics' }).waitFor({ timeout: 180_000 });
      const out = path.join(workspace, 'reviews-distilbert');
      const history = JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8')).log_history as Array<
        Record<string, number>
      >;
      const evaluations = history.filter((l) => 'eval_loss' in l && !('train_runtime' in l));
      assert.equal(evaluations.length, 2);
      const table = panel().locator('section.table vscode-data-grid-row');
      await table.nth(2).waitFor();
      assert.equal(await table.count(), 3, 'a header and one row per epoch');
      for (const [i, evaluation] of evaluations.entries()) {
        const cells = await table
          .nth(i + 1)
          .locator('vscode-data-grid-cell')
          .allInnerTexts();
        assert.deepEqual(cells.slice(1), [
          (i + 1).toFixed(1),
          String(evaluation.step),
          evaluation.eval_loss.toFixed(4),
          evaluation.eval_accuracy.toFixed(4),
          evaluation.eval_f1.toFixed(4),
        ]);
      }
      const all = JSON.parse(fs.readFileSync(path.join(out, 'all_results.json'), 'utf8'));
      await panel().locator('section.final').getByText(all.eval_accuracy.toFixed(4)).first().waitFor();
      await panel().getByText('Confusion matrix (rows: true label, columns: predicted)').waitFor();
      // The loss chart: a dashed line where epoch 2 starts; the smoothed line over the faint raw one,
      // and the raw line alone with smoothing at 0.
      assert.equal(await panel().locator('svg.chart line.epoch').count(), 1, 'one epoch boundary in 2 epochs');
      await panel().locator('svg.chart text', { hasText: 'epoch 2' }).waitFor();
      assert.equal(await panel().locator('svg.chart polyline.train.raw').count(), 1);
      await panel().getByLabel('Smoothing of the training loss').fill('0');
      await panel().locator('svg.chart polyline.train.raw').waitFor({ state: 'detached' });
      assert.equal(await panel().locator('svg.chart polyline.train').count(), 1);
    }),
);

/** Makes the config's runs long enough to watch and to cancel: an edit made outside the editor, which VS Code picks up. */
async function longerRuns(): Promise<void> {
  const config = path.join(workspace, 'reviews.finetune.yaml');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/^num_train_epochs: .*$/m, 'num_train_epochs: 400'));
  await page
    .locator('.view-lines', { hasText: 'num_train_epochs: 400' })
    .first()
    .waitFor({ timeout: 30_000 })
    .catch(async () => {
      await page.getByRole('tab', { name: /reviews\.finetune\.yaml/ }).click();
      await page.locator('.view-lines', { hasText: 'num_train_epochs: 400' }).first().waitFor({ timeout: 30_000 });
    });
}

/** Every file under `folder` with its bytes, to show that nothing in it changed. */
function snapshot(folder: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(folder, file), fs.readFileSync(file).toString('base64'));
  }
  return files;
}

test(
  'Run again on a finished run asks first; "Train into a New Folder" keeps the finished one and starts run 2',
  { timeout: 180_000 },
  () =>
    withFailureScreenshot(page, 'run-again', async () => {
      await longerRuns();
      const finished = path.join(workspace, 'reviews-distilbert');
      const before = snapshot(finished);
      await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 1/ }).click();
      await panel().locator('vscode-button', { hasText: 'Run again' }).click();
      // A modal question: replace the finished run, or train into a new folder.
      const dialog = page.locator('.monaco-dialog-box');
      await dialog.getByText('reviews-distilbert holds a finished run. Replace it?').waitFor({ timeout: 30_000 });
      await dialog.getByText(/at step \d+ \(accuracy \d\.\d{4}, F1 \d\.\d{4}\)/).waitFor();
      await dialog.getByRole('button', { name: 'Train into a New Folder' }).click();
      await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 2/ }).waitFor({ timeout: 30_000 });
      const config = fs.readFileSync(path.join(workspace, 'reviews.finetune.yaml'), 'utf8');
      assert.match(config, /^output_dir: reviews-distilbert-2\b/m, 'the config now trains into a new folder');
      await panel()
        .getByText(/Step [1-9]\d* \/ \d+/)
        .first()
        .waitFor({ timeout: 60_000 });
      await page.waitForTimeout(1500);
      await saveScreenshot(page, 'screenshot-running.png');
      assert.deepEqual(snapshot(finished), before, 'the finished run is left byte for byte');
    }),
);

/** The step the panel shows now. */
async function shownStep(): Promise<number> {
  const text = await panel()
    .getByText(/Step \d+ \/ \d+/)
    .first()
    .innerText();
  return Number(/Step (\d+)/.exec(text)![1]);
}

test(
  'the panel page is untrusted: a script without the nonce does not run, forged messages are ignored',
  { timeout: 120_000 },
  () =>
    withFailureScreenshot(page, 'webview-security', async () => {
      // Scripts added to the page: only the one carrying the page's nonce runs (the control that the
      // check can tell); without it or with a wrong one, the Content-Security-Policy blocks them.
      const body = panel().locator('body');
      // (Code for the page is a string: the tests compile without the DOM's types.)
      const outcome = (await body.evaluate(`(async () => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const nonce = document.querySelector('script[nonce]').nonce;
    const add = (code, withNonce) => {
      const script = document.createElement('script');
      if (withNonce !== undefined) script.nonce = withNonce;
      script.textContent = code;
      document.body.append(script);
    };
    add('window.noNonce = true');
    add('window.wrongNonce = true', 'not-the-nonce');
    const image = document.createElement('img');
    image.setAttribute('onerror', 'window.inlineHandler = true');
    image.src = 'data:,not-an-image';
    document.body.append(image);
    add('window.withNonce = true', nonce);
    await new Promise((r) => setTimeout(r, 500));
    return { noNonce: window.noNonce, wrongNonce: window.wrongNonce, inlineHandler: window.inlineHandler, withNonce: window.withNonce, violations };
  })()`)) as {
        noNonce?: boolean;
        wrongNonce?: boolean;
        inlineHandler?: boolean;
        withNonce?: boolean;
        violations: string[];
      };
      assert.equal(outcome.withNonce, true, "the page's own nonce runs (the check works)");
      assert.equal(outcome.noNonce, undefined, 'a script without the nonce did not run');
      assert.equal(outcome.wrongNonce, undefined, 'a script with a wrong nonce did not run');
      assert.equal(outcome.inlineHandler, undefined, 'an inline event handler did not run');
      assert.ok(
        outcome.violations.filter((d) => d.startsWith('script-src')).length >= 3,
        `CSP violations: ${outcome.violations.join(', ')}`,
      );

      // Messages forged from the page, sent on the channel acquireVsCodeApi().postMessage uses (VS Code
      // hides it from the page itself, so the test reaches it in the frame around the page): none of
      // them cancels the run or opens a file outside it.
      const before = await shownStep();
      await page.frameLocator('iframe.webview.ready').locator('body').evaluate(`(() => {
    const post = window.__vscode_post_message__;
    const forged = [
      { type: 'cancelEverything' }, { type: 1 }, 'cancel', null, [{ type: 'cancel' }],
      { type: 'cancel', run_id: 'another-run' }, { type: 'cancel', reason: 'forged' },
      { type: 'openModelCard', path: '/etc/passwd' }, { type: 'revealOutput', path: '/' }, { type: 'runAgain', config: '/tmp/evil.finetune.yaml' },
    ];
    for (const message of forged) post('onmessage', { message });
  })()`);
      await page.waitForTimeout(3000);
      assert.ok((await shownStep()) > before, 'the run went on training');
      assert.equal(
        await panel()
          .getByText(/Cancelled at step/)
          .count(),
        0,
        'not cancelled',
      );
      assert.equal(
        await page.getByRole('tab', { name: /passwd|evil/ }).count(),
        0,
        'no file outside the run was opened',
      );
      assert.equal(
        await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 3/ }).count(),
        0,
        'no run was started',
      );
      // The control: a well-formed message on the same channel does reach the extension ("Run again"
      // while the config trains only says so).
      await page
        .frameLocator('iframe.webview.ready')
        .locator('body')
        .evaluate(`window.__vscode_post_message__('onmessage', { message: { type: 'runAgain' } })`);
      await page
        .locator('.notifications-toasts', { hasText: 'This config is already training' })
        .waitFor({ timeout: 30_000 });
      await dismissNotifications(page);
    }),
);

test('Cancel stops the second run with a checkpoint', { timeout: 180_000 }, () =>
  withFailureScreenshot(page, 'cancel', async () => {
    await panel().locator('vscode-button', { hasText: 'Cancel' }).click();
    await panel()
      .getByText(/Cancelled at step \d+\. Checkpoint: .*checkpoint-\d+/)
      .waitFor({ timeout: 60_000 });
    assert.ok(
      fs.readdirSync(path.join(workspace, 'reviews-distilbert-2')).some((name) => /^checkpoint-\d+$/.test(name)),
    );
  }),
);

test('a window reload during a run restores the panel with its state', { timeout: 180_000 }, () =>
  withFailureScreenshot(page, 'reload', async () => {
    await panel().locator('vscode-button', { hasText: 'Run again' }).click();
    await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 3/ }).waitFor({ timeout: 30_000 });
    await panel()
      .getByText(/Step [1-9]\d* \/ \d+/)
      .first()
      .waitFor({ timeout: 60_000 });
    await runCommand(page, 'Developer: Reload Window');
    await page.waitForLoadState('load');
    await waitForWorkbench(page);
    await page.getByRole('tab', { name: /Fine-tune reviews\.csv · run 3/ }).click({ timeout: 60_000 });
    // The worker stopped with the old window and wrote a checkpoint; the panel says so, with the progress it had.
    await panel()
      .getByText(/Cancelled at step \d+/)
      .waitFor({ timeout: 60_000 });
    await panel()
      .getByText(/Step \d+ \/ \d+/)
      .first()
      .waitFor();
    // Nothing was lost or left behind: no worker still running, output_dir released, the data as it was.
    const workers = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(workbench.dirs.extensions) && line.includes('worker.js'));
    for (let i = 0; i < 100 && workers().length > 0; i++) await page.waitForTimeout(200);
    assert.deepEqual(workers(), [], "the old window's worker exited");
    const out = path.join(workspace, 'reviews-distilbert-2');
    const lock = path.join(out, '.distilbert-finetune.lock');
    assert.ok(
      !fs.existsSync(lock),
      `output_dir is not locked: ${fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8') : ''}`,
    );
    assert.ok(
      fs
        .readdirSync(out)
        .filter((n) => /^checkpoint-\d+$/.test(n))
        .every((n) => fs.existsSync(path.join(out, n, 'resume_state.json'))),
      'every checkpoint is complete',
    );
    assert.ok(
      fs
        .readFileSync(path.join(workspace, 'reviews.csv'))
        .equals(fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/workspace/reviews.csv'))),
      'the dataset is unchanged',
    );
  }),
);
