// npm run bench [-- --quick]: our numbers against a PyTorch reference on this machine, from one run.
//
// Each measurement runs in its own process (one tfjs backend per process; model set-up is not
// timed); engines alternate round by round and the table shows medians over all timed steps.
//   1. training step (forward + backward + clipping + AdamW), full DistilBERT-base, 8x128 and 20x128
//   2. inference, 32x128
//   3. end to end: one epoch of the reference recipe on the UCI sentences, config to saved model
//   4. tokenizer throughput, activation time, .vsix size, peak memory of the training process
// The last two lines are machine-readable: `train ratio vs torch: X`, `end-to-end ratio vs torch: Y`.
// --quick (under 3 minutes): 8x128 only, fewer repetitions, a 12-step end-to-end run.
// --gpu-host (under a minute): only the host's cost of a WebGPU training step, on Dawn's Null backend.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const quick = process.argv.includes('--quick');
const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const results = path.join(root, 'bench', 'results');
fs.mkdirSync(results, { recursive: true });
const log = (text) => process.stderr.write(`${text}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs a command, returns its JSON lines; polls /proc for the peak RSS (VmHWM) while it runs. */
function measure(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        /* exited */
      }
    }, 100);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      clearInterval(poll);
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({
        lines,
        wallSeconds: (performance.now() - started) / 1000,
        peakMb: peakKb / 1024,
        stdout: out,
        stderr: err,
      });
    });
  });
}

const torch = (...args) => measure(python, [path.join(root, 'bench', 'torch_reference.py'), ...args]);
const SWIFTSHADER_ENV = {
  LD_LIBRARY_PATH: ['/usr/lib/chromium', process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
};
const engine = (...args) =>
  measure(process.execPath, [path.join(root, 'out', 'bench', 'engine.js'), ...args], {
    env: args[0] === 'webgpu' ? SWIFTSHADER_ENV : {},
  });

/** The PyTorch reference needs Debian's python3-torch (with OpenBLAS as the system BLAS). */
function ensureTorch() {
  try {
    execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    if (process.getuid?.() !== 0)
      throw new Error(`${python} cannot import torch: apt-get install python3-torch libopenblas0-pthread`);
    log('bench: installing the PyTorch reference (apt-get install python3-torch libopenblas0-pthread)');
    execFileSync('apt-get', ['install', '-y', '-qq', 'python3-torch', 'libopenblas0-pthread'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
}

/**
 * --gpu-host: what a WebGPU training step costs the host, on Dawn's Null backend (no GPU needed):
 * bench/gpuHost.ts, its table printed and kept in bench/results/gpu-host.md.
 */
function gpuHost() {
  log('bench: building (npm run build)');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const out = execFileSync(process.execPath, [path.join(root, 'out', 'bench', 'gpuHost.js')], {
    cwd: root,
    env: { ...process.env, ...SWIFTSHADER_ENV },
    encoding: 'utf8',
  });
  process.stdout.write(out);
  fs.writeFileSync(path.join(results, 'gpu-host.md'), out);
}

async function main() {
  if (process.argv.includes('--gpu-host')) return gpuHost();
  ensureTorch();
  log('bench: building (npm run build, npm run package)');
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  // The tests and benchmark bundles (and dist/ again; the .vsix was packed from the production build).
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });

  // The machine and the engines.
  const info = (await torch('info')).lines[0];
  const addon = fs.existsSync(path.join(root, 'native/build/Release/distilbert_native.node'));
  // WebGPU on SwiftShader (the software Vulkan driver of Debian's chromium) where there is no GPU:
  // it says the GPU path runs, not how fast a GPU is, so it gets one small shape in the full bench.
  const swiftShader = fs.existsSync('/usr/lib/chromium/vk_swiftshader_icd.json');
  const engines = [...(addon ? ['native'] : []), 'wasm', 'js', ...(swiftShader && !quick ? ['webgpu'] : [])];
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, PyTorch ${info.torch} (BLAS: ${info.blas})`;
  log(`bench: ${machine}`);

  // PyTorch's fastest thread setting on this machine (its OpenMP threads and OpenBLAS's share the cores).
  const threadTrials = [];
  for (const threads of ['1', String(os.cpus().length)]) {
    const r = await torch(
      'step',
      '--batch',
      '8',
      '--seq',
      '128',
      '--repeats',
      quick ? '1' : '2',
      '--warmup',
      quick ? '0' : '1',
      '--threads',
      threads,
    );
    threadTrials.push({ threads, seconds: median(r.lines[0].seconds) });
  }
  const torchThreads = threadTrials.sort((a, b) => a.seconds - b.seconds)[0].threads;
  log(
    `bench: PyTorch intra-op threads ${threadTrials.map((t) => `${t.threads}: ${t.seconds.toFixed(2)} s/step`).join(', ')} -> using ${torchThreads}`,
  );

  const rounds = quick ? 2 : 3;
  const repeats = quick ? 2 : 3;
  const rows = [];
  // `slow` engines get one timed step in the first round; `skip` ones none: the pure JavaScript
  // backend needs about 3.5 minutes for one full-size training step at 8x128.
  const shapes = [
    {
      mode: 'train',
      batch: 8,
      seq: 128,
      label: 'train step 8x128 (tokens/s)',
      slow: quick ? ['wasm'] : ['js'],
      skip: quick ? ['js'] : ['webgpu'],
    },
    ...(quick
      ? []
      : [
          {
            mode: 'train',
            batch: 20,
            seq: 128,
            label: 'train step 20x128 (tokens/s)',
            slow: ['wasm'],
            skip: ['js', 'webgpu'],
          },
          {
            mode: 'infer',
            batch: 8,
            seq: 32,
            label: 'inference 8x32 (tokens/s)',
            slow: ['webgpu', 'js'],
            skip: [],
          },
        ]),
    {
      mode: 'infer',
      batch: 32,
      seq: 128,
      label: 'inference 32x128 (tokens/s)',
      slow: quick ? ['wasm'] : ['js'],
      skip: quick ? ['js'] : ['webgpu'],
    },
  ];
  for (const shape of shapes) {
    const times = Object.fromEntries(['torch', ...engines].map((e) => [e, []]));
    for (let round = 0; round < rounds; round++) {
      const r = await torch(
        shape.mode === 'train' ? 'step' : 'infer',
        '--batch',
        String(shape.batch),
        '--seq',
        String(shape.seq),
        '--repeats',
        String(repeats),
        '--warmup',
        '1',
        '--threads',
        torchThreads,
      );
      times.torch.push(...r.lines[0].seconds);
      for (const e of engines) {
        if (shape.skip.includes(e) || (shape.slow.includes(e) && round > 0)) continue;
        const single = shape.slow.includes(e);
        const result = await engine(
          e,
          shape.mode,
          String(shape.batch),
          String(shape.seq),
          single ? '1' : String(repeats),
          single ? '0' : '1',
        );
        times[e].push(...result.lines[0].seconds);
      }
      log(`bench: ${shape.label} round ${round + 1}/${rounds}`);
    }
    const tokens = shape.batch * shape.seq;
    const rate = (xs) => (xs.length ? tokens / median(xs) : undefined);
    rows.push({
      label: shape.label,
      ours: Object.fromEntries(engines.map((e) => [e, rate(times[e])])),
      counts: Object.fromEntries(engines.map((e) => [e, times[e].length])),
      torch: rate(times.torch),
      higherIsBetter: true,
    });
  }

  // End to end: config -> saved model, one epoch of the reference recipe (30 steps with --quick).
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-e2e-'));
  const model = path.join(work, 'distilbert-base-shape');
  fs.mkdirSync(model);
  fs.writeFileSync(
    path.join(model, 'config.json'),
    JSON.stringify({
      model_type: 'distilbert',
      architectures: ['DistilBertForMaskedLM'],
      vocab_size: 30522,
      max_position_embeddings: 512,
      dim: 768,
      n_layers: 6,
      n_heads: 12,
      hidden_dim: 3072,
      dropout: 0.1,
      attention_dropout: 0.1,
      activation: 'gelu',
      initializer_range: 0.02,
      seq_classif_dropout: 0.2,
      pad_token_id: 0,
    }),
  );
  fs.copyFileSync(path.join(root, 'test/fixtures/vocab/vocab.txt'), path.join(model, 'vocab.txt'));
  const data = path.join(root, 'test/fixtures/data/uci_sentiment.csv');
  const maxSteps = quick ? 12 : -1;
  const config = path.join(work, 'bench.finetune.yaml');
  fs.writeFileSync(
    config,
    [
      `model: ${model}`,
      `train_file: ${data}`,
      'text_column: text',
      'label_column: label',
      'validation_split: 0.2',
      'max_length: 128',
      'learning_rate: 2e-5',
      'per_device_train_batch_size: 20',
      'per_device_eval_batch_size: 20',
      'seed: 42',
      'num_train_epochs: 1',
      `max_steps: ${maxSteps}`,
      'eval_strategy: epoch',
      'save_strategy: "no"',
      `output_dir: ${path.join(work, 'out')}`,
      '',
    ].join('\n'),
  );
  const best = engines[0];
  const e2e = { ours: [], torch: [] };
  let oursPeak = 0;
  let torchPeak = 0;
  for (let round = 0; round < (quick ? 1 : 2); round++) {
    const r = await torch(
      'epoch',
      '--data',
      data,
      '--vocab',
      path.join(model, 'vocab.txt'),
      '--batch',
      '20',
      '--max-length',
      '128',
      '--out',
      work,
      '--threads',
      torchThreads,
      ...(maxSteps > 0 ? ['--max-steps', String(maxSteps)] : []),
    );
    e2e.torch.push(r.wallSeconds);
    torchPeak = Math.max(torchPeak, r.peakMb);
    const ours = await measure(process.execPath, [
      path.join(root, 'dist', 'cli.js'),
      'train',
      config,
      '--device',
      best,
    ]);
    e2e.ours.push(ours.wallSeconds);
    oursPeak = Math.max(oursPeak, ours.peakMb);
    log(
      `bench: end to end round ${round + 1}: PyTorch ${r.wallSeconds.toFixed(1)} s, ours (${best}) ${ours.wallSeconds.toFixed(1)} s`,
    );
  }
  rows.push({
    label: `end to end: ${quick ? '12 steps' : '1 epoch'} of the recipe on UCI sentences (s)`,
    ours: { [best]: median(e2e.ours) },
    counts: { [best]: e2e.ours.length },
    torch: median(e2e.torch),
    higherIsBetter: false,
  });

  // Tokenizer, activation, package size, memory.
  const tok = await measure(process.execPath, [
    path.join(root, 'out', 'bench', 'tokenizer.js'),
    path.join(root, 'test/fixtures/vocab/vocab.txt'),
    data,
    path.join(root, 'test/fixtures/data/spamassassin.csv'),
  ]);
  // Activation: a fresh extension host per launch (activation happens once per host); medians of 3.
  const activations = [];
  for (let launch = 0; launch < 3; launch++) {
    const { stdout } = await measure(
      process.execPath,
      [path.join(root, 'out', 'test', 'support', 'runIntegration.js')],
      {
        env: { DISTILBERT_FINETUNE_BENCH: 'activation' },
      },
    );
    activations.push({
      total: Number(/BENCH_ACTIVATION_MS ([\d.]+)/.exec(stdout)?.[1]),
      own: Number(/BENCH_OWN_ACTIVATION_MS ([\d.]+)/.exec(stdout)?.[1]),
    });
  }
  const activationMs = median(activations.map((a) => a.total));
  const ownActivationMs = median(activations.map((a) => a.own));
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const vsixMb =
    fs.statSync(path.join(root, `distilbert-finetuner-${process.platform}-${process.arch}-${version}.vsix`)).size /
    2 ** 20;

  // The table.
  const fmt = (x, digits = 1) =>
    x === undefined ? '—' : x >= 1000 ? Math.round(x).toLocaleString('en-US') : x.toFixed(digits);
  const header = [
    'measurement',
    ...engines.map((e) => (e === 'webgpu' ? 'ours: webgpu (SwiftShader, software)' : `ours: ${e}`)),
    'PyTorch',
    'ratio ours / PyTorch',
  ];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`];
  let trainRatio;
  let e2eRatio;
  for (const row of rows) {
    const bestOurs =
      Math.max(
        ...Object.values(row.ours)
          .filter((v) => v !== undefined)
          .map((v) => (row.higherIsBetter ? v : -v)),
      ) * (row.higherIsBetter ? 1 : -1);
    const ratio = row.higherIsBetter ? bestOurs / row.torch : row.torch / bestOurs;
    if (row.label.startsWith('train step 8x128')) trainRatio = ratio;
    if (row.label.startsWith('end to end')) e2eRatio = ratio;
    const cells = engines.map((e) =>
      row.ours[e] === undefined
        ? row.counts?.[e] === 0
          ? 'skipped'
          : '—'
        : `${fmt(row.ours[e])}${row.counts[e] === 1 ? ' (1 run)' : ''}`,
    );
    lines.push(
      `| ${row.label} | ${cells.join(' | ')} | ${fmt(row.torch)} | ${ratio.toFixed(2)}${row.higherIsBetter ? '' : ' (PyTorch time / ours)'} |`,
    );
  }
  const [ourTok, hfTok] = tok.lines;
  lines.push(
    `| tokenizer, ${ourTok.texts} real texts (tokens/s) | ${fmt(ourTok.tokens_per_second)}${engines.length > 1 ? ' |'.repeat(engines.length - 1) : ''} | HF Rust fast tokenizer: ${fmt(hfTok.tokens_per_second)} | ${(ourTok.tokens_per_second / hfTok.tokens_per_second).toFixed(2)} |`,
  );
  lines.push(
    `| peak memory of the training process, end to end (MiB) | ${fmt(oursPeak, 0)}${engines.length > 1 ? ' |'.repeat(engines.length - 1) : ''} | ${fmt(torchPeak, 0)} | |`,
  );
  lines.push(
    `| extension activation in the real extension host (ms) | ${fmt(activationMs)}${engines.length > 1 ? ' |'.repeat(engines.length - 1) : ''} | | |`,
    `| of which our module's load and activate() (ms) | ${fmt(ownActivationMs)}${engines.length > 1 ? ' |'.repeat(engines.length - 1) : ''} | | |`,
  );
  lines.push(
    `| .vsix size (MiB) | ${vsixMb.toFixed(2)}${engines.length > 1 ? ' |'.repeat(engines.length - 1) : ''} | | |`,
  );

  const report = [
    `Machine: ${machine}.`,
    `Ours: ${engines.join(', ')} backends (native: ${addon ? 'OpenBLAS kernels addon' : 'not built'}). PyTorch: plain torch in bench/torch_reference.py, fp32, intra-op threads ${torchThreads} (${threadTrials.map((t) => `${t.threads} thread(s): ${t.seconds.toFixed(2)} s/step`).join(', ')}; OpenBLAS uses every core either way).`,
    `Medians of ${rounds} interleaved rounds x ${repeats} steps${quick ? ' (--quick)' : ''}; "(1 run)": one step of a slow engine; "skipped": too slow for this mode.`,
    'Tricks, ours: fused native kernels (LayerNorm, GELU, softmax, AdamW in one pass each), attention GEMMs on strided heads, the last layer computed for token 0 only (the classifier reads nothing else), dynamic padding per batch, length-sorted evaluation batches. PyTorch: dynamic padding per batch (DataCollatorWithPadding), its fastest thread setting.',
    '',
    ...lines,
    '',
  ].join('\n');
  fs.writeFileSync(path.join(results, quick ? 'latest-quick.md' : 'latest.md'), report);
  process.stdout.write(report);
  process.stdout.write(`train ratio vs torch: ${trainRatio.toFixed(2)}\n`);
  process.stdout.write(`end-to-end ratio vs torch: ${e2eRatio.toFixed(2)}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
