// `Fine-tune DistilBERT` on a dataset: create `<name>.finetune.yaml` next to it (never over an
// existing one), with the dataset's text and label columns guessed, and open it beside the data.
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
    let text: string;
    try {
      text = await templateFor(datasetPath);
    } catch (error) {
      void vscode.window.showErrorMessage(
        `Cannot read ${path.basename(datasetPath)}: ${isUserError(error) ? error.message : String(error)}`,
      );
      return undefined;
    }
    try {
      fs.writeFileSync(configPath, text, { flag: 'wx' }); // wx: never replaces a file that appeared meanwhile
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const configUri = vscode.Uri.file(existing ?? configPath);
  await showBesideDataset(dataset, configUri);
  return configUri;
}

async function templateFor(datasetPath: string): Promise<string> {
  const columns = readColumnsSync(datasetPath) ?? [];
  const rows = await sampleRows(datasetPath, SAMPLE_ROWS);
  const guess = guessColumns(
    columns,
    rows.map((r) => r.values),
  );
  const name = path.parse(datasetPath).name;
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
