// Using a fine-tuned model in the editor: Classify Selection (the label and probabilities at the
// end of each selected line, all classes in its hover), Predict Labels on a file
// (<name>.predictions.<ext>, with a cancellable progress notification) and Evaluate on a labelled
// file (the run panel, with per-class metrics and the confusion matrix). The model runs in the
// model worker (src/run/modelWorkerClient.ts), never in the extension host, and stays loaded there
// between requests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isHubId } from '../core/model/hubCache';
import { describeModelFolder, newestFirst, type ModelFolderInfo } from '../core/inference/modelFolders';
import { MODEL_CARD_NAME } from '../core/outputNames';
import { ModelWorkerClient, type ModelWorkerError } from '../run/modelWorkerClient';
import type { Classification, FileEvaluation, PageMessage, PredictFileResult, RunState } from '../run/protocol';
import { initialRunState } from '../run/runState';
import { chooseWorkerRuntime } from '../run/workerRuntime';
import { columnBesideDataset } from './runManager';
import { RunPanel } from './runPanel';

const LAST_MODEL_KEY = 'distilbertFinetuner.lastModel';
const HUB_ID_ITEM = '$(cloud-download) Hugging Face model id…';

export class ModelCommands implements vscode.Disposable {
  private worker?: ModelWorkerClient;
  private readonly results = vscode.window.createTextEditorDecorationType({
    after: { margin: '0 0 0 1.5em', color: new vscode.ThemeColor('editorCodeLens.foreground') },
  });
  private readonly disposables: vscode.Disposable[] = [this.results];
  private evaluations = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {
    // A classification describes the text as it was: an edit clears it. A changed setting (Node
    // Path, device, idle minutes) takes effect with the next worker.
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('distilbertFinetuner')) return;
        this.worker?.dispose();
        this.worker = undefined;
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        for (const editor of vscode.window.visibleTextEditors)
          if (editor.document === event.document) editor.setDecorations(this.results, []);
      }),
    );
  }

  /** The model worker's process id while one runs (for tests: the model stays loaded in it). */
  get workerPid(): number | undefined {
    return this.worker?.pid;
  }

  /** Classifies each non-blank selected line (the line under the cursor when nothing is selected). */
  async classifySelection(model?: string): Promise<Classification[] | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showWarningMessage('Classify with Fine-tuned Model: open a file and select some text.');
      return undefined;
    }
    const lines = selectedLines(editor);
    if (lines.length === 0) {
      void vscode.window.showWarningMessage('Classify with Fine-tuned Model: the selection holds no text.');
      return undefined;
    }
    const chosen = model ?? (await this.pickModel());
    if (!chosen) return undefined;
    const title = `Classifying ${lines.length === 1 ? 'the selection' : `${lines.length} lines`}`;
    const answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () =>
      this.settle(
        () => this.client().request({ type: 'classify', model: chosen, texts: lines.map((l) => l.text) }).answer,
        title,
      ),
    );
    if (answer?.type !== 'classified') return undefined;
    editor.setDecorations(
      this.results,
      answer.results.map((result, i) => ({
        range: lines[i].range,
        renderOptions: { after: { contentText: `${result.label} ${result.score.toFixed(2)}` } },
        hoverMessage: classificationHover(result, chosen, answer.backend, answer.untrained),
      })),
    );
    vscode.window.setStatusBarMessage(
      `$(symbol-class) ${answer.results.map((r) => r.label).join(', ')} — ${modelName(chosen)}`,
      10_000,
    );
    return answer.results;
  }

  /** Writes <name>.predictions.<ext> beside `file` with a label and its probability per row. */
  async predictFile(file?: vscode.Uri, model?: string): Promise<PredictFileResult | undefined> {
    const chosen = await this.fileAndModel(file, model);
    if (!chosen) return undefined;
    const { target, name, model: ref } = chosen;
    const answer = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Predicting labels for ${name}`, cancellable: true },
      (progress, token) => {
        let reported = 0;
        const report = (done: number, total: number) => {
          progress.report({ message: `${done} of ${total} rows`, increment: ((done - reported) / total) * 100 });
          reported = done;
        };
        return this.settle(() => {
          const request = this.client().request({ type: 'predictFile', model: ref, file: target.fsPath }, report);
          token.onCancellationRequested(request.cancel);
          return request.answer;
        }, `Predicting labels for ${name}`);
      },
    );
    if (answer?.type !== 'predicted') return undefined;
    const written = path.basename(answer.result.output);
    this.output.info(`predict: ${target.fsPath} -> ${answer.result.output} (${answer.backend})`);
    void vscode.window
      .showInformationMessage(
        `Wrote ${written}: ${answer.result.rows} rows with ${answer.result.columns.label} and ${answer.result.columns.score} (text from "${answer.result.textColumn}").`,
        'Open',
      )
      .then((choice) => {
        if (choice === 'Open') void vscode.window.showTextDocument(vscode.Uri.file(answer.result.output));
      });
    return answer.result;
  }

  /** Evaluates a model on a labelled file and shows the metrics in a panel beside it. */
  async evaluateFile(file?: vscode.Uri, model?: string): Promise<FileEvaluation | undefined> {
    const picked = await this.fileAndModel(file, model);
    if (!picked) return undefined;
    const { target, name, model: chosen } = picked;
    const answer = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Evaluating ${modelName(chosen)} on ${name}` },
      () =>
        this.settle(
          () => this.client().request({ type: 'evaluateFile', model: chosen, file: target.fsPath }).answer,
          `Evaluating on ${name}`,
        ),
    );
    if (answer?.type !== 'evaluated') return undefined;
    const { evaluation } = answer;
    const folder = fs.existsSync(chosen) ? path.resolve(chosen) : chosen;
    const state: RunState = {
      ...initialRunState(
        `evaluation-${++this.evaluations}`,
        `Evaluate ${modelName(chosen)} on ${name}`,
        '',
        target.fsPath,
      ),
      model: chosen,
      phase: 'finished',
      log: evaluation.notes.map((text) => ({ level: 'info' as const, text })),
      final: { metrics: evaluation.metrics, outputDir: folder, modelCard: path.join(folder, MODEL_CARD_NAME) },
      evaluation: {
        file: target.fsPath,
        examples: evaluation.examples,
        runtime: evaluation.runtime,
        backend: answer.backend,
        warning: evaluation.warning,
      },
      endedAt: Date.now(),
    };
    const panel = RunPanel.create(this.context.extensionUri, state, columnBesideDataset(target.fsPath), (message) =>
      this.onPanelMessage(state, message),
    );
    this.disposables.push(panel);
    return evaluation;
  }

  /**
   * The model folders of the workspace (config.json + model.safetensors, checkpoints left out),
   * newest first with their final accuracy and F1, then "Hugging Face model id…". The last model
   * used comes first.
   */
  async pickModel(): Promise<string | undefined> {
    const weights = await vscode.workspace.findFiles('**/model.safetensors', '**/node_modules/**', 500);
    const found = newestFirst(
      weights.map((uri) => describeModelFolder(path.dirname(uri.fsPath))).filter((f): f is ModelFolderInfo => !!f),
    );
    const last = this.context.workspaceState.get<string>(LAST_MODEL_KEY);
    type Item = vscode.QuickPickItem & { model?: string };
    const items: Item[] = found.map((info) => ({
      label: vscode.workspace.asRelativePath(info.folder),
      description: [
        info.accuracy !== undefined ? `accuracy ${info.accuracy.toFixed(4)}` : undefined,
        info.f1 !== undefined ? `F1 ${info.f1.toFixed(4)}` : undefined,
        info.folder === last ? 'last used' : undefined,
      ]
        .filter(Boolean)
        .join(' · '),
      detail: `trained ${new Date(info.modified).toLocaleString()}`,
      model: info.folder,
    }));
    const lastIndex = items.findIndex((item) => item.model === last);
    if (lastIndex > 0) items.unshift(...items.splice(lastIndex, 1));
    if (last && lastIndex < 0 && isHubId(last)) items.unshift({ label: last, description: 'last used', model: last });
    items.push({ label: HUB_ID_ITEM, alwaysShow: true });
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Which fine-tuned model?',
      placeHolder: found.length ? 'Model folders in this workspace, newest first' : 'No model folder in this workspace',
      matchOnDescription: true,
    });
    if (!picked) return undefined;
    const model =
      picked.model ??
      (
        await vscode.window.showInputBox({
          title: 'Hugging Face model id',
          placeHolder: 'distilbert-base-uncased-finetuned-sst-2-english',
          validateInput: (value) => (isHubId(value.trim()) ? undefined : 'A hub id: name or owner/name'),
        })
      )?.trim();
    if (model) await this.context.workspaceState.update(LAST_MODEL_KEY, model);
    return model || undefined;
  }

  /** The file a command was given (else the active editor's) and the model to use (else asked). */
  private async fileAndModel(
    file: vscode.Uri | undefined,
    model: string | undefined,
  ): Promise<{ target: vscode.Uri; name: string; model: string } | undefined> {
    const target = file ?? vscode.window.activeTextEditor?.document.uri;
    if (!target || target.scheme !== 'file') return undefined;
    const chosen = model ?? (await this.pickModel());
    return chosen ? { target, name: path.basename(target.fsPath), model: chosen } : undefined;
  }

  dispose(): void {
    this.worker?.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }

  private client(): ModelWorkerClient {
    if (this.worker) return this.worker;
    const settings = vscode.workspace.getConfiguration('distilbertFinetuner');
    const device = settings.get<string>('defaultDevice') || 'auto';
    const runtime = chooseWorkerRuntime({
      device: device as 'auto',
      configuredNodePath: settings.get<string>('nodePath') || undefined,
      hostExecPath: process.execPath,
      electronVersion: process.versions.electron,
    });
    this.output.info(`the model worker runs on ${runtime.description}`);
    this.worker = new ModelWorkerClient({
      workerPath: vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'modelWorker.js').fsPath,
      nodePath: runtime.execPath,
      idleMs: (settings.get<number>('modelIdleMinutes') ?? 5) * 60_000,
      device,
      nativeModulesPath: settings.get<string>('nativeModulesPath') || undefined,
    });
    return this.worker;
  }

  /** The answer, or undefined after showing why there is none (a cancel says nothing more). */
  private async settle<T>(answer: () => Promise<T>, what: string): Promise<T | undefined> {
    try {
      return await answer();
    } catch (error) {
      const failure = error as ModelWorkerError & { hint?: string };
      if (failure.cancelled) return undefined;
      this.output.error(`${what}: ${failure.message}`);
      void vscode.window.showErrorMessage(
        `${what} failed: ${failure.message}${failure.hint ? ` — ${failure.hint}` : ''}`,
      );
      return undefined;
    }
  }

  private async onPanelMessage(state: RunState, message: PageMessage): Promise<void> {
    if (message.type === 'openModelCard' && state.final && fs.existsSync(state.final.modelCard))
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(state.final.modelCard));
    if (message.type === 'revealOutput' && state.final)
      await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(state.final.outputDir));
  }
}

