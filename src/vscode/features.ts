// Everything the extension does once it is used: the runs and their panels, the config language's
// diagnostics and providers, the commands' work. Bundled apart from extension.ts (dist/features.js)
// with the YAML parser, the schema and the panel code, and loaded on first use, so activation stays
// a few registrations.
import type * as vscode from 'vscode';
import type { RunState } from '../run/protocol';
import { ConfigLanguage } from './configLanguage';
import { exportScript } from './exportScript';
import { createSmallModel } from './smallModel';
import { fineTune } from './fineTune';
import { RunManager } from './runManager';
import { RunPanel } from './runPanel';
import { cancelTraining, showResults, startTraining } from './startTraining';
import { ModelCommands } from './useModel';
import { RunsView } from './runsView';

export class EditorFeatures {
  readonly runs: RunManager;
  readonly language: ConfigLanguage;
  readonly models: ModelCommands;
  readonly runsView: RunsView;

  constructor(
    private readonly context: vscode.ExtensionContext,
    lensesChanged: vscode.EventEmitter<void>,
    runsChanged: vscode.EventEmitter<void>,
  ) {
    this.runs = new RunManager(context.extensionUri);
    this.language = new ConfigLanguage((uri) => this.runs.isRunning(uri), lensesChanged);
    this.models = new ModelCommands(context, this.runs.output);
    this.runsView = new RunsView(context.extensionUri, runsChanged);
    context.subscriptions.push(
      this.models,
      this.runsView,
      // A run that ends shows in the Runs view at once (the file watcher also sees it).
      this.runs.onDidChange(() => this.runsView.refresh()),
      this.runs,
      this.language,
      this.runs.onDidChange(() => this.language.validateAll()),
    );
  }

  fineTune(dataset?: vscode.Uri) {
    return fineTune(dataset);
  }

  startTraining(config?: vscode.Uri, options: { resume?: boolean } = {}) {
    return startTraining(this.runs, config, options);
  }

  cancelTraining(config?: vscode.Uri) {
    return cancelTraining(this.runs, config);
  }

  showResults(config?: vscode.Uri) {
    return showResults(this.runs, config);
  }

  exportScript(config?: vscode.Uri) {
    return exportScript(config);
  }

  createSmallModel(config: vscode.Uri) {
    return createSmallModel(this.context.extensionUri, config);
  }

  /** A run panel VS Code brings back after a window reload. */
  restorePanel(panel: vscode.WebviewPanel, state: unknown): void {
    panel.webview.options = RunPanel.options(this.context.extensionUri);
    this.runs.restore(panel, state as RunState | undefined);
  }
}
