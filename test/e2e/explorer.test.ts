// End to end: the packed .vsix installed into real VS Code, driven in chromium like a person:
// right-click a dataset in the Explorer, pick "Fine-tune DistilBERT", see the config beside it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { REPO_ROOT, copyWorkspace, installVsix, launchBrowser, makeRunDirs, startVsCodeServer, waitForWorkbench, workbenchUrl, type VsCodeServer } from '../support/vscodeServer';
import { openExplorerContextMenuItem, saveScreenshot, withFailureScreenshot } from '../support/workbench';

const VSIX = path.join(REPO_ROOT, `distilbert-finetuner-${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version}.vsix`);

let server: VsCodeServer;
let browser: Browser;
let page: Page;
let workspace: string;

before(async () => {
  assert.ok(fs.existsSync(VSIX), `${VSIX} is missing: npm run package`);
  fs.mkdirSync(path.join(REPO_ROOT, '.test-runs'), { recursive: true });
  const dirs = makeRunDirs('e2e-explorer');
  workspace = copyWorkspace(dirs, path.join(REPO_ROOT, 'test/fixtures/workspace'));
  installVsix(dirs, VSIX);
  assert.ok(fs.readdirSync(dirs.extensions).some((name) => name.startsWith('distilbert-finetuner.distilbert-finetuner-')), 'the .vsix is installed');
  server = await startVsCodeServer(dirs);
  browser = await launchBrowser(dirs);
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  await page.goto(workbenchUrl(server, workspace));
  await waitForWorkbench(page);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('right-click a dataset > Fine-tune DistilBERT opens its config beside it', () => withFailureScreenshot(page, 'explorer', async () => {
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
  await page.locator('.editor-group-container.active .view-lines').getByText('text_column: text').first().waitFor({ timeout: 15_000 });
  await page.getByRole('tab', { name: /reviews\.csv/ }).first().waitFor();

  await saveScreenshot(page, 'screenshot-config.png');
}));
