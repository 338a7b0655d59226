// The first ten minutes, offline, as start.sh leads a new user through them: the sample workspace
// start.sh makes, the hint it prints on a machine without the Hugging Face hub, followed exactly in
// real VS Code (the packed .vsix): the reference config warns before Start that its model cannot
// be had, and the config the hint names trains to a model that has learned. The finished panel is
// the README's picture.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import {
  openFile,
  openInstalledWorkbench,
  runPanel,
  saveScreenshot,
  withFailureScreenshot,
  type InstalledWorkbench,
} from '../support/workbench';
import { REPO_ROOT } from '../support/vscodeServer';

const FIRST_RUN = path.join(REPO_ROOT, 'scripts', 'first-run.sh');
let workbench: InstalledWorkbench;
let page: Page;
let workspace: string;
/** An address where nothing answers: the hub, as an offline machine sees it. */
let unreachableHub: string;
/** An empty Hugging Face cache. */
let emptyCache: string;

before(async () => {
  const probe = http.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  unreachableHub = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'hf-empty-'));
  const sample = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'first-run-')), 'workspace');
  execFileSync(FIRST_RUN, ['workspace', sample]);
  workbench = await openInstalledWorkbench(
    'e2e-first-run',
    { width: 1680, height: 960 },
    { HF_ENDPOINT: unreachableHub, HF_HUB_CACHE: emptyCache, HF_HUB_OFFLINE: '' },
    { workspaceFrom: sample },
  );
  ({ page, workspace } = workbench);
});

after(() => workbench?.close());

const panel = (): FrameLocator => runPanel(page);

test(
  "offline, start.sh's hint leads to a run that learns; the reference config warns first",
  { timeout: 300_000 },
  () =>
    withFailureScreenshot(page, 'first-run', async () => {
      // What start.sh prints on this machine (no hub, nothing cached).
      const hint = execFileSync(FIRST_RUN, ['hint'], {
        encoding: 'utf8',
        env: { ...process.env, HF_ENDPOINT: unreachableHub, HF_HUB_CACHE: emptyCache, HF_HUB_OFFLINE: '' },
      });
      const named = /Open (\S+\.finetune\.yaml) and click Start training/.exec(hint)?.[1];
      assert.equal(named, 'reviews-small.finetune.yaml', hint);

      // The reference recipe says before Start that its model cannot be had, and offers the local folder.
      await openFile(page, 'reviews.finetune.yaml');
      await page
        .locator('.codelens-decoration', { hasText: 'distilbert-base-uncased: cannot be had offline' })
        .waitFor({ timeout: 60_000 });
      // Started anyway (a warning does not stop Start), the run fails at the download, and the
      // panel leads back to the config, where the warning's quick fix is.
      await page.locator('.codelens-decoration a', { hasText: 'Start training' }).click();
      await panel()
        .getByText(/cannot download distilbert-base-uncased from http:\/\/127\.0\.0\.1:\d+/)
        .waitFor({ timeout: 60_000 });
      await panel().locator('vscode-button', { hasText: 'Open config' }).click();
      const configTab = page.locator('.tab.active', { hasText: 'reviews.finetune.yaml' }).first();
      await configTab.waitFor({ timeout: 30_000 });
      await configTab.click(); // the keyboard's focus leaves the panel's page

      // The hint, followed: open the config it names, Start training.
      await openFile(page, named);
      const lens = page.locator('.codelens-decoration a', { hasText: 'Start training' });
      await lens.waitFor({ timeout: 30_000 });
      await lens.click();
      await panel().getByText('Trained from scratch — no pretrained weights.').waitFor({ timeout: 60_000 });
      await panel().getByRole('heading', { name: 'Final metrics' }).waitFor({ timeout: 240_000 });
      const all = JSON.parse(
        fs.readFileSync(path.join(workspace, 'reviews-small-distilbert', 'all_results.json'), 'utf8'),
      ) as { eval_accuracy: number };
      assert.ok(all.eval_accuracy >= 0.7, `the model learned: accuracy ${all.eval_accuracy}`);
      await panel().locator('section.final').getByText(all.eval_accuracy.toFixed(4)).first().waitFor();
      // The config's code lens is back to Start training once the run has ended.
      await page.locator('.codelens-decoration a', { hasText: 'Start training' }).waitFor({ timeout: 30_000 });
      await saveScreenshot(page, 'screenshot-finished.png');
    }),
);
