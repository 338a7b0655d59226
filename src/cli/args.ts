// Argument parsing for the CLI's commands (node's util.parseArgs, errors as user errors).
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors';
import type { Device } from '../core/train/backend';

export function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UserError((error as Error).message, 'Run `distilbert-finetune --help` for the options.');
  }
}

export const DEVICE_OPTION = { device: { type: 'string' } } as const;

export function deviceOf(value: string | undefined, fallback: Device = 'auto'): Device {
  if (value === undefined) return fallback;
  if (value === 'auto' || value === 'gpu' || value === 'cpu' || value === 'wasm') return value;
  throw new UserError(`--device ${value}: expected auto, gpu, cpu or wasm`);
}
