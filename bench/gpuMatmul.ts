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
    // The kernel alone: ten products queued, then one number read back (the first figure also
    // copies the n x n result to the CPU).
    const chained = 10;
    const kernelStart = performance.now();
    const sums: Array<ReturnType<typeof tf.slice>> = [];
    for (let i = 0; i < chained; i++) {
      const c = tf.matMul(a, b);
      sums.push(tf.slice(c, [0, 0], [1, 1]));
      c.dispose();
    }
    await sums[chained - 1].data();
    const kernelSeconds = (performance.now() - kernelStart) / 1000 / chained;
    tf.dispose(sums);
    process.stdout.write(
      `${JSON.stringify({ matmul: n, seconds, gflops: (2 * n ** 3) / seconds / 1e9, kernel_seconds: kernelSeconds, kernel_gflops: (2 * n ** 3) / kernelSeconds / 1e9 })}\n`,
    );
    a.dispose();
    b.dispose();
  }
}

if (require.main === module) runMain(main);
