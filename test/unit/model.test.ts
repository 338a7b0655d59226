// The model's weights: HF checkpoint names, layouts and loading rules, save/load round trips, and
// per-parameter gradients against the PyTorch reference.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { loadBackend } from '../../src/core/backends/loadBackend';
import { tf } from '../../src/core/tf';
import { loadModel, saveModel, disposeModel } from '../../src/core/model/modelFolder';
import { parseSafetensors, readSafetensors, serializeSafetensors } from '../../src/core/model/safetensors';
import { writeTinyModel } from '../../src/core/model/tinyModels';
import type { EncodedBatch } from '../../src/core/model/distilbert';
import { UserError } from '../../src/core/errors';
import { fixture } from './helpers';

const GOLDEN = fixture('tiny-distilbert');
const cases = JSON.parse(fs.readFileSync(`${GOLDEN}/cases.json`, 'utf8'));
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'model-'));

before(async () => {
  // device: cpu, as users pick it: on Linux x64 with the addon built (as here) that is the native
  // kernels, never a silent fall back to the JavaScript ones.
  const { backend, skipped } = await loadBackend('cpu');
  assert.equal(backend, 'native', `device: cpu ran on ${backend} (skipped: ${skipped.join('; ')})`);
});

function goldenBatch(): { batch: EncodedBatch; labels: Int32Array } {
  return {
    batch: {
      inputIds: Int32Array.from(cases.batch.input_ids.flat()),
      attentionMask: Int32Array.from(cases.batch.attention_mask.flat()),
      batchSize: 4,
      seqLength: 12,
    },
    labels: Int32Array.from(cases.batch.labels),
  };
}

test("every parameter's gradient norm matches the PyTorch reference", async () => {
  const { model } = loadModel(GOLDEN, { seed: 0 });
  const { batch, labels } = goldenBatch();
  const { gradients } = await model.lossAndGradients(batch, labels, undefined);
  const expected = cases.forward.per_param_grad_norm as Record<string, number>;
  assert.deepEqual([...gradients.keys()].sort(), Object.keys(expected).sort());
  for (const [name, grad] of gradients) {
    const norm = Math.sqrt(tf.sum(tf.square(grad)).dataSync()[0]);
    const want = expected[name];
    assert.ok(Math.abs(norm - want) <= 1e-9 + 2e-4 * want, `${name}: ${norm} vs ${want}`);
    grad.dispose();
  }
  disposeModel(model);
});

test('padded positions do not change the logits (mask invariance)', () => {
  const { model } = loadModel(GOLDEN, { seed: 0 });
  const { batch } = goldenBatch();
  const scrambled = {
    ...batch,
    inputIds: batch.inputIds.map((id, i) => (batch.attentionMask[i] ? id : 1 + (i % 900))),
  };
  const a = model.logits(batch).dataSync();
  const b = model.logits(scrambled).dataSync();
  assert.deepEqual(Array.from(b), Array.from(a));
  disposeModel(model);
});

