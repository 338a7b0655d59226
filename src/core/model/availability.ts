// Can a run get its model? Asked by the editor before Start, so that an offline machine hears it
// from a warning on `model:` rather than from a failed download a second into the run. A folder
// is the validator's business; for a hub id this looks in the Hugging Face cache (file reads) and
// otherwise asks the hub how large the download is (one small request, no download code loaded).
import {
  OPTIONAL_FILES,
  REQUIRED_FILES,
  TOKENIZER_FILES,
  WEIGHT_FILES,
  cachedSnapshot,
  describeError,
  hubOptionsFromEnv,
  isConnectionError,
  type HubOptions,
} from './hubCache';

export type ModelAvailability =
  | { kind: 'cached'; commit: string; cacheDir: string }
  | { kind: 'download'; endpoint: string; bytes?: number }
  /** Neither cached nor obtainable: offline by setting, unreachable, unknown or not allowed. */
  | { kind: 'unavailable'; endpoint: string; why: string };

/** Every file a run may fetch: their sizes make the download's. */
const PROBED_FILES = [...REQUIRED_FILES, ...WEIGHT_FILES, ...TOKENIZER_FILES, ...OPTIONAL_FILES];

/** Where the hub model `repo` would come from, and at what cost. */
export async function modelAvailability(
  repo: string,
  options: HubOptions & { timeoutMs?: number } = {},
): Promise<ModelAvailability> {
  const settings = { ...hubOptionsFromEnv(), ...options };
  const cacheDir = settings.cacheDir!;
  const endpoint = settings.endpoint!;
  const cached = cachedSnapshot(cacheDir, repo, settings.revision ?? 'main');
  if (cached) return { kind: 'cached', commit: cached.commit, cacheDir };
  if (settings.offline)
    return { kind: 'unavailable', endpoint, why: 'HF_HUB_OFFLINE=1 forbids downloading, and it is not in the cache' };
  let response: Response;
  try {
    response = await (settings.fetch ?? fetch)(
      `${endpoint}/api/models/${repo}/paths-info/${encodeURIComponent(settings.revision ?? 'main')}`,
      {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          ...(settings.token ? { Authorization: `Bearer ${settings.token}` } : {}),
        },
        body: JSON.stringify({ paths: PROBED_FILES, expand: false }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 8000),
      },
    );
  } catch (error) {
    const why = describeError(error);
    return {
      kind: 'unavailable',
      endpoint,
      why: isConnectionError(error) || /timeout|aborted/i.test(why) ? `cannot reach it (${why})` : why,
    };
  }
  if (response.status === 404) return { kind: 'unavailable', endpoint, why: 'no such model there (404)' };
  if (response.status === 401 || response.status === 403)
    return { kind: 'unavailable', endpoint, why: `it needs authorization (${response.status}): set HF_TOKEN` };
  if (!response.ok) return { kind: 'download', endpoint }; // the run will say what the hub answers
  const files = (await response.json().catch(() => [])) as Array<{ size?: number; lfs?: { size?: number } }>;
  const bytes = Array.isArray(files) ? files.reduce((sum, f) => sum + (f.lfs?.size ?? f.size ?? 0), 0) : 0;
  return { kind: 'download', endpoint, bytes: bytes > 0 ? bytes : undefined };
}
