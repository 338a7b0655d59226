// DistilBertConfig: the `config.json` of a Hugging Face DistilBERT checkpoint, with HF's defaults.
import { UserError } from '../errors';
import { CONFIG_NAME } from '../outputNames';

export interface DistilBertConfig {
  vocab_size: number;
  max_position_embeddings: number;
  sinusoidal_pos_embds: boolean;
  n_layers: number;
  n_heads: number;
  dim: number;
  hidden_dim: number;
  dropout: number;
  attention_dropout: number;
  activation: 'gelu' | 'relu';
  initializer_range: number;
  seq_classif_dropout: number;
  pad_token_id: number;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
  /** Every other field of the file, kept so that saving writes it back. */
  extra: Record<string, unknown>;
}

/** The defaults of `transformers.DistilBertConfig()` (those of distilbert-base-uncased). */
export const DISTILBERT_DEFAULTS = {
  vocab_size: 30522,
  max_position_embeddings: 512,
  sinusoidal_pos_embds: false,
  n_layers: 6,
  n_heads: 12,
  dim: 768,
  hidden_dim: 3072,
  dropout: 0.1,
  attention_dropout: 0.1,
  activation: 'gelu',
  initializer_range: 0.02,
  seq_classif_dropout: 0.2,
  pad_token_id: 0,
} as const;

const KNOWN = new Set([...Object.keys(DISTILBERT_DEFAULTS), 'id2label', 'label2id', 'num_labels']);

export function parseDistilBertConfig(json: Record<string, unknown>, source = CONFIG_NAME): DistilBertConfig {
  const modelType = json.model_type;
  if (modelType !== undefined && modelType !== 'distilbert') {
    throw new UserError(
      `${source}: model_type is "${String(modelType)}", not "distilbert"`,
      'This extension fine-tunes DistilBERT checkpoints (distilbert-base-uncased and its fine-tuned descendants).',
    );
  }
  const number = (key: keyof typeof DISTILBERT_DEFAULTS): number => {
    const value = json[key] ?? DISTILBERT_DEFAULTS[key];
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new UserError(`${source}: ${key} must be a number, not ${JSON.stringify(value)}`);
    return value;
  };
  const activation = (json.activation ?? 'gelu') as string;
  if (activation !== 'gelu' && activation !== 'relu')
    throw new UserError(`${source}: activation "${activation}" is not supported (gelu or relu)`);
  const config: DistilBertConfig = {
    vocab_size: number('vocab_size'),
    max_position_embeddings: number('max_position_embeddings'),
    sinusoidal_pos_embds: Boolean(json.sinusoidal_pos_embds ?? false),
    n_layers: number('n_layers'),
    n_heads: number('n_heads'),
    dim: number('dim'),
    hidden_dim: number('hidden_dim'),
    dropout: number('dropout'),
    attention_dropout: number('attention_dropout'),
    activation,
    initializer_range: number('initializer_range'),
    seq_classif_dropout: number('seq_classif_dropout'),
    pad_token_id: number('pad_token_id'),
    id2label:
      (json.id2label as Record<string, string> | undefined) ??
      defaultId2Label(typeof json.num_labels === 'number' ? json.num_labels : 2),
    label2id: {},
    extra: Object.fromEntries(Object.entries(json).filter(([key]) => !KNOWN.has(key))),
  };
  config.label2id =
    (json.label2id as Record<string, number> | undefined) ??
    Object.fromEntries(Object.entries(config.id2label).map(([id, label]) => [label, Number(id)]));
  if (config.dim % config.n_heads !== 0)
    throw new UserError(`${source}: dim ${config.dim} is not divisible by n_heads ${config.n_heads}`);
  return config;
}

export function numLabels(config: DistilBertConfig): number {
  return Object.keys(config.id2label).length;
}

function defaultId2Label(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [String(i), `LABEL_${i}`]));
}

/** The config with new labels (a fine-tuning run sets them from the dataset). */
export function withLabels(config: DistilBertConfig, labels: string[]): DistilBertConfig {
  return {
    ...config,
    id2label: Object.fromEntries(labels.map((label, i) => [String(i), label])),
    label2id: Object.fromEntries(labels.map((label, i) => [label, i])),
  };
}

/** The `config.json` HF writes for DistilBertForSequenceClassification. */
export function serializeDistilBertConfig(config: DistilBertConfig): Record<string, unknown> {
  const { extra, id2label, label2id, ...fields } = config;
  return {
    ...extra,
    architectures: ['DistilBertForSequenceClassification'],
    model_type: 'distilbert',
    ...fields,
    id2label,
    label2id,
    problem_type: 'single_label_classification',
    torch_dtype: 'float32',
  };
}
