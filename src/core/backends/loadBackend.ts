// Choosing and loading the TensorFlow.js backend, and saying which one ran.
//
// `auto` takes the fastest that loads: @tensorflow/tfjs-node-gpu (CUDA) -> @tensorflow/tfjs-node
// (libtensorflow on the CPU) -> `native` (tfjs' cpu backend with this project's OpenBLAS kernel
// addon, src/core/native) -> @tensorflow/tfjs-backend-wasm -> the pure JavaScript `cpu` backend.
// The tfjs-node packages are optional (their install downloads libtensorflow); they are looked up
// in `nativeModulesPath` first, then next to this program. `gpu` never falls back silently.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors';
import { loadAddon } from '../native/addon';
import { useKernels } from '../kernels/activeKernels';
import { webgpuKernels } from '../kernels/webgpuKernels';
import { tfjsKernels } from '../kernels/tfjsKernels';
import { nativeKernels } from '../native/nativeKernels';
import { NATIVE_BACKEND, registerNativeBackend } from '../native/nativeTfjsBackend';
import type { BackendChoice } from '../config/schema';
import { bindTf, type Tf } from '../tf';
import type { Backend } from './backendName';
import { describeAdapter, registerWebGpuBackend, type GpuAdapter } from './webgpu';

export type { BackendChoice, Device } from '../config/schema';

export interface BackendInfo {
  backend: Backend;
  /** In words, for the panel, the CLI and the model card: "WebAssembly (SIMD, 2 threads)". */
  device: string;
  /** The npm package that provides it, with its version. */
  package: string;
  tfjsVersion: string;
  /** The WebGPU adapter, on the webgpu backend. */
  adapter?: GpuAdapter;
  /** Why faster backends were skipped, for the log. */
  skipped: string[];
}

export interface BackendOptions {
  /** A node_modules folder with @tensorflow/tfjs-node[-gpu] installed. */
  nativeModulesPath?: string;
  /** wasm threads (default: the number of CPU cores). */
  threads?: number;
  /** WebGPU on a software adapter (SwiftShader, llvmpipe, WARP): only when `device: webgpu` asks. */
  allowSoftwareGpu?: boolean;
  /**
   * Dawn toggles for `create()`: `backend=null` makes and validates every WebGPU call without a
   * GPU (bench/gpuHost.ts measures the host's cost of a step that way).
   */
  dawnFlags?: string[];
}

let loaded: BackendInfo | undefined;

const GPU_REQUIREMENTS =
  '@tensorflow/tfjs-node-gpu 4.22 needs Linux x86_64 with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1 (libcudart.so.11.0, libcudnn.so.8 on the library path), and an install with network access (it downloads libtensorflow): npm install @tensorflow/tfjs-node-gpu';

