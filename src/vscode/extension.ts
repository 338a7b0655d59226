// The extension's entry: registers the commands, the config language's providers and the panel
// serializer, and nothing more. What they do lives in features.ts, a bundle of its own
// (dist/features.js) loaded the first time a command runs, a provider is asked, a panel is restored,
// or a config is open (for its diagnostics). Activation loads no YAML parser, schema or panel code.
import * as vscode from 'vscode';
import type { EditorFeatures } from './features';
import { COMMANDS, LANGUAGE_ID, RUN_PANEL_VIEW_TYPE, RUNS_VIEW } from './ids';

/** What activate() returns: for the integration tests, the run manager and the model commands (loaded on first access). */
export interface ExtensionApi {
  readonly runs: EditorFeatures['runs'];
  readonly models: EditorFeatures['models'];
  readonly runsView: EditorFeatures['runsView'];
}

export function activate(context: vscode.ExtensionContext): ExtensionApi {
  let loaded: EditorFeatures | undefined;
  const lensesChanged = new vscode.EventEmitter<void>();
  const runsChanged = new vscode.EventEmitter<void>();
  const features = (): EditorFeatures => {
    if (!loaded) {
      // A separate bundle: esbuild leaves this require alone (esbuild.mjs marks it external).
      const { EditorFeatures: Features } = require('./features.js') as typeof import('./features');
      loaded = new Features(context, lensesChanged, runsChanged);
    }
    return loaded;
  };
  const selector: vscode.DocumentSelector = { language: LANGUAGE_ID };
  const isConfig = (document: vscode.TextDocument) => document.languageId === LANGUAGE_ID;
  // Diagnostics for configs already open, just after activation returns; later ones load it on open.
  const whenConfigOpens = () => {
    if (!loaded && vscode.workspace.textDocuments.some(isConfig)) setTimeout(features, 0);
  };

  // The Runs view: registered here, filled by features.js once it is shown (it starts collapsed).
  const runsTree = vscode.window.createTreeView<unknown>(RUNS_VIEW, {
    canSelectMany: true,
    treeDataProvider: {
      onDidChangeTreeData: runsChanged.event,
      getChildren: (item) => features().runsView.getChildren(item as never),
      getTreeItem: (item) => features().runsView.getTreeItem(item as never),
    },
  });
  context.subscriptions.push(
    lensesChanged,
    runsChanged,
    runsTree,
    vscode.commands.registerCommand(COMMANDS.compareRuns, (item?: unknown, selected?: unknown[]) =>
      features().runsView.compare(item as never, (selected ?? runsTree.selection) as never),
    ),
    vscode.commands.registerCommand(COMMANDS.refreshRuns, () => features().runsView.refresh()),
    vscode.workspace.onDidOpenTextDocument((document) => isConfig(document) && whenConfigOpens()),
    vscode.commands.registerCommand(COMMANDS.fineTune, (uri?: vscode.Uri) => features().fineTune(uri)),
    vscode.commands.registerCommand(COMMANDS.startTraining, (uri?: vscode.Uri) => features().startTraining(uri)),
    vscode.commands.registerCommand(COMMANDS.resumeTraining, (uri?: vscode.Uri) =>
      features().startTraining(uri, { resume: true }),
    ),
    vscode.commands.registerCommand(COMMANDS.cancelTraining, (uri?: vscode.Uri) => features().cancelTraining(uri)),
    vscode.commands.registerCommand(COMMANDS.showResults, (uri?: vscode.Uri) => features().showResults(uri)),
    vscode.commands.registerCommand(COMMANDS.exportScript, (uri?: vscode.Uri) => features().exportScript(uri)),
    vscode.commands.registerCommand(COMMANDS.createSmallModel, (uri: vscode.Uri) => features().createSmallModel(uri)),
    // Using a fine-tuned model; `model` (a folder or hub id) skips the picker, as the tests call them.
    vscode.commands.registerCommand(COMMANDS.classifySelection, (model?: unknown) =>
      features().models.classifySelection(typeof model === 'string' ? model : undefined),
    ),
    // (From the Explorer, the second argument is the list of selected files, not a model.)
    vscode.commands.registerCommand(COMMANDS.predictFile, (uri?: vscode.Uri, model?: unknown) =>
      features().models.predictFile(uri, typeof model === 'string' ? model : undefined),
    ),
    vscode.commands.registerCommand(COMMANDS.evaluateFile, (uri?: vscode.Uri, model?: unknown) =>
      features().models.evaluateFile(uri, typeof model === 'string' ? model : undefined),
    ),
    vscode.languages.registerCompletionItemProvider(
      selector,
      { provideCompletionItems: (document, position) => features().language.complete(document, position) },
      ':',
      ' ',
      '/',
      '.',
    ),
    vscode.languages.registerHoverProvider(selector, {
      provideHover: (document, position) => features().language.hover(document, position),
    }),
    vscode.languages.registerCodeActionsProvider(
      selector,
      { provideCodeActions: (document, range) => features().language.quickFixes(document, range) },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.languages.registerCodeLensProvider(selector, {
      provideCodeLenses: (document) => features().language.codeLenses(document),
      onDidChangeCodeLenses: lensesChanged.event,
    }),
    vscode.window.registerWebviewPanelSerializer(RUN_PANEL_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        features().restorePanel(panel, state);
      },
    }),
  );
  whenConfigOpens();
  return {
    get runs() {
      return features().runs;
    },
    get models() {
      return features().models;
    },
    get runsView() {
      return features().runsView;
    },
  };
}

export function deactivate(): void {
  // Every registration is disposed through context.subscriptions (runs ask their workers to stop).
}
