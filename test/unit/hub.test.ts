// Downloading through the Hugging Face cache, against a mock hub on 127.0.0.1.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { resolveModel, repoFolder, hubCacheDir, type DownloadProgress } from '../../src/core/model/hub';
import { writeTinyModel } from '../../src/core/model/tinyModels';
import { BertTokenizer } from '../../src/core/text/tokenizer';
import { UserError } from '../../src/core/errors';
import { modelAvailability } from '../../src/core/model/availability';
import { describeAvailability, modelUnavailableProblem } from '../../src/core/config/modelStatus';
import { editorEnvironment } from '../../src/core/config/environment';
import { MockHub } from '../support/mockHub';
import { fixture } from './helpers';

const REPO = 'distilbert-base-uncased';
const ORG_REPO = 'acme/tiny-distilbert';
const GATED_REPO = 'acme/gated-distilbert';
const TOKEN = 'hf_test_token';
const modelFolder = writeTinyModel(fs.mkdtempSync(path.join(os.tmpdir(), 'hub-model-')), fixture('vocab/vocab.txt'));

/** The tiny model's folder with some files left out (or others added), as a hub repo might be. */
function repoWith(change: (folder: string) => void): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-repo-'));
  fs.cpSync(modelFolder, folder, { recursive: true });
  change(folder);
  return folder;
}
const PYTORCH_ONLY = 'acme/pytorch-only';
const NO_TOKENIZER = 'acme/no-tokenizer';
const NO_CONFIG = 'acme/no-config';
let hub: MockHub;

before(async () => {
  hub = new MockHub(
    {
      [REPO]: modelFolder,
      [ORG_REPO]: modelFolder,
      [GATED_REPO]: modelFolder,
      [PYTORCH_ONLY]: repoWith((f) => {
        fs.renameSync(path.join(f, 'model.safetensors'), path.join(f, 'pytorch_model.bin'));
      }),
      [NO_TOKENIZER]: repoWith((f) => {
        fs.rmSync(path.join(f, 'tokenizer.json'));
        fs.rmSync(path.join(f, 'vocab.txt'));
      }),
      [NO_CONFIG]: repoWith((f) => fs.rmSync(path.join(f, 'config.json'))),
    },
    { gated: { [GATED_REPO]: TOKEN } },
  );
  await hub.start();
});
after(() => hub.stop());

const freshCache = () => fs.mkdtempSync(path.join(os.tmpdir(), 'hf-cache-'));

test('a first run downloads into the Hugging Face cache layout, reporting bytes of total', async () => {
  const cacheDir = freshCache();
  const progress: DownloadProgress[] = [];
  const resolved = await resolveModel(REPO, {
    cacheDir,
    endpoint: hub.url,
    offline: false,
    onProgress: (p) => progress.push({ ...p }),
  });
  const commit = hub.commitOf(REPO);
  const root = repoFolder(cacheDir, REPO);
  assert.equal(root, path.join(cacheDir, 'models--distilbert-base-uncased'));
  assert.equal(resolved.via, 'hub');
  assert.equal(resolved.folder, path.join(root, 'snapshots', commit));
  assert.equal(fs.readFileSync(path.join(root, 'refs', 'main'), 'utf8'), commit);
  for (const file of [
    'config.json',
    'model.safetensors',
    'tokenizer.json',
    'vocab.txt',
    'tokenizer_config.json',
    'special_tokens_map.json',
  ]) {
    const pointer = path.join(resolved.folder, file);
    assert.ok(fs.lstatSync(pointer).isSymbolicLink(), `${file} is a link into blobs/`);
    assert.ok(
      fs.readFileSync(pointer).equals(fs.readFileSync(path.join(modelFolder, file))),
      `${file} has the hub's bytes`,
    );
  }
  const weights = fs.statSync(path.join(modelFolder, 'model.safetensors')).size;
  const safetensors = progress.filter((p) => p.file === 'model.safetensors');
  assert.ok(safetensors.length > 1, 'several progress events for the big file');
  assert.ok(safetensors.every((p) => p.total === weights));
  assert.equal(safetensors[safetensors.length - 1].bytes, weights);
  // The blob of an LFS file is named by its sha256, as huggingface_hub names it.
  assert.ok(fs.readdirSync(path.join(root, 'blobs')).some((b) => /^[0-9a-f]{64}$/.test(b)));
  assert.ok(BertTokenizer.fromFolder(resolved.folder).encode('Hello, my dog is cute').inputIds.includes(7592));
});

