// The config language in the real extension host: created configs, diagnostics at the right ranges,
// completion, hover, a quick fix applied, the code lens, and Start training refusing a bad file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/vscode/ids';
import { closeAllEditors, waitFor, workspacePath } from './helpers';

async function openConfig(name: string, text: string): Promise<vscode.TextDocument> {
  const file = workspacePath(name);
  fs.writeFileSync(file, text);
  const document = await vscode.workspace.openTextDocument(file);
  await vscode.window.showTextDocument(document);
  assert.equal(document.languageId, 'finetune-yaml');
  return document;
}

function diagnosticsOf(document: vscode.TextDocument): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(document.uri);
}

const textAt = (document: vscode.TextDocument, d: vscode.Diagnostic) => document.getText(d.range);

async function completionLabels(document: vscode.TextDocument, position: vscode.Position): Promise<string[]> {
  const list = await vscode.commands.executeCommand<vscode.CompletionList>(
    'vscode.executeCompletionItemProvider',
    document.uri,
    position,
  );
  return list.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
}

export default function (): void {
  suite('the config language', () => {
    teardown(closeAllEditors);

    test('Fine-tune DistilBERT guesses the columns of a JSON lines dataset', async () => {
      await vscode.commands.executeCommand(COMMANDS.fineTune, vscode.Uri.file(workspacePath('tickets.jsonl')));
      const text = fs.readFileSync(workspacePath('tickets.finetune.yaml'), 'utf8');
      assert.match(text, /^text_column: body\b/m);
      assert.match(text, /^label_column: category\b/m);
      assert.match(text, /^output_dir: tickets-distilbert\b/m);
      await waitFor(
        'a clean file',
        () => diagnosticsOf(vscode.window.activeTextEditor!.document).length === 0 || undefined,
      );
    });

    test('each class of mistake is underlined at its range', async () => {
      const document = await openConfig(
        'mistakes.finetune.yaml',
        [
          'train_file: reviews.csv',
          'learnig_rate: 3e-5',
          'seed: forty',
          'num_train_epochs: -1',
          'lr_scheduler_type: cosin',
          'text_column: body',
          'validation_file: missing.csv',
          'warmup_steps: 10',
          'warmup_ratio: 0.1',
          'learning_rate: 0.5',
          'f1_average: [1, 2',
          '',
        ].join('\n'),
      );
      const diagnostics = await waitFor('diagnostics', () =>
        diagnosticsOf(document).length >= 9 ? diagnosticsOf(document) : undefined,
      );
      const by = (code: string) => diagnostics.find((d) => d.code === code)!;
      assert.equal(textAt(document, by('unknown-key')), 'learnig_rate');
      assert.match(by('unknown-key').message, /Did you mean `learning_rate`/);
      assert.equal(textAt(document, by('type')), 'forty');
      assert.equal(textAt(document, by('range')), '-1');
      assert.equal(textAt(document, by('enum')), 'cosin');
      assert.equal(textAt(document, by('missing-column')), 'body');
      assert.equal(textAt(document, by('missing-file')), 'missing.csv');
      assert.equal(textAt(document, by('conflict')), 'warmup_ratio');
      assert.equal(by('advice').severity, vscode.DiagnosticSeverity.Warning);
      assert.equal(textAt(document, by('advice')), '0.5');
      assert.ok(by('yaml'), 'the YAML syntax error');
      assert.ok(
        diagnostics.filter((d) => d.code !== 'advice').every((d) => d.severity === vscode.DiagnosticSeverity.Error),
      );
    });

    test('Start training refuses a file with errors and shows them', async () => {
      const document = await openConfig('refused.finetune.yaml', 'train_file: reviews.csv\nseed: -1\n');
      await waitFor('diagnostics', () => diagnosticsOf(document).length > 0 || undefined);
      const run = await vscode.commands.executeCommand(COMMANDS.startTraining, document.uri);
      assert.equal(run, undefined, 'nothing started');
      const editor = vscode.window.activeTextEditor!;
      assert.equal(editor.document.getText(editor.selection), '-1', 'the first error is selected');
    });

    test("completion offers missing keys with docs, enum values and the dataset's columns", async () => {
      const document = await openConfig(
        'complete.finetune.yaml',
        'train_file: reviews.csv\nlr_scheduler_type: \ntext_column: \n\n',
      );
      const keys = await completionLabels(document, new vscode.Position(3, 0));
      assert.ok(
        keys.includes('learning_rate') && keys.includes('per_device_train_batch_size') && keys.includes('warmup_ratio'),
      );
      assert.ok(!keys.includes('train_file'), 'keys already present are not offered');
      assert.deepEqual((await completionLabels(document, new vscode.Position(1, 19))).sort(), [
        'constant',
        'constant_with_warmup',
        'cosine',
        'linear',
      ]);
      assert.deepEqual((await completionLabels(document, new vscode.Position(2, 13))).sort(), ['label', 'text']);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>(
        'vscode.executeCompletionItemProvider',
        document.uri,
        new vscode.Position(3, 0),
      );
      const item = list.items.find((i) => i.label === 'learning_rate')!;
      assert.match((item.documentation as vscode.MarkdownString).value, /default: `2e-5`/);
    });

    test('completion offers datasets for train_file and model folders for model', async () => {
      const document = await openConfig('paths.finetune.yaml', 'train_file: \nmodel: \n');
      const files = await completionLabels(document, new vscode.Position(0, 12));
      assert.ok(files.includes('reviews.csv') && files.includes('tickets.jsonl'));
      const models = await completionLabels(document, new vscode.Position(1, 7));
      assert.ok(models.includes('distilbert-base-uncased') && models.includes('./tiny-model'));
    });

    test('hover shows the doc, default, range and the Hugging Face argument', async () => {
      const document = await openConfig('hover.finetune.yaml', 'train_file: reviews.csv\nwarmup_ratio: 0.1\n');
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        document.uri,
        new vscode.Position(1, 3),
      );
      const text = hovers.flatMap((h) => h.contents.map((c) => (c as vscode.MarkdownString).value)).join('\n');
      assert.match(text, /\*\*warmup_ratio\*\*/);
      assert.match(text, /default: `0`/);
      assert.match(text, />= 0 and < 1/);
      assert.match(text, /Hugging Face: `warmup_ratio`/);
    });

    test('quick fixes rename a misspelled key, pick an existing column and clamp to the range', async () => {
      const document = await openConfig(
        'fix.finetune.yaml',
        'train_file: reviews.csv\nlearnig_rate: 3e-5\ntext_column: txt\nmax_length: 4096\n',
      );
      await waitFor('diagnostics', () => diagnosticsOf(document).length === 3 || undefined);
      const apply = async (line: number, title: RegExp) => {
        const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
          'vscode.executeCodeActionProvider',
          document.uri,
          new vscode.Range(line, 0, line, 20),
        );
        const action = actions.find((a) => title.test(a.title));
        assert.ok(action, `a quick fix ${title} among ${actions.map((a) => a.title).join(', ')}`);
        assert.ok(await vscode.workspace.applyEdit(action.edit!));
      };
      await apply(1, /^Rename to `learning_rate`$/);
      await apply(2, /^Use column `text`$/);
      await apply(3, /^Change to `512`$/);
      assert.equal(
        document.getText(),
        'train_file: reviews.csv\nlearning_rate: 3e-5\ntext_column: text\nmax_length: 512\n',
      );
      await waitFor('no diagnostics left', () => diagnosticsOf(document).length === 0 || undefined);
    });

    test('the code lens offers Start training', async () => {
      const document = await openConfig('lens.finetune.yaml', 'train_file: reviews.csv\n');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>(
        'vscode.executeCodeLensProvider',
        document.uri,
      );
      assert.ok(
        lenses.some((l) => l.command?.command === COMMANDS.startTraining && /Start training/.test(l.command.title)),
      );
      // Over `model:` (the default, distilbert-base-uncased): where it comes from, once asked.
      const status = await waitFor('the model status lens', async () =>
        (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', document.uri)).find(
          (l) => /distilbert-base-uncased: /.test(l.command?.title ?? ''),
        ),
      );
      assert.match(
        status.command!.title,
        /^\$\(check\) distilbert-base-uncased: in the Hugging Face cache \(0000000\)$/,
      );
    });

    test('Export as Python Training Script writes <name>.train.py and requirements.txt beside the config and opens the script', async () => {
      const document = await openConfig(
        'exported.finetune.yaml',
        'model: ./tiny-model\ntrain_file: reviews.csv\nlearning_rate: 3e-5\nwarmup_ratio: 0.1\noutput_dir: exported-out\n',
      );
      const script = await vscode.commands.executeCommand<vscode.Uri | undefined>(COMMANDS.exportScript, document.uri);
      assert.ok(script, 'a script was written');
      assert.equal(script.fsPath, workspacePath('exported.train.py'));
      assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, script.fsPath, 'and opened');
      const text = fs.readFileSync(script.fsPath, 'utf8');
      assert.match(text, /"learning_rate": (3e-05|0\.00003),/);
      assert.match(text, /"warmup_steps": 0\.1,/);
      assert.match(text, /"model": "tiny-model",/);
      assert.match(fs.readFileSync(workspacePath('requirements.txt'), 'utf8'), /^transformers>=5,<6$/m);
    });

    test('a hub model that cannot be had is a warning whose quick fixes use a local folder or create a small model from scratch', async () => {
      const document = await openConfig(
        'offline.finetune.yaml',
        'model: acme/not-cached-model\ntrain_file: reviews.csv\noutput_dir: offline-out\n',
      );
      const warning = await waitFor('the model warning', () =>
        diagnosticsOf(document).find((d) => d.code === 'model-unavailable'),
      );
      assert.equal(warning.severity, vscode.DiagnosticSeverity.Warning);
      assert.equal(textAt(document, warning), 'acme/not-cached-model');
      assert.match(warning.message, /HF_HUB_OFFLINE=1 forbids downloading/);
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>(
        'vscode.executeCodeActionProvider',
        document.uri,
        warning.range,
      );
      assert.ok(
        actions.some((a) => a.title === 'Change to `./tiny-model`'),
        'the local folder',
      );
      const create = actions.find((a) => a.title.startsWith('Create a small DistilBERT from scratch'));
      assert.ok(create?.command, 'the from-scratch model');
      await vscode.commands.executeCommand(create.command.command, ...(create.command.arguments ?? []));
      assert.ok(fs.existsSync(workspacePath('small-model', 'config.json')), 'a model folder');
      assert.ok(fs.existsSync(workspacePath('small-model', 'vocab.txt')));
      assert.ok(!fs.existsSync(workspacePath('small-model', 'model.safetensors')), 'no weights: from scratch');
      assert.match(document.getText(), /^model: \.\/small-model$/m);
      assert.match(document.getText(), /^learning_rate: 0\.001$/m);
      await waitFor('the warning to go', () => !diagnosticsOf(document).some((d) => d.code === 'model-unavailable'));
    });

    test('a changed dataset re-validates open configs', async () => {
      fs.writeFileSync(workspacePath('changing.csv'), 'text,label\na,b\nc,d\n');
      const document = await openConfig('changing.finetune.yaml', 'train_file: changing.csv\ntext_column: review\n');
      await waitFor(
        'missing column',
        () => diagnosticsOf(document).some((d) => d.code === 'missing-column') || undefined,
      );
      fs.writeFileSync(workspacePath('changing.csv'), 'review,label\na,b\nc,d\n');
      await waitFor('the column now exists', () => diagnosticsOf(document).length === 0 || undefined, 15_000);
    });
  });
}
