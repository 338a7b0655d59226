// The config schema: the one definition of every key of a `*.finetune.yaml` file.
//
// Validation (worker, CLI, diagnostics), completion, hover, the generated template and the
// JSON Schema file all read this table; none of them lists keys of its own. Names follow Hugging
// Face `TrainingArguments` (and `run_glue.py` / `run_classification.py` for the data keys) so a
// Hugging Face user already knows them.

export type KeyKind = 'model' | 'file' | 'column' | 'folder';

interface KeyBase {
  /** One paragraph, in the voice of the `TrainingArguments` docstrings: what it does, when to change it. */
  doc: string;
  /** The Hugging Face argument this key mirrors, shown on hover. */
  hf: string;
  /** What the value names, for completion (columns, files, models). */
  kind?: KeyKind;
  /** A short comment written next to the key in a new config file. */
  comment: string;
  /** Written into a new config file (even when it has no default). */
  inTemplate?: boolean;
}

export interface NumberKey extends KeyBase {
  type: 'number' | 'integer';
  default?: number;
  minimum?: number;
  maximum?: number;
  /** Values strictly above this (e.g. a learning rate must be > 0). */
  exclusiveMinimum?: number;
  /** Values strictly below this (e.g. a ratio must be < 1). */
  exclusiveMaximum?: number;
  /** Values allowed but unusual: a warning, not an error. */
  advised?: { min: number; max: number; why: string };
}

export interface StringKey extends KeyBase {
  type: 'string';
  default?: string;
  enum?: readonly string[];
  /** One line per enum value, for completion and hover. */
  enumDocs?: Record<string, string>;
}

export interface BooleanOrStringKey extends KeyBase {
  type: 'boolean|string';
  default?: boolean;
}

export interface BooleanKey extends KeyBase {
  type: 'boolean';
  default: boolean;
}

export type KeySpec = NumberKey | StringKey | BooleanOrStringKey | BooleanKey;

export const DATASET_EXTENSIONS = ['.csv', '.tsv', '.jsonl', '.json'] as const;

/** The devices a config names (the `device` key), and the extension's `defaultDevice` setting. */
export const DEVICES = ['auto', 'gpu', 'webgpu', 'cpu', 'wasm'] as const;
export type Device = (typeof DEVICES)[number];
/** Exact CPU backends for tests and benchmarks: `--device native|js` on the CLI only. */
export const EXACT_BACKENDS = ['native', 'js'] as const;
export type BackendChoice = Device | (typeof EXACT_BACKENDS)[number];

