// Loading a model folder into DistilBertForSequenceClassification and saving one that
// `transformers.AutoModelForSequenceClassification.from_pretrained` loads.
//
// Loading follows `from_pretrained`: names with or without the `distilbert.` prefix, buffers such
// as `position_ids` ignored, tensors of other heads (the masked-LM `vocab_*` of
// distilbert-base-uncased) dropped and listed, a missing classification head initialized as
// `_init_weights` does and listed, any other missing or misshaped tensor an error that names it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { writeJsonAtomic } from '../files';
import { tf, type Tensor } from '../tf';
import {
  parseDistilBertConfig,
  serializeDistilBertConfig,
  withLabels,
  type DistilBertConfig,
} from './distilbertConfig';
import { DistilBertForSequenceClassification, type Params } from './distilbert';
import {
  HEAD,
  fromCheckpointLayout,
  initialValues,
  memoryShape,
  parameterSpecs,
  toCheckpointLayout,
  type ParameterSpec,
} from './parameters';
import { readSafetensors, writeSafetensors, type StoredTensor } from './safetensors';
import { CONFIG_NAME, SAFE_WEIGHTS_NAME } from '../outputNames';

export interface LoadedModel {
  model: DistilBertForSequenceClassification;
  specs: ParameterSpec[];
  /** What the weights are, said once (the model's name is said beside it): "pretrained weights", "from scratch". */
  source: string;
  fromScratch: boolean;
  /** Parameters that were initialized rather than loaded (the classification head of a base model). */
  newlyInitialized: string[];
  /** Checkpoint tensors this model does not use. */
  unused: string[];
  /** Log lines in the words of `from_pretrained`. */
  messages: string[];
}

export interface LoadOptions {
  /** Labels of the dataset: they set num_labels, id2label and label2id. */
  labels?: string[];
  /** Seeds the initialization of new parameters (the Trainer's `seed`). */
  seed: number;
  /** Name shown in messages (hub id or folder). */
  displayName?: string;
}

const IGNORED_BUFFERS = /(^|\.)position_ids$/;

