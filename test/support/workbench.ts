// Driving the VS Code workbench in chromium as a person would.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from './vscodeServer';

/**
 * Right-clicks an Explorer item and picks a context-menu entry. Entries contributed by extensions
 * appear a few seconds after the Explorer, so the menu is reopened until the entry shows.
 */
export async function openExplorerContextMenuItem(page: Page, fileName: string, menuItem: string): Promise<void> {
  const item = page.getByRole('treeitem', { name: fileName, exact: true });
  await item.waitFor({ timeout: 60_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    await item.click({ button: 'right' });
    const entry = page.getByRole('menuitem', { name: menuItem, exact: true });
    try {
      await entry.waitFor({ timeout: 2_000 });
      // VS Code's menu ignores a mouse-up that comes too soon after it opened: hover, settle, click,
      // and fall back to Enter on the highlighted entry if the menu is still open.
      await entry.hover();
      await page.waitForTimeout(300);
      await entry.click();
      try {
        await entry.waitFor({ state: 'hidden', timeout: 1_500 });
      } catch {
        await page.keyboard.press('Enter');
        await entry.waitFor({ state: 'hidden', timeout: 5_000 });
      }
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`"${menuItem}" never appeared in the context menu of ${fileName}: ${(error as Error).message}`);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
}

/** Closes the notification toasts (they would cover the screenshot). */
export async function dismissNotifications(page: Page): Promise<void> {
  const close = page.locator('.notifications-toasts .codicon-notifications-clear');
  for (let i = await close.count(); i > 0; i--) await close.first().click().catch(() => undefined);
}

/** Runs a command from the command palette, as a person would (F1, type, Enter). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** Saves a screenshot under media/ (committed, shown in the README) and .test-runs/. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  await dismissNotifications(page);
  const file = path.join(REPO_ROOT, 'media', name);
  await page.screenshot({ path: file });
  fs.copyFileSync(file, path.join(REPO_ROOT, '.test-runs', name));
  return file;
}

/** Runs a test step; on failure saves a screenshot of the page under .test-runs/ before rethrowing. */
export async function withFailureScreenshot<T>(page: Page, name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const file = path.join(REPO_ROOT, '.test-runs', `failure-${name}.png`);
    await page.screenshot({ path: file }).catch(() => undefined);
    (error as Error).message += `\n(screenshot: ${file})`;
    throw error;
  }
}
