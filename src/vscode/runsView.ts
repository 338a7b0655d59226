// The Runs view (Explorer): every run in the workspace (an output folder with trainer_state.json;
// checkpoints left out), newest first, named by the config that wrote it, with its date, backend
// and final metrics; under each, the training arguments that differ between the runs. Compare
// (two or more selected) opens them side by side with their loss curves on one chart.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { outputDirOf } from '../core/config/assist';
import { CHECKPOINT_FOLDER, TRAINER_STATE_NAME } from '../core/outputNames';
import { differingArguments, readRun, type RunSummary } from '../core/runs/runs';
import type { HostToPage, RunComparison } from '../run/protocol';
import { COMPARE_PANEL_VIEW_TYPE } from './ids';
import { panelHtml, RunPanel } from './runPanel';

export interface RunItem {
  kind: 'run';
  name: string;
  run: RunSummary;
}
interface DetailItem {
  kind: 'detail';
  label: string;
  value: string;
}
type Item = RunItem | DetailItem;

export class RunsView implements vscode.TreeDataProvider<Item>, vscode.Disposable {
  private items?: Promise<RunItem[]>;
  private readonly disposables: vscode.Disposable[] = [];

  /** `changed` is the view's onDidChangeTreeData, created at activation (extension.ts). */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly changed: vscode.EventEmitter<void>,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher(`**/${TRAINER_STATE_NAME}`);
    this.disposables.push(
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidChange(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
    );
  }

  refresh(): void {
    this.items = undefined;
    this.changed.fire();
  }

  /** The runs of the workspace, newest first. */
  runs(): Promise<RunItem[]> {
    this.items ??= findRuns();
    return this.items;
  }

  async getChildren(element?: Item): Promise<Item[]> {
    if (!element) return this.runs();
    if (element.kind !== 'run') return [];
    const all = await this.runs();
    const differing = differingArguments(all.map((item) => item.run));
    const { run } = element;
    return [
      ...differing.map((key) => ({ kind: 'detail' as const, label: key, value: short(run.args[key]) })),
      {
        kind: 'detail',
        label: 'final',
        value: run.final
          ? [
              metric('loss', run.final.eval_loss),
              metric('accuracy', run.final.eval_accuracy),
              metric('F1', run.final.eval_f1),
            ]
              .filter(Boolean)
              .join(' · ')
          : `not finished (step ${run.steps})`,
      },
      { kind: 'detail', label: 'backend', value: run.backend ?? 'unknown' },
      { kind: 'detail', label: 'output', value: vscode.workspace.asRelativePath(run.outputDir) },
    ];
  }

  getTreeItem(element: Item): vscode.TreeItem {
    if (element.kind === 'detail') {
      const item = new vscode.TreeItem(element.label);
      item.description = element.value;
      return item;
    }
    const { run } = element;
    const item = new vscode.TreeItem(element.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = run.outputDir;
    item.contextValue = 'run';
    item.iconPath = new vscode.ThemeIcon(run.final ? 'pass' : 'debug-pause');
    item.description = [
      metric('accuracy', run.final?.eval_accuracy),
      metric('F1', run.final?.eval_f1),
      run.final ? undefined : 'not finished',
      new Date(run.updated).toLocaleString(),
    ]
      .filter(Boolean)
      .join(' · ');
    item.tooltip = new vscode.MarkdownString(
      [
        `**${element.name}** — ${vscode.workspace.asRelativePath(run.outputDir)}`,
        '',
        `- model: ${short(run.args.model)}`,
        `- data: ${short(run.args.train_file)}`,
        `- backend: ${run.backend ?? 'unknown'}`,
        `- steps: ${run.steps}`,
        ...(run.final
          ? [
              `- final loss ${metric('', run.final.eval_loss)}, accuracy ${metric('', run.final.eval_accuracy)}, F1 ${metric('', run.final.eval_f1)}`,
            ]
          : []),
      ].join('\n'),
    );
    item.resourceUri = vscode.Uri.file(run.outputDir);
    return item;
  }

  /** Opens the selected runs (two or more) side by side. */
  async compare(clicked?: Item, selected?: Item[]): Promise<RunComparison | undefined> {
    const chosen = (selected?.length ? selected : clicked ? [clicked] : []).filter(
      (item): item is RunItem => item.kind === 'run',
    );
    const picked = chosen.length >= 2 ? chosen : await this.pickRuns(chosen);
    if (!picked || picked.length < 2) return undefined;
    const runs = [...picked].sort((a, b) => b.run.updated - a.run.updated); // newest first, as in the view
    const comparison: RunComparison = {
      runs: runs.map((item) => ({ ...item.run, name: item.name })),
      differing: differingArguments(runs.map((item) => item.run)),
    };
    const panel = vscode.window.createWebviewPanel(
      COMPARE_PANEL_VIEW_TYPE,
      `Compare ${runs.map((r) => r.name).join(' · ')}`,
      vscode.ViewColumn.Active,
      RunPanel.options(this.extensionUri),
    );
    panel.webview.html = panelHtml(panel.webview, this.extensionUri, panel.title);
    const message: HostToPage = { type: 'comparison', comparison };
    // The page asks once its script runs; until then a message would be lost.
    const listener = panel.webview.onDidReceiveMessage((raw: { type?: unknown }) => {
      if (raw?.type === 'ready') void panel.webview.postMessage(message);
    });
    panel.onDidDispose(() => listener.dispose());
    return comparison;
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }

  private async pickRuns(already: RunItem[]): Promise<RunItem[] | undefined> {
    const all = await this.runs();
    const picked = await vscode.window.showQuickPick(
      all.map((item) => ({
        label: item.name,
        description: vscode.workspace.asRelativePath(item.run.outputDir),
        picked: already.includes(item),
        item,
      })),
      { canPickMany: true, title: 'Compare which runs? (two or more)' },
    );
    return picked?.map((p) => p.item);
  }
}

/** Every run in the workspace, named after the config whose output_dir it is (else its folder). */
async function findRuns(): Promise<RunItem[]> {
  const [states, configs] = await Promise.all([
    vscode.workspace.findFiles(`**/${TRAINER_STATE_NAME}`, '**/node_modules/**', 500),
    vscode.workspace.findFiles('**/*.finetune.{yaml,yml}', '**/node_modules/**', 500),
  ]);
  const configOf = new Map<string, string>();
  for (const config of configs) {
    try {
      const output = path.resolve(path.dirname(config.fsPath), outputDirOf(fs.readFileSync(config.fsPath, 'utf8')));
      configOf.set(output, path.basename(config.fsPath).replace(/\.finetune\.ya?ml$/, ''));
    } catch {
      // an unreadable config names nothing
    }
  }
  return states
    .map((uri) => path.dirname(uri.fsPath))
    .filter((folder) => !CHECKPOINT_FOLDER.test(path.basename(folder)))
    .map((folder) => readRun(folder))
    .filter((run): run is RunSummary => !!run)
    .sort((a, b) => b.updated - a.updated)
    .map((run) => ({ kind: 'run' as const, name: configOf.get(run.outputDir) ?? path.basename(run.outputDir), run }));
}

function metric(name: string, value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  return `${name ? `${name} ` : ''}${value.toFixed(4)}`;
}

function short(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'string') return /[\\/]/.test(value) ? vscode.workspace.asRelativePath(value) : value;
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}
