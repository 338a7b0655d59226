// The extension's entry: wires commands, the config language and the run panel. No logic here.
import * as vscode from 'vscode';
import { fineTune } from './commands/fineTune';
import { COMMANDS } from './commands/ids';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(COMMANDS.fineTune, fineTune),
  );
}

export function deactivate(): void {
  // Every registration is disposed through context.subscriptions.
}