/**
 * The texts to classify: each non-blank selected line (a selection within one line: its selected
 * part), with the range it covers, in document order. The result goes after the range, and its
 * hover on it.
 */
function selectedLines(editor: vscode.TextEditor): Array<{ text: string; range: vscode.Range }> {
  const lines: Array<{ text: string; range: vscode.Range }> = [];
  const seen = new Set<number>();
  const selections = [...editor.selections].sort((a, b) => a.start.compareTo(b.start));
  for (const selection of selections) {
    const last =
      selection.end.character === 0 && selection.end.line > selection.start.line
        ? selection.end.line - 1
        : selection.end.line;
    for (let line = selection.start.line; line <= last; line++) {
      if (seen.has(line)) continue;
      seen.add(line);
      const whole = editor.document.lineAt(line).range;
      const span = selection.isSingleLine && !selection.isEmpty ? selection : whole;
      const raw = editor.document.getText(span);
      const text = raw.trim();
      if (!text) continue;
      const start = span.start.translate(0, raw.length - raw.trimStart().length);
      lines.push({ text, range: new vscode.Range(start, start.translate(0, text.length)) });
    }
  }
  return lines;
}

function classificationHover(result: Classification, model: string, backend: string, untrained: boolean) {
  const rows = Object.entries(result.probabilities)
    .sort((a, b) => b[1] - a[1])
    .map(([label, p]) => `| ${label === result.label ? `**${label}**` : label} | ${p.toFixed(4)} |`);
  const hover = new vscode.MarkdownString(
    [
      `**${result.label}** (${(result.score * 100).toFixed(1)}%) — ${modelName(model)}`,
      '',
      '| class | probability |',
      '| --- | ---: |',
      ...rows,
      '',
      `_${backend}_`,
      ...(untrained
        ? ['', '$(warning) This model has no trained classification head: its predictions are random.']
        : []),
    ].join('\n'),
  );
  hover.supportThemeIcons = true;
  return hover;
}

function modelName(model: string): string {
  return fs.existsSync(model) ? vscode.workspace.asRelativePath(model) : model;
}
