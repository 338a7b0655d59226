// Which Node.js runs the training worker.
//
// By default the worker is forked with the extension host's own runtime. In desktop VS Code that is
// Electron (run as Node), whose V8 sandbox refuses the external buffers native GPU addons hand out
// (Dawn's mapped GPU memory; tfjs-node-gpu's tensors). So a run that may use a GPU (`auto`, `gpu`,
// `webgpu`) goes to a system Node.js when the host is Electron: the `nodePath` setting, else `node`
// on PATH (version 20 or later). Without one, `auto` trains on the CPU and says why; `gpu` and
// `webgpu` are refused with the fix.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BackendChoice } from '../core/config/schema';

export interface WorkerRuntime {
  /** The executable the worker is forked with. */
  execPath: string;
  /** In words, for the panel and the Output channel: "system Node.js v22.3.0 (/usr/bin/node)". */
  description: string;
  /** What the user should know about this choice, when anything. */
  note?: string;
}

export interface RuntimeQuery {
  device: BackendChoice;
  /** The `distilbertFinetuner.nodePath` setting. */
  configuredNodePath?: string;
  /** The extension host's executable (process.execPath). */
  hostExecPath: string;
  /** process.versions.electron of the extension host, when it is Electron. */
  electronVersion?: string;
  /** The PATH to look for `node` on. */
  searchPath?: string;
}

export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

const GPU_DEVICES: ReadonlySet<BackendChoice> = new Set(['auto', 'gpu', 'webgpu']);
const MINIMUM_NODE_MAJOR = 20;
const SET_NODE_PATH =
  'Install Node.js 20 or later (nodejs.org), or set the setting "DistilBERT Fine-Tuner: Node Path" to a node executable.';

/** The worker's runtime for a run, or a RuntimeError saying why none fits. */
export function chooseWorkerRuntime(query: RuntimeQuery): WorkerRuntime {
  if (query.configuredNodePath) {
    const version = nodeVersion(query.configuredNodePath);
    if (!version)
      throw new RuntimeError(
        `the Node Path setting, ${query.configuredNodePath}, is not a Node.js executable`,
        'Point "DistilBERT Fine-Tuner: Node Path" at a node executable (version 20 or later), or clear it.',
      );
    return {
      execPath: query.configuredNodePath,
      description: `Node.js ${version} (${query.configuredNodePath}, from the Node Path setting)`,
    };
  }
  const host: WorkerRuntime = {
    execPath: query.hostExecPath,
    description: query.electronVersion
      ? `VS Code's Electron ${query.electronVersion} runtime`
      : `Node.js ${process.version} (the extension host's)`,
  };
  if (!query.electronVersion || !GPU_DEVICES.has(query.device)) return host;
  const system = findSystemNode(query.searchPath ?? process.env.PATH ?? '');
  if (system) {
    return {
      execPath: system.file,
      description: `system Node.js ${system.version} (${system.file})`,
      note: `Training runs on the system Node.js ${system.version} at ${system.file}: VS Code's Electron runtime cannot use a GPU (its V8 sandbox refuses the GPU driver's buffers).`,
    };
  }
  if (query.device !== 'auto') {
    throw new RuntimeError(
      `device: ${query.device} needs a system Node.js ${MINIMUM_NODE_MAJOR} or later to run the worker (VS Code's Electron runtime cannot use a GPU), and none was found on PATH`,
      SET_NODE_PATH,
    );
  }
  return {
    ...host,
    note: `No system Node.js ${MINIMUM_NODE_MAJOR}+ was found on PATH, so training runs in VS Code's Electron runtime, on the CPU: Electron cannot use a GPU. ${SET_NODE_PATH}`,
  };
}

/** The first `node` on the search path whose version is at least 20. */
export function findSystemNode(searchPath: string): { file: string; version: string } | undefined {
  const names = process.platform === 'win32' ? ['node.exe'] : ['node'];
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    for (const name of names) {
      const file = path.join(dir, name);
      if (!isExecutable(file)) continue;
      const version = nodeVersion(file);
      if (version && Number(/^v(\d+)/.exec(version)?.[1]) >= MINIMUM_NODE_MAJOR) return { file, version };
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `node --version` of an executable, or undefined when it is not a working Node.js. */
function nodeVersion(file: string): string | undefined {
  try {
    const out = execFileSync(file, ['--version'], {
      encoding: 'utf8',
      timeout: 5_000,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    }).trim();
    return /^v\d+\.\d+\.\d+/.test(out) ? out : undefined;
  } catch {
    return undefined;
  }
}
