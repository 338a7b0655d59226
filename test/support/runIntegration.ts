// Runs the mocha suite (out/test/integration/index.js) inside a real VS Code extension host:
// VS Code's server with the smoke-test driver, opened in headless chromium with a payload that
// names this folder as the extension under development and the suite as its tests.
//
//   node out/test/support/runIntegration.js
//
// Prints mocha's output, then `integration: N passed, M failed` (`, K skipped` when mocha skipped
// some); exits with the suite's code, and non-zero when the suite never reported its result.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { writeTinyModel } from '../../src/core/model/tinyModels';
import { REPO_ROOT, copyWorkspace, launchBrowser, makeRunDirs, startVsCodeServer, workbenchUrl } from './vscodeServer';

const RESULT_PREFIX = 'INTEGRATION_RESULT ';
/** Workbench chatter that says nothing about the tests. */
const WORKBENCH_NOISE =
  /^(Resolving connection token|Resolved connection token|Creating a socket|Ignoring fetching additional builtin|Updating additional builtin|\[Service Worker\]|ChatSessionStore)/;

async function main(): Promise<number> {
  fs.mkdirSync(path.join(REPO_ROOT, '.test-runs'), { recursive: true });
  const dirs = makeRunDirs('integration');
  const workspace = copyWorkspace(dirs, path.join(REPO_ROOT, 'test/fixtures/workspace'));
  // The bad-input corpus, for the suite that opens each case in the editor (badInput.test.ts).
  fs.cpSync(path.join(REPO_ROOT, 'test/fixtures/bad'), path.join(workspace, 'bad'), { recursive: true });
  // distilbert-base-uncased in the Hugging Face cache (a tiny checkpoint under its name), as on a
  // machine that has run once: configs with the default model are clean offline.
  const base = writeTinyModel(
    fs.mkdtempSync(path.join(dirs.tmp, 'base-')),
    path.join(REPO_ROOT, 'test/fixtures/vocab/vocab.txt'),
  );
  const snapshot = path.join(dirs.hfCache, 'models--distilbert-base-uncased', 'snapshots', '0'.repeat(40));
  fs.cpSync(base, snapshot, { recursive: true });
  fs.mkdirSync(path.join(dirs.hfCache, 'models--distilbert-base-uncased', 'refs'), { recursive: true });
  fs.writeFileSync(path.join(dirs.hfCache, 'models--distilbert-base-uncased', 'refs', 'main'), '0'.repeat(40));
  // The benchmark selects its suite through the extension host's environment.
  const server = await startVsCodeServer(dirs, undefined, {
    DISTILBERT_FINETUNE_BENCH: process.env.DISTILBERT_FINETUNE_BENCH ?? '',
  });
  const browser = await launchBrowser(dirs);
  let result: { passed: number; failed: number; skipped: number } | undefined;
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(code));
    });
    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
      const text = format(...args);
      if (text.startsWith(RESULT_PREFIX)) {
        result = JSON.parse(text.slice(RESULT_PREFIX.length)) as typeof result;
      } else if (type !== 'debug' && !WORKBENCH_NOISE.test(text)) {
        process.stdout.write(`${text}\n`);
      }
    });
    const ext = `vscode-remote://127.0.0.1:${server.port}${REPO_ROOT}`;
    const url = workbenchUrl(server, workspace, [
      ['extensionDevelopmentPath', ext],
      ['extensionTestsPath', `${ext}/out/test/integration/index`],
    ]);
    await page.goto(url);
    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        process.stdout.write('integration: timed out after 15 minutes\n');
        resolve(124);
      }, 15 * 60_000),
    );
    const code = await Promise.race([exitCode, timeout]);
    if (!result) {
      // No result line is a failure whatever the exit code: nothing says the tests ran.
      process.stdout.write(
        `integration: the suite did not report (exit ${code}). Server log:\n${server.log().slice(-4000)}\n`,
      );
      process.stdout.write('integration: 0 passed, 1 failed\n');
      return code === 0 ? 1 : code;
    }
    const { passed, failed, skipped } = result;
    process.stdout.write(`integration: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
    return code;
  } finally {
    await browser.close();
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.stdout.write('integration: 0 passed, 1 failed\n');
    process.exit(1);
  },
);
