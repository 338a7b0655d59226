// Which kernels take the time: `node out/bench/profile.js <backend> <train|infer> <batch> <seq>`.
// Prints the kernels by total milliseconds (tf.profile), for one step after a warm-up step.
import { loadBackend, type BackendChoice } from '../src/core/backends/loadBackend';
import { DistilBertForSequenceClassification, type EncodedBatch } from '../src/core/model/distilbert';
import { parseDistilBertConfig } from '../src/core/model/distilbertConfig';
import { fromCheckpointLayout, initialValues, memoryShape, parameterSpecs } from '../src/core/model/parameters';
import { AdamW } from '../src/core/train/optimizer';
import { optimizerStep } from '../src/core/train/step';
import { tf } from '../src/core/tf';

async function main([device, mode, batchText, seqText]: string[]): Promise<void> {
  await loadBackend(device as BackendChoice);
  const config = parseDistilBertConfig({ num_labels: 2 });
  const specs = parameterSpecs(config);
  const model = new DistilBertForSequenceClassification(
    config,
    new Map(
      specs.map((s) => [
        s.name,
        tf.tensor(fromCheckpointLayout(s, initialValues(s, config, 0)), memoryShape(s), 'float32'),
      ]),
    ),
  );
  const B = Number(batchText);
  const T = Number(seqText);
  const batch: EncodedBatch = {
    inputIds: Int32Array.from({ length: B * T }, (_, i) => 1000 + ((i * 7919) % 29000)),
    attentionMask: new Int32Array(B * T).fill(1),
    batchSize: B,
    seqLength: T,
  };
  const labels = Int32Array.from({ length: B }, (_, i) => i % 2);
  const optimizer = new AdamW(specs, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  const once = async () => {
    if (mode === 'train') await optimizerStep(model, optimizer, [{ batch, labels }], 2e-5, 1, 1);
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
  for (const [name, k] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 18))
    console.log(`  ${name.padEnd(20)} ${k.ms.toFixed(0).padStart(7)} ms  ${String(k.calls).padStart(5)} calls`);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
