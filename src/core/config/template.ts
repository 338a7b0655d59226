// A new config file for a dataset: every key the template shows, with its default and a comment.
import { stringify } from 'yaml';
import { CONFIG_KEYS, SCHEMA, type KeySpec } from './schema';

export interface TemplateInputs {
  /** The dataset's file name, relative to the config (they sit side by side). */
  trainFile: string;
  textColumn?: string;
  labelColumn?: string;
  outputDir: string;
  /** Why the columns were chosen, written as a comment at the top. */
  note?: string;
}

export function configTemplate(inputs: TemplateInputs): string {
  const values: Partial<Record<string, unknown>> = {
    train_file: inputs.trainFile,
    text_column: inputs.textColumn,
    label_column: inputs.labelColumn,
    output_dir: inputs.outputDir,
  };
  const lines = [
    '# Fine-tune DistilBERT on this dataset. Hover a key for its documentation; Ctrl+Space lists the others.',
    '# Defaults are the reference recipe of the Hugging Face Trainer. Start training from the code lens above a key.',
  ];
  if (inputs.note) lines.push(`# ${inputs.note}`);
  const rows: Array<[string, string]> = [];
  for (const key of CONFIG_KEYS) {
    const spec = SCHEMA[key] as KeySpec;
    if (!spec.inTemplate) continue;
    const value = key in values ? values[key] : spec.default;
    if (value === undefined) continue;
    rows.push([`${key}: ${formatValue(value)}`, spec.comment]);
  }
  const width = Math.max(...rows.map(([left]) => left.length));
  for (const [left, comment] of rows) lines.push(`${left.padEnd(width)}  # ${comment}`);
  return `${lines.join('\n')}\n`;
}

/** A YAML scalar for a value: numbers as people write them (2e-5, not 0.00002), strings quoted only when YAML needs it. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 1e-3)
    return value.toExponential().replace(/\.?0*e/, 'e');
  return stringify(value).trimEnd();
}
