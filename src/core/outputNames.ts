// The names of every file and folder a run writes, in one place (as `transformers` keeps
// CONFIG_NAME, SAFE_WEIGHTS_NAME, TRAINER_STATE_NAME ...). The trainer writes them, the editor and
// the CLI read them back, and validation recognises them in an output folder.

// A Hugging Face model folder (save_pretrained): loads with AutoModelForSequenceClassification.
export const CONFIG_NAME = 'config.json';
export const SAFE_WEIGHTS_NAME = 'model.safetensors';
export const VOCAB_NAME = 'vocab.txt';
export const TOKENIZER_NAME = 'tokenizer.json';
export const TOKENIZER_CONFIG_NAME = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_NAME = 'special_tokens_map.json';

// What the Trainer writes besides the model.
export const MODEL_CARD_NAME = 'README.md';
export const TRAINER_STATE_NAME = 'trainer_state.json';
export const TRAINING_ARGS_NAME = 'training_args.json';
export const EVAL_RESULTS_NAME = 'eval_results.json';
export const TRAIN_RESULTS_NAME = 'train_results.json';
export const ALL_RESULTS_NAME = 'all_results.json';

// Ours: per-class metrics and the confusion matrix (the Trainer's files lack them), and what the
// training data was (its file and a fingerprint of each training text), for `evaluate`'s warning.
export const CLASSIFICATION_REPORT_NAME = 'classification_report.json';
export const TRAINING_DATA_NAME = 'training_data.json';

// Inside checkpoint-<step>/: AdamW's moments and where the run stands (HF: optimizer.pt, rng_state.pth).
export const OPTIMIZER_NAME = 'optimizer.safetensors';
export const RESUME_STATE_NAME = 'resume_state.json';

/** `checkpoint-<step>` (HF's PREFIX_CHECKPOINT_DIR). */
export const PREFIX_CHECKPOINT_DIR = 'checkpoint';
export const checkpointFolderName = (step: number) => `${PREFIX_CHECKPOINT_DIR}-${step}`;
/** A checkpoint folder's name, with its step as group 1. */
export const CHECKPOINT_FOLDER = /^checkpoint-(\d+)$/;

/** The lock a running run holds in its output folder. */
export const LOCK_NAME = '.distilbert-finetune.lock';

/**
 * The entries of an output folder that this product did not write, so a run must not write there
 * without `overwrite_output_dir`. Ours: a previous run's outputs (recognised by its
 * trainer_state.json), complete `checkpoint-<step>/` folders, and hidden entries (our lock and
 * staging folders; a run writes no other hidden file, so it replaces none, such as .DS_Store).
 * `exists` says whether a path inside the folder exists.
 */
export function foreignOutputEntries(names: string[], exists: (relative: string) => boolean): string[] {
  const previousRun = names.includes(TRAINER_STATE_NAME);
  return [...names]
    .sort()
    .filter(
      (name) =>
        !name.startsWith('.') &&
        !(CHECKPOINT_FOLDER.test(name) && exists(`${name}/${RESUME_STATE_NAME}`)) &&
        !(previousRun && OUTPUT_ARTIFACTS.includes(name)),
    );
}

/** Every file a finished run writes at the top of its output folder. */
export const OUTPUT_ARTIFACTS = [
  SAFE_WEIGHTS_NAME,
  CONFIG_NAME,
  VOCAB_NAME,
  TOKENIZER_NAME,
  TOKENIZER_CONFIG_NAME,
  SPECIAL_TOKENS_MAP_NAME,
  MODEL_CARD_NAME,
  TRAINER_STATE_NAME,
  TRAINING_ARGS_NAME,
  EVAL_RESULTS_NAME,
  TRAIN_RESULTS_NAME,
  ALL_RESULTS_NAME,
  CLASSIFICATION_REPORT_NAME,
  TRAINING_DATA_NAME,
];
