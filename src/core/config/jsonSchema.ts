// The JSON Schema (draft-07) of the config file, generated from the schema table. Shipped as
// `schemas/finetune.schema.json` (for the Red Hat YAML extension and CI linters) and printed by
// `distilbert-finetune schema`; a unit test checks the shipped file equals this output.
import { CONFIG_KEYS, CONFLICTS, SCHEMA, type KeySpec } from './schema';

export function configJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const spec = SCHEMA[key] as KeySpec;
    const property: Record<string, unknown> = { description: `${spec.doc}\n\nMirrors Hugging Face \`${spec.hf}\`.` };
    if (spec.type === 'boolean|string') property.type = ['boolean', 'string'];
    else if (spec.type === 'boolean') property.type = 'boolean';
    else property.type = spec.type;
    if (spec.default !== undefined) property.default = spec.default;
    if (spec.type === 'number' || spec.type === 'integer') {
      for (const bound of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
        if (spec[bound] !== undefined) property[bound] = spec[bound];
      }
    }
    if (spec.type === 'string' && spec.enum) {
      property.enum = [...spec.enum];
      if (spec.enumDocs) property.markdownEnumDescriptions = spec.enum.map((v) => spec.enumDocs![v]);
    }
    properties[key] = property;
  }
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://github.com/distilbert-finetuner/distilbert-finetuner/schemas/finetune.schema.json',
    title: 'DistilBERT fine-tune config (*.finetune.yaml)',
    description: 'Hyperparameters and data of one fine-tuning run. Key names follow Hugging Face TrainingArguments.',
    type: 'object',
    properties,
    required: ['train_file'],
    additionalProperties: false,
    // Conflicting pairs: at most one of each pair may be present.
    allOf: CONFLICTS.map(({ keys: [a, b] }) => ({ not: { required: [a, b] } })),
  };
}

/** The file's text, as shipped (stable key order, trailing newline). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
