// The golden checkpoint (HF DistilBertForSequenceClassification, PyTorch reference values) through
// the CLI's `golden` command, on every backend that loads here, within the golden README's tolerances.
// WebGPU runs on SwiftShader (Debian chromium's software Vulkan driver): the same tolerances hold
// there, measured (the worst deviations are printed), so no quantity needs a wider one.
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { REPO_ROOT, fixture } from './helpers';
import { requireSwiftShaderOnMachine, withSwiftShader } from './webgpuHelpers';

const GOLDEN = fixture('tiny-distilbert');
const cases = JSON.parse(fs.readFileSync(`${GOLDEN}/cases.json`, 'utf8'));
const CLI = `${REPO_ROOT}/dist/cli.js`;

/** |actual - expected| <= atol + rtol |expected| for every value; returns the worst deviation. */
function within(name: string, actual: unknown, expected: unknown, atol: number, rtol = 0): number {
  const a = [actual].flat(Infinity) as number[];
  const e = [expected].flat(Infinity) as number[];
  assert.equal(a.length, e.length, `${name}: length`);
  let worst = 0;
  e.forEach((x, i) => {
    const d = Math.abs(a[i] - x);
    assert.ok(d <= atol + rtol * Math.abs(x), `${name}[${i}]: ${a[i]} vs ${x}`);
    worst = Math.max(worst, d);
  });
  return worst;
}

const BACKEND_LINES: Record<string, RegExp> = {
  js: /golden: backend JavaScript CPU/,
  wasm: /golden: backend WebAssembly/,
  native: /golden: backend native CPU kernels/,
  webgpu: /golden: backend WebGPU on google swiftshader .*\(software, Vulkan\)/,
};

for (const device of ['js', 'wasm', 'native', 'webgpu']) {
  test(`golden forward, gradient norm and 5-step AdamW trace on the ${device} backend`, { timeout: 180_000 }, (t) => {
    if (device === 'webgpu') requireSwiftShaderOnMachine();
    const result = spawnSync(process.execPath, [CLI, 'golden', GOLDEN, '--device', device], {
      encoding: 'utf8',
      env: device === 'webgpu' ? withSwiftShader() : process.env,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, BACKEND_LINES[device]);
    const out = JSON.parse(result.stdout);
    const f = out.forward;
    const tr = out.training;
    within('logits', f.logits, cases.forward.logits, 2e-6);
    within('loss', f.loss, cases.forward.loss, 2e-6);
    within('grad_norm', f.grad_norm, cases.forward.grad_norm, 0, 1e-5);
    within('hidden row0', f.last_hidden_row0_token0_first8, cases.forward.last_hidden_row0_token0_first8, 5e-6);
    within('hidden row1', f.last_hidden_row1_token0_first8, cases.forward.last_hidden_row1_token0_first8, 5e-6);
    within(
      'lr',
      tr.steps.map((s: { lr: number }) => s.lr),
      cases.training.steps.map((s: { lr: number }) => s.lr),
      1e-12,
      1e-9,
    );
    within(
      'step loss',
      tr.steps.map((s: { loss: number }) => s.loss),
      cases.training.steps.map((s: { loss: number }) => s.loss),
      2e-6,
    );
    within(
      'step grad_norm',
      tr.steps.map((s: { grad_norm: number }) => s.grad_norm),
      cases.training.steps.map((s: { grad_norm: number }) => s.grad_norm),
      0,
      1e-5,
    );
    const worst = within('final logits', tr.final_logits, cases.training.final_logits, 1e-5);
    within('final classifier weight', tr.final_classifier_weight, cases.training.final_classifier_weight, 1e-6);
    t.diagnostic(`${device}: worst final-logit deviation ${worst.toExponential(2)} (tolerance 1e-5)`);
    // Step 0 runs at lr 0: the weights do not move, so step 1 sees the same loss.
    assert.equal(tr.steps[1].loss, tr.steps[0].loss);
  });
}

test('the golden output has exactly the documented fields', () => {
  const out = JSON.parse(
    execFileSync(process.execPath, [CLI, 'golden', GOLDEN, '--device', 'cpu'], { encoding: 'utf8' }),
  );
  assert.deepEqual(Object.keys(out), ['forward', 'training']);
  assert.deepEqual(Object.keys(out.forward), [
    'logits',
    'loss',
    'grad_norm',
    'last_hidden_row0_token0_first8',
    'last_hidden_row1_token0_first8',
  ]);
  assert.deepEqual(Object.keys(out.training), ['steps', 'final_logits', 'final_classifier_weight']);
  assert.deepEqual(Object.keys(out.training.steps[0]), ['step', 'lr', 'loss', 'grad_norm']);
});

test('device gpu without tfjs-node-gpu is an error that says what is needed, never a fallback', () => {
  const result = spawnSync(process.execPath, [CLI, 'golden', GOLDEN, '--device', 'gpu'], { encoding: 'utf8' });
  assert.equal(result.status, 1);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /device: gpu, but the GPU backend cannot load/);
  assert.match(result.stderr, /CUDA 11\.2 and cuDNN 8\.1/);
});

test('without the native addon, auto falls back to wasm, says so, and still reproduces the reference', () => {
  const result = spawnSync(process.execPath, [CLI, 'golden', GOLDEN, '--device', 'auto'], {
    encoding: 'utf8',
    env: { ...process.env, DISTILBERT_FINETUNE_NATIVE: '0' },
  });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /golden: backend WebAssembly/);
  within('logits', JSON.parse(result.stdout).forward.logits, cases.forward.logits, 2e-6);
});
