// Argument parsing for the CLI's commands (node's util.parseArgs, errors as user errors).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors';
import { DEVICES, EXACT_BACKENDS, type BackendChoice } from '../core/config/schema';

export function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UserError((error as Error).message, 'Run `distilbert-finetune --help` for the options.');
  }
}

export const DEVICE_OPTION = { device: { type: 'string' } } as const;

/** --device: the config's devices, plus `native` and `js` to pick an exact CPU backend. */
export function deviceOf(value: string | undefined, fallback: BackendChoice = 'auto'): BackendChoice {
  if (value === undefined) return fallback;
  if ((DEVICES as readonly string[]).includes(value) || (EXACT_BACKENDS as readonly string[]).includes(value))
    return value as BackendChoice;
  throw new UserError(`--device ${value}: expected ${DEVICES.join(', ')} (or ${EXACT_BACKENDS.join(', ')})`);
}
