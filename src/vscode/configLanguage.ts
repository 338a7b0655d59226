// The config language in VS Code: diagnostics as you type (and when a dataset changes),
// completion, hover, quick fixes and the "Start training" code lens, for `finetune-yaml`
// documents (*.finetune.yaml). The logic lives in validate.ts and assist.ts; this file only adapts
// it to VS Code's types. The providers are registered by extension.ts (lightly, at activation) and
// call into this class, which loads with the YAML parser and the schema when first used.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS, LANGUAGE_ID } from './ids';
import { MANAGE_TRUST_COMMAND, RUNS_TRAINING } from './workspaceTrust';
import { latestCheckpoint } from '../core/train/findCheckpoints';
import {
  completions,
  hoverMarkdown,
  keyAt,
  outputDirOf,
  setValueEdit,
  writtenValue,
  type CompletionKind,
} from '../core/config/assist';
import { editorEnvironment } from '../core/config/environment';
import type { ConfigKey } from '../core/config/schema';
import { describeAvailability, modelUnavailableProblem } from '../core/config/modelStatus';
import { looksLikePath, parseConfig, validateConfig, type ConfigEntry, type Problem } from '../core/config/validate';
import { modelAvailability, type ModelAvailability } from '../core/model/availability';
import { isHubId } from '../core/model/hubCache';
import { MODEL_CARD_NAME } from '../core/outputNames';
import { finishedRun } from '../run/results';

export function isConfigDocument(document: vscode.TextDocument): boolean {
  return document.languageId === LANGUAGE_ID;
}

export function validateDocument(document: vscode.TextDocument) {
  return validateConfig(document.getText(), editorEnvironment(path.dirname(document.uri.fsPath)));
}

export function toRange(document: vscode.TextDocument, [start, end]: [number, number]): vscode.Range {
  return new vscode.Range(document.positionAt(start), document.positionAt(end));
}

function toDiagnostic(document: vscode.TextDocument, problem: Problem): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(
    toRange(document, problem.range),
    problem.message,
    problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
  );
  diagnostic.source = 'fine-tune config';
  diagnostic.code = problem.code;
  return diagnostic;
}

/** How long an answer about a hub model is trusted before the hub is asked again. */
const AVAILABILITY_TTL_MS = 60_000;

export class ConfigLanguage implements vscode.Disposable {
  readonly diagnostics = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** Hub models asked about: the answer (once it came) and when it was asked. */
  private readonly availability = new Map<string, { asked: number; answer?: ModelAvailability }>();
  private readonly disposables: vscode.Disposable[] = [];

