// `predict --model DIR|HUB_ID --text T [--text T ...] [--json] [--device D]`: the label and class
// probabilities of each text, from a fine-tuned model.
import { UserError } from '../core/errors';
import { disposeModel, loadModel } from '../core/model/modelFolder';
import { resolveModel } from '../core/model/hub';
import { BertTokenizer } from '../core/text/tokenizer';
import { tf } from '../core/tf';
import { loadBackend } from '../core/backends/loadBackend';
import { padBatch } from '../core/train/batches';
import { DEVICE_OPTION, deviceOf, parse } from './args';

export async function predictCommand(args: string[]): Promise<number> {
  const { values } = parse({
    args,
    options: {
      model: { type: 'string' },
      text: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      ...DEVICE_OPTION,
    },
  });
  if (!values.model) throw new UserError('predict needs --model DIR (or a hub id)');
  const texts = values.text ?? [];
  if (texts.length === 0) throw new UserError('predict needs at least one --text');
  await loadBackend(deviceOf(values.device));
  const { folder } = await resolveModel(values.model, { onLog: (t) => process.stderr.write(`${t}\n`) });
  const { model, fromScratch, newlyInitialized } = loadModel(folder, { seed: 0, displayName: values.model });
  if (fromScratch || newlyInitialized.length > 0)
    process.stderr.write(`warning: ${values.model} has no trained classification head; its predictions are random.\n`);
  const tokenizer = BertTokenizer.fromFolder(folder);
  const maxLength = Math.min(model.config.max_position_embeddings, tokenizer.settings.modelMaxLength);
  const labels = Object.keys(model.config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((id) => model.config.id2label[id]);
  const encoded = texts.map((t) => tokenizer.encode(t, undefined, { maxLength }).inputIds);
  const softmax = tf.tidy(() => tf.softmax(model.logits(padBatch(encoded, tokenizer.padId, maxLength))));
  const probabilities = (await softmax.array()) as number[][];
  softmax.dispose();
  disposeModel(model);
  texts.forEach((text, i) => {
    const p = probabilities[i];
    const best = p.indexOf(Math.max(...p));
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ text, label: labels[best], score: p[best], probabilities: Object.fromEntries(labels.map((l, j) => [l, p[j]])) })}\n`,
      );
    } else {
      const others = labels.map((l, j) => `${l} ${p[j].toFixed(4)}`).join(', ');
      process.stdout.write(`${labels[best]}\t${p[best].toFixed(4)}\t(${others})\t${text}\n`);
    }
  });
  return 0;
}
