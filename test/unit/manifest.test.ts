// package.json repeats a few names the code defines (VS Code reads the manifest, not our code):
// each must equal its one definition.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DEVICES } from '../../src/core/config/schema';
import { COMMANDS, LANGUAGE_ID, RUN_PANEL_VIEW_TYPE } from '../../src/vscode/ids';
import { REPO_ROOT } from './helpers';

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));

test("the defaultDevice setting offers exactly the schema's devices", () => {
  assert.deepEqual(manifest.contributes.configuration.properties['distilbertFinetuner.defaultDevice'].enum, [
    ...DEVICES,
  ]);
});

test('every command, the config language and the panel serializer are contributed under the ids the code uses', () => {
  assert.deepEqual(
    manifest.contributes.commands.map((c: { command: string }) => c.command).sort(),
    Object.values(COMMANDS).sort(),
  );
  assert.deepEqual(
    manifest.contributes.languages.map((l: { id: string }) => l.id),
    [LANGUAGE_ID],
  );
  assert.ok(manifest.activationEvents.includes(`onWebviewPanel:${RUN_PANEL_VIEW_TYPE}`));
});

test('under VS Code Remote the extension runs on the remote host, next to the data and the GPU', () => {
  assert.deepEqual(manifest.extensionKind, ['workspace']);
});
