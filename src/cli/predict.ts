// `predict --model DIR|HUB_ID --text T [--text T ...] [--json] [--device D]`: the label and class
// probabilities of each text, from a fine-tuned model.
import { UserError } from '../core/errors';
import { loadBackend } from '../core/backends/loadBackend';
import { Classifier } from '../core/inference/classifier';
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
  const classifier = await Classifier.load(values.model, (t) => process.stderr.write(`${t}\n`));
  if (classifier.untrained)
    process.stderr.write(`warning: ${values.model} has no trained classification head; its predictions are random.\n`);
  const results = await classifier.classify(texts);
  classifier.dispose();
  for (const { text, label, score, probabilities } of results) {
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ text, label, score, probabilities })}\n`);
    } else {
      const others = Object.entries(probabilities)
        .map(([l, p]) => `${l} ${p.toFixed(4)}`)
        .join(', ');
      process.stdout.write(`${label}\t${score.toFixed(4)}\t(${others})\t${text}\n`);
    }
  }
  return 0;
}