  /** `lensesChanged` is the code lens provider's change event, owned by the registration. */
  constructor(
    private readonly isRunning: (config: vscode.Uri) => boolean,
    private readonly lensesChanged: vscode.EventEmitter<void>,
  ) {
    const datasets = vscode.workspace.createFileSystemWatcher('**/*.{csv,tsv,jsonl,json,ndjson,txt}');
    this.disposables.push(
      this.diagnostics,
      datasets,
      vscode.workspace.onDidOpenTextDocument((d) => this.validate(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.validateSoon(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.diagnostics.delete(d.uri)),
      datasets.onDidChange(() => this.validateAll()),
      datasets.onDidCreate(() => this.validateAll()),
      datasets.onDidDelete(() => this.validateAll()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.lensesChanged.fire()),
    );
    this.validateAll();
  }

  /** Re-validates every open config (a dataset or a run changed). */
  validateAll(): void {
    for (const document of vscode.workspace.textDocuments) this.validate(document);
    this.lensesChanged.fire();
  }

  validate(document: vscode.TextDocument): void {
    if (!isConfigDocument(document) || document.uri.scheme !== 'file') return;
    const { problems } = this.problemsOf(document);
    this.diagnostics.set(
      document.uri,
      problems.map((p) => toDiagnostic(document, p)),
    );
  }

  private validateSoon(document: vscode.TextDocument): void {
    if (!isConfigDocument(document)) return;
    const key = document.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        this.validate(document);
      }, 150),
    );
  }

  complete(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    const env = editorEnvironment(path.dirname(document.uri.fsPath));
    return completions(document.getText(), document.offsetAt(position), env).map((data) => {
      const item = new vscode.CompletionItem(data.label, KINDS[data.kind]);
      item.insertText = data.insertText.includes('${') ? new vscode.SnippetString(data.insertText) : data.insertText;
      item.range = toRange(document, data.range);
      if (data.detail) item.detail = data.detail;
      if (data.documentation) item.documentation = new vscode.MarkdownString(data.documentation);
      if (data.sortText) item.sortText = data.sortText;
      return item;
    });
  }

  hover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const found = keyAt(document.getText(), document.offsetAt(position));
    const markdown = found && hoverMarkdown(found.key);
    return markdown ? new vscode.Hover(new vscode.MarkdownString(markdown), toRange(document, found.range)) : undefined;
  }

  /** The validator's problems, and a warning when the hub model cannot be had. */
  private problemsOf(document: vscode.TextDocument): { problems: Problem[]; entries: ConfigEntry[] } {
    const result = validateDocument(document);
    const model = this.hubModelOf(document);
    const answer = model && this.availabilityOf(model);
    const unavailable =
      answer &&
      modelUnavailableProblem(document.getText(), model, answer, editorEnvironment(path.dirname(document.uri.fsPath)));
    return { problems: unavailable ? [...result.problems, unavailable] : result.problems, entries: result.entries };
  }

  /** The config's model when it is a hub id (a folder is checked by the validator). */
  private hubModelOf(document: vscode.TextDocument): string | undefined {
    const model = writtenValue(document.getText(), 'model');
    if (looksLikePath(model) || !isHubId(model)) return undefined;
    return fs.existsSync(path.resolve(path.dirname(document.uri.fsPath), model)) ? undefined : model;
  }

  /**
   * What is known of a hub model now; asks (again) in the background when there is no fresh answer,
   * and re-validates the open configs when it comes.
   */
  private availabilityOf(model: string): ModelAvailability | undefined {
    const known = this.availability.get(model);
    if (known && (Date.now() - known.asked < AVAILABILITY_TTL_MS || !known.answer)) return known.answer;
    const entry = { asked: Date.now(), answer: known?.answer };
    this.availability.set(model, entry);
    void modelAvailability(model).then((answer) => {
      entry.answer = answer;
      if (JSON.stringify(answer) !== JSON.stringify(known?.answer)) this.validateAll();
    });
    return entry.answer;
  }

  quickFixes(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const { problems, entries } = this.problemsOf(document);
    for (const problem of problems) {
      const problemRange = toRange(document, problem.range);
      if (!problem.fix || !problemRange.intersection(range)) continue;
      const diagnostic = toDiagnostic(document, problem);
      const action = (title: string, edit: (e: vscode.WorkspaceEdit) => void, preferred: boolean) => {
        const a = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
        a.edit = new vscode.WorkspaceEdit();
        edit(a.edit);
        a.diagnostics = [diagnostic];
        a.isPreferred = preferred;
        actions.push(a);
      };
      problem.fix.renameKeyTo?.forEach((name, i) =>
        action(`Rename to \`${name}\``, (e) => e.replace(document.uri, problemRange, name), i === 0),
      );
      problem.fix.replaceValue
        ?.slice(0, 8)
        .forEach((value, i) =>
          action(
            problem.code === 'missing-column' ? `Use column \`${value}\`` : `Change to \`${value}\``,
            (e) => replaceValue(e, document, problem, problemRange, value, entries),
            i === 0,
          ),
        );
      if (problem.code === 'model-unavailable') {
        const create = new vscode.CodeAction(
          'Create a small DistilBERT from scratch here (and learning_rate 1e-3)',
          vscode.CodeActionKind.QuickFix,
        );
        create.command = {
          command: COMMANDS.createSmallModel,
          title: create.title,
          arguments: [document.uri],
        };
        create.diagnostics = [diagnostic];
        actions.push(create);
      }
      if (problem.fix.removeKey) {
        const line = document.lineAt(problemRange.start.line);
        action(
          `Remove \`${problem.key ?? document.getText(problemRange)}\``,
          (e) => e.delete(document.uri, line.rangeIncludingLineBreak),
          !problem.fix.renameKeyTo?.length,
        );
      }
    }
    return actions;
  }

  codeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const top = new vscode.Range(0, 0, 0, 0);
    if (this.isRunning(document.uri)) {
      return [
        new vscode.CodeLens(top, {
          title: '$(sync~spin) Training… Show run',
          command: COMMANDS.showResults,
          arguments: [document.uri],
        }),
        new vscode.CodeLens(top, {
          title: '$(debug-stop) Cancel training',
          command: COMMANDS.cancelTraining,
          arguments: [document.uri],
        }),
      ];
    }
    if (!vscode.workspace.isTrusted) {
      return [
        new vscode.CodeLens(top, {
          title: '$(shield) Restricted Mode: trust this workspace to train',
          tooltip: RUNS_TRAINING,
          command: MANAGE_TRUST_COMMAND,
        }),
      ];
    }
    const lenses = [
      new vscode.CodeLens(top, {
        title: '$(play) Start training',
        command: COMMANDS.startTraining,
        arguments: [document.uri],
      }),
    ];
    // Where the model comes from, said over `model:` before anything is downloaded.
    const model = this.hubModelOf(document);
    const answer = model && this.availability.get(model)?.answer;
    if (model && answer) {
      const entry = parseConfig(document.getText()).entries.find((e) => e.key === 'model');
      const line = entry ? document.positionAt(entry.keyRange[0]).line : 0;
      const icon = { cached: '$(check)', download: '$(cloud-download)', unavailable: '$(warning)' }[answer.kind];
      lenses.push(
        new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
          title: `${icon} ${describeAvailability(model, answer)}`,
          command: '',
        }),
      );
    }
    const outputDir = path.resolve(path.dirname(document.uri.fsPath), outputDirOf(document.getText()));
    // A finished run's last checkpoint is not offered: resuming it would train nothing.
    const checkpoint = latestCheckpoint(outputDir);
    if (checkpoint && !finishedRun(outputDir)) {
      lenses.push(
        new vscode.CodeLens(top, {
          title: `$(debug-continue) Resume from ${path.basename(checkpoint)}`,
          command: COMMANDS.resumeTraining,
          arguments: [document.uri],
        }),
      );
    }
    if (fs.existsSync(path.join(outputDir, MODEL_CARD_NAME)))
      lenses.push(
        new vscode.CodeLens(top, {
          title: '$(graph) Show training results',
          command: COMMANDS.showResults,
          arguments: [document.uri],
        }),
      );
    return lenses;
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    for (const d of this.disposables) d.dispose();
  }
}

/** Replaces a problem's value; a key the file does not write (its default was meant) gets its own line. */
function replaceValue(
  edit: vscode.WorkspaceEdit,
  document: vscode.TextDocument,
  problem: Problem,
  problemRange: vscode.Range,
  value: string,
  entries: ConfigEntry[],
): void {
  if (!problem.key || entries.some((e) => e.key === problem.key)) {
    edit.replace(document.uri, problemRange, value);
    return;
  }
  const added = setValueEdit(document.getText(), problem.key as ConfigKey, value);
  edit.replace(document.uri, toRange(document, added.range), added.text);
}

const KINDS: Record<CompletionKind, vscode.CompletionItemKind> = {
  key: vscode.CompletionItemKind.Property,
  enum: vscode.CompletionItemKind.EnumMember,
  column: vscode.CompletionItemKind.Field,
  file: vscode.CompletionItemKind.File,
  folder: vscode.CompletionItemKind.Folder,
  model: vscode.CompletionItemKind.Module,
  value: vscode.CompletionItemKind.Value,
};