test('save -> load round-trips bit-exactly, with the names, dtypes and shapes of the HF checkpoint', async () => {
  const folder = tmp();
  const { model, specs } = loadModel(GOLDEN, { seed: 0 });
  await saveModel(folder, model, specs);
  const original = readSafetensors(`${GOLDEN}/model.safetensors`).tensors;
  const saved = readSafetensors(`${folder}/model.safetensors`).tensors;
  assert.deepEqual([...saved.keys()], [...original.keys()].sort());
  for (const [name, tensor] of original) {
    const copy = saved.get(name)!;
    assert.equal(copy.dtype, tensor.dtype, name);
    assert.deepEqual(copy.shape, tensor.shape, name);
    assert.ok(Buffer.from(copy.data.buffer).equals(Buffer.from(tensor.data.buffer)), `${name} is bit-identical`);
  }
  // Byte for byte, the file is what the reference wrote (same layout rules as the safetensors package).
  assert.ok(fs.readFileSync(`${folder}/model.safetensors`).equals(fs.readFileSync(`${GOLDEN}/model.safetensors`)));
  const config = JSON.parse(fs.readFileSync(`${folder}/config.json`, 'utf8'));
  assert.deepEqual(config.architectures, ['DistilBertForSequenceClassification']);
  assert.deepEqual(config.id2label, { 0: 'LABEL_0', 1: 'LABEL_1', 2: 'LABEL_2' });
  assert.deepEqual(config.label2id, { LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
  const reloaded = loadModel(folder, { seed: 0 });
  for (const [name, tensor] of model.params)
    assert.deepEqual(Array.from(reloaded.model.params.get(name)!.dataSync()), Array.from(tensor.dataSync()), name);
  disposeModel(model);
  disposeModel(reloaded.model);
});

test('a masked-LM base checkpoint: vocab_* dropped and listed, a new head initialized and listed, labels from the data', () => {
  const folder = writeTinyModel(tmp(), fixture('vocab/vocab.txt'));
  const loaded = loadModel(folder, {
    seed: 42,
    labels: ['negative', 'neutral', 'positive'],
    displayName: 'distilbert-base-uncased',
  });
  assert.deepEqual(loaded.unused.sort(), [
    'vocab_layer_norm.bias',
    'vocab_layer_norm.weight',
    'vocab_projector.bias',
    'vocab_transform.bias',
    'vocab_transform.weight',
  ]);
  assert.deepEqual(loaded.newlyInitialized, [
    'pre_classifier.weight',
    'pre_classifier.bias',
    'classifier.weight',
    'classifier.bias',
  ]);
  assert.match(
    loaded.messages.join('\n'),
    /Some weights of the model checkpoint at distilbert-base-uncased were not used when initializing DistilBertForSequenceClassification: \['vocab_/,
  );
  assert.match(
    loaded.messages.join('\n'),
    /newly initialized: \['pre_classifier\.weight', 'pre_classifier\.bias', 'classifier\.weight', 'classifier\.bias'\]/,
  );
  assert.equal(loaded.model.config.id2label[2], 'positive');
  const classifier = loaded.model.params.get('classifier.weight')!;
  assert.deepEqual(classifier.shape, [32, 3], '[in, out] in memory');
  const values = Array.from(classifier.dataSync());
  const std = Math.sqrt(values.reduce((a, v) => a + v * v, 0) / values.length);
  assert.ok(std > 0.01 && std < 0.03, `N(0, 0.02) initialization, std ${std}`);
  assert.deepEqual(Array.from(loaded.model.params.get('classifier.bias')!.dataSync()), [0, 0, 0]);
  disposeModel(loaded.model);
});

test('names without the distilbert. prefix load, position_ids is ignored, F16 and BF16 are widened', () => {
  const source = readSafetensors(`${GOLDEN}/model.safetensors`).tensors;
  const folder = tmp();
  fs.copyFileSync(`${GOLDEN}/config.json`, `${folder}/config.json`);
  // Rewrite: unprefixed names, a position_ids buffer, and the word embeddings in float16/bfloat16.
  const header: Record<string, unknown> = {};
  const chunks: Buffer[] = [];
  let offset = 0;
  const push = (name: string, dtype: string, shape: number[], bytes: Buffer) => {
    header[name] = { dtype, shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  };
  for (const [name, t] of source) {
    const short = name.replace(/^distilbert\./, '');
    if (name.endsWith('word_embeddings.weight'))
      push(short, 'F16', t.shape, Buffer.from(Uint16Array.from(t.data, toHalf).buffer));
    else if (name.endsWith('position_embeddings.weight'))
      push(
        short,
        'BF16',
        t.shape,
        Buffer.from(Uint16Array.from(t.data, (x) => new Uint32Array(Float32Array.of(x).buffer)[0] >>> 16).buffer),
      );
    else
      push(
        short,
        'F32',
        t.shape,
        Buffer.from(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength)),
      );
  }
  push(
    'embeddings.position_ids',
    'I64',
    [1, 64],
    Buffer.from(BigInt64Array.from({ length: 64 }, (_, i) => BigInt(i)).buffer),
  );
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(`${folder}/model.safetensors`, Buffer.concat([length, json, ...chunks]));

  const loaded = loadModel(folder, { seed: 0 });
  assert.deepEqual(loaded.unused, []);
  assert.deepEqual(loaded.newlyInitialized, []);
  const word = loaded.model.params.get('distilbert.embeddings.word_embeddings.weight')!.dataSync();
  const want = source.get('distilbert.embeddings.word_embeddings.weight')!.data;
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(word[i] - want[i]) <= Math.abs(want[i]) * 1e-3 + 1e-7, `f16 value ${i}`);
  // bfloat16 keeps a float32's upper 16 bits: widened back, each value is the float32 with its low
  // 16 bits cleared, exactly.
  const position = loaded.model.params.get('distilbert.embeddings.position_embeddings.weight')!.dataSync();
  const full = source.get('distilbert.embeddings.position_embeddings.weight')!.data;
  const truncated = new Float32Array(
    new Uint32Array(Float32Array.from(full).buffer).map((bits) => bits & 0xffff0000).buffer,
  );
  assert.ok(
    truncated.some((v, i) => v !== full[i]),
    'the truncation drops bits',
  );
  assert.deepEqual(Array.from(position), Array.from(truncated));
  disposeModel(loaded.model);
});

test('F16 and BF16 decode to known float32 values (little-endian, subnormals, infinities)', () => {
  const f16: Array<[number, number]> = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x3555, 0.333251953125],
    [0x7bff, 65504],
    [0x0001, 2 ** -24],
    [0x8400, -(2 ** -14)],
    [0x7c00, Infinity],
  ];
  const bf16: Array<[number, number]> = [
    [0x3f80, 1],
    [0xc040, -3],
    [0x3e20, 0.15625],
    [0x4049, 3.140625],
    [0x3f81, 1.0078125],
    [0x0080, 2 ** -126],
    [0xff80, -Infinity],
  ];
  const bits = (pairs: Array<[number, number]>) => Buffer.from(Uint16Array.from(pairs, ([b]) => b).buffer);
  const f16Bytes = bits(f16);
  const bf16Bytes = bits(bf16);
  const header = Buffer.from(
    JSON.stringify({
      half: { dtype: 'F16', shape: [f16.length], data_offsets: [0, f16Bytes.length] },
      brain: {
        dtype: 'BF16',
        shape: [bf16.length],
        data_offsets: [f16Bytes.length, f16Bytes.length + bf16Bytes.length],
      },
    }),
  );
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(header.length));
  const { tensors } = parseSafetensors(Buffer.concat([length, header, f16Bytes, bf16Bytes]));
  assert.deepEqual(
    Array.from(tensors.get('half')!.data),
    f16.map(([, v]) => v),
  );
  assert.deepEqual(
    Array.from(tensors.get('brain')!.data),
    bf16.map(([, v]) => v),
  );
});