export async function loadBackend(device: BackendChoice, options: BackendOptions = {}): Promise<BackendInfo> {
  if (loaded) {
    if (device === 'auto' || matches(device, loaded)) return loaded;
    throw new Error(`backend ${loaded.backend} is already loaded in this process; cannot switch to ${device}`);
  }
  const skipped: string[] = [];
  const reason = (kind: string) =>
    skipped.find((s) => s.startsWith(`${kind}: `))?.slice(kind.length + 2) ?? 'not tried';
  const attempt = async (kind: keyof typeof LOADERS, extra: Partial<BackendOptions> = {}) => {
    try {
      return await LOADERS[kind]({ ...options, ...extra });
    } catch (error) {
      skipped.push(`${kind}: ${firstLine(error)}`);
      return undefined;
    }
  };
  let info: BackendInfo | undefined;
  switch (device) {
    case 'gpu':
      // A GPU however we can get one: CUDA, else WebGPU on a hardware adapter. Never the CPU.
      info = (await attempt('gpu')) ?? (await attempt('webgpu'));
      if (!info)
        throw new UserError(
          `device: gpu, but the GPU backend cannot load (CUDA: ${reason('gpu')}; WebGPU: ${reason('webgpu')})`,
          `${WEBGPU_REQUIREMENTS} Or, for CUDA: ${GPU_REQUIREMENTS}`,
        );
      break;
    case 'webgpu':
      // Any adapter, software ones included (that is how it is tested without a GPU).
      info = await attempt('webgpu', { allowSoftwareGpu: true });
      if (!info)
        throw new UserError(`device: webgpu, but WebGPU cannot load (${reason('webgpu')})`, WEBGPU_REQUIREMENTS);
      break;
    case 'cpu':
      info = (await attempt('node')) ?? (await attempt('native')) ?? (await attempt('cpu'));
      break;
    case 'wasm':
      info = await attempt('wasm');
      break;
    case 'native':
      info = await attempt('native');
      break;
    case 'js':
      info = await attempt('cpu');
      break;
    case 'auto':
      info =
        (await attempt('gpu')) ??
        (await attempt('webgpu')) ??
        (await attempt('node')) ??
        (await attempt('native')) ??
        (await attempt('wasm')) ??
        (await attempt('cpu'));
      break;
  }
  if (!info) throw new UserError(`no TensorFlow.js backend could load for device ${device}: ${skipped.join('; ')}`);
  // The one place the kernels are chosen: the addon's on the native backend, tfjs ops elsewhere.
  const addon = info.backend === NATIVE_BACKEND ? loadAddon().addon : undefined;
  if (addon) useKernels(nativeKernels(addon));
  else if (info.backend === 'webgpu') useKernels(webgpuKernels());
  else useKernels(tfjsKernels);
  loaded = { ...info, skipped };
  return loaded;
}

function matches(device: BackendChoice, info: BackendInfo): boolean {
  if (device === 'wasm') return info.backend === 'wasm';
  if (device === 'webgpu') return info.backend === 'webgpu';
  if (device === 'gpu')
    return info.package.includes('tfjs-node-gpu') || (info.backend === 'webgpu' && !info.adapter?.software);
  if (device === 'native') return info.backend === 'native';
  if (device === 'js') return info.backend === 'cpu';
  return info.backend === 'cpu' || info.backend === 'native' || info.package === '@tensorflow/tfjs-node';
}

