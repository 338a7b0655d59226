// `export`: the same run as a Python script on Hugging Face's own stack (transformers 5.x
// `Trainer`), for when one machine is not enough: accelerate, torchrun and DeepSpeed take it from
// there. The script reads the same data file and columns, draws the same validation rows (the
// extension's generator, ported: xoshiro128** seeded like src/core/random.ts), passes the config's
// values under their TrainingArguments names, and writes the same output folder layout.
//
// Heavy imports live in main(), so `python3 -c` can import the script to check its split and its
// arguments without torch installed (the tests do).
import * as path from 'node:path';
import type { TrainingConfig } from '../config/schema';

/** The config's keys that are TrainingArguments fields of transformers 5.x, by the same name. */
export const TRAINING_ARGUMENT_KEYS = [
  'learning_rate',
  'per_device_train_batch_size',
  'per_device_eval_batch_size',
  'gradient_accumulation_steps',
  'seed',
  'adam_beta1',
  'adam_beta2',
  'adam_epsilon',
  'weight_decay',
  'lr_scheduler_type',
  'max_grad_norm',
  'num_train_epochs',
  'max_steps',
  'eval_strategy',
  'eval_steps',
  'logging_strategy',
  'logging_steps',
  'save_strategy',
  'save_steps',
  'save_total_limit',
] as const satisfies ReadonlyArray<keyof TrainingConfig>;

/** Pinned to the current major versions: `pip install -r requirements.txt`. */
export const REQUIREMENTS = [
  'transformers>=5,<6',
  'torch>=2.4,<3',
  'accelerate>=1.2,<2',
  'safetensors>=0.4,<1',
  'scikit-learn>=1.5,<2',
];

/** The keyword arguments of TrainingArguments, from a resolved config; paths relative to `baseDir`. */
export function trainingArgumentsOf(config: TrainingConfig, baseDir: string): Record<string, unknown> {
  const kwargs: Record<string, unknown> = { output_dir: relative(baseDir, config.output_dir) };
  for (const key of TRAINING_ARGUMENT_KEYS) if (config[key] !== undefined) kwargs[key] = config[key];
  // transformers 5 merged warmup_ratio into warmup_steps: a float below 1 is a ratio of the steps.
  kwargs.warmup_steps = config.warmup_ratio > 0 ? config.warmup_ratio : config.warmup_steps;
  if (config.device === 'cpu' || config.device === 'wasm' || config.device === 'native' || config.device === 'js')
    kwargs.use_cpu = true;
  kwargs.report_to = 'none';
  return kwargs;
}

/** `reviews.finetune.yaml` -> `reviews.train.py`. */
export function scriptPathFor(configPath: string): string {
  return path.join(path.dirname(configPath), `${path.basename(configPath).replace(/\.finetune\.ya?ml$/, '')}.train.py`);
}

export function pythonTrainingScript(config: TrainingConfig, configPath: string): string {
  const baseDir = path.dirname(configPath);
  const data = {
    model: looksLocal(config.model) ? relative(baseDir, config.model) : config.model,
    train_file: relative(baseDir, config.train_file),
    validation_file: config.validation_file ? relative(baseDir, config.validation_file) : null,
    validation_split: config.validation_split,
    text_column: config.text_column ?? null,
    text_pair_column: config.text_pair_column ?? null,
    label_column: config.label_column ?? null,
    max_length: config.max_length,
    f1_average: config.f1_average,
    overwrite_output_dir: config.overwrite_output_dir,
    resume_from_checkpoint:
      typeof config.resume_from_checkpoint === 'string'
        ? relative(baseDir, config.resume_from_checkpoint)
        : (config.resume_from_checkpoint ?? null),
  };
  const name = path.basename(configPath);
  const script = path.basename(scriptPathFor(configPath));
  return TEMPLATE.replaceAll('{{CONFIG_NAME}}', name)
    .replaceAll('{{SCRIPT}}', script)
    .replace('{{DATA}}', pythonLiteral(data))
    .replace('{{TRAINING_ARGUMENTS}}', pythonLiteral(trainingArgumentsOf(config, baseDir)));
}

function looksLocal(model: string): boolean {
  return path.isAbsolute(model);
}

function relative(baseDir: string, target: string): string {
  const rel = path.relative(baseDir, target);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

/** A JSON value written as a Python literal (True/False/None), one key per line. */
function pythonLiteral(value: Record<string, unknown>): string {
  const lines = Object.entries(value).map(([key, v]) => `    ${JSON.stringify(key)}: ${pythonValue(v)},`);
  return `{\n${lines.join('\n')}\n}`;
}

function pythonValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : repr(value);
  return JSON.stringify(value);
}

/** A float as Python prints it, so 2e-05 reads as the config's 2e-5. */
function repr(value: number): string {
  const text = String(value);
  return /e/.test(text) ? text.replace(/e([+-])(\d)$/, 'e$10$2') : text;
}

