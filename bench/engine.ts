// One engine's measurements, in its own process (a process loads one tfjs backend):
//   node out/bench/engine.js <backend> <train|infer> <batch> <seq> <repeats> [warmup]
// Prints one JSON line per measurement, with the median step time.
import { loadBackend, type Device } from '../src/core/backends/loadBackend';
import { optimizerStep } from '../src/core/train/step';
import { baseModelAndBatch } from './baseModel';
import { tf } from '../src/core/tf';
import { runMain } from './runMain';

export async function main(argv: string[]): Promise<void> {
  const [device, mode, batchText, seqText, repeatsText, warmupText = '1'] = argv;
  const backend = await loadBackend(device as Device);
  // Backend flags to compare, e.g. TFJS_FLAGS='{"WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE":64}'.
  const flags = JSON.parse(process.env.TFJS_FLAGS ?? '{}') as Record<string, number | boolean>;
  for (const [name, value] of Object.entries(flags)) tf.env().set(name, value);
  const B = Number(batchText);
  const T = Number(seqText);
  const { model, batch, labels, optimizer } = baseModelAndBatch(B, T);
  let step = 0;
  // Each call ends when its results are back on the CPU (on a GPU, when the queue has run).
  const once = async () => {
    if (mode === 'train') {
      await (await optimizerStep(model, optimizer, [{ batch, labels }], 2e-5, 1, step++)).read();
      return;
    }
    const logits = model.logits(batch);
    await logits.data();
    logits.dispose();
  };
  for (let i = 0; i < Number(warmupText); i++) await once();
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < Number(repeatsText); i++) {
    const start = performance.now();
    await once();
    times.push((performance.now() - start) / 1000);
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  process.stdout.write(
    `${JSON.stringify({ kind: `${mode} ${B}x${T}`, engine: backend.backend, device: backend.device, seconds: times, median_seconds: median, tokens_per_second: (B * T) / median, repeats: times.length, peak_rss_mb: Math.round(peak / 2 ** 20), ...(Object.keys(flags).length ? { flags } : {}) })}\n`,
  );
}

if (require.main === module) runMain(main);
