// What the step benchmarks train: DistilBERT-base (random weights, two labels), one batch of B x T
// tokens with no padding, and AdamW at the reference betas and epsilon.
import { DistilBertForSequenceClassification, type EncodedBatch } from '../src/core/model/distilbert';
import { parseDistilBertConfig } from '../src/core/model/distilbertConfig';
import { fromCheckpointLayout, initialValues, memoryShape, parameterSpecs } from '../src/core/model/parameters';
import { AdamW } from '../src/core/train/optimizer';
import { tf } from '../src/core/tf';

export function baseModelAndBatch(B: number, T: number) {
  const config = parseDistilBertConfig({ num_labels: 2 });
  const specs = parameterSpecs(config);
  const params = new Map(
    specs.map((s) => [
      s.name,
      tf.tensor(fromCheckpointLayout(s, initialValues(s, config, 0)), memoryShape(s), 'float32'),
    ]),
  );
  const batch: EncodedBatch = {
    inputIds: Int32Array.from({ length: B * T }, (_, i) => 1000 + ((i * 7919) % 29000)),
    attentionMask: new Int32Array(B * T).fill(1),
    batchSize: B,
    seqLength: T,
  };
  return {
    model: new DistilBertForSequenceClassification(config, params),
    batch,
    labels: Int32Array.from({ length: B }, (_, i) => i % 2),
    optimizer: new AdamW(specs, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }),
  };
}
