// Small DistilBERT folders with the real bert-base-uncased vocabulary, for tests, demos and
// benchmarks that cannot download distilbert-base-uncased: the same structure at a tiny size.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeJsonAtomic } from '../files';
import { Random } from '../random';
import { BertTokenizer } from '../text/tokenizer';
import { DISTILBERT_DEFAULTS } from './distilbertConfig';
import { writeSafetensors } from './safetensors';
import { CONFIG_NAME, SAFE_WEIGHTS_NAME } from '../outputNames';

export interface TinyModelShape {
  dim: number;
  n_layers: number;
  n_heads: number;
  hidden_dim: number;
  max_position_embeddings: number;
}

export const TINY_SHAPE: TinyModelShape = {
  dim: 32,
  n_layers: 2,
  n_heads: 2,
  hidden_dim: 64,
  max_position_embeddings: 128,
};

/** config.json of a DistilBertForMaskedLM of this shape, like distilbert-base-uncased's. */
export function tinyConfig(shape: TinyModelShape, vocabSize: number): Record<string, unknown> {
  return {
    ...DISTILBERT_DEFAULTS,
    ...shape,
    vocab_size: vocabSize,
    architectures: ['DistilBertForMaskedLM'],
    model_type: 'distilbert',
    qa_dropout: 0.1,
    tie_weights_: true,
  };
}

/**
 * A model folder with config.json, vocab.txt, tokenizer files and, unless `weights` is false,
 * a masked-LM model.safetensors (random N(0, 0.02) weights, `vocab_*` head, no classifier),
 * tensor names prefixed with `distilbert.` as in the hub's checkpoint.
 */
export function writeTinyModel(
  folder: string,
  vocabFile: string,
  options: { weights?: boolean; shape?: TinyModelShape; seed?: number } = {},
): string {
  const shape = options.shape ?? TINY_SHAPE;
  const vocab = fs.readFileSync(vocabFile, 'utf8').split('\n');
  if (vocab[vocab.length - 1] === '') vocab.pop();
  fs.mkdirSync(folder, { recursive: true });
  writeJsonAtomic(path.join(folder, CONFIG_NAME), tinyConfig(shape, vocab.length));
  new BertTokenizer(vocab).save(folder);
  if (options.weights === false) return folder;

  const random = new Random(options.seed ?? 7, 'tiny-model');
  const { dim, hidden_dim: hidden, max_position_embeddings: positions } = shape;
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, dims: number[], fill?: number) => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = fill ?? random.normal() * 0.02;
    tensors.set(name, { shape: dims, data });
  };
  add('distilbert.embeddings.word_embeddings.weight', [vocab.length, dim]);
  add('distilbert.embeddings.position_embeddings.weight', [positions, dim]);
  add('distilbert.embeddings.LayerNorm.weight', [dim], 1);
  add('distilbert.embeddings.LayerNorm.bias', [dim], 0);
  for (let i = 0; i < shape.n_layers; i++) {
    const p = `distilbert.transformer.layer.${i}`;
    for (const lin of ['q_lin', 'k_lin', 'v_lin', 'out_lin']) {
      add(`${p}.attention.${lin}.weight`, [dim, dim]);
      add(`${p}.attention.${lin}.bias`, [dim], 0);
    }
    for (const norm of ['sa_layer_norm', 'output_layer_norm']) {
      add(`${p}.${norm}.weight`, [dim], 1);
      add(`${p}.${norm}.bias`, [dim], 0);
    }
    add(`${p}.ffn.lin1.weight`, [hidden, dim]);
    add(`${p}.ffn.lin1.bias`, [hidden], 0);
    add(`${p}.ffn.lin2.weight`, [dim, hidden]);
    add(`${p}.ffn.lin2.bias`, [dim], 0);
  }
  add('vocab_transform.weight', [dim, dim]);
  add('vocab_transform.bias', [dim], 0);
  add('vocab_layer_norm.weight', [dim], 1);
  add('vocab_layer_norm.bias', [dim], 0);
  add('vocab_projector.bias', [vocab.length], 0);
  writeSafetensors(path.join(folder, SAFE_WEIGHTS_NAME), tensors);
  return folder;
}
