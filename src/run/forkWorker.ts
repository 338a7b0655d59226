// Forking one of our workers (dist/worker.js, dist/modelWorker.js) from the extension host: as
// Node.js (ELECTRON_RUN_AS_NODE when the runtime is VS Code's Electron), JSON over IPC, and the
// last lines it printed kept, to say what a worker that died was doing.
import { fork, type ChildProcess } from 'node:child_process';

export interface ForkOptions {
  workerPath: string;
  /** The Node.js executable; default: this process's runtime. */
  nodePath?: string;
  execArgv?: string[];
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
  nativeModulesPath?: string;
  /** How many of the last printed lines (stdout and stderr) to keep. */
  keptLines: number;
}

export function forkWorker(options: ForkOptions): { child: ChildProcess; lastLines: () => string[] } {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ELECTRON_RUN_AS_NODE: '1' };
  if (options.nativeModulesPath) env.DISTILBERT_FINETUNE_NATIVE_MODULES = options.nativeModulesPath;
  const child = fork(options.workerPath, [], {
    execPath: options.nodePath || process.execPath,
    execArgv: options.execArgv ?? [],
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
    if (lines.length > options.keptLines) lines = lines.slice(-options.keptLines);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { child, lastLines: () => lines };
}
