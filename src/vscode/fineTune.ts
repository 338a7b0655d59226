// `Fine-tune DistilBERT` on a dataset: create `<name>.finetune.yaml` next to it (never over an
// existing one), with the dataset's text and label columns guessed, and open it beside the data.
// An existing config is opened and said to be so, with an offer of a fresh one (`<name>-2...`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { guessColumns } from '../core/data/columns';
import { readColumnsSync, sampleRows } from '../core/data/readers';
import { configTemplate } from '../core/config/template';
import { DATASET_EXTENSIONS } from '../core/config/schema';
import { isUserError } from '../core/errors';
import { WRITES_CONFIG, requireTrust } from './workspaceTrust';

const SAMPLE_ROWS = 2000;

/** `reviews.csv` -> `reviews.finetune.yaml`. */
export function configPathFor(datasetPath: string): string {
  const parsed = path.parse(datasetPath);
  return path.join(parsed.dir, `${parsed.name}.finetune.yaml`);
}

export async function fineTune(resource?: vscode.Uri): Promise<vscode.Uri | undefined> {
  const dataset = resource ?? vscode.window.activeTextEditor?.document.uri;
  if (
    !dataset ||
    dataset.scheme !== 'file' ||
    !DATASET_EXTENSIONS.some((ext) => dataset.fsPath.toLowerCase().endsWith(ext))
  ) {
    void vscode.window.showErrorMessage(
      'Fine-tune DistilBERT works on a dataset file: .csv, .tsv, .jsonl or .json. Right-click one in the Explorer, or open it first.',
    );
    return undefined;
  }
  const datasetPath = dataset.fsPath;
  const configPath = configPathFor(datasetPath);
  const alternative = configPath.replace(/\.yaml$/, '.yml');
  const existing = [configPath, alternative].find((p) => fs.existsSync(p));

  if (!existing) {
    if (!requireTrust('Fine-tune DistilBERT', WRITES_CONFIG)) return undefined;
    if (!(await writeFreshConfig(datasetPath, configPath))) return undefined;
  }
  const configUri = vscode.Uri.file(existing ?? configPath);
  await showBesideDataset(dataset, configUri);
  if (existing) void offerFreshConfig(dataset, existing);
  return configUri;
}

const FRESH_CONFIG = 'Create a Fresh Config';

/** Says that the config was there already; on request writes a fresh one beside it and opens that. */
async function offerFreshConfig(dataset: vscode.Uri, existing: string): Promise<void> {
  const choice = await vscode.window.showInformationMessage(
    `Opened your existing ${path.basename(existing)} for ${path.basename(dataset.fsPath)}; it was not changed.`,
    FRESH_CONFIG,
  );
  if (choice !== FRESH_CONFIG || !requireTrust('Fine-tune DistilBERT', WRITES_CONFIG)) return;
  const fresh = freeConfigPath(dataset.fsPath);
  if (await writeFreshConfig(dataset.fsPath, fresh)) await showBesideDataset(dataset, vscode.Uri.file(fresh));
}

/** `reviews-2.finetune.yaml` (or -3, ...): the first config name beside the dataset that is free. */
function freeConfigPath(datasetPath: string): string {
  const parsed = path.parse(datasetPath);
  for (let n = 2; ; n++) {
    const candidate = path.join(parsed.dir, `${parsed.name}-${n}.finetune.yaml`);
    if (!fs.existsSync(candidate) && !fs.existsSync(candidate.replace(/\.yaml$/, '.yml'))) return candidate;
  }
}

/** Writes the template for the dataset at `configPath` unless a file is there; false after showing why not. */
async function writeFreshConfig(datasetPath: string, configPath: string): Promise<boolean> {
  let text: string;
  try {
    text = await templateFor(datasetPath, path.parse(configPath).name.replace(/\.finetune$/, ''));
  } catch (error) {
    void vscode.window.showErrorMessage(
      `Cannot read ${path.basename(datasetPath)}: ${isUserError(error) ? error.message : String(error)}`,
    );
    return false;
  }
  try {
    fs.writeFileSync(configPath, text, { flag: 'wx' }); // wx: never replaces a file that appeared meanwhile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return true;
}

/** The template for a dataset; `name` names its output folder (`<name>-distilbert`). */
async function templateFor(datasetPath: string, name: string): Promise<string> {
  const columns = readColumnsSync(datasetPath) ?? [];
  const rows = await sampleRows(datasetPath, SAMPLE_ROWS);
  const guess = guessColumns(
    columns,
    rows.map((r) => r.values),
  );
  const unknown = [!guess.textColumn && 'text_column', !guess.labelColumn && 'label_column'].filter(Boolean);
  const note = unknown.length
    ? `Could not guess ${unknown.join(' and ')}: the columns are ${columns.join(', ')}.`
    : `Columns guessed from the first ${rows.length} rows: ${guess.reasons.join('; ')}.`;
  return configTemplate({
    trainFile: path.basename(datasetPath),
    textColumn: guess.textColumn,
    labelColumn: guess.labelColumn,
    outputDir: `${name}-distilbert`,
    note,
  });
}

/** Shows the dataset (if it is not visible) and the config in the column beside it. */
async function showBesideDataset(dataset: vscode.Uri, config: vscode.Uri): Promise<void> {
  const visibleConfig = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === config.toString());
  if (visibleConfig) {
    // Already beside the data (the command ran twice): focus it rather than open a third group.
    await vscode.window.showTextDocument(visibleConfig.document, {
      viewColumn: visibleConfig.viewColumn,
      preview: false,
    });
    return;
  }
  let datasetEditor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === dataset.toString());
  if (!datasetEditor && fs.statSync(dataset.fsPath).size < 50 << 20) {
    datasetEditor = await vscode.window.showTextDocument(dataset, { preview: true, preserveFocus: false });
  }
  const document = await vscode.workspace.openTextDocument(config);
  await vscode.window.showTextDocument(document, {
    viewColumn: datasetEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active,
    preview: false,
  });
}
