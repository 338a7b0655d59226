// The bad-input corpus (test/fixtures/bad/cases.json): each refused file gets its message at its
// place — an error diagnostic in the config, or a run that fails — and the CLI exits 1 with that
// message on one line: no stack trace, no hang, and the dataset untouched. The odd inputs that must
// still train do, and keep the user's files they name.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { fileSystemEnvironment } from '../../src/core/config/environment';
import { validateConfig } from '../../src/core/config/validate';
import { REPO_ROOT, fixture, tempDir } from './helpers';

type BadCase =
  | { expect: 'refused'; name: string; config: string; at: 'config' | 'run'; message: string }
  | { expect: 'trains'; name: string; config: string; keeps?: string[] };
const { cases } = JSON.parse(fs.readFileSync(fixture('bad', 'cases.json'), 'utf8')) as { cases: BadCase[] };
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const dir = tempDir('bad-input');

before(() => fs.cpSync(fixture('bad'), dir, { recursive: true }));

/** Hashes of every file of the corpus (not the run outputs): what "the data is unchanged" means. */
function corpusHashes(): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'out' && entry.name !== 'outputs') walk(file);
      } else {
        hashes.set(path.relative(dir, file), createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
      }
    }
  };
  walk(dir);
  return hashes;
}

function runCli(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { ...process.env, HF_HUB_OFFLINE: '1' },
      timeout: 120_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('the corpus covers every kind of bad input the issue lists', () => {
  assert.ok(cases.length >= 20);
  for (const c of cases) assert.ok(fs.existsSync(fixture('bad', c.config)), c.config);
});

const hashOf = (relative: string) =>
  createHash('sha256')
    .update(fs.readFileSync(path.join(dir, relative)))
    .digest('hex');

for (const c of cases) {
  if (c.expect === 'trains') {
    test(`${c.name}: valid, and it trains`, async () => {
      const { problems } = validateConfig(
        fs.readFileSync(path.join(dir, c.config), 'utf8'),
        fileSystemEnvironment(dir),
      );
      assert.deepEqual(
        problems.filter((p) => p.severity === 'error'),
        [],
      );
      const before = corpusHashes();
      const kept = (c.keeps ?? []).map(hashOf);
      const { code, stderr } = await runCli(['train', c.config]);
      assert.equal(code, 0, stderr);
      const outputDir = /^output_dir: (.+)$/m.exec(fs.readFileSync(path.join(dir, c.config), 'utf8'))![1];
      assert.ok(fs.existsSync(path.join(dir, outputDir, 'model.safetensors')), 'a model');
      assert.deepEqual(corpusHashes(), before, 'the dataset and model files are unchanged');
      assert.deepEqual((c.keeps ?? []).map(hashOf), kept, "the user's files are kept byte for byte");
    });
    continue;
  }
  test(`${c.name}: ${c.at === 'config' ? 'an error diagnostic in the config' : 'the config is valid; the run fails'} with a clear message`, () => {
    const file = path.join(dir, c.config);
    const { problems, config } = validateConfig(fs.readFileSync(file, 'utf8'), fileSystemEnvironment(dir));
    const errors = problems.filter((p) => p.severity === 'error');
    if (c.at === 'config') {
      assert.ok(
        errors.some((p) => new RegExp(c.message).test(p.message)),
        `expected /${c.message}/ among: ${errors.map((p) => p.message).join(' | ')}`,
      );
      assert.equal(config, undefined, 'no config to run');
    } else {
      assert.deepEqual(errors, [], 'the problem is in the data or the model, which only the run reads whole');
    }
  });

  test(`${c.name}: the CLI exits 1 with one line naming the problem, and the data is unchanged`, async () => {
    const before = corpusHashes();
    const { code, stderr } = await runCli(['train', c.config]);
    assert.equal(code, 1, stderr);
    const lines = stderr.trimEnd().split('\n');
    const last = lines[lines.length - 1];
    assert.match(last, /^error: /);
    assert.match(last, new RegExp(c.message));
    assert.equal(lines.filter((l) => l.startsWith('error:')).length, 1, 'one error line');
    assert.doesNotMatch(
      stderr,
      /^\s+at |internal error|Unhandled|TypeError|RangeError/m,
      'no stack trace or internal error',
    );
    assert.deepEqual(corpusHashes(), before, 'the dataset and model files are unchanged');
    const outputDir = /^output_dir: (.+)$/m.exec(fs.readFileSync(path.join(dir, c.config), 'utf8'))?.[1];
    if (c.at === 'run' && outputDir)
      assert.ok(!fs.existsSync(path.join(dir, outputDir)), 'a run that fails before training leaves no output_dir');
  });
}
