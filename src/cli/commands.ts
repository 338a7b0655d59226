// The CLI's commands: name -> handler (argv after the command) -> exit code.
import { configJsonSchemaText } from '../core/config/jsonSchema';
import { DEVICES } from '../core/config/schema';
import { UserError } from '../core/errors';
import { loadBackend } from '../core/backends/loadBackend';
import { runGolden } from '../core/train/golden';
import { DEVICE_OPTION, deviceOf, parse } from './args';
import { evaluateCommand } from './evaluate';
import { exportCommand } from './export';
import { predictCommand } from './predict';
import { trainCommand } from './train';
import { tokenizeCommand } from './tokenize';

export type Command = (args: string[]) => Promise<number>;

export function usage(): string {
  const devices = DEVICES.join('|');
  return [
    'usage: distilbert-finetune <command> [options]',
    '',
    `  train CONFIG.yaml [--json] [--verbose] [--device ${devices}]`,
    '  evaluate --model DIR --data FILE [--text-column C] [--label-column C] [--json]',
    '  predict --model DIR|HUB_ID --text TEXT [--text TEXT ...]',
    '  tokenize --model DIR [--max-length N]      (JSON lines on stdin and stdout)',
    "  export CONFIG.yaml [--out FILE] [--force] (a Python script for Hugging Face's Trainer)",
    `  golden DIR [--device ${devices}]`,
    '  schema                                    (JSON Schema of *.finetune.yaml)',
    '',
  ].join('\n');
}

async function schema(args: string[]): Promise<number> {
  parse({ args, options: {} });
  process.stdout.write(configJsonSchemaText());
  return 0;
}

async function golden(args: string[]): Promise<number> {
  const { values, positionals } = parse({ args, options: DEVICE_OPTION, allowPositionals: true });
  if (positionals.length !== 1) throw new UserError('golden needs one folder: distilbert-finetune golden DIR');
  const backend = await loadBackend(deviceOf(values.device));
  process.stderr.write(`golden: backend ${backend.device}\n`);
  process.stdout.write(`${JSON.stringify(await runGolden(positionals[0]))}\n`);
  return 0;
}

export const COMMANDS: Record<string, Command> = {
  train: trainCommand,
  evaluate: evaluateCommand,
  schema,
  golden,
  tokenize: tokenizeCommand,
  predict: predictCommand,
  export: exportCommand,
};
