// `export CONFIG [--out FILE] [--force]`: the config as a Python script for Hugging Face's Trainer
// (transformers 5.x), with a requirements.txt beside it.
import { UserError } from '../core/errors';
import { exportTrainingScript } from '../core/export/writeExport';
import { parse } from './args';

export async function exportCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse({
    args,
    options: { out: { type: 'string' }, force: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1)
    throw new UserError('export needs one config file: distilbert-finetune export CONFIG.finetune.yaml [--out FILE]');
  const { script, requirements } = exportTrainingScript(positionals[0], { out: values.out, force: values.force });
  process.stdout.write(`${script}\n${requirements}\n`);
  process.stderr.write(`run it with: pip install -r requirements.txt && python ${script}\n`);
  return 0;
}
