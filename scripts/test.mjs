// npm test: lint (eslint, prettier, dependency-cruiser), typecheck, build, the three layers, then one
// closing line `N passed, M failed` (and `, K skipped` when some were). A layer's exit status and its
// size count too: a non-zero exit with no failed test, or fewer tests than KNOWN_SIZE, is a failure.
//
//   1. unit         node --test over the core, the config language and the run protocol (no VS Code)
//   2. integration  a mocha suite inside a real VS Code extension host
//   3. end-to-end   chromium driving real VS Code with the packed .vsix installed
//
// Options: --unit, --integration, --e2e pick layers (default: all). Tests run against fresh
// bundles (npm run build) and a fresh .vsix (npm run package).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const picked = ['unit', 'integration', 'e2e'].filter((layer) => process.argv.includes(`--${layer}`));
const layers = picked.length ? picked : ['unit', 'integration', 'e2e'];
const totals = { passed: 0, failed: 0, skipped: 0 };
const summary = [];

// The tests each layer holds, at least. A layer that reports fewer lost some on the way (a file that
// did not load, a suite that stopped early, a filter left on): that counts as a failure. Raise these
// with new tests; lower them only with tests removed.
const KNOWN_SIZE = { unit: 275, integration: 29, e2e: 19 };

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  return result.status ?? 1;
}

function nodeTests(name, dir) {
  const files = readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => join(dir, f));
  const countFile = join(root, '.test-runs', `${name}-counts.json`);
  rmSync(countFile, { force: true });
  const status = run(process.execPath, [
    '--test',
    '--test-concurrency=1',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./scripts/count-reporter.mjs',
    `--test-reporter-destination=${countFile}`,
    ...files,
  ]);
  try {
    return { ...JSON.parse(readFileSync(countFile, 'utf8')), status };
  } catch {
    return { passed: 0, failed: 1, status, notRun: 'the test runner reported nothing' };
  }
}

/**
 * Adds a layer's counts to the totals. Its exit status and its size are checked, not trusted: a
 * non-zero exit that no failed test explains, or fewer tests than the layer is known to hold, is
 * one more failure, said in the summary.
 */
function record(name, { passed, failed, skipped = 0, status = 0, notRun }) {
  const problems = notRun ? [notRun] : [];
  if (status !== 0 && failed === 0) {
    problems.push(`exited with status ${status} and no failed test`);
    failed++;
  }
  const size = passed + failed + skipped;
  if (!notRun && size < KNOWN_SIZE[name]) {
    problems.push(`ran ${size} tests, fewer than the ${KNOWN_SIZE[name]} it holds`);
    failed++;
  }
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  const counts = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
  summary.push(`${name}: ${counts}${problems.length ? ` (${problems.join('; ')})` : ''}`);
}

// Every layer gets a WebGPU adapter without a GPU: SwiftShader, the software Vulkan driver (with its
// own Vulkan loader) of Debian's chromium. The tests of the webgpu backend run on it; `auto` must
// pass it over. The VS Code server, and so the worker, inherit it.
const SWIFTSHADER = '/usr/lib/chromium';
process.env.LD_LIBRARY_PATH = [SWIFTSHADER, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
process.env.VK_ICD_FILENAMES = `${SWIFTSHADER}/vk_swiftshader_icd.json`;

mkdirSync(join(root, '.test-runs'), { recursive: true });
// Lint, format and import rules first: they take seconds and fail before minutes of tests.
if (
  run('npm', ['run', '--silent', 'lint']) !== 0 ||
  run('npm', ['run', '--silent', 'typecheck']) !== 0 ||
  run('npm', ['run', '--silent', 'build']) !== 0
) {
  console.log('lint, typecheck or build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (layers.includes('unit')) {
  console.log('\n== unit (node --test)');
  record('unit', nodeTests('unit', 'out/test/unit'));
}

if (layers.includes('integration')) {
  console.log('\n== integration (mocha in the real VS Code extension host)');
  const result = spawnSync(process.execPath, ['out/test/support/runIntegration.js'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(result.stdout);
  const line = [...result.stdout.matchAll(/^integration: (\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/gm)].at(-1);
  const status = result.status ?? 1;
  if (line) record('integration', { passed: +line[1], failed: +line[2], skipped: +(line[3] ?? 0), status });
  else record('integration', { passed: 0, failed: 1, status, notRun: 'no result line' });
}

if (layers.includes('e2e')) {
  console.log('\n== end-to-end (chromium + real VS Code + the packed .vsix)');
  if (run('npm', ['run', '--silent', 'package'], { stdio: ['ignore', 'ignore', 'inherit'] }) !== 0) {
    record('e2e', { passed: 0, failed: 1, notRun: 'npm run package failed' });
  } else {
    record('e2e', nodeTests('e2e', 'out/test/e2e'));
  }
}

console.log(`\n${summary.join('\n')}`);
console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`);
process.exit(totals.failed > 0 ? 1 : 0);
