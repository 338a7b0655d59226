// The webgpu backend on a real WebGPU adapter: Dawn on SwiftShader (Debian chromium's software
// Vulkan driver), through the real CLI in child processes. Device choice (`auto` never takes a
// software adapter, `gpu` refuses it), a tiny model trained end to end with the same losses as the
// JavaScript backend, predict and evaluate on the GPU, and a GPU allocation that does not fit.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { isSoftwareAdapter } from '../../src/core/backends/webgpu';
import { classifyGpuError, GpuFault } from '../../src/core/kernels/gpuFaults';
import { explainFailure } from '../../src/core/train/failures';
import { REPO_ROOT, fixture, smallModel, tempDir, writeConfig } from './helpers';
import { requireSwiftShaderOnMachine, withSwiftShader } from './webgpuHelpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const GOLDEN = fixture('tiny-distilbert');

function cli(args: string[], env: NodeJS.ProcessEnv = withSwiftShader()) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env, timeout: 300_000 });
}

const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** The first `rows` rows of the UCI sentiment sentences, both classes, into `dir`. */
function uciRows(dir: string, rows: number): string {
  const lines = fs.readFileSync(fixture('data/uci_sentiment.csv'), 'utf8').trimEnd().split('\n');
  const file = path.join(dir, 'reviews.csv');
  fs.writeFileSync(file, `${lines.slice(0, rows + 1).join('\n')}\n`);
  return file;
}

/** The model folder's config with every dropout rate at 0. */
function withoutDropout(folder: string): string {
  const file = path.join(folder, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify({ ...config, dropout: 0, attention_dropout: 0, seq_classif_dropout: 0 }));
  return folder;
}

type Event = { type: string; loss?: number; backend?: string; device?: string; [key: string]: unknown };
const events = (stdout: string): Event[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Event);

