// Which kernels take the time: `node out/bench/profile.js <backend> <train|infer> <batch> <seq>`.
// Prints the kernels by total milliseconds (tf.profile), for one step after a warm-up step.
import { loadBackend, type BackendChoice } from '../src/core/backends/loadBackend';
import { optimizerStep } from '../src/core/train/step';
import { baseModelAndBatch } from './baseModel';
import { tf } from '../src/core/tf';

async function main([device, mode, batchText, seqText]: string[]): Promise<void> {
  await loadBackend(device as BackendChoice);
  const B = Number(batchText);
  const T = Number(seqText);
  const { model, batch, labels, optimizer } = baseModelAndBatch(B, T);
  const once = async () => {
    if (mode === 'train') await (await optimizerStep(model, optimizer, [{ batch, labels }], 2e-5, 1, 1)).read();
    else model.logits(batch).dispose();
  };
  await once();
  const start = performance.now();
  const info = await tf.profile(async () => {
    await once();
  });
  const wall = performance.now() - start;
  const byKernel = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byKernel.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += Number(k.kernelTimeMs) || 0;
    entry.calls++;
    byKernel.set(k.name, entry);
  }
  const total = [...byKernel.values()].reduce((a, k) => a + k.ms, 0);
  console.log(
    `${mode} ${B}x${T} on ${device}: wall ${wall.toFixed(0)} ms, kernels ${total.toFixed(0)} ms, other ${(wall - total).toFixed(0)} ms`,
  );
  for (const [name, k] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40))
    console.log(`  ${name.padEnd(20)} ${k.ms.toFixed(0).padStart(7)} ms  ${String(k.calls).padStart(5)} calls`);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
