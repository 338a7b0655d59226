// Restricted Mode (an untrusted workspace): configs are shown and validated, but nothing trains,
// downloads or writes files. Each refused action says why and offers to manage workspace trust.
import * as vscode from 'vscode';

export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';
const MANAGE_TRUST = 'Manage Workspace Trust';

/** True in a trusted workspace; otherwise shows why `action` is off and returns false. */
export function requireTrust(action: string, because: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window
    .showWarningMessage(
      `${action} is off in Restricted Mode: ${because}. Trust this workspace to use it.`,
      MANAGE_TRUST,
    )
    .then((choice) => choice === MANAGE_TRUST && vscode.commands.executeCommand(MANAGE_TRUST_COMMAND));
  return false;
}

export const WRITES_CONFIG = 'it writes a config file next to the dataset';
export const RUNS_TRAINING =
  'training runs a Node.js process that reads your files, may download a model and writes the output folder';
