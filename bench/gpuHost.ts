// What a WebGPU training step costs the host, measured without a GPU:
//   node out/bench/gpuHost.js [--steps N] [--json]      (npm run bench -- --gpu-host)
//
// Dawn's Null backend (`backend=null` among create()'s flags) makes and validates every WebGPU
// call, WGSL included, and runs nothing on a GPU: a step's time there is the host's cost of
// driving the GPU, and every call that reaches Dawn can be counted by wrapping the prototypes of
// its classes (whoever makes the call, tfjs or our own runtime). Values read back are not results.
//
// It trains what the issue measured: the trainer on the UCI sentences, a 6-layer DistilBERT (dim 64,
// 4 heads, hidden 256, the real vocabulary) from scratch, batch 20, `device: webgpu`, and prints
// per step (median over the steps after the first epoch, when every shape has been seen):
// dispatches, queue submits, writeBuffer calls, buffer maps, new buffers, new bind groups and host
// milliseconds, then the dispatches of one step by pipeline (tfjs labels its pipelines with the
// program's class name; ours carry their kernel's name).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBackend } from '../src/core/backends/loadBackend';
import { fileSystemEnvironment } from '../src/core/config/environment';
import { validateConfig } from '../src/core/config/validate';
import { writeTinyModel } from '../src/core/model/tinyModels';
import { runTraining } from '../src/core/train/runTraining';
import { runMain } from './runMain';

const root = path.join(__dirname, '..', '..');
const COUNTED = ['dispatches', 'submits', 'writes', 'maps', 'buffers', 'bindGroups'] as const;
type Counts = Record<(typeof COUNTED)[number], number>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Method = (this: any, ...args: unknown[]) => unknown;
type Prototypes = Record<string, { prototype: Record<string, Method> }>;

/** Wraps the Dawn methods that cost the host (or drain the GPU) so that every call is counted. */
function countDawnCalls(globals: Prototypes) {
  const counts: Counts = { dispatches: 0, submits: 0, writes: 0, maps: 0, buffers: 0, bindGroups: 0 };
  const byPipeline = new Map<string, number>();
  const labels = new WeakMap<object, string>();
  const current = new WeakMap<object, string>();
  const wrap = (cls: string, method: string, before: (self: object, args: unknown[]) => void, after?: Method) => {
    const proto = globals[cls].prototype;
    const original = proto[method];
    if (typeof original !== 'function') throw new Error(`Dawn has no ${cls}.${method}`);
    proto[method] = function (this: object, ...args: unknown[]) {
      before(this, args);
      const result = original.apply(this, args);
      after?.call(result, ...args);
      return result;
    };
  };
  const label = (descriptor: unknown) => (descriptor as { label?: string })?.label || 'unlabelled';
  wrap(
    'GPUDevice',
    'createComputePipeline',
    () => undefined,
    function (this: unknown, descriptor) {
      labels.set(this as object, label(descriptor));
    },
  );
  wrap(
    'GPUDevice',
    'createComputePipelineAsync',
    () => undefined,
    function (this: unknown, descriptor) {
      void (this as Promise<object>).then((pipeline) => labels.set(pipeline, label(descriptor)));
    },
  );
  wrap('GPUComputePassEncoder', 'setPipeline', (self, [pipeline]) =>
    current.set(self, labels.get(pipeline as object) ?? 'unlabelled'),
  );
  wrap('GPUComputePassEncoder', 'dispatchWorkgroups', (self) => {
    counts.dispatches++;
    const name = current.get(self) ?? 'unlabelled';
    byPipeline.set(name, (byPipeline.get(name) ?? 0) + 1);
  });
  wrap('GPUQueue', 'submit', () => counts.submits++);
  wrap('GPUQueue', 'writeBuffer', () => counts.writes++);
  wrap('GPUBuffer', 'mapAsync', () => counts.maps++);
  wrap('GPUDevice', 'createBuffer', () => counts.buffers++);
  wrap('GPUDevice', 'createBindGroup', () => counts.bindGroups++);
  return { counts, byPipeline };
}

