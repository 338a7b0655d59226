// What the editor says about `model:` before a run: where the model will come from (a code lens
// line), and, when it cannot be had, a warning with the local model folders as quick fixes. The
// availability itself is asked of the hub asynchronously (core/model/availability.ts).
import type { ModelAvailability } from '../model/availability';
import { localModelFolders, type AssistEnvironment } from './assist';
import { formatValue } from './template';
import { parseConfig, type Problem } from './validate';

/** One line for the code lens over `model:`. */
export function describeAvailability(model: string, availability: ModelAvailability): string {
  switch (availability.kind) {
    case 'cached':
      return `${model}: in the Hugging Face cache (${availability.commit.slice(0, 7)})`;
    case 'download':
      return `${model}: will be downloaded from ${host(availability.endpoint)}${availability.bytes ? ` (${megabytes(availability.bytes)})` : ''}`;
    case 'unavailable':
      return `${model}: cannot be had offline`;
  }
}

/** The warning on `model:` when the run could not get its model; undefined when it can. */
export function modelUnavailableProblem(
  text: string,
  model: string,
  availability: ModelAvailability,
  env: AssistEnvironment,
): Problem | undefined {
  if (availability.kind !== 'unavailable') return undefined;
  const entry = parseConfig(text).entries.find((e) => e.key === 'model');
  const folders = localModelFolders(env);
  const instead = folders.length
    ? `Use a local model folder (${folders.join(', ')}), or create a small one from scratch`
    : 'Create a small model from scratch (a quick fix), or put a model folder (config.json, vocab.txt, model.safetensors) next to this config';
  return {
    severity: 'warning',
    code: 'model-unavailable',
    key: 'model',
    range: entry?.valueRange ?? [0, 0],
    message: `\`model\` ${model} is not in the Hugging Face cache and cannot be downloaded from ${host(availability.endpoint)}: ${availability.why}. Training would stop at the download. ${instead}.`,
    // The editor adds "create a small model from scratch" to these.
    fix: { replaceValue: folders.map((f) => formatValue(f)) },
  };
}

function host(endpoint: string): string {
  return endpoint.replace(/^https?:\/\//, '');
}

function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}
