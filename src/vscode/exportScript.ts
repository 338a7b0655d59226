// `Export as Python Training Script` on a config: the same run for Hugging Face's Trainer, written
// beside the config (<name>.train.py and requirements.txt) and opened. A script edited since the
// last export is replaced only when the user says so.
import * as vscode from 'vscode';
import { isUserError } from '../core/errors';
import { exportTrainingScript } from '../core/export/writeExport';
import { configDocument, resolvedConfig } from './startTraining';
import { WRITES_CONFIG, requireTrust } from './workspaceTrust';

const REPLACE = 'Replace It';

export async function exportScript(uri?: vscode.Uri): Promise<vscode.Uri | undefined> {
  if (!requireTrust('Export as Python Training Script', WRITES_CONFIG)) return undefined;
  const document = await configDocument(uri);
  if (!document || !(await resolvedConfig(document))) return undefined;
  let written: { script: string };
  try {
    written = exportTrainingScript(document.uri.fsPath);
  } catch (error) {
    if (!isUserError(error)) throw error;
    const choice = await vscode.window.showWarningMessage(`${error.message}.`, { modal: true }, REPLACE);
    if (choice !== REPLACE) return undefined;
    written = exportTrainingScript(document.uri.fsPath, { force: true });
  }
  const script = vscode.Uri.file(written.script);
  await vscode.window.showTextDocument(script, { preview: false });
  void vscode.window.showInformationMessage(
    'Exported with requirements.txt beside it: pip install -r requirements.txt, then python (one GPU), accelerate launch or torchrun (several); the header says how.',
  );
  return script;
}