export function readModelConfig(folder: string): DistilBertConfig {
  const file = path.join(folder, CONFIG_NAME);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${folder}: no config.json (not a model folder)`);
    if (code) throw new UserError(`${file}: cannot read (${code})`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file}: invalid JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new UserError(`${file}: expected a JSON object (a Hugging Face model config)`);
  return parseDistilBertConfig(json as Record<string, unknown>, file);
}

export function loadModel(folder: string, options: LoadOptions): LoadedModel {
  const name = options.displayName ?? folder;
  let config = readModelConfig(folder);
  if (options.labels) config = withLabels(config, options.labels);
  const specs = parameterSpecs(config);
  const weightsFile = path.join(folder, SAFE_WEIGHTS_NAME);
  const messages: string[] = [];

  if (!fs.existsSync(weightsFile)) {
    if (
      fs.existsSync(path.join(folder, 'pytorch_model.bin')) ||
      fs.existsSync(path.join(folder, 'model.safetensors.index.json'))
    ) {
      throw new UserError(
        `${name} has its weights in a format this extension does not read (pytorch_model.bin or sharded safetensors)`,
        'Save the model with `model.save_pretrained(dir, safe_serialization=True)` into a single model.safetensors.',
      );
    }
    const params = initializeAll(specs, config, options.seed);
    messages.push(
      `${name} has a config and no model.safetensors: training FROM SCRATCH, with randomly initialized weights. Results will be far below those of a pretrained model.`,
    );
    return {
      model: new DistilBertForSequenceClassification(config, params),
      specs,
      source: 'from scratch, no pretrained weights',
      fromScratch: true,
      newlyInitialized: specs.map((s) => s.name),
      unused: [],
      messages,
    };
  }

  const stored = readSafetensors(weightsFile).tensors;
  const byName = new Map<string, StoredTensor>();
  const unused: string[] = [];
  for (const [key, tensor] of stored) {
    if (IGNORED_BUFFERS.test(key)) continue;
    const canonical = specs.some((s) => s.name === key)
      ? key
      : specs.some((s) => s.name === `distilbert.${key}`)
        ? `distilbert.${key}`
        : undefined;
    if (canonical) byName.set(canonical, tensor);
    else unused.push(key);
  }

  const params: Params = new Map();
  const newlyInitialized: string[] = [];
  const resized: string[] = [];
  for (const spec of specs) {
    const tensor = byName.get(spec.name);
    const isHead = spec.name.startsWith('pre_classifier.') || spec.name.startsWith('classifier.');
    if (!tensor) {
      if (!isHead)
        throw new UserError(
          `${name}: model.safetensors has no tensor ${spec.name} (nor ${spec.name.replace(/^distilbert\./, '')})`,
          'The checkpoint does not match its config.json, or is not a DistilBERT checkpoint.',
        );
      newlyInitialized.push(spec.name);
      params.set(spec.name, initialized(spec, config, options.seed));
      continue;
    }
    if (!sameShape(tensor.shape, spec.shape)) {
      if (spec.name.startsWith('classifier.')) {
        // A fine-tuned checkpoint with another number of labels: a new classifier, as
        // `ignore_mismatched_sizes=True` would give.
        resized.push(
          `${spec.name}: ${JSON.stringify(tensor.shape)} in the checkpoint, ${JSON.stringify(spec.shape)} in the model`,
        );
        newlyInitialized.push(spec.name);
        params.set(spec.name, initialized(spec, config, options.seed));
        continue;
      }
      throw new UserError(
        `${name}: tensor ${spec.name} has shape ${JSON.stringify(tensor.shape)}, the config needs ${JSON.stringify(spec.shape)}`,
        'The checkpoint does not match its config.json.',
      );
    }
    params.set(spec.name, toTensor(spec, fromCheckpointLayout(spec, tensor.data)));
  }

  if (unused.length > 0) {
    messages.push(
      `Some weights of the model checkpoint at ${name} were not used when initializing DistilBertForSequenceClassification: [${unused.map(quote).join(', ')}]`,
    );
  }
  if (newlyInitialized.length > 0) {
    messages.push(
      `Some weights of DistilBertForSequenceClassification were not initialized from the model checkpoint at ${name} and are newly initialized: [${newlyInitialized.map(quote).join(', ')}]`,
    );
    messages.push(
      'You should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.',
    );
  }
  if (resized.length > 0)
    messages.push(`The classifier was re-initialized because the number of labels differs: ${resized.join('; ')}`);
  const headLoaded = !newlyInitialized.some((n) => n === HEAD.classifier);
  return {
    model: new DistilBertForSequenceClassification(config, params),
    specs,
    source: headLoaded ? 'fine-tuned weights' : 'pretrained weights',
    fromScratch: false,
    newlyInitialized,
    unused,
    messages,
  };
}

function initializeAll(specs: ParameterSpec[], config: DistilBertConfig, seed: number): Params {
  return new Map(specs.map((spec) => [spec.name, initialized(spec, config, seed)]));
}

function toTensor(spec: ParameterSpec, memoryLayoutValues: Float32Array): Tensor {
  return tf.tensor(memoryLayoutValues, memoryShape(spec), 'float32');
}

/** A new parameter, initialized as `_init_weights` does, in memory layout. */
function initialized(spec: ParameterSpec, config: DistilBertConfig, seed: number): Tensor {
  return toTensor(spec, fromCheckpointLayout(spec, initialValues(spec, config, seed)));
}

export type NamedArrays = Map<string, { shape: number[]; data: Float32Array }>;

/** The model's weights in checkpoint layout and names, read back from the backend (a GPU's too). */
export async function checkpointTensors(
  model: DistilBertForSequenceClassification,
  specs: ParameterSpec[],
): Promise<NamedArrays> {
  const values = await Promise.all(specs.map((spec) => model.params.get(spec.name)!.data()));
  return new Map(
    specs.map((spec, i) => [
      spec.name,
      { shape: spec.shape, data: toCheckpointLayout(spec, values[i] as Float32Array) },
    ]),
  );
}

/** Writes model.safetensors and config.json (with id2label/label2id) into `folder`, each atomically. */
export function writeModelFiles(folder: string, config: DistilBertConfig, weights: NamedArrays): void {
  fs.mkdirSync(folder, { recursive: true });
  writeSafetensors(path.join(folder, SAFE_WEIGHTS_NAME), weights);
  writeJsonAtomic(path.join(folder, CONFIG_NAME), serializeDistilBertConfig(config));
}

/** Reads the weights back and writes the model folder (save_pretrained). */
export async function saveModel(
  folder: string,
  model: DistilBertForSequenceClassification,
  specs: ParameterSpec[],
): Promise<void> {
  writeModelFiles(folder, model.config, await checkpointTensors(model, specs));
}

export function disposeModel(model: DistilBertForSequenceClassification): void {
  for (const tensor of model.params.values()) tensor.dispose();
  model.params.clear();
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function quote(name: string): string {
  return `'${name}'`;
}