const TEMPLATE = `#!/usr/bin/env python3
"""Fine-tune a DistilBERT classifier: {{CONFIG_NAME}}, exported by DistilBERT Fine-Tuner.

The same run with Hugging Face's Trainer (transformers 5.x): the same model, data file and
columns, the same validation rows (the extension's seeded, stratified split, ported below), the
same TrainingArguments values, accuracy and F1 with the same average, and the same output folder.
Numbers can differ slightly from the extension's run (PyTorch kernels, dropout masks and batch
order are PyTorch's own).

Install:        pip install -r requirements.txt
One GPU or CPU: python {{SCRIPT}}
Several GPUs:   accelerate launch {{SCRIPT}}
                torchrun --nproc_per_node=4 {{SCRIPT}}
A cluster:      accelerate config   (once per cluster; then on every node:)
                accelerate launch --num_machines 2 --machine_rank $NODE_RANK --main_process_ip $MASTER {{SCRIPT}}
  with SLURM:   srun --nodes=2 --ntasks-per-node=1 --gpus-per-node=4 bash -c 'accelerate launch \\\\
                  --num_machines 2 --machine_rank $SLURM_NODEID --main_process_ip $(scontrol show \\\\
                  hostnames $SLURM_JOB_NODELIST | head -n1) --num_processes 8 {{SCRIPT}}'
Per-device batch sizes stay per device: with N GPUs one optimizer step sees N times the batch.
Paths are relative to this script's folder.
"""
import csv
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# The config's data, model and evaluation settings.
CONFIG = {{DATA}}


def training_arguments_kwargs():
    """TrainingArguments(**...) for this run: the config's values under transformers 5.x names."""
    return {{TRAINING_ARGUMENTS}}


# --- The validation split, drawn exactly as the extension draws it -----------------------------

M32 = 0xFFFFFFFF


def _imul(a, b):
    return (a * b) & M32


def _mix32(a, b):
    h = _imul(a ^ 0x9E3779B9, 0x85EBCA6B) ^ b
    h = _imul(h ^ (h >> 16), 0x7FEB352D)
    h = _imul(h ^ (h >> 15), 0x846CA68B)
    return (h ^ (h >> 16)) & M32


def _hash_string(text):
    """FNV-1a over UTF-16 code units, as JavaScript's charCodeAt sees the text."""
    data = text.encode("utf-16-le")
    h = 0x811C9DC5
    for i in range(0, len(data), 2):
        h = _imul(h ^ int.from_bytes(data[i : i + 2], "little"), 0x01000193)
    return h


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


class _Random:
    """xoshiro128** seeded from (seed, stream), as src/core/random.ts."""

    def __init__(self, seed, stream):
        self.s0 = _mix32(seed & M32, _hash_string(stream))
        self.s1 = _mix32(self.s0, 0x243F6A88)
        self.s2 = _mix32(self.s1, 0x85A308D3)
        self.s3 = _mix32(self.s2, 0x13198A2E) or 1

    def next_uint32(self):
        result = _imul(_rotl(_imul(self.s1, 5), 7), 9)
        t = (self.s1 << 9) & M32
        self.s2 ^= self.s0
        self.s3 ^= self.s1
        self.s1 ^= self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = _rotl(self.s3, 11)
        return result

    def int(self, n):
        return math.floor(self.next_uint32() / 4294967296 * n)

    def shuffle(self, items):
        for i in range(len(items) - 1, 0, -1):
            j = self.int(i + 1)
            items[i], items[j] = items[j], items[i]
        return items


def read_rows(path):
    """The rows of a CSV, TSV, JSON lines or JSON file, as dicts."""
    ext = os.path.splitext(path)[1].lower()
    with open(path, encoding="utf-8-sig", newline="") as f:
        if ext in (".csv", ".tsv", ".txt"):
            return list(csv.DictReader(f, delimiter="," if ext == ".csv" else "\\t"))
        if ext in (".jsonl", ".ndjson"):
            return [json.loads(line) for line in f if line.strip()]
        data = json.load(f)
    if isinstance(data, dict):
        data = next(v for v in data.values() if isinstance(v, list))
    return data


def _text(value):
    """A cell as the extension reads it: blank strings are missing, numbers written out."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(value)
    if isinstance(value, str) and value.strip():
        return value
    return None


def examples(rows, text_column, pair_column, label_column):
    """(text, pair, label) of every row that has a text and a label, in file order."""
    out = []
    for row in rows:
        text, label = _text(row.get(text_column)), _text(row.get(label_column))
        pair = _text(row.get(pair_column)) if pair_column else None
        if text is None or (pair_column and pair is None) or label is None:
            continue
        out.append((text, pair, label))
    return out


def sorted_labels(labels):
    """Label ids as the extension assigns them: sorted, numerically when all are integers."""
    distinct = list(dict.fromkeys(labels))
    if all(re.fullmatch(r"-?\\d+", label) for label in distinct):
        return sorted(distinct, key=int)
    return sorted(distinct, key=lambda label: label.encode("utf-16-be"))


def split_indices(label_ids, num_labels, fraction, seed):
    """Per class, a seeded shuffle puts round(n * fraction) rows into validation (at least one
    when the class has two or more, never the last one). Returns (train, validation) indices."""
    by_class = [[] for _ in range(num_labels)]
    for i, label in enumerate(label_ids):
        by_class[label].append(i)
    random = _Random(seed, "validation-split")
    train, validation = [], []
    for members in by_class:
        random.shuffle(members)
        take = math.floor(len(members) * fraction + 0.5)
        take = min(max(take, 1), len(members) - 1) if len(members) >= 2 else 0
        validation += members[:take]
        train += members[take:]
    return sorted(train), sorted(validation)


def load_data():
    """(train, validation, labels): lists of (text, pair, label id), and the sorted label names."""
    text_column, label_column = CONFIG["text_column"], CONFIG["label_column"]
    if not text_column or not label_column:
        sys.exit("Set text_column and label_column in {{CONFIG_NAME}} and export again.")
    rows = examples(read_rows(os.path.join(HERE, CONFIG["train_file"])), text_column, CONFIG["text_pair_column"], label_column)
    labels = sorted_labels([label for _, _, label in rows])
    ids = {label: i for i, label in enumerate(labels)}
    encoded = [(text, pair, ids[label]) for text, pair, label in rows]
    if CONFIG["validation_file"]:
        held_out = examples(read_rows(os.path.join(HERE, CONFIG["validation_file"])), text_column, CONFIG["text_pair_column"], label_column)
        return encoded, [(text, pair, ids[label]) for text, pair, label in held_out], labels
    train, validation = split_indices([e[2] for e in encoded], len(labels), CONFIG["validation_split"], training_arguments_kwargs()["seed"])
    return [encoded[i] for i in train], [encoded[i] for i in validation], labels


def has_weights(model_name):
    """A hub id has weights; a local folder only when it holds a checkpoint."""
    if not os.path.isdir(model_name):
        return True
    return any(os.path.exists(os.path.join(model_name, name)) for name in ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"))


# --- Training --------------------------------------------------------------------------------


def main():
    import numpy as np
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import (
        AutoConfig,
        AutoModelForSequenceClassification,
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    kwargs = training_arguments_kwargs()
    kwargs["output_dir"] = os.path.join(HERE, kwargs["output_dir"])
    output_dir = kwargs["output_dir"]
    ours = {"trainer_state.json", "README.md", "config.json", "model.safetensors", "training_args.bin"}
    foreign = [n for n in os.listdir(output_dir) if not n.startswith(".") and not n.startswith("checkpoint-") and n not in ours] if os.path.isdir(output_dir) else []
    if foreign and not CONFIG["overwrite_output_dir"]:
        sys.exit(f"{output_dir} holds files this run did not write ({', '.join(sorted(foreign)[:3])}); use a new output_dir.")

    train, validation, labels = load_data()
    model_name = CONFIG["model"] if not os.path.isdir(os.path.join(HERE, CONFIG["model"])) else os.path.join(HERE, CONFIG["model"])
    tokenizer = AutoTokenizer.from_pretrained(model_name)
    heads = {"num_labels": len(labels), "id2label": dict(enumerate(labels)), "label2id": {label: i for i, label in enumerate(labels)}}
    if has_weights(model_name):
        model = AutoModelForSequenceClassification.from_pretrained(model_name, **heads)
    else:
        # A model folder with a config and no weights trains from scratch, as in the extension
        # (PyTorch draws its own initial weights).
        model = AutoModelForSequenceClassification.from_config(AutoConfig.from_pretrained(model_name, **heads))

    def dataset(examples):
        """Tokenized examples as a list of features: the Trainer takes any sequence, and the
        collator pads each batch to its longest example, as the extension does."""
        texts = [t for t, _, _ in examples]
        pairs = [p for _, p, _ in examples] if CONFIG["text_pair_column"] else None
        encoded = tokenizer(texts, pairs, truncation=True, max_length=CONFIG["max_length"])
        return [{**{key: values[i] for key, values in encoded.items()}, "labels": label} for i, (_, _, label) in enumerate(examples)]

    def compute_metrics(prediction):
        predicted = np.argmax(prediction.predictions, axis=-1)
        return {
            "accuracy": accuracy_score(prediction.label_ids, predicted),
            "f1": f1_score(prediction.label_ids, predicted, average=CONFIG["f1_average"]),
        }

    trainer = Trainer(
        model=model,
        args=TrainingArguments(**kwargs),
        train_dataset=dataset(train),
        eval_dataset=dataset(validation),
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=compute_metrics,
    )
    resume = CONFIG["resume_from_checkpoint"]
    result = trainer.train(resume_from_checkpoint=os.path.join(HERE, resume) if isinstance(resume, str) else resume)
    trainer.save_model()
    trainer.log_metrics("train", result.metrics)
    trainer.save_metrics("train", result.metrics)
    metrics = trainer.evaluate()
    trainer.log_metrics("eval", metrics)
    trainer.save_metrics("eval", metrics)
    trainer.save_state()
    trainer.create_model_card(dataset=os.path.basename(CONFIG["train_file"]))


if __name__ == "__main__":
    main()
`;
