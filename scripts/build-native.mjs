// npm run build:native: the optional native kernel addon (native/ -> native/build/Release/).
//
// It needs g++, make, python3, Node's headers and OpenBLAS (Debian: libopenblas-dev). When one is
// missing it says which and exits 0: the extension then trains on WebAssembly instead.
// Rebuilds only when the sources are newer than the addon.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const native = join(root, 'native');
const addon = join(native, 'build', 'Release', 'distilbert_native.node');
const sources = ['distilbert_native.cc', 'binding.gyp'].map((f) => join(native, f));
const openblas = '/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a';

if (existsSync(addon) && sources.every((f) => statSync(f).mtimeMs <= statSync(addon).mtimeMs)) {
  console.log('native: up to date');
  process.exit(0);
}
if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.log(
    `native: not built (${process.platform}-${process.arch}; the addon targets linux-x64) - training uses WebAssembly`,
  );
  process.exit(0);
}
if (!existsSync(openblas)) {
  console.log(
    `native: not built (${openblas} is missing: apt-get install libopenblas-dev) - training uses WebAssembly`,
  );
  process.exit(0);
}
// Node's headers from this Node installation (never downloaded).
const nodedir = [dirname(dirname(process.execPath)), '/usr'].find((d) =>
  existsSync(join(d, 'include', 'node', 'node_api.h')),
);
if (!nodedir) {
  console.log('native: not built (Node.js headers not found next to node) - training uses WebAssembly');
  process.exit(0);
}
const gyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
try {
  execFileSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--silent'], {
    cwd: native,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  console.log(`native: built ${addon} (${(statSync(addon).size / 2 ** 20).toFixed(1)} MiB)`);
} catch (error) {
  console.log(`native: build failed (${error.message.split('\n')[0]}) - training uses WebAssembly`);
}
