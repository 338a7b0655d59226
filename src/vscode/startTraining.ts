// `Start training` / `Resume training` on a config file: refuse while the file has errors (and show
// them), ask before replacing a finished run, otherwise hand the resolved config (absolute paths) to
// the run manager.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isConfigDocument, toRange, validateDocument } from './configLanguage';
import { outputDirOf, setValueEdit } from '../core/config/assist';
import { fileSystemEnvironment } from '../core/config/environment';
import type { TrainingConfig } from '../core/config/schema';
import { formatValue } from '../core/config/template';
import { freshFolder } from '../core/config/validate';
import { latestCheckpoint } from '../core/train/findCheckpoints';
import { finishedRun } from '../run/results';
import type { Run, RunManager } from './runManager';
import { RUNS_TRAINING, requireTrust } from './workspaceTrust';

/** The config document a command acts on: its argument, else the active editor's. */
export async function configDocument(uri?: vscode.Uri): Promise<vscode.TextDocument | undefined> {
  const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
  if (!document || !isConfigDocument(document)) {
    void vscode.window.showErrorMessage(
      'Open a fine-tune config (*.finetune.yaml) first, or create one with "Fine-tune DistilBERT" on a dataset.',
    );
    return undefined;
  }
  return document;
}

/** The resolved config of a document, or undefined after showing why it cannot run. */
export async function resolvedConfig(document: vscode.TextDocument): Promise<TrainingConfig | undefined> {
  if (document.isDirty) await document.save();
  const { problems, config, entries } = validateDocument(document);
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0 || !config) {
    const editor = await vscode.window.showTextDocument(document);
    const first = toRange(document, errors[0].range);
    editor.selection = new vscode.Selection(first.start, first.end);
    editor.revealRange(first, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    // Not awaited: the command returns at once; the notification stays until the user acts.
    void vscode.window
      .showErrorMessage(
        `${path.basename(document.uri.fsPath)} has ${errors.length} problem${errors.length > 1 ? 's' : ''}; training did not start. ${errors[0].message}`,
        'Show Problems',
      )
      .then(
        (choice) => choice === 'Show Problems' && vscode.commands.executeCommand('workbench.actions.view.problems'),
      );
    return undefined;
  }
  if (!entries.some((e) => e.key === 'device')) {
    config.device =
      vscode.workspace.getConfiguration('distilbertFinetuner').get<TrainingConfig['device']>('defaultDevice') ?? 'auto';
  }
  return config;
}

export async function startTraining(
  runs: RunManager,
  uri?: vscode.Uri,
  options: { resume?: boolean } = {},
): Promise<Run | undefined> {
  if (!requireTrust(options.resume ? 'Resume training' : 'Start training', RUNS_TRAINING)) return undefined;
  const document = await configDocument(uri);
  if (!document) return undefined;
  if (runs.isRunning(document.uri)) {
    const run = runs.runOf(document.uri)!;
    runs.show(run);
    void vscode.window.showInformationMessage(
      'This config is already training; its panel is shown. Cancel it first to start again.',
    );
    return run;
  }
  let config = await resolvedConfig(document);
  if (!config) return undefined;
  if (options.resume && config.resume_from_checkpoint === undefined) {
    const finished = finishedRun(config.output_dir);
    if (finished) {
      void vscode.window.showInformationMessage(
        `The run in ${config.output_dir} finished (step ${finished.step}); there is nothing to resume. Start training trains it again.`,
      );
      return undefined;
    }
    if (!latestCheckpoint(config.output_dir)) {
      void vscode.window.showErrorMessage(`There is no checkpoint to resume from in ${config.output_dir}.`);
      return undefined;
    }
    config.resume_from_checkpoint = true;
  }
  if (!options.resume && !config.resume_from_checkpoint) {
    const choice = await confirmReplacingFinishedRun(config.output_dir);
    if (choice === 'cancel') return undefined;
    if (choice === 'newFolder') {
      config = await trainIntoNewFolder(document);
      if (!config) return undefined;
    }
  }
  return runs.start(config, document.uri);
}

const REPLACE = 'Replace It';
const NEW_FOLDER = 'Train into a New Folder';

/**
 * Before a run replaces a finished one (its model, model card and results), the user chooses:
 * replace it, or train into a new folder. Asked unless the setting turns the question off.
 */
async function confirmReplacingFinishedRun(outputDir: string): Promise<'replace' | 'newFolder' | 'cancel'> {
  const finished = finishedRun(outputDir);
  const settings = vscode.workspace.getConfiguration('distilbertFinetuner');
  if (!finished || settings.get<boolean>('confirmReplacingFinishedRun') === false) return 'replace';
  const metrics = [
    finished.accuracy !== undefined ? `accuracy ${finished.accuracy.toFixed(4)}` : '',
    finished.f1 !== undefined ? `F1 ${finished.f1.toFixed(4)}` : '',
  ].filter(Boolean);
  const choice = await vscode.window.showWarningMessage(
    `${path.basename(outputDir)} holds a finished run. Replace it?`,
    {
      modal: true,
      detail: `That run ended ${finished.finishedAt.toLocaleString()} at step ${finished.step}${metrics.length ? ` (${metrics.join(', ')})` : ''}. Training again replaces its model, tokenizer, model card and results in ${outputDir}. A new folder keeps it.`,
    },
    REPLACE,
    NEW_FOLDER,
  );
  return choice === REPLACE ? 'replace' : choice === NEW_FOLDER ? 'newFolder' : 'cancel';
}

/** Sets the config's output_dir to the next free `<output_dir>-N`, saves it, and returns the config anew. */
async function trainIntoNewFolder(document: vscode.TextDocument): Promise<TrainingConfig | undefined> {
  const configDir = path.dirname(document.uri.fsPath);
  const text = document.getText();
  const written = outputDirOf(text);
  const folder = freshFolder(fileSystemEnvironment(configDir), path.resolve(configDir, written), written);
  const change = setValueEdit(text, 'output_dir', formatValue(folder));
  const edit = new vscode.WorkspaceEdit();
  edit.replace(document.uri, toRange(document, change.range), change.text);
  if (!(await vscode.workspace.applyEdit(edit))) return undefined;
  return resolvedConfig(document);
}

export async function cancelTraining(runs: RunManager, uri?: vscode.Uri): Promise<void> {
  const target = uri ? runs.runOf(uri) : runs.activeRuns().pop();
  if (!target || !runs.isRunning(target.configUri)) {
    void vscode.window.showInformationMessage('No training is running.');
    return;
  }
  runs.cancel(target);
}

/** Shows a run's panel: the live or last run of this window, else the results in output_dir. */
export async function showResults(runs: RunManager, uri?: vscode.Uri): Promise<void> {
  const configUri =
    uri ??
    (vscode.window.activeTextEditor && isConfigDocument(vscode.window.activeTextEditor.document)
      ? vscode.window.activeTextEditor.document.uri
      : runs.activeRuns().pop()?.configUri);
  const run = configUri ? runs.runOf(configUri) : undefined;
  if (run) {
    runs.show(run);
    return;
  }
  const document = configUri ? await vscode.workspace.openTextDocument(configUri) : undefined;
  const config = document ? validateDocument(document).config : undefined;
  if (!document || !config || !runs.showOutput(document.uri, config)) {
    void vscode.window.showInformationMessage(
      'There are no training results yet for this config: start training first.',
    );
  }
}
