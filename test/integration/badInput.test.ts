// The bad-input corpus (test/fixtures/bad/cases.json, copied to the workspace's bad/) in the
// editor: a problem the config shows is an error diagnostic there, and Start training refuses it;
// a problem only the run can find fails the run with its message in the panel; an odd input that
// must still train trains. Nothing is written over the data or the user's files.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { COMMANDS } from '../../src/vscode/ids';
import type { Run } from '../../src/vscode/runManager';
import { closeAllEditors, waitFor, workspacePath } from './helpers';

type BadCase =
  | { expect: 'refused'; name: string; config: string; at: 'config' | 'run'; message: string }
  | { expect: 'trains'; name: string; config: string; keeps?: string[] };

function corpus(): BadCase[] {
  return (JSON.parse(fs.readFileSync(workspacePath('bad', 'cases.json'), 'utf8')) as { cases: BadCase[] }).cases;
}

/** Hashes of the corpus's data and model files (not configs, not outputs). */
function dataHashes(): string[] {
  const folder = workspacePath('bad');
  return fs
    .readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.endsWith('.yaml') && !path.relative(folder, e.parentPath).startsWith('out'))
    .map(
      (e) =>
        `${path.relative(folder, path.join(e.parentPath, e.name))} ${createHash('sha256')
          .update(fs.readFileSync(path.join(e.parentPath, e.name)))
          .digest('hex')}`,
    )
    .sort();
}

const errorsOf = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);

export default function (): void {
  suite('bad input in the editor', () => {
    suiteTeardown(closeAllEditors);
    // The corpus is read when the suite runs (the workspace exists only inside the extension host).
    let hashes: string[] = [];
    suiteSetup(() => {
      hashes = dataHashes();
    });

    test("each case gets its message at its place: a diagnostic in the config, or the run's error in the panel", async () => {
      const seen: string[] = [];
      for (const c of corpus()) {
        const uri = vscode.Uri.file(workspacePath('bad', c.config));
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document, { preview: false });
        if (c.expect === 'trains') {
          const kept = (c.keeps ?? []).map((f) => fs.readFileSync(workspacePath('bad', f)));
          await waitFor(
            `validation of ${c.config}`,
            () => vscode.languages.getDiagnostics(uri) !== undefined || undefined,
          );
          assert.deepEqual(
            errorsOf(uri).map((d) => d.message),
            [],
            `${c.name}: the config is valid`,
          );
          const run = await vscode.commands.executeCommand<Run | undefined>(COMMANDS.startTraining, uri);
          assert.ok(run, `${c.name}: a run started`);
          const state = await waitFor(
            `${c.name}: the run to end`,
            () => (['finished', 'cancelled', 'failed'].includes(run.state.phase) ? run.state : undefined),
            60_000,
          );
          assert.equal(state.phase, 'finished', `${c.name}: ${JSON.stringify(state.failed ?? state.phase)}`);
          (c.keeps ?? []).forEach((f, i) =>
            assert.ok(fs.readFileSync(workspacePath('bad', f)).equals(kept[i]), `${c.name}: ${f} is kept`),
          );
          run.panel?.dispose();
          seen.push(c.name);
          await closeAllEditors();
          continue;
        }
        const expected = new RegExp(c.message);
        if (c.at === 'config') {
          const diagnostic = await waitFor(
            `a diagnostic /${c.message}/ for ${c.name}`,
            () => errorsOf(uri).find((d) => expected.test(d.message)),
            20_000,
          );
          assert.ok(diagnostic.range.start.line >= 0);
          const run = await vscode.commands.executeCommand<Run | undefined>(COMMANDS.startTraining, uri);
          assert.equal(run, undefined, `${c.name}: Start training refuses a config with errors`);
        } else {
          await waitFor(
            `validation of ${c.config}`,
            () => vscode.languages.getDiagnostics(uri) !== undefined || undefined,
          );
          assert.deepEqual(
            errorsOf(uri).map((d) => d.message),
            [],
            `${c.name}: the config itself is valid`,
          );
          const run = await vscode.commands.executeCommand<Run | undefined>(COMMANDS.startTraining, uri);
          assert.ok(run, `${c.name}: a run started`);
          const state = await waitFor(
            `${c.name}: the run to fail`,
            () => (['finished', 'cancelled', 'failed'].includes(run.state.phase) ? run.state : undefined),
            60_000,
          );
          assert.equal(state.phase, 'failed', `${c.name}: ${JSON.stringify(state.failed ?? state.phase)}`);
          assert.match(state.failed!.message, expected);
          assert.ok(state.failed!.hint, `${c.name}: a hint says what to do`);
          assert.doesNotMatch(state.failed!.message, /internal error/);
          assert.equal(run.panel?.runState.failed?.message, state.failed!.message, 'the panel shows it');
          run.panel?.dispose();
        }
        seen.push(c.name);
        await closeAllEditors();
      }
      assert.equal(seen.length, corpus().length);
      assert.deepEqual(dataHashes(), hashes, 'the data and model files are unchanged');
    });
  });
}
