// The Hugging Face cache as Python's `huggingface_hub` lays it out, and the hub settings from the
// environment: file-system reads only (no download code), so the editor can ask whether a model is
// cached without loading the downloader.
//
//   $HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub)
//     models--<org>--<name>/refs/<revision>           the commit a revision points to
//     models--<org>--<name>/blobs/<etag>              file contents
//     models--<org>--<name>/snapshots/<commit>/<file> links to the blobs
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UserError } from '../errors';
import {
  CONFIG_NAME,
  SAFE_WEIGHTS_NAME,
  SPECIAL_TOKENS_MAP_NAME,
  TOKENIZER_CONFIG_NAME,
  TOKENIZER_NAME,
  VOCAB_NAME,
} from '../outputNames';

export interface DownloadProgress {
  file: string;
  bytes: number;
  total: number;
}

export interface HubOptions {
  cacheDir?: string;
  endpoint?: string;
  offline?: boolean;
  token?: string;
  revision?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Log lines (a fallback to the cache, for instance). */
  onLog?: (text: string) => void;
  fetch?: typeof fetch;
}

/** Files a fine-tuning run needs; the first of each group that the repo has is fetched. */
export const REQUIRED_FILES = [CONFIG_NAME];
export const WEIGHT_FILES = [SAFE_WEIGHTS_NAME];
export const TOKENIZER_FILES = [TOKENIZER_NAME, VOCAB_NAME];
export const OPTIONAL_FILES = [TOKENIZER_CONFIG_NAME, SPECIAL_TOKENS_MAP_NAME];

/** HF's cache folder, from the environment as huggingface_hub reads it. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}

export function hubOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): HubOptions {
  const offline = ['1', 'ON', 'YES', 'TRUE'].includes((env.HF_HUB_OFFLINE ?? '').toUpperCase());
  return {
    cacheDir: hubCacheDir(env),
    endpoint: (env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, ''),
    offline,
    token: env.HF_TOKEN || undefined,
  };
}

export function isHubId(model: string): boolean {
  return /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(model) && !model.includes('..');
}

export function repoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, `models--${repo.split('/').join('--')}`);
}

/** The snapshot a revision points to, when it holds everything a run needs. */
export function cachedSnapshot(
  cacheDir: string,
  repo: string,
  revision: string,
): { folder: string; commit: string } | undefined {
  const root = repoFolder(cacheDir, repo);
  let commit = revision;
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    try {
      commit = fs.readFileSync(path.join(root, 'refs', revision), 'utf8').trim();
    } catch {
      return undefined;
    }
  }
  const folder = path.join(root, 'snapshots', commit);
  const has = (file: string) => fs.existsSync(path.join(folder, file));
  const complete = REQUIRED_FILES.every(has) && WEIGHT_FILES.some(has) && TOKENIZER_FILES.some(has);
  return complete ? { folder, commit } : undefined;
}

export function isConnectionError(error: unknown): boolean {
  const text = describeError(error);
  return /fetch failed|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|socket|terminated|UND_ERR/i.test(
    text,
  );
}

export function describeError(error: unknown): string {
  if (error instanceof UserError && error.hint) return error.message;
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    const message = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: string }).code;
    parts.push(code && !message.includes(code) ? `${message} (${code})` : message);
  }
  return parts.join(': ');
}
