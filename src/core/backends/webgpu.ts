// WebGPU for the trainer: Dawn's Node.js bindings (npm `webgpu`, a prebuilt dawn.node per platform:
// Metal on macOS, D3D12 on Windows, Vulkan on Linux) under @tensorflow/tfjs-backend-webgpu.
//
// We pick the adapter ourselves and hand tfjs that one, so the adapter we judged (hardware or
// software, its name) is the adapter that computes. A software adapter (SwiftShader,
// llvmpipe/lavapipe, WARP) is slower than the CPU backends: `auto` and `gpu` refuse it; only
// `device: webgpu` takes it (that is how the tests run here, on SwiftShader).
//
// The device reports what goes wrong on the GPU asynchronously (an allocation that does not fit,
// a lost device, a shader that does not compile), and the work that depended on it reads back as
// zeros. `throwIfGpuFault()` throws the first such report as a GpuFault; the trainer calls it after
// every step and evaluation, so a run ends with that message before it saves anything computed
// after the fault.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as TfCore from '@tensorflow/tfjs-core';
import { classifyGpuError, GpuFault, recordGpuFault } from '../kernels/gpuFaults';

/** The adapter that computes, as the panel, the CLI and the model card name it. */
export interface GpuAdapter {
  vendor: string;
  architecture: string;
  description: string;
  /** The native API Dawn drives: Metal, D3D12 or Vulkan. */
  api: string;
  software: boolean;
}

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

interface Adapter {
  info?: AdapterInfo;
  isFallbackAdapter?: boolean;
  features: Set<string>;
  limits: Record<string, number>;
  requestDevice(descriptor?: unknown): Promise<Device>;
}

interface Device {
  lost: Promise<{ reason: string; message: string }>;
  addEventListener?(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
  onuncapturederror?: ((event: { error: { message: string } }) => void) | null;
  destroy(): void;
  queue: { onSubmittedWorkDone(): Promise<void> };
}

interface Gpu {
  requestAdapter(options?: { powerPreference?: string; forceFallbackAdapter?: boolean }): Promise<Adapter | null>;
}

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render driver/i;

/** True for adapters that run on the CPU: the fallback adapter, SwiftShader, Mesa's llvmpipe/lavapipe, WARP. */
export function isSoftwareAdapter(info: AdapterInfo, isFallbackAdapter = false): boolean {
  if (isFallbackAdapter || info.isFallbackAdapter) return true;
  return SOFTWARE.test([info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' '));
}

/**
 * On Linux, why Dawn cannot find a Vulkan adapter before it tries: without libvulkan.so.1 it would
 * print a warning of its own to stderr, on every machine without a GPU driver, for every `auto` run.
 */
function missingVulkanLoader(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const triplet = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${triplet}`,
    `/lib/${triplet}`,
    '/usr/lib64',
    '/lib64',
    '/usr/lib',
    '/lib',
    '/usr/local/lib',
  ];
  return dirs.some((dir) => fs.existsSync(path.join(dir, 'libvulkan.so.1')))
    ? undefined
    : 'no Vulkan loader (libvulkan.so.1): no GPU driver with Vulkan is installed';
}

/** The API Dawn uses on this platform. */
function nativeApi(platform = process.platform): string {
  return platform === 'darwin' ? 'Metal' : platform === 'win32' ? 'D3D12' : 'Vulkan';
}

/** "NVIDIA hopper (Vulkan)", "google swiftshader — SwiftShader driver 5.0.0 (software, Vulkan)". */
export function describeAdapter(adapter: GpuAdapter): string {
  const name = [adapter.vendor, adapter.architecture].filter(Boolean).join(' ') || 'unknown adapter';
  const detail = adapter.description && !name.includes(adapter.description) ? ` — ${adapter.description}` : '';
  return `${name}${detail} (${adapter.software ? 'software, ' : ''}${adapter.api})`;
}

/**
 * Dawn's instance and adapter for the life of the process: dropping the instance destroys what it
 * made (the device tfjs computes on) when the garbage collector runs, mid-training. Seen here as
 * aborts in random places within seconds of the first step.
 */
const alive: unknown[] = [];

/**
 * Loads Dawn, finds an adapter and registers tfjs' `webgpu` backend on it. Throws with the reason
 * when there is no adapter, or only a software one and `allowSoftware` is false.
 */
export async function registerWebGpuBackend(
  tf: typeof TfCore,
  allowSoftware: boolean,
  dawnFlags: string[] = [],
): Promise<GpuAdapter> {
  if (process.versions.electron) {
    // Electron's V8 sandbox refuses the external ArrayBuffers dawn.node hands out (mapped GPU memory).
    throw new Error(
      `cannot run inside Electron ${process.versions.electron} (VS Code's own runtime): its V8 sandbox refuses Dawn's GPU buffers; the worker needs a system Node.js`,
    );
  }
  const loader = missingVulkanLoader();
  if (loader) throw new Error(loader);
  const dawn = (await import('webgpu')) as unknown as {
    create(flags: string[]): Gpu;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, dawn.globals);
  const gpu = dawn.create(dawnFlags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  alive.push(gpu, adapter);
  if (!adapter) {
    throw new Error(
      `Dawn found no ${nativeApi()} adapter (${process.platform === 'linux' ? 'is a Vulkan driver installed? libvulkan.so.1 and an ICD in /usr/share/vulkan/icd.d' : 'no supported GPU'})`,
    );
  }
  const info = adapter.info ?? {};
  const chosen: GpuAdapter = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    api: nativeApi(),
    software: isSoftwareAdapter(info, adapter.isFallbackAdapter),
  };
  if (chosen.software && !allowSoftware) {
    throw new Error(`only a software adapter is present (${describeAdapter(chosen)}), slower than the CPU backends`);
  }
  // tfjs-backend-webgpu looks for navigator.gpu when it loads (on Node 21+ `navigator` is a
  // read-only global: define the property). Its factory asks navigator.gpu for an adapter: ours.
  const navigatorGpu = { requestAdapter: async () => adapter, getPreferredCanvasFormat: () => 'bgra8unorm' };
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: navigatorGpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu: navigatorGpu }, configurable: true });
  require('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialize');
  await tf.ready();
  const device = (tf.backend() as unknown as { device: Device }).device;
  watchDevice(device);
  activeDevice = device;
  return chosen;
}

let activeDevice: Device | undefined;

/**
 * Before the process exits: lets the GPU finish what was submitted, then destroys the device.
 * Left to the exit's teardown, a device that has just failed an allocation was seen to crash
 * Dawn (SIGSEGV), losing the exit code of a run that had already reported its error.
 */
export async function releaseGpu(timeoutMs = 10_000): Promise<void> {
  const device = activeDevice;
  if (!device) return;
  activeDevice = undefined;
  await Promise.race([
    device.queue.onSubmittedWorkDone().catch(() => undefined),
    new Promise((resolve) => setTimeout(resolve, timeoutMs).unref()),
  ]);
  device.destroy();
}

function watchDevice(device: Device): void {
  void device.lost.then((lost) => {
    recordGpuFault(
      new GpuFault(
        'device-lost',
        `the GPU device was lost (${lost.reason || 'unknown'}: ${lost.message.split('\n')[0]})`,
      ),
    );
  });
  const onError = (event: { error: { message: string } }) => {
    recordGpuFault(classifyGpuError(event.error.message));
  };
  if (device.addEventListener) device.addEventListener('uncapturederror', onError);
  else device.onuncapturederror = onError;
}