test('auto takes the native kernels while only SwiftShader is present; gpu refuses it by name', () => {
  requireSwiftShaderOnMachine();
  const auto = cli(['golden', GOLDEN, '--device', 'auto']);
  assert.equal(auto.status, 0, auto.stderr);
  assert.match(auto.stderr, /golden: backend native CPU kernels/);
  const gpu = cli(['golden', GOLDEN, '--device', 'gpu']);
  assert.equal(gpu.status, 1);
  assert.equal(gpu.stdout, '');
  assert.match(gpu.stderr, /device: gpu, but the GPU backend cannot load/);
  assert.match(gpu.stderr, /WebGPU: only a software adapter is present \(google swiftshader/);
  assert.match(gpu.stderr, /CUDA 11\.2 and cuDNN 8\.1/, 'the CUDA route is named too');
});

test('without a Vulkan driver, auto says nothing of WebGPU and webgpu says what is missing', () => {
  const plain = { ...process.env, LD_LIBRARY_PATH: '', VK_ICD_FILENAMES: '' };
  const auto = cli(['golden', GOLDEN, '--device', 'auto'], plain);
  assert.equal(auto.status, 0, auto.stderr);
  assert.doesNotMatch(auto.stderr, /Vulkan|webgpu/i, 'no warning from Dawn on a machine without a GPU');
  const webgpu = cli(['golden', GOLDEN, '--device', 'webgpu'], plain);
  assert.equal(webgpu.status, 1);
  assert.match(webgpu.stderr, /device: webgpu, but WebGPU cannot load \(no Vulkan loader \(libvulkan\.so\.1\)/);
});

test(
  'a tiny model trains end to end on webgpu with the losses of the JavaScript backend; predict and evaluate run there too',
  { timeout: 600_000 },
  () => {
    requireSwiftShaderOnMachine();
    const runs: Record<string, Event[]> = {};
    const dirs: Record<string, string> = {};
    for (const device of ['webgpu', 'js']) {
      const dir = tempDir(`webgpu-train-${device}`);
      dirs[device] = dir;
      withoutDropout(smallModel(path.join(dir, 'small-model')));
      uciRows(dir, 160);
      const { file } = writeConfig(dir, {
        model: './small-model',
        train_file: 'reviews.csv',
        text_column: 'text',
        label_column: 'label',
        learning_rate: 1e-3,
        num_train_epochs: 1,
        per_device_train_batch_size: 16,
        // Every training batch of these sentences reaches 16 tokens, so both backends pad alike (a GPU pads
        // to multiples of 16).
        max_length: 16,
        logging_steps: 2,
        output_dir: 'out',
      });
      const result = cli(['train', file, '--json', '--device', device]);
      assert.equal(result.status, 0, result.stderr);
      runs[device] = events(result.stdout);
    }
    const started = runs.webgpu.find((e) => e.type === 'started')!;
    assert.equal(started.backend, 'webgpu');
    assert.match(String(started.device), /^WebGPU on google swiftshader .*\(software, Vulkan\)$/);
    // Without dropout (each backend draws its masks its own way) both runs make the same steps; the GPU
    // sums in another order (float32), which the tolerance allows. webgpuDropout.test.ts checks the masks.
    const losses = (device: string) => runs[device].filter((e) => e.type === 'progress').map((e) => e.loss!);
    assert.equal(losses('webgpu').length, 8);
    losses('webgpu').forEach((loss, i) =>
      assert.ok(Math.abs(loss - losses('js')[i]) < 1e-4, `step ${i + 1}: ${loss} vs ${losses('js')[i]}`),
    );
    assert.ok(
      runs.webgpu.some((e) => e.type === 'evaluation'),
      'an evaluation row',
    );
    assert.ok(
      runs.webgpu.some((e) => e.type === 'checkpoint'),
      'a checkpoint',
    );
    const out = path.join(dirs.webgpu, 'out');
    for (const name of ['model.safetensors', 'config.json', 'tokenizer.json', 'README.md', 'trainer_state.json']) {
      assert.ok(fs.existsSync(path.join(out, name)), name);
    }
    assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /WebGPU on google swiftshader/);

    const predict = (device: string) =>
      cli(['predict', '--model', out, '--text', 'A wonderful, moving film.', '--json', '--device', device]);
    const predicted = predict('webgpu');
    assert.equal(predicted.status, 0, predicted.stderr);
    const reference = predict('js');
    const [gpu, cpu] = [predicted, reference].map(
      (r) => JSON.parse(r.stdout.trim()) as { label: string; score: number },
    );
    assert.equal(gpu.label, cpu.label);
    assert.ok(Math.abs(gpu.score - cpu.score) < 1e-5, `${gpu.score} vs ${cpu.score}`);
    // Evaluate is not held to the run's max_length 16: the GPU pads each batch to a multiple of 16
    // tokens, the JavaScript backend to its longest sentence, and the metrics must not notice.
    type Evaluation = {
      backend: string;
      num_examples: number;
      eval_loss: number;
      eval_accuracy: number;
      eval_f1: number;
      confusion_matrix: number[][];
    };
    const evaluate = (device: string) => {
      const args = ['evaluate', '--model', out, '--data', path.join(dirs.webgpu, 'reviews.csv'), '--json'];
      const result = cli([...args, '--device', device]);
      assert.equal(result.status, 0, result.stderr);
      return JSON.parse(result.stdout) as Evaluation;
    };
    const [onGpu, onJs] = [evaluate('webgpu'), evaluate('js')];
    assert.match(onGpu.backend, /^WebGPU on google swiftshader/);
    assert.match(onJs.backend, /JavaScript/);
    assert.equal(onGpu.num_examples, 160);
    // The two agree to about 1e-10 here; this near-untrained model's logits are close to each other, so
    // a loose tolerance would hide a real difference.
    assert.ok(Math.abs(onGpu.eval_loss - onJs.eval_loss) < 1e-6, `eval_loss ${onGpu.eval_loss} vs ${onJs.eval_loss}`);
    assert.deepEqual(
      [onGpu.eval_accuracy, onGpu.eval_f1, onGpu.confusion_matrix],
      [onJs.eval_accuracy, onJs.eval_f1, onJs.confusion_matrix],
    );
  },
);

test(
  'a GPU allocation that does not fit ends the run with what to lower; nothing is saved, the data is untouched',
  { timeout: 300_000 },
  () => {
    requireSwiftShaderOnMachine();
    const dir = tempDir('webgpu-oom');
    // Two layers, so the first computes its feed-forward for every token: [B*T, 262144] floats is
    // over SwiftShader's 1 GiB buffer limit at batch 64.
    smallModel(path.join(dir, 'wide-model'), false, {
      dim: 32,
      n_layers: 2,
      n_heads: 2,
      hidden_dim: 262144,
      max_position_embeddings: 64,
    });
    const data = uciRows(dir, 200);
    const before = sha256(data);
    const { file } = writeConfig(dir, {
      model: './wide-model',
      train_file: 'reviews.csv',
      text_column: 'text',
      label_column: 'label',
      per_device_train_batch_size: 64,
      max_length: 64,
      output_dir: 'out',
      device: 'webgpu',
    });
    const result = cli(['train', file]);
    assert.equal(result.status, 1, `signal ${result.signal}, error ${result.error?.message}: ${result.stderr}`);
    assert.match(
      result.stderr,
      /error: GPU out of memory with per_device_train_batch_size 64.*exceeds the max buffer size/,
    );
    assert.match(result.stderr, /Lower per_device_train_batch_size \(try 32\)/);
    assert.equal(sha256(data), before);
    const left = fs.existsSync(path.join(dir, 'out')) ? fs.readdirSync(path.join(dir, 'out')) : [];
    assert.ok(!left.some((name) => name.startsWith('checkpoint-') || name === 'model.safetensors'), `left: ${left}`);
  },
);

test('GPU errors are explained by kind: what does not fit, a lost device, a kernel that does not compile', () => {
  const config = {
    per_device_train_batch_size: 20,
    per_device_eval_batch_size: 20,
    max_length: 128,
    output_dir: tempDir('no-checkpoints'),
  };
  const explain = (message: string) => explainFailure(classifyGpuError(message), config) as Error & { hint?: string };
  // Messages as Dawn words them.
  const oom = explain(
    'Buffer size (1600000000) exceeds the max buffer size limit (1073741824).\n - While calling [Device].CreateBuffer',
  );
  assert.match(oom.message, /^GPU out of memory .* a GPU allocation does not fit: Buffer size \(1600000000\) exceeds/);
  assert.match(oom.hint ?? '', /try 10\).*max_length \(try 64\)/);
  const lost = explainFailure(
    new GpuFault('device-lost', 'the GPU device was lost (unknown: Device was lost.)'),
    config,
  ) as Error & { hint?: string };
  assert.match(lost.message, /the GPU device was lost/);
  assert.match(lost.hint ?? '', /driver reset or the device went away/);
  const shader = explain('Error while parsing WGSL: :3:5 error: unresolved identifier');
  assert.match(shader.message, /a GPU kernel failed to compile/);
  assert.match(shader.hint ?? '', /device: cpu/);
});

test('software adapters are told from GPUs by what Dawn reports of them', () => {
  // Adapter info as Dawn reports it for SwiftShader (seen here), Mesa's lavapipe, WARP, and GPUs.
  assert.ok(
    isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' }),
  );
  assert.ok(isSoftwareAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }));
  assert.ok(isSoftwareAdapter({ vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' }));
  assert.ok(isSoftwareAdapter({ vendor: 'intel', description: 'anything' }, true), 'the fallback adapter flag');
  assert.ok(!isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' }));
  assert.ok(!isSoftwareAdapter({ vendor: 'apple', architecture: 'metal-3', description: 'Apple M2' }));
  assert.ok(!isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX' }));
});
