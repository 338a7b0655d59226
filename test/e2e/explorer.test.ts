// End to end: the packed .vsix installed into real VS Code, driven in chromium like a person:
// right-click a dataset in the Explorer, pick "Fine-tune DistilBERT", see the config beside it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  openExplorerContextMenuItem,
  openInstalledWorkbench,
  saveScreenshot,
  withFailureScreenshot,
  type InstalledWorkbench,
} from '../support/workbench';

let workbench: InstalledWorkbench;
let page: Page;
let workspace: string;

before(async () => {
  workbench = await openInstalledWorkbench('e2e-explorer', { width: 1400, height: 860 });
  ({ page, workspace } = workbench);
});

after(() => workbench?.close());

test('right-click a dataset > Fine-tune DistilBERT opens its config beside it', () =>
  withFailureScreenshot(page, 'explorer', async () => {
    await openExplorerContextMenuItem(page, 'reviews.csv', 'Fine-tune DistilBERT');

    const configTab = page.getByRole('tab', { name: /reviews\.finetune\.yaml/ });
    await configTab.waitFor({ timeout: 30_000 });
    const configPath = path.join(workspace, 'reviews.finetune.yaml');
    assert.ok(fs.existsSync(configPath), 'the config file was written');
    const text = fs.readFileSync(configPath, 'utf8');
    assert.match(text, /^text_column: text\b/m);
    assert.match(text, /^label_column: label\b/m);

    // The config's editor shows the guessed columns, in a second editor group beside the dataset.
    const groups = page.locator('.editor-group-container');
    await groups.nth(1).waitFor({ timeout: 15_000 });
    await page
      .locator('.editor-group-container.active .view-lines')
      .getByText('text_column: text')
      .first()
      .waitFor({ timeout: 15_000 });
    await page
      .getByRole('tab', { name: /reviews\.csv/ })
      .first()
      .waitFor();

    await saveScreenshot(page, 'screenshot-config.png');
  }));

test('on a dataset that has a config, Fine-tune DistilBERT says it opened that one, and offers a fresh one', () =>
  withFailureScreenshot(page, 'explorer-existing', async () => {
    const configPath = path.join(workspace, 'reviews.finetune.yaml');
    const before = fs.readFileSync(configPath);
    await openExplorerContextMenuItem(page, 'reviews.csv', 'Fine-tune DistilBERT');
    const toast = page.locator('.notifications-toasts', {
      hasText: 'Opened your existing reviews.finetune.yaml for reviews.csv; it was not changed.',
    });
    await toast.waitFor({ timeout: 30_000 });
    await toast.getByRole('button', { name: 'Create a Fresh Config' }).click();
    await page.getByRole('tab', { name: /reviews-2\.finetune\.yaml/ }).waitFor({ timeout: 30_000 });
    const fresh = fs.readFileSync(path.join(workspace, 'reviews-2.finetune.yaml'), 'utf8');
    assert.match(fresh, /^train_file: reviews\.csv\b/m);
    assert.match(fresh, /^output_dir: reviews-2-distilbert\b/m, 'its own output folder');
    assert.ok(fs.readFileSync(configPath).equals(before), 'the existing config is unchanged');
  }));
