// The webview panel of one run: it shows the run's state (kept by the host) and forwards the
// page's buttons. The page gets a snapshot of the whole state, at most ~10 times a second, and
// again whenever it (re)loads, so a hidden, moved or reloaded panel shows everything.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { RUN_PANEL_VIEW_TYPE } from './ids';
import { parsePageMessage, type HostToPage, type PageMessage, type RunState } from '../run/protocol';

const REPAINT_MS = 100;

export class RunPanel implements vscode.Disposable {
  private state: RunState;
  private timer: NodeJS.Timeout | undefined;
  private lastSent = 0;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposedEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposedEmitter.event;

  /** Opens a new panel for a run in `column`. */
  static create(
    extensionUri: vscode.Uri,
    state: RunState,
    column: vscode.ViewColumn,
    onMessage: (m: PageMessage) => void,
  ): RunPanel {
    const panel = vscode.window.createWebviewPanel(
      RUN_PANEL_VIEW_TYPE,
      state.title,
      { viewColumn: column, preserveFocus: true },
      RunPanel.options(extensionUri),
    );
    return new RunPanel(panel, extensionUri, state, onMessage);
  }

  /** The options every run panel has (also applied to panels restored after a window reload). */
  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly extensionUri: vscode.Uri,
    state: RunState,
    onMessage: (m: PageMessage) => void,
  ) {
    this.state = state;
    panel.webview.options = RunPanel.options(extensionUri);
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'config-icon.svg');
    panel.webview.html = this.html(panel.webview);
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => {
        const message = parsePageMessage(raw);
        if (!message) return; // the page is untrusted input
        if (message.type === 'ready') this.send();
        else onMessage(message);
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get runState(): RunState {
    return this.state;
  }

  reveal(): void {
    this.panel.reveal(undefined, false);
  }

  /** New state: sent now if the last send is old enough, else once the interval has passed. */
  update(state: RunState): void {
    this.state = state;
    this.panel.title = state.title;
    const wait = REPAINT_MS - (Date.now() - this.lastSent);
    if (wait <= 0 && !this.timer) this.send();
    else if (!this.timer) this.timer = setTimeout(() => this.send(), Math.max(0, wait));
  }

  private send(): void {
    if (this.disposed) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastSent = Date.now();
    const message: HostToPage = { type: 'state', state: this.state };
    void this.panel.webview.postMessage(message);
  }

  private html(webview: vscode.Webview): string {
    return panelHtml(webview, this.extensionUri, this.state.title);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
    this.disposedEmitter.fire();
    this.disposedEmitter.dispose();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page of the run panel and of the Runs comparison: dist/webview.js under a nonce-only CSP. */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<main id="app" aria-live="polite"></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