test('HF_HUB_OFFLINE=1 with the server stopped works from the cache, without a request', async () => {
  const cacheDir = freshCache();
  await resolveModel(ORG_REPO, { cacheDir, endpoint: hub.url, offline: false });
  assert.ok(fs.existsSync(path.join(cacheDir, 'models--acme--tiny-distilbert')));
  await hub.stop();
  try {
    const count = hub.requests.length;
    const resolved = await resolveModel(ORG_REPO, { cacheDir, endpoint: hub.url, offline: true });
    assert.equal(resolved.via, 'cache');
    assert.equal(hub.requests.length, count);
    assert.ok(fs.existsSync(path.join(resolved.folder, 'model.safetensors')));
    // Online but unreachable: the cached copy is used, with a log line that says so.
    const logs: string[] = [];
    const fallback = await resolveModel(ORG_REPO, {
      cacheDir,
      endpoint: hub.url,
      offline: false,
      onLog: (t) => logs.push(t),
    });
    assert.equal(fallback.via, 'cache');
    assert.match(
      logs[0],
      /Cannot reach http:\/\/127\.0\.0\.1:\d+ .*using acme\/tiny-distilbert from the Hugging Face cache/,
    );
    // Not cached and offline: a clear error.
    await assert.rejects(
      resolveModel(REPO, { cacheDir: freshCache(), endpoint: hub.url, offline: true }),
      /not in the Hugging Face cache .* HF_HUB_OFFLINE=1/,
    );
    await assert.rejects(
      resolveModel(REPO, { cacheDir: freshCache(), endpoint: hub.url, offline: false }),
      (e: unknown) =>
        e instanceof UserError &&
        /cannot download distilbert-base-uncased from http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/.test(e.message),
    );
  } finally {
    await hub.start();
  }
});

test('an unknown model is a 404 with a clear message', async () => {
  await assert.rejects(
    resolveModel('acme/no-such-model', { cacheDir: freshCache(), endpoint: hub.url, offline: false }),
    (e: unknown) =>
      e instanceof UserError &&
      /acme\/no-such-model was not found on http:\/\/127\.0\.0\.1:\d+ \(404\)/.test(e.message) &&
      /model id/.test(e.hint!),
  );
});

test('a broken connection mid-file is a clear error and leaves no half-written file in the cache', async () => {
  const cacheDir = freshCache();
  hub.options.breakFile = { file: 'model.safetensors', afterBytes: 100_000 };
  try {
    await assert.rejects(
      resolveModel(REPO, { cacheDir, endpoint: hub.url, offline: false }),
      (e: unknown) =>
        e instanceof UserError &&
        /cannot download distilbert-base-uncased/.test(e.message) &&
        /Nothing half-downloaded was kept/.test(e.hint!),
    );
  } finally {
    hub.options.breakFile = undefined;
  }
  const root = repoFolder(cacheDir, REPO);
  const blobs = fs.readdirSync(path.join(root, 'blobs'));
  assert.deepEqual(
    blobs.filter((b) => b.endsWith('.incomplete')),
    [],
  );
  const safetensorsBytes = fs.readFileSync(path.join(modelFolder, 'model.safetensors'));
  for (const blob of blobs)
    assert.notEqual(fs.statSync(path.join(root, 'blobs', blob)).size, 100_000, 'no truncated blob');
  assert.ok(!fs.existsSync(path.join(root, 'snapshots', hub.commitOf(REPO), 'model.safetensors')));
  assert.ok(!fs.existsSync(path.join(root, 'refs', 'main')), 'no ref to an incomplete snapshot');
  // A retry completes the download.
  const resolved = await resolveModel(REPO, { cacheDir, endpoint: hub.url, offline: false });
  assert.ok(fs.readFileSync(path.join(resolved.folder, 'model.safetensors')).equals(safetensorsBytes));
});

test('the cache folder follows HF_HUB_CACHE, then HF_HOME/hub, then XDG_CACHE_HOME, then ~/.cache', () => {
  assert.equal(hubCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' }), '/a');
  assert.equal(hubCacheDir({ HF_HOME: '/b' }), '/b/hub');
  assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/c' }), '/c/huggingface/hub');
  assert.equal(hubCacheDir({}), path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
});

test('a local folder is used as it is', async () => {
  const resolved = await resolveModel(modelFolder, { offline: true });
  assert.deepEqual(resolved, { folder: modelFolder, via: 'folder' });
});

test('a gated model without a token is refused with what to set; with HF_TOKEN it downloads', async () => {
  await assert.rejects(
    resolveModel(GATED_REPO, { cacheDir: freshCache(), endpoint: hub.url, offline: false }),
    (e: unknown) =>
      e instanceof UserError &&
      /^acme\/gated-distilbert on http:\/\/127\.0\.0\.1:\d+ needs authorization \(401\)$/.test(e.message) &&
      /HF_TOKEN/.test(e.hint!),
  );
  const resolved = await resolveModel(GATED_REPO, {
    cacheDir: freshCache(),
    endpoint: hub.url,
    offline: false,
    token: TOKEN,
  });
  assert.ok(fs.existsSync(path.join(resolved.folder, 'model.safetensors')));
});

test('a hub repo without the files a run needs is refused before any download, naming what is missing', async () => {
  const cases: Array<[string, RegExp]> = [
    [
      PYTORCH_ONLY,
      /^acme\/pytorch-only has no model\.safetensors on the hub \(only pytorch_model\.bin, which this extension does not read\)$/,
    ],
    [NO_TOKENIZER, /^acme\/no-tokenizer has no tokenizer\.json or vocab\.txt on the hub$/],
    [NO_CONFIG, /^acme\/no-config has no config\.json on the hub$/],
  ];
  for (const [repo, message] of cases) {
    const cacheDir = freshCache();
    const before = hub.requests.length;
    await assert.rejects(resolveModel(repo, { cacheDir, endpoint: hub.url, offline: false }), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, message);
      return true;
    });
    assert.ok(!hub.requests.slice(before).some((r) => r.includes('/resolve/')), `${repo}: no file was downloaded`);
  }
});

