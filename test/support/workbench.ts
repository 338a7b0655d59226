// Driving the VS Code workbench in chromium as a person would.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import {
  REPO_ROOT,
  copyWorkspace,
  installVsix,
  launchBrowser,
  makeRunDirs,
  startVsCodeServer,
  waitForWorkbench,
  workbenchUrl,
  type ServerDirs,
  type VsCodeServer,
} from './vscodeServer';

/** The packed extension for this machine's platform, as `npm run package` writes it. */
export const VSIX = path.join(
  REPO_ROOT,
  `distilbert-finetuner-${process.platform}-${process.arch}-${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version}.vsix`,
);

export interface InstalledWorkbench {
  dirs: ServerDirs;
  workspace: string;
  server: VsCodeServer;
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/**
 * Real VS Code with the packed .vsix installed, the fixture workspace open in chromium, and the
 * workbench rendered. `env` reaches the extension host (and so the training worker).
 */
export interface WorkbenchOptions {
  /** Workspace trust on: `onTrustPrompt` handles VS Code's question at startup (else trust is off). */
  onTrustPrompt?: (page: Page) => Promise<void>;
  /**
   * Modal dialogs are shown, for the test to answer (else VS Code's smoke-test driver refuses them,
   * as it does the dialogs a test does not expect).
   */
  dialogs?: boolean;
  /** The folder copied as the workspace (else test/fixtures/workspace). */
  workspaceFrom?: string;
}

export async function openInstalledWorkbench(
  name: string,
  viewport: { width: number; height: number },
  env: NodeJS.ProcessEnv = {},
  options: WorkbenchOptions = {},
): Promise<InstalledWorkbench> {
  if (!fs.existsSync(VSIX)) throw new Error(`${VSIX} is missing: npm run package`);
  fs.mkdirSync(path.join(REPO_ROOT, '.test-runs'), { recursive: true });
  const workspaceTrust = options.onTrustPrompt !== undefined;
  const dirs = makeRunDirs(
    name,
    workspaceTrust
      ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'always' }
      : {},
  );
  const workspace = copyWorkspace(dirs, options.workspaceFrom ?? path.join(REPO_ROOT, 'test/fixtures/workspace'));
  installVsix(dirs, VSIX);
  if (!fs.readdirSync(dirs.extensions).some((entry) => entry.startsWith('distilbert-finetuner.distilbert-finetuner-')))
    throw new Error('the .vsix did not install');
  const server = await startVsCodeServer(dirs, undefined, env, {
    workspaceTrust,
    smokeTestDriver: !options.dialogs,
  });
  const browser = await launchBrowser(dirs);
  const page = await browser.newPage({ viewport });
  await page.goto(workbenchUrl(server, workspace));
  if (options.onTrustPrompt) await options.onTrustPrompt(page);
  await waitForWorkbench(page);
  return {
    dirs,
    workspace,
    server,
    browser,
    page,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

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
    try {
      await clickMenuItem(page, menuItem, 2_000);
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(
          `"${menuItem}" never appeared in the context menu of ${fileName}: ${(error as Error).message}`,
          { cause: error },
        );
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
}

/** Clicks an entry of the context menu that is open (or opening). */
export async function clickMenuItem(page: Page, menuItem: string, timeout = 30_000): Promise<void> {
  const entry = page.getByRole('menuitem', { name: menuItem, exact: true });
  await entry.waitFor({ timeout });
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
}

/** Closes the notification toasts (they would cover the screenshot). */
export async function dismissNotifications(page: Page): Promise<void> {
  const close = page.locator('.notifications-toasts .codicon-notifications-clear');
  for (let i = await close.count(); i > 0; i--)
    await close
      .first()
      .click()
      .catch(() => undefined);
}

/** Opens a workspace file by name through Quick Open (Ctrl+P), as a person would. */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  await page.locator('.quick-input-widget input').fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await page.keyboard.press('Enter');
  await page.getByRole('tab', { name: new RegExp(name.replace(/\./g, '\\.')) }).waitFor({ timeout: 30_000 });
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

/** The run panel's page (a webview iframe inside an iframe). */
export function runPanel(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
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