export const SCHEMA = {
  model: {
    type: 'string',
    kind: 'model',
    default: 'distilbert-base-uncased',
    inTemplate: true,
    hf: 'model_name_or_path',
    comment: 'Hugging Face hub id or a local model folder',
    doc: 'The model to fine-tune: a Hugging Face hub id (downloaded once into the Hugging Face cache, shared with Python) or a local folder with `config.json`, `model.safetensors` and `vocab.txt`/`tokenizer.json`. A folder with a config and no weights trains from scratch.',
  },
  train_file: {
    type: 'string',
    kind: 'file',
    inTemplate: true,
    hf: 'train_file',
    comment: 'the dataset to train on (CSV, TSV, JSONL or JSON); never written to',
    doc: 'The training data: a CSV, TSV, JSON lines or JSON (array of objects) file, relative to this config file. It is only ever read.',
  },
  validation_file: {
    type: 'string',
    kind: 'file',
    hf: 'validation_file',
    comment: 'a separate evaluation set (instead of validation_split)',
    doc: 'An evaluation set in its own file, with the same columns as `train_file`. When set, `validation_split` must not be.',
  },
  validation_split: {
    type: 'number',
    default: 0.2,
    exclusiveMinimum: 0,
    exclusiveMaximum: 1,
    inTemplate: true,
    hf: 'validation_split_percentage (as a fraction)',
    comment: 'fraction of train_file held out for evaluation (seeded, stratified)',
    doc: 'The fraction of `train_file` held out for evaluation when there is no `validation_file`. The split is stratified by label and seeded by `seed`, so a rerun evaluates on the same rows.',
  },
  text_column: {
    type: 'string',
    kind: 'column',
    inTemplate: true,
    hf: 'text_column_names',
    comment: 'the column with the text to classify',
    doc: 'The column that holds the text. When omitted, the longest string column is used and reported.',
  },
  text_pair_column: {
    type: 'string',
    kind: 'column',
    hf: 'text_column_names (second column)',
    comment: 'a second text column, for sentence-pair tasks',
    doc: 'An optional second text column for sentence-pair tasks (entailment, paraphrase): the two texts are encoded as `[CLS] text [SEP] pair [SEP]`.',
  },
  label_column: {
    type: 'string',
    kind: 'column',
    inTemplate: true,
    hf: 'label_column_name',
    comment: 'the column with the class label',
    doc: 'The column that holds the label (strings or integers). Labels are sorted to build `label2id`, which is saved in `config.json`. When omitted, a low-cardinality column is used and reported.',
  },
  max_length: {
    type: 'integer',
    default: 128,
    minimum: 2,
    maximum: 512,
    inTemplate: true,
    hf: 'max_seq_length',
    comment: 'tokens per example, longer texts are truncated',
    doc: "The maximum number of tokens per example, `[CLS]` and `[SEP]` included; longer texts are truncated. Batches are padded only to their longest example. It cannot exceed the model's `max_position_embeddings` (512 for distilbert-base-uncased).",
  },
  learning_rate: {
    type: 'number',
    default: 2e-5,
    exclusiveMinimum: 0,
    inTemplate: true,
    advised: {
      min: 1e-6,
      max: 1e-3,
      why: 'fine-tuning a pretrained transformer usually uses 1e-5 to 5e-5; far larger rates destroy the pretrained weights',
    },
    hf: 'learning_rate',
    comment: 'initial learning rate of AdamW',
    doc: 'The initial learning rate for the AdamW optimizer; the scheduler (`lr_scheduler_type`) changes it over the run.',
  },
  per_device_train_batch_size: {
    type: 'integer',
    default: 20,
    minimum: 1,
    maximum: 4096,
    inTemplate: true,
    hf: 'per_device_train_batch_size',
    comment: 'examples per training step',
    doc: 'The number of examples per training step. Larger batches are faster per example but need more memory.',
  },
  per_device_eval_batch_size: {
    type: 'integer',
    default: 20,
    minimum: 1,
    maximum: 4096,
    inTemplate: true,
    hf: 'per_device_eval_batch_size',
    comment: 'examples per evaluation step',
    doc: 'The number of examples per evaluation step. It does not change the metrics, only speed and memory.',
  },
  gradient_accumulation_steps: {
    type: 'integer',
    default: 1,
    minimum: 1,
    maximum: 1024,
    hf: 'gradient_accumulation_steps',
    comment: 'steps whose gradients are summed before one update',
    doc: 'The number of batches whose gradients are accumulated before one optimizer update: an effective batch of `per_device_train_batch_size * gradient_accumulation_steps` in the memory of one batch. Steps, logging and evaluation count updates, as in the Trainer.',
  },
  seed: {
    type: 'integer',
    default: 42,
    minimum: 0,
    maximum: 2 ** 32 - 1,
    inTemplate: true,
    hf: 'seed',
    comment: 'seeds initialization, shuffling, the split and dropout',
    doc: 'The random seed: it fixes the validation split, the shuffling of every epoch, the initialization of new layers and dropout. The same seed on the same backend gives the same run.',
  },
  adam_beta1: {
    type: 'number',
    default: 0.9,
    minimum: 0,
    exclusiveMaximum: 1,
    inTemplate: true,
    hf: 'adam_beta1',
    comment: 'AdamW beta1',
    doc: 'The beta1 hyperparameter of AdamW (decay of the first moment).',
  },
  adam_beta2: {
    type: 'number',
    default: 0.999,
    minimum: 0,
    exclusiveMaximum: 1,
    inTemplate: true,
    hf: 'adam_beta2',
    comment: 'AdamW beta2',
    doc: 'The beta2 hyperparameter of AdamW (decay of the second moment).',
  },
  adam_epsilon: {
    type: 'number',
    default: 1e-8,
    exclusiveMinimum: 0,
    maximum: 1,
    inTemplate: true,
    hf: 'adam_epsilon',
    comment: 'AdamW epsilon (PyTorch default; TensorFlow.js would use 1e-7)',
    doc: "The epsilon of AdamW, added to the denominator after bias correction, as `torch.optim.AdamW` does. 1e-8 is the Trainer's default.",
  },
  weight_decay: {
    type: 'number',
    default: 0,
    minimum: 0,
    maximum: 1,
    inTemplate: true,
    hf: 'weight_decay',
    comment: 'decoupled weight decay (not applied to biases and LayerNorm weights)',
    doc: 'Decoupled weight decay of AdamW. As in the Trainer, it is applied to every weight except biases and LayerNorm weights.',
  },
  lr_scheduler_type: {
    type: 'string',
    default: 'linear',
    enum: ['linear', 'constant', 'constant_with_warmup', 'cosine'],
    inTemplate: true,
    enumDocs: {
      linear: "Warm up linearly, then decay linearly to 0 at the last step (the Trainer's default).",
      constant: 'Keep the learning rate constant; ignores warmup.',
      constant_with_warmup: 'Warm up linearly, then keep the learning rate constant.',
      cosine: 'Warm up linearly, then follow half a cosine down to 0 at the last step.',
    },
    hf: 'lr_scheduler_type',
    comment: 'learning-rate schedule',
    doc: 'How the learning rate changes over the run. The learning rate of step k is `learning_rate * lambda(k)`, computed as `transformers.get_scheduler` does.',
  },
  warmup_steps: {
    type: 'integer',
    default: 0,
    minimum: 0,
    hf: 'warmup_steps',
    comment: 'steps of linear warmup from 0',
    doc: 'The number of steps of linear warmup from 0 to `learning_rate`. Overrides `warmup_ratio`, so set only one of them.',
  },
  warmup_ratio: {
    type: 'number',
    default: 0,
    minimum: 0,
    exclusiveMaximum: 1,
    hf: 'warmup_ratio',
    comment: 'fraction of the total steps used for warmup',
    doc: 'The fraction of the total training steps used for linear warmup (rounded up, as the Trainer does). Set either this or `warmup_steps`.',
  },
  max_grad_norm: {
    type: 'number',
    default: 1,
    minimum: 0,
    inTemplate: true,
    hf: 'max_grad_norm',
    comment: 'clip the gradient norm to this value (0 disables)',
    doc: 'The maximum total L2 norm of the gradient; larger gradients are scaled down before the update, as `torch.nn.utils.clip_grad_norm_` does. 0 disables clipping.',
  },
  num_train_epochs: {
    type: 'number',
    default: 2,
    exclusiveMinimum: 0,
    maximum: 10000,
    inTemplate: true,
    hf: 'num_train_epochs',
    comment: 'passes over the training data',
    doc: 'The number of passes over the training data. A fraction trains for part of the last epoch. Ignored when `max_steps` is positive.',
  },
  max_steps: {
    type: 'integer',
    default: -1,
    minimum: -1,
    hf: 'max_steps',
    comment: 'stop after this many updates (-1: use num_train_epochs)',
    doc: 'When positive, the total number of optimizer updates to perform; overrides `num_train_epochs`. The data is cycled through as many times as needed.',
  },
  eval_strategy: {
    type: 'string',
    default: 'epoch',
    enum: ['no', 'steps', 'epoch'],
    inTemplate: true,
    enumDocs: {
      no: 'Never evaluate during training (the final metrics are still computed).',
      steps: 'Evaluate every `eval_steps` updates.',
      epoch: 'Evaluate at the end of every epoch.',
    },
    hf: 'eval_strategy',
    comment: 'when to evaluate: no, steps or epoch',
    doc: 'When to evaluate on the validation set: each evaluation adds a row to the results table.',
  },
  eval_steps: {
    type: 'integer',
    minimum: 1,
    hf: 'eval_steps',
    comment: 'updates between evaluations (eval_strategy: steps)',
    doc: 'The number of updates between two evaluations when `eval_strategy` is `steps`. Defaults to `logging_steps`, as in the Trainer.',
  },
  logging_strategy: {
    type: 'string',
    default: 'steps',
    enum: ['no', 'steps', 'epoch'],
    enumDocs: {
      no: 'Never log the training loss (the table shows "No log").',
      steps: 'Log every `logging_steps` updates.',
      epoch: 'Log at the end of every epoch.',
    },
    hf: 'logging_strategy',
    comment: 'when to log the training loss',
    doc: 'When to log the training loss. Each log is the mean loss since the previous one: the "Training Loss" of the results table.',
  },
  logging_steps: {
    type: 'integer',
    default: 50,
    minimum: 1,
    inTemplate: true,
    hf: 'logging_steps',
    comment: "updates between training-loss logs (the Trainer's default is 500)",
    doc: 'The number of updates between two logs of the training loss. The Trainer\'s default is 500; 50 is used here so that the results table of a small dataset shows a training loss instead of "No log". Live progress is reported every step regardless.',
  },
  save_strategy: {
    type: 'string',
    default: 'epoch',
    enum: ['no', 'steps', 'epoch'],
    inTemplate: true,
    enumDocs: {
      no: 'Never write intermediate checkpoints (a cancelled run still writes one).',
      steps: 'Write a checkpoint every `save_steps` updates.',
      epoch: 'Write a checkpoint at the end of every epoch.',
    },
    hf: 'save_strategy',
    comment: 'when to write checkpoint-<step>/ folders',
    doc: 'When to write a resumable checkpoint (`checkpoint-<step>/` in `output_dir`: weights, optimizer state, scheduler and RNG state). A cancelled run always writes one.',
  },
  save_steps: {
    type: 'integer',
    default: 500,
    minimum: 1,
    hf: 'save_steps',
    comment: 'updates between checkpoints (save_strategy: steps)',
    doc: 'The number of updates between two checkpoints when `save_strategy` is `steps`.',
  },
  save_total_limit: {
    type: 'integer',
    minimum: 1,
    hf: 'save_total_limit',
    comment: 'keep only the newest N checkpoints',
    doc: 'When set, older `checkpoint-<step>/` folders are deleted so that at most this many remain.',
  },
  overwrite_output_dir: {
    type: 'boolean',
    default: false,
    hf: 'overwrite_output_dir',
    comment: 'write into an output_dir that holds files this extension did not write',
    doc: 'A run writes into an `output_dir` that is empty, missing, or holds a previous run of this extension (`trainer_state.json`, `checkpoint-<step>/` folders). Any other file there stops the run before it starts, so nothing of yours is replaced; `true` lets it write there anyway. Even then only the files with the output names (`model.safetensors`, `config.json`, `README.md`, ...) are replaced, and every other file stays.',
  },
  resume_from_checkpoint: {
    type: 'boolean|string',
    kind: 'folder',
    hf: 'resume_from_checkpoint',
    comment: 'true (latest checkpoint in output_dir) or a checkpoint folder',
    doc: 'Continue a previous run: `true` resumes from the latest `checkpoint-<step>/` in `output_dir`, a path resumes from that folder. The run continues exactly where it stopped: same weights, optimizer state, schedule and data order.',
  },
  f1_average: {
    type: 'string',
    default: 'weighted',
    enum: ['weighted', 'macro', 'micro', 'binary'],
    inTemplate: true,
    enumDocs: {
      weighted: 'Mean of per-class F1 weighted by support (the reference recipe).',
      macro: 'Unweighted mean of per-class F1.',
      micro: 'F1 of the pooled counts (equals accuracy for single-label classification).',
      binary: 'F1 of the positive class (the second label in sorted order); two classes only.',
    },
    hf: 'sklearn.metrics.f1_score(average=...)',
    comment: 'how F1 averages over classes',
    doc: 'How the F1 score averages over classes, with the meanings of `sklearn.metrics.f1_score`.',
  },
  output_dir: {
    type: 'string',
    kind: 'folder',
    default: 'distilbert-finetuned',
    inTemplate: true,
    hf: 'output_dir',
    comment: 'where the model, tokenizer, model card and checkpoints go',
    doc: 'The folder that receives the fine-tuned model (`model.safetensors`, `config.json`), the tokenizer, the model card (`README.md`), `trainer_state.json` and the checkpoints, relative to this config file. It loads in Python with `AutoModelForSequenceClassification.from_pretrained(output_dir)`.',
  },
  device: {
    type: 'string',
    default: 'auto',
    enum: DEVICES,
    inTemplate: true,
    enumDocs: {
      auto: "The fastest backend that loads: a GPU (tfjs-node-gpu with CUDA, else WebGPU on a hardware adapter), tfjs-node (libtensorflow), this extension's native CPU kernels (OpenBLAS), WebAssembly, then pure JavaScript. Never a software GPU adapter.",
      gpu: 'A GPU however one can be had: @tensorflow/tfjs-node-gpu with CUDA, else WebGPU (Dawn: Metal, D3D12 or Vulkan) on a hardware adapter; an error (never a silent CPU fallback) when neither loads.',
      webgpu:
        'WebGPU through Dawn (Metal on macOS, D3D12 on Windows, Vulkan on Linux) on any adapter, software ones (SwiftShader, llvmpipe, WARP) included; an error when none loads.',
      cpu: 'The CPU: @tensorflow/tfjs-node when installed, else the native CPU kernels (OpenBLAS, Linux x64), else pure JavaScript.',
      wasm: 'The WebAssembly backend (SIMD), on every platform.',
    },
    hf: 'use_cpu / no_cuda',
    comment: DEVICES.join(', '),
    doc: 'Where training runs. `auto` picks the fastest backend that loads and reports it (the panel, the CLI and the model card name it, and the GPU adapter); `gpu` and `webgpu` fail with the reason when they cannot load.',
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;
export const CONFIG_KEYS = Object.keys(SCHEMA) as ConfigKey[];

/** Pairs of keys that must not both be set, and why. */
export const CONFLICTS: ReadonlyArray<{ keys: [ConfigKey, ConfigKey]; why: string }> = [
  { keys: ['warmup_steps', 'warmup_ratio'], why: '`warmup_steps` overrides `warmup_ratio`; set only one of them' },
  {
    keys: ['validation_file', 'validation_split'],
    why: 'evaluation uses either a separate `validation_file` or a `validation_split` of the training data, not both',
  },
];

/** The resolved config a run uses: every key with a default has a value; paths are absolute. */
export interface TrainingConfig {
  model: string;
  train_file: string;
  validation_file?: string;
  validation_split: number;
  text_column?: string;
  text_pair_column?: string;
  label_column?: string;
  max_length: number;
  learning_rate: number;
  per_device_train_batch_size: number;
  per_device_eval_batch_size: number;
  gradient_accumulation_steps: number;
  seed: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  weight_decay: number;
  lr_scheduler_type: 'linear' | 'constant' | 'constant_with_warmup' | 'cosine';
  warmup_steps: number;
  warmup_ratio: number;
  max_grad_norm: number;
  num_train_epochs: number;
  max_steps: number;
  eval_strategy: 'no' | 'steps' | 'epoch';
  eval_steps?: number;
  logging_strategy: 'no' | 'steps' | 'epoch';
  logging_steps: number;
  save_strategy: 'no' | 'steps' | 'epoch';
  save_steps: number;
  save_total_limit?: number;
  resume_from_checkpoint?: boolean | string;
  overwrite_output_dir: boolean;
  f1_average: 'weighted' | 'macro' | 'micro' | 'binary';
  output_dir: string;
  /** A config file sets one of DEVICES; `--device native|js` on the CLI picks an exact CPU backend. */
  device: BackendChoice;
}

// Compile-time proof that TrainingConfig and SCHEMA name the same keys.
type _SameKeys = [Exclude<keyof TrainingConfig, ConfigKey>, Exclude<ConfigKey, keyof TrainingConfig>] extends [
  never,
  never,
]
  ? true
  : never;
export const schemaMatchesConfigType: _SameKeys = true;

/** The allowed range of a numeric key, in words ("between 0 and 1, excluding 1"). */
export function describeRange(spec: NumberKey): string | undefined {
  const lower =
    spec.exclusiveMinimum !== undefined
      ? `> ${spec.exclusiveMinimum}`
      : spec.minimum !== undefined
        ? `>= ${spec.minimum}`
        : undefined;
  const upper =
    spec.exclusiveMaximum !== undefined
      ? `< ${spec.exclusiveMaximum}`
      : spec.maximum !== undefined
        ? `<= ${spec.maximum}`
        : undefined;
  if (lower && upper) return `${lower} and ${upper}`;
  return lower ?? upper;
}
