// Resolving `model:` to a local folder: a folder as it is, or a Hugging Face hub id through the
// Hugging Face cache, in the layout Python's `huggingface_hub` uses, so both share downloads:
//
//   $HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub)
//     models--<org>--<name>/refs/<revision>           the commit a revision points to
//     models--<org>--<name>/blobs/<etag>              file contents
//     models--<org>--<name>/snapshots/<commit>/<file> links to the blobs
//
// HF_ENDPOINT sets the hub's URL, HF_TOKEN authenticates, HF_HUB_OFFLINE=1 uses the cache only.
// Downloads go through @huggingface/hub; a failed one leaves nothing half-written in the cache.
// The cache layout and the settings live in hubCache.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { downloadFileToCacheDir, modelInfo } from '@huggingface/hub';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import {
  OPTIONAL_FILES,
  REQUIRED_FILES,
  TOKENIZER_FILES,
  WEIGHT_FILES,
  cachedSnapshot,
  describeError,
  hubOptionsFromEnv,
  isConnectionError,
  isHubId,
  repoFolder,
  type DownloadProgress,
  type HubOptions,
} from './hubCache';

export {
  hubCacheDir,
  hubOptionsFromEnv,
  isHubId,
  repoFolder,
  type DownloadProgress,
  type HubOptions,
} from './hubCache';

export interface ResolvedModel {
  folder: string;
  /** How it was found: a local folder, the cache without a request, or a download (or check). */
  via: 'folder' | 'cache' | 'hub';
  repo?: string;
  commit?: string;
}

export async function resolveModel(model: string, options: HubOptions = {}): Promise<ResolvedModel> {
  if (fs.existsSync(model) && fs.statSync(model).isDirectory()) return { folder: path.resolve(model), via: 'folder' };
  if (!isHubId(model))
    throw new UserError(
      `model "${model}" is neither a folder nor a Hugging Face hub id`,
      'Use a hub id such as distilbert-base-uncased, or a folder with config.json.',
    );
  const settings = { ...hubOptionsFromEnv(), ...definedOnly(options) };
  const revision = settings.revision ?? 'main';
  const cacheDir = settings.cacheDir!;
  const cached = cachedSnapshot(cacheDir, model, revision);
  if (settings.offline) {
    if (!cached) {
      throw new UserError(
        `${model} is not in the Hugging Face cache (${cacheDir}) and HF_HUB_OFFLINE=1 forbids downloading it`,
        'Run once with network access (unset HF_HUB_OFFLINE), or use a local model folder.',
      );
    }
    return { folder: cached.folder, via: 'cache', repo: model, commit: cached.commit };
  }
  try {
    return await download(model, revision, cacheDir, settings);
  } catch (error) {
    if (cached && isConnectionError(error)) {
      settings.onLog?.(
        `Cannot reach ${settings.endpoint} (${describeError(error)}); using ${model} from the Hugging Face cache (${cached.commit.slice(0, 7)}).`,
      );
      return { folder: cached.folder, via: 'cache', repo: model, commit: cached.commit };
    }
    throw error;
  }
}