function option(argv: string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function main(argv: string[]): Promise<void> {
  const dawn = (await import('webgpu')) as unknown as { globals: Prototypes };
  const { counts, byPipeline } = countDawnCalls(dawn.globals);
  const backend = await loadBackend('webgpu', { allowSoftwareGpu: true, dawnFlags: ['backend=null'] });

  // 400 rows: 320 to train on (16 steps of 20 an epoch), 80 to validate.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-host-'));
  const lines = fs.readFileSync(path.join(root, 'test/fixtures/data/uci_sentiment.csv'), 'utf8').split('\n');
  fs.writeFileSync(path.join(dir, 'reviews.csv'), `${lines.slice(0, 401).join('\n')}\n`);
  const shape = { dim: 64, n_layers: 6, n_heads: 4, hidden_dim: 256, max_position_embeddings: 128 };
  writeTinyModel(path.join(dir, 'model'), path.join(root, 'test/fixtures/vocab/vocab.txt'), { shape, weights: false });
  const epochs = option(argv, '--epochs', 3);
  const yaml = [
    'model: ./model',
    'train_file: reviews.csv',
    'per_device_train_batch_size: 20',
    `num_train_epochs: ${epochs}`,
    'learning_rate: 1e-3',
    'logging_steps: 1000',
    'save_strategy: "no"',
    'output_dir: out',
    'device: webgpu',
  ].join('\n');
  const { config, problems } = validateConfig(yaml, fileSystemEnvironment(dir));
  if (!config) throw new Error(problems.map((p) => p.message).join('; '));

  // Each progress event closes a step: what was counted since the previous one is that step's.
  const steps: Array<Counts & { ms: number; step: number; pipelines: Map<string, number> }> = [];
  let previous = { ...counts };
  let previousTime = performance.now();
  let stepsPerEpoch = 0;
  let pipelinesBefore = new Map(byPipeline);
  await runTraining(config, {
    emit: (event) => {
      if (event.type !== 'progress') return;
      const now = performance.now();
      const delta = Object.fromEntries(COUNTED.map((k) => [k, counts[k] - previous[k]])) as Counts;
      const pipelines = new Map([...byPipeline].map(([k, v]) => [k, v - (pipelinesBefore.get(k) ?? 0)]));
      steps.push({ ...delta, ms: now - previousTime, step: event.step, pipelines });
      stepsPerEpoch ||= Math.round(event.total_steps / epochs);
      pipelinesBefore = new Map(byPipeline);
      previous = { ...counts };
      previousTime = now;
    },
    isCancelled: () => false,
    extensionVersion: 'bench',
  });
  fs.rmSync(dir, { recursive: true, force: true });

  // After the first epoch, and without the first step of each epoch (its interval holds the evaluation).
  const steady = steps.filter((s) => s.step > stepsPerEpoch + 1 && s.step % stepsPerEpoch !== 1);
  const result = Object.fromEntries(
    [...COUNTED, 'ms'].map((k) => [k, median(steady.map((s) => s[k as keyof Counts]))]),
  );
  if (argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ kind: 'gpu host per step', ...result, steps: steady.length, pipelines: Object.fromEntries(steady[0].pipelines) })}\n`,
    );
    return;
  }
  console.log(`WebGPU host cost of a training step on Dawn's Null backend (${backend.device})`);
  console.log(
    `6 layers, dim 64, 4 heads, batch 20, UCI sentences; medians of ${steady.length} steps after the first epoch`,
  );
  console.log('| per step | median |');
  console.log('| --- | --- |');
  for (const key of [...COUNTED, 'ms'])
    console.log(`| ${key === 'ms' ? 'host ms' : key} | ${key === 'ms' ? result[key].toFixed(1) : result[key]} |`);
  const pipelines = [...steady[0].pipelines].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  console.log(
    `\ndispatches of step ${steady[0].step} by pipeline (${pipelines.reduce((a, [, n]) => a + n, 0)} in all):`,
  );
  for (const [name, n] of pipelines) console.log(`  ${name.padEnd(36)} ${String(n).padStart(5)}`);
}

if (require.main === module) runMain(main);
