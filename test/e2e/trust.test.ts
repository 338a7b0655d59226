// End to end, workspace trust: the .vsix in real VS Code with trust on and the folder untrusted
// (the web workbench opens it in Restricted Mode; desktop would ask, and is told "No"). Configs are
// shown and validated, but Fine-tune DistilBERT writes nothing, nothing trains or downloads, and
// each refusal says why and leads to the Workspace Trust editor.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  openExplorerContextMenuItem,
  openInstalledWorkbench,
  withFailureScreenshot,
  type InstalledWorkbench,
} from '../support/workbench';

let workbench: InstalledWorkbench;
let page: Page;
let workspace: string;

/** Every file under the workspace with its size and modification time. */
function snapshot(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      const stat = fs.statSync(file);
      return `${path.relative(folder, file)} ${stat.size} ${stat.mtimeMs}`;
    })
    .sort();
}

before(async () => {
  workbench = await openInstalledWorkbench(
    'e2e-trust',
    { width: 1400, height: 860 },
    {},
    {
      // VS Code asks (desktop), or opens the folder in Restricted Mode straight away (the web workbench).
      onTrustPrompt: async (prompt) => {
        const distrust = prompt.getByRole('button', { name: /No, I don.t trust the authors/ });
        const restricted = prompt.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first();
        await distrust.or(restricted).first().waitFor({ timeout: 60_000 });
        if (await distrust.isVisible()) await distrust.click();
      },
    },
  );
  ({ page, workspace } = workbench);
});

after(() => workbench?.close());

test('in an untrusted workspace, Fine-tune DistilBERT writes nothing and says why', { timeout: 180_000 }, () =>
  withFailureScreenshot(page, 'trust-fine-tune', async () => {
    await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
    const before = snapshot(workspace);
    await openExplorerContextMenuItem(page, 'reviews.csv', 'Fine-tune DistilBERT');
    await page
      .locator('.notifications-toasts', {
        hasText: /Fine-tune DistilBERT is off in Restricted Mode: it writes a config file next to the dataset/,
      })
      .waitFor({ timeout: 30_000 });
    assert.deepEqual(snapshot(workspace), before, 'no file was written');
  }),
);

test(
  'a config is shown and validated, and its code lens leads to Workspace Trust instead of training',
  { timeout: 180_000 },
  () =>
    withFailureScreenshot(page, 'trust-config', async () => {
      fs.writeFileSync(
        path.join(workspace, 'tickets.finetune.yaml'),
        'model: ./tiny-model\ntrain_file: tickets.jsonl\nlearning_rat: 1e-3\noutput_dir: tickets-out\n',
      );
      const before = snapshot(workspace);
      const item = page.getByRole('treeitem', { name: 'tickets.finetune.yaml', exact: true });
      await item.waitFor({ timeout: 30_000 });
      await item.click();
      await page.getByRole('tab', { name: /tickets\.finetune\.yaml/ }).waitFor({ timeout: 30_000 });
      // Validation runs: the misspelled key is underlined as an error.
      await page.locator('.squiggly-error').first().waitFor({ timeout: 30_000 });
      const lens = page.locator('.codelens-decoration a', {
        hasText: 'Restricted Mode: trust this workspace to train',
      });
      await lens.waitFor({ timeout: 30_000 });
      assert.equal(
        await page.locator('.codelens-decoration a', { hasText: 'Start training' }).count(),
        0,
        'no Start training lens',
      );
      await lens.click();
      await page.getByRole('tab', { name: /Workspace Trust/ }).waitFor({ timeout: 30_000 });
      assert.ok(!fs.existsSync(path.join(workspace, 'tickets-out')), 'nothing trained');
      assert.deepEqual(snapshot(workspace), before, 'no file was written');
    }),
);