async function download(
  repo: string,
  revision: string,
  cacheDir: string,
  settings: HubOptions,
): Promise<ResolvedModel> {
  const baseFetch = settings.fetch ?? fetch;
  const hubUrl = settings.endpoint!;
  const credentials = settings.token ? { accessToken: settings.token } : {};
  let info: { sha?: string; filePaths?: string[] };
  try {
    info = await modelInfo({
      name: repo,
      revision,
      hubUrl,
      additionalFields: ['sha', 'filePaths'],
      fetch: baseFetch,
      ...credentials,
    });
  } catch (error) {
    throw hubError(error, repo, hubUrl);
  }
  const commit = info.sha;
  const files = info.filePaths ?? [];
  if (!commit) throw new UserError(`${hubUrl} did not say which commit ${repo}@${revision} is`);
  const wanted = [...REQUIRED_FILES, ...OPTIONAL_FILES.filter((f) => files.includes(f))];
  const weights = WEIGHT_FILES.find((f) => files.includes(f));
  if (!weights) {
    throw new UserError(
      `${repo} has no model.safetensors on the hub${files.includes('pytorch_model.bin') ? ' (only pytorch_model.bin, which this extension does not read)' : ''}`,
      'Pick a model with safetensors weights, or convert it in Python with save_pretrained(dir, safe_serialization=True) and use the folder.',
    );
  }
  const tokenizerFiles = TOKENIZER_FILES.filter((f) => files.includes(f));
  if (tokenizerFiles.length === 0) throw new UserError(`${repo} has no tokenizer.json or vocab.txt on the hub`);
  for (const f of REQUIRED_FILES) if (!files.includes(f)) throw new UserError(`${repo} has no ${f} on the hub`);
  wanted.push(...tokenizerFiles, weights);

  const storage = repoFolder(cacheDir, repo);
  const blobs = path.join(storage, 'blobs');
  const before = new Set(listIncomplete(blobs));
  // @huggingface/hub announces each download with console.debug, which is stdout in Node (and
  // stdout carries JSON lines for `train --json`); the run reports downloads itself.
  const debug = console.debug;
  console.debug = () => undefined;
  try {
    for (const file of wanted) {
      const fetchWithProgress = settings.onProgress ? countingFetch(baseFetch, file, settings.onProgress) : baseFetch;
      await downloadFileToCacheDir({
        repo,
        path: file,
        revision: commit,
        hubUrl,
        cacheDir,
        fetch: fetchWithProgress,
        ...credentials,
      });
    }
  } catch (error) {
    // Leave no half-written blob behind (huggingface_hub would keep it to resume; we start over).
    for (const name of listIncomplete(blobs)) if (!before.has(name)) fs.rmSync(path.join(blobs, name), { force: true });
    throw hubError(error, repo, hubUrl);
  } finally {
    console.debug = debug;
  }
  if (revision !== commit) writeFileAtomic(path.join(storage, 'refs', revision), commit);
  return { folder: path.join(storage, 'snapshots', commit), via: 'hub', repo, commit };
}

function listIncomplete(folder: string): string[] {
  try {
    return fs.readdirSync(folder).filter((name) => name.endsWith('.incomplete'));
  } catch {
    return [];
  }
}

/** A fetch that reports the bytes of a file's body as they arrive (not the `Range: bytes=0-0` probes). */
function countingFetch(base: typeof fetch, file: string, onProgress: (p: DownloadProgress) => void): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    const range = new Headers(init?.headers).get('Range');
    if (!response.ok || !response.body || range === 'bytes=0-0' || (init?.method && init.method !== 'GET'))
      return response;
    const total = Number(response.headers.get('content-length') ?? 0);
    let bytes = 0;
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        onProgress({ file, bytes, total });
        controller.enqueue(chunk);
      },
    });
    return new Response(response.body.pipeThrough(counter), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

function hubError(error: unknown, repo: string, hubUrl: string): Error {
  if (error instanceof UserError) return error;
  const status = (error as { statusCode?: number }).statusCode;
  if (status === 404)
    return new UserError(
      `${repo} was not found on ${hubUrl} (404)`,
      'Check the model id (for example distilbert-base-uncased), or use a local model folder.',
    );
  if (status === 401 || status === 403)
    return new UserError(
      `${repo} on ${hubUrl} needs authorization (${status})`,
      'Set HF_TOKEN to a Hugging Face access token that may read this model.',
    );
  if (isConnectionError(error)) {
    return new UserError(
      `cannot download ${repo} from ${hubUrl}: ${describeError(error)}`,
      'Check the network (or HF_ENDPOINT). Nothing half-downloaded was kept; run again to retry. Offline, use a model already in the Hugging Face cache with HF_HUB_OFFLINE=1, or a local folder.',
    );
  }
  return new UserError(`cannot download ${repo} from ${hubUrl}: ${describeError(error)}`);
}

function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
