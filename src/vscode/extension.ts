// The extension's entry: wires commands, the config language and the run panels. No logic here.
import * as vscode from 'vscode';
import { fineTune } from './fineTune';
import { COMMANDS, RUN_PANEL_VIEW_TYPE } from './ids';
import { cancelTraining, showResults, startTraining } from './startTraining';
import { ConfigLanguage } from './configLanguage';
import { RunManager } from './runManager';
import { RunPanel } from './runPanel';
import type { RunState } from '../run/protocol';

export function activate(context: vscode.ExtensionContext): { runs: RunManager } {
  const runs = new RunManager(context.extensionUri);
  const language = new ConfigLanguage((uri) => runs.isRunning(uri));
  context.subscriptions.push(
    runs,
    language,
    runs.onDidChange(() => language.validateAll()),
    vscode.commands.registerCommand(COMMANDS.fineTune, fineTune),
    vscode.commands.registerCommand(COMMANDS.startTraining, (uri?: vscode.Uri) => startTraining(runs, uri)),
    vscode.commands.registerCommand(COMMANDS.resumeTraining, (uri?: vscode.Uri) =>
      startTraining(runs, uri, { resume: true }),
    ),
    vscode.commands.registerCommand(COMMANDS.cancelTraining, (uri?: vscode.Uri) => cancelTraining(runs, uri)),
    vscode.commands.registerCommand(COMMANDS.showResults, (uri?: vscode.Uri) => showResults(runs, uri)),
    vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        panel.webview.options = RunPanel.options(context.extensionUri);
        runs.restore(panel, state as RunState | undefined);
      },
    }),
  );
  // For the integration tests: the run manager, so they can watch runs they start.
  return { runs };
}

export function deactivate(): void {
  // Every registration is disposed through context.subscriptions (runs ask their workers to stop).
}
