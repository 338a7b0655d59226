// Matrix products on the WebGPU backend: GFLOP/s at n = 1024, 2048, 4096 (for the device check,
// bench/gpu-device.sh). Each timing ends when the result is back on the CPU.
//   node out/bench/gpuMatmul.js [sizes...]
import { loadBackend } from '../src/core/backends/loadBackend';
import { tf } from '../src/core/tf';
import { runMain } from './runMain';

export async function main(argv: string[]): Promise<void> {
  const backend = await loadBackend('webgpu');
  process.stdout.write(`${JSON.stringify({ adapter: backend.adapter, device: backend.device })}\n`);
  for (const n of (argv.length ? argv : ['1024', '2048', '4096']).map(Number)) {
    const a = tf.randomNormal([n, n]);
    const b = tf.randomNormal([n, n]);
    const once = async () => {
      const c = tf.matMul(a, b);
      await c.data();
      c.dispose();
    };
    await once(); // compiles the shader
    const repeats = n >= 4096 ? 3 : 5;
    const start = performance.now();
    for (let i = 0; i < repeats; i++) await once();
    const seconds = (performance.now() - start) / 1000 / repeats;
    process.stdout.write(`${JSON.stringify({ matmul: n, seconds, gflops: (2 * n ** 3) / seconds / 1e9 })}\n`);
    a.dispose();
    b.dispose();
  }
}

if (require.main === module) runMain(main);