/** require() that looks in the configured native modules folder first, then next to this program. */
function requireFrom(options: BackendOptions, id: string): unknown {
  const roots = [options.nativeModulesPath, process.env.DISTILBERT_FINETUNE_NATIVE_MODULES].filter((p): p is string =>
    Boolean(p),
  );
  for (const root of roots) {
    try {
      return createRequire(path.join(path.resolve(root), '..', 'noop.js'))(id);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  return require(id);
}

function versionOf(namespace: Tf): string {
  return (namespace as unknown as { version_core?: string }).version_core ?? 'unknown';
}

/** Native packages print their TensorFlow banner to the console while loading; the run reports the backend itself. */
function quietly<T>(load: () => T): T {
  const warn = console.warn;
  const log = console.log;
  console.warn = () => undefined;
  console.log = () => undefined;
  try {
    return load();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

const WEBGPU_REQUIREMENTS =
  "WebGPU needs a GPU with a Metal (macOS), D3D12 (Windows) or Vulkan (Linux: the GPU vendor's driver and libvulkan.so.1) driver, and the worker on a system Node.js 20 or later (not VS Code's Electron runtime: set DistilBERT Fine-Tuner: Node Path).";

const LOADERS: Record<
  'gpu' | 'webgpu' | 'node' | 'native' | 'wasm' | 'cpu',
  (options: BackendOptions) => Promise<BackendInfo>
> = {
  async gpu(options) {
    if (process.platform !== 'linux' || process.arch !== 'x64')
      throw new Error(`not available on ${process.platform}-${process.arch}`);
    const namespace = quietly(() => requireFrom(options, '@tensorflow/tfjs-node-gpu')) as Tf;
    await namespace.setBackend('tensorflow');
    await namespace.ready();
    bindTf(namespace);
    return {
      backend: 'tensorflow',
      device: 'CUDA GPU (tfjs-node-gpu)',
      package: '@tensorflow/tfjs-node-gpu',
      tfjsVersion: versionOf(namespace),
      skipped: [],
    };
  },
  async webgpu(options) {
    const namespace = require('@tensorflow/tfjs-core') as Tf;
    const adapter = await registerWebGpuBackend(namespace, options.allowSoftwareGpu ?? false, options.dawnFlags);
    bindTf(namespace);
    return {
      backend: 'webgpu',
      device: `WebGPU on ${describeAdapter(adapter)}`,
      package: '@tensorflow/tfjs-backend-webgpu + webgpu (Dawn)',
      tfjsVersion: versionOf(namespace),
      adapter,
      skipped: [],
    };
  },
  async node(options) {
    const namespace = quietly(() => requireFrom(options, '@tensorflow/tfjs-node')) as Tf;
    await namespace.setBackend('tensorflow');
    await namespace.ready();
    bindTf(namespace);
    return {
      backend: 'tensorflow',
      device: `native CPU (tfjs-node, ${os.cpus().length} cores)`,
      package: '@tensorflow/tfjs-node',
      tfjsVersion: versionOf(namespace),
      skipped: [],
    };
  },
  async native() {
    const { addon, reason } = loadAddon();
    if (!addon) throw new Error(reason);
    const namespace = require('@tensorflow/tfjs-core') as Tf;
    const cpuModule = require('@tensorflow/tfjs-backend-cpu') as Parameters<typeof registerNativeBackend>[1];
    registerNativeBackend(namespace, cpuModule, addon);
    if (!(await namespace.setBackend(NATIVE_BACKEND))) throw new Error('the native backend failed to initialize');
    bindTf(namespace);
    const blas = addon.blasConfig.split(' ').slice(0, 2).join(' ');
    return {
      backend: 'native',
      device: `native CPU kernels (${blas}, ${addon.blasThreads} thread${addon.blasThreads === 1 ? '' : 's'})`,
      package: 'distilbert_native.node + @tensorflow/tfjs-backend-cpu',
      tfjsVersion: versionOf(namespace),
      skipped: [],
    };
  },
  async wasm(options) {
    const namespace = require('@tensorflow/tfjs-core') as Tf;
    const wasm = quietly(() => require('@tensorflow/tfjs-backend-wasm')) as {
      setThreadsCount(n: number): void;
      getThreadsCount(): number;
    };
    const threads = options.threads ?? os.cpus().length;
    wasm.setThreadsCount(threads);
    if (!(await namespace.setBackend('wasm'))) throw new Error('the wasm backend failed to initialize');
    await namespace.ready();
    bindTf(namespace);
    const simd = await namespace.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const actual = wasm.getThreadsCount();
    return {
      backend: 'wasm',
      device: `WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, ${actual} thread${actual === 1 ? '' : 's'})`,
      package: '@tensorflow/tfjs-backend-wasm',
      tfjsVersion: versionOf(namespace),
      skipped: [],
    };
  },
  async cpu() {
    const namespace = require('@tensorflow/tfjs-core') as Tf;
    quietly(() => require('@tensorflow/tfjs-backend-cpu'));
    if (!(await namespace.setBackend('cpu'))) throw new Error('the cpu backend failed to initialize');
    // Its first tensor would print advice to install tfjs-node; the run reports its backend itself.
    (namespace.backend() as unknown as { firstUse: boolean }).firstUse = false;
    bindTf(namespace);
    return {
      backend: 'cpu',
      device: 'JavaScript CPU (tfjs-backend-cpu, 1 thread)',
      package: '@tensorflow/tfjs-backend-cpu',
      tfjsVersion: versionOf(namespace),
      skipped: [],
    };
  },
};

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}
