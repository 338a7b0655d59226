// Real VS Code for tests: the VS Code server and web workbench from the `code-server` npm package
// (installed into .vscode-host/ by scripts/setup-vscode-host.sh), opened in Debian's chromium
// through playwright-core. Nothing is downloaded at test time.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/** The repository root: the nearest folder above this bundle with the extension's package.json. */
function findRepoRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, 'utf8')).name === 'distilbert-finetuner')
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`no distilbert-finetuner package.json above ${start}`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
const SERVER_MAIN = path.join(REPO_ROOT, '.vscode-host/node_modules/code-server/lib/vscode/out/server-main.js');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium flags for this closed network (see DESIGN.md: no background requests, no sandbox as root). */
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const USER_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'git.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'window.restoreWindows': 'none',
};

export interface ServerDirs {
  root: string;
  serverData: string;
  userData: string;
  extensions: string;
  tmp: string;
  hfCache: string;
}

export interface VsCodeServer {
  port: number;
  url: string;
  dirs: ServerDirs;
  process: ChildProcess;
  /** Everything the server printed so far. */
  log(): string;
  stop(): Promise<void>;
}

/** A fresh folder tree for one server under .test-runs/. */
export function makeRunDirs(name: string, settings: Record<string, unknown> = {}): ServerDirs {
  const root = fs.mkdtempSync(path.join(REPO_ROOT, '.test-runs', `${name}-`).replace(/-$/, '-'));
  const dirs: ServerDirs = {
    root,
    serverData: path.join(root, 'server-data'),
    userData: path.join(root, 'user-data'),
    extensions: path.join(root, 'extensions'),
    tmp: path.join(root, 'tmp'),
    hfCache: path.join(root, 'hf-cache'),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(
    path.join(dirs.userData, 'User', 'settings.json'),
    JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2),
  );
  return dirs;
}

export function serverEnv(dirs: ServerDirs): NodeJS.ProcessEnv {
  return {
    ...process.env,
    EXTENSIONS_GALLERY: '{}',
    TMPDIR: dirs.tmp,
    XDG_CONFIG_HOME: path.join(dirs.root, 'xdg-config'),
    XDG_DATA_HOME: path.join(dirs.root, 'xdg-data'),
    XDG_CACHE_HOME: path.join(dirs.root, 'xdg-cache'),
    HF_HUB_CACHE: dirs.hfCache,
    HF_HUB_OFFLINE: '1',
    VSCODE_CLI: undefined,
    ELECTRON_RUN_AS_NODE: undefined,
  };
}

/** Installs a .vsix into the server's extensions folder with the server's own CLI. */
export function installVsix(dirs: ServerDirs, vsix: string): void {
  execFileSync(
    process.execPath,
    [
      SERVER_MAIN,
      '--extensions-dir',
      dirs.extensions,
      '--server-data-dir',
      dirs.serverData,
      '--user-data-dir',
      dirs.userData,
      '--install-extension',
      vsix,
      '--force',
    ],
    {
      env: serverEnv(dirs),
      stdio: 'pipe',
      timeout: 120_000,
    },
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * `workspaceTrust`: VS Code asks whether to trust the folder (else trust is off, as in most tests).
 * `smokeTestDriver`: the driver that loads a test payload into the page (the integration suite);
 * it also makes VS Code refuse modal dialogs, so the end-to-end tests, which answer them, run without.
 */
export async function startVsCodeServer(
  dirs: ServerDirs,
  workspace?: string,
  extraEnv: NodeJS.ProcessEnv = {},
  { workspaceTrust = false, smokeTestDriver = true } = {},
): Promise<VsCodeServer> {
  if (!fs.existsSync(SERVER_MAIN))
    throw new Error(`VS Code server missing at ${SERVER_MAIN}: run scripts/setup-vscode-host.sh`);
  const port = await freePort();
  const args = [
    SERVER_MAIN,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--telemetry-level',
    'off',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    ...(smokeTestDriver ? ['--enable-smoke-test-driver'] : []),
    '--server-data-dir',
    dirs.serverData,
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    ...(workspace ? ['--default-folder', workspace] : []),
  ];
  // Its own process group: the extension host and tsserver outlive a plain SIGTERM of the parent.
  const child = spawn(process.execPath, args, {
    env: { ...serverEnv(dirs), ...extraEnv },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`VS Code server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(url);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`VS Code server did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    port,
    url,
    dirs,
    process: child,
    log: () => output,
    stop: () => stopGroup(child),
  };
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
  // Stragglers of the group (extension host, watchers) get the same.
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

export async function launchBrowser(dirs: ServerDirs): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // playwright gives every launch a fresh, empty profile folder of its own.
    args: CHROMIUM_FLAGS,
    env: { ...process.env, TMPDIR: dirs.tmp },
  });
}

/** The workbench URL for a folder; `payload` adds smoke-test-driver options. */
export function workbenchUrl(server: VsCodeServer, folder: string, payload?: Array<[string, string]>): string {
  const query = new URLSearchParams({ folder });
  if (payload) query.set('payload', JSON.stringify(payload));
  return `${server.url}/?${query.toString()}`;
}

/** Waits until the workbench has rendered its Explorer. */
export async function waitForWorkbench(page: Page): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view, .explorer-viewlet').first().waitFor({ timeout: 60_000 });
}

/** Copies a fixture workspace into the run folder (tests write into it). */
export function copyWorkspace(dirs: ServerDirs, fixture: string): string {
  const target = path.join(dirs.root, 'workspace');
  fs.cpSync(fixture, target, { recursive: true });
  return target;
}