test('offline (HF_HUB_OFFLINE=1), a model that is not cached is refused, and a name that is neither folder nor id too', async () => {
  const cacheDir = freshCache();
  await assert.rejects(
    resolveModel(REPO, { cacheDir, endpoint: hub.url, offline: true }),
    (e: unknown) =>
      e instanceof UserError &&
      e.message ===
        `distilbert-base-uncased is not in the Hugging Face cache (${cacheDir}) and HF_HUB_OFFLINE=1 forbids downloading it` &&
      /local model folder/.test(e.hint!),
  );
  await assert.rejects(
    resolveModel('./no-such-folder', { cacheDir, endpoint: hub.url, offline: false }),
    (e: unknown) =>
      e instanceof UserError && e.message === 'model "./no-such-folder" is neither a folder nor a Hugging Face hub id',
  );
});

test('an endpoint that does not say which commit a revision is, is refused before any download', async () => {
  hub.options.omitCommit = true;
  try {
    await assert.rejects(
      resolveModel(REPO, { cacheDir: freshCache(), endpoint: hub.url, offline: false }),
      (e: unknown) =>
        e instanceof UserError &&
        /^http:\/\/127\.0\.0\.1:\d+ did not say which commit distilbert-base-uncased@main is$/.test(e.message),
    );
  } finally {
    hub.options.omitCommit = false;
  }
});

test('before a run, a hub model is said to be cached, to download (with its size), or not to be had', async () => {
  const cacheDir = freshCache();
  const weights = fs.statSync(path.join(modelFolder, 'model.safetensors')).size;
  const download = await modelAvailability(REPO, { cacheDir, endpoint: hub.url, offline: false });
  assert.equal(download.kind, 'download');
  assert.ok(download.kind === 'download' && download.bytes! > weights, 'the size of the files a run fetches');
  assert.ok(!fs.existsSync(repoFolder(cacheDir, REPO)), 'asking downloads nothing');
  assert.match(
    describeAvailability(REPO, download),
    /^distilbert-base-uncased: will be downloaded from 127\.0\.0\.1:\d+ \(\d+ MB\)$/,
  );

  await resolveModel(REPO, { cacheDir, endpoint: hub.url, offline: false });
  const cached = await modelAvailability(REPO, { cacheDir, endpoint: 'http://127.0.0.1:9', offline: true });
  assert.deepEqual(cached, { kind: 'cached', commit: hub.commitOf(REPO), cacheDir });

  const offline = await modelAvailability(REPO, { cacheDir: freshCache(), endpoint: hub.url, offline: true });
  assert.equal(offline.kind, 'unavailable');
  const unknown = await modelAvailability('acme/no-such-model', { cacheDir, endpoint: hub.url, offline: false });
  assert.deepEqual(unknown, { kind: 'unavailable', endpoint: hub.url, why: 'no such model there (404)' });
  const gated = await modelAvailability(GATED_REPO, { cacheDir, endpoint: hub.url, offline: false });
  assert.equal(gated.kind === 'unavailable' && gated.why, 'it needs authorization (401): set HF_TOKEN');
  const unreachable = await modelAvailability(REPO, {
    cacheDir: freshCache(),
    endpoint: 'http://127.0.0.1:9',
    offline: false,
  });
  assert.equal(unreachable.kind, 'unavailable');
  assert.match(unreachable.kind === 'unavailable' ? unreachable.why : '', /^cannot reach it \(fetch failed/);

  // In the editor: a warning on `model:` that offers the local model folders.
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-status-'));
  fs.cpSync(modelFolder, path.join(configDir, 'small-model'), { recursive: true });
  const text = 'model: distilbert-base-uncased\ntrain_file: reviews.csv\n';
  const problem = modelUnavailableProblem(text, REPO, unreachable, editorEnvironment(configDir));
  assert.ok(problem);
  assert.equal(problem.severity, 'warning');
  assert.equal(text.slice(...problem.range), 'distilbert-base-uncased');
  assert.match(
    problem.message,
    /^`model` distilbert-base-uncased is not in the Hugging Face cache and cannot be downloaded from 127\.0\.0\.1:9: cannot reach it .*\. Training would stop at the download\. Use a local model folder \(\.\/small-model\), or create a small one from scratch\.$/,
  );
  assert.deepEqual(problem.fix?.replaceValue, ['./small-model']);
  assert.equal(modelUnavailableProblem(text, REPO, download, editorEnvironment(configDir)), undefined);
});
