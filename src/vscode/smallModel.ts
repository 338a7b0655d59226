// The way out when `model:` cannot be had and no model folder is near: a small DistilBERT made
// from scratch next to the config (the real bert-base-uncased vocabulary, shipped in media/, a
// config of one layer and no weights), with the config pointed at it and a learning rate that
// lets a randomly initialized model learn. Offered as a quick fix on the warning.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { setValueEdit } from '../core/config/assist';
import { formatValue } from '../core/config/template';
import { writeTinyModel, type TinyModelShape } from '../core/model/tinyModels';
import { toRange } from './configLanguage';

/** The shape of the sample's small-model: trains to about 0.83 on the UCI reviews in seconds. */
const SMALL_SHAPE: TinyModelShape = { dim: 32, n_layers: 1, n_heads: 2, hidden_dim: 64, max_position_embeddings: 128 };
/** Without pretrained weights, the reference 2e-5 barely moves; the sample config uses 1e-3. */
const FROM_SCRATCH_LEARNING_RATE = 1e-3;

export async function createSmallModel(extensionUri: vscode.Uri, configUri: vscode.Uri): Promise<string | undefined> {
  const configDir = path.dirname(configUri.fsPath);
  let name = 'small-model';
  for (let n = 2; fs.existsSync(path.join(configDir, name)); n++) name = `small-model-${n}`;
  const vocab = vscode.Uri.joinPath(extensionUri, 'media', 'bert-base-uncased-vocab.txt').fsPath;
  writeTinyModel(path.join(configDir, name), vocab, { weights: false, shape: SMALL_SHAPE });
  const document = await vscode.workspace.openTextDocument(configUri);
  const edit = new vscode.WorkspaceEdit();
  // Both values computed on the text as it is: the second edit is applied after the first.
  const model = setValueEdit(document.getText(), 'model', formatValue(`./${name}`));
  edit.replace(configUri, toRange(document, model.range), model.text);
  if (!(await vscode.workspace.applyEdit(edit))) return undefined;
  const rate = setValueEdit(document.getText(), 'learning_rate', formatValue(FROM_SCRATCH_LEARNING_RATE));
  const second = new vscode.WorkspaceEdit();
  second.replace(configUri, toRange(document, rate.range), rate.text);
  await vscode.workspace.applyEdit(second);
  await document.save();
  return path.join(configDir, name);
}