test('a missing or misshaped tensor is an error that names it', () => {
  const source = readSafetensors(`${GOLDEN}/model.safetensors`).tensors;
  const write = (mutate: (m: Map<string, { shape: number[]; data: Float32Array }>) => void) => {
    const folder = tmp();
    fs.copyFileSync(`${GOLDEN}/config.json`, `${folder}/config.json`);
    const tensors = new Map([...source].map(([k, v]) => [k, { shape: v.shape, data: v.data }]));
    mutate(tensors);
    fs.writeFileSync(`${folder}/model.safetensors`, serializeSafetensors(tensors));
    return folder;
  };
  const missing = write((m) => m.delete('distilbert.transformer.layer.1.ffn.lin2.weight'));
  assert.throws(
    () => loadModel(missing, { seed: 0 }),
    (e: unknown) =>
      e instanceof UserError && /no tensor distilbert\.transformer\.layer\.1\.ffn\.lin2\.weight/.test(e.message),
  );
  const misshaped = write((m) =>
    m.set('distilbert.transformer.layer.0.attention.q_lin.weight', { shape: [16, 64], data: new Float32Array(1024) }),
  );
  assert.throws(
    () => loadModel(misshaped, { seed: 0 }),
    /tensor distilbert\.transformer\.layer\.0\.attention\.q_lin\.weight has shape \[16,64\], the config needs \[32,32\]/,
  );
});

test('a folder with a config and no weights trains from scratch, and says so loudly', () => {
  const folder = writeTinyModel(tmp(), fixture('vocab/vocab.txt'), { weights: false });
  const loaded = loadModel(folder, { seed: 1, labels: ['a', 'b'] });
  assert.equal(loaded.fromScratch, true);
  assert.match(loaded.messages[0], /FROM SCRATCH/);
  const pad = tf
    .slice(loaded.model.params.get('distilbert.embeddings.word_embeddings.weight')!, [0, 0], [1, 32])
    .dataSync();
  assert.deepEqual(Array.from(pad), new Array(32).fill(0), 'the padding row starts at zero');
  disposeModel(loaded.model);
});

test('a truncated or garbled safetensors file is a clear error', () => {
  const bytes = fs.readFileSync(`${GOLDEN}/model.safetensors`);
  const headerEnd = 8 + Number(bytes.readBigUInt64LE(0));
  assert.throws(
    () => parseSafetensors(bytes.subarray(0, headerEnd + 100)),
    /not a valid safetensors file: tensor .* has data offsets .* outside the 100 data bytes/,
  );
  assert.throws(
    () => parseSafetensors(bytes.subarray(0, 1000)),
    /not a valid safetensors file: header length \d+ does not fit in 1000 bytes/,
  );
  assert.throws(() => parseSafetensors(Buffer.from('garbage!garbage!')), /not a valid safetensors file/);
  assert.throws(() => parseSafetensors(bytes.subarray(0, 4)), /it has 4 bytes/);
});

function toHalf(value: number): number {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  f[0] = value;
  const x = u[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = ((x >>> 23) & 0xff) - 127 + 15;
  const mantissa = x & 0x7fffff;
  if (exponent <= 0) return sign | ((mantissa | 0x800000) >>> (1 - exponent + 13));
  if (exponent >= 31) return sign | 0x7c00;
  return sign | (exponent << 10) | (mantissa >>> 13);
}
