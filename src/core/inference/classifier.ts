// A fine-tuned model kept loaded to classify texts: the CLI's `predict`, and the model worker that
// answers the editor's Classify Selection, Predict Labels and Evaluate commands.
import { UserError } from '../errors';
import type { DistilBertForSequenceClassification } from '../model/distilbert';
import { resolveModel } from '../model/hub';
import { disposeModel, loadModel } from '../model/modelFolder';
import { BertTokenizer } from '../text/tokenizer';
import { tf } from '../tf';
import { padBatch } from '../train/batches';
import type { Classification } from './results';

export type { Classification } from './results';

/** Texts classified per forward pass. */
const BATCH = 32;

export class Classifier {
  private constructor(
    /** The model as it was asked for: a folder or a hub id. */
    readonly modelRef: string,
    /** The resolved local folder. */
    readonly folder: string,
    readonly model: DistilBertForSequenceClassification,
    readonly tokenizer: BertTokenizer,
    /** Label names in id order. */
    readonly labels: string[],
    /** Set when the model has no trained classification head: its predictions are random. */
    readonly untrained: boolean,
  ) {}

  static async load(modelRef: string, onLog: (text: string) => void = () => {}): Promise<Classifier> {
    const { folder } = await resolveModel(modelRef, { onLog });
    const { model, fromScratch, newlyInitialized } = loadModel(folder, { seed: 0, displayName: modelRef });
    const tokenizer = BertTokenizer.fromFolder(folder);
    const labels = Object.keys(model.config.id2label)
      .sort((a, b) => Number(a) - Number(b))
      .map((id) => model.config.id2label[id]);
    return new Classifier(modelRef, folder, model, tokenizer, labels, fromScratch || newlyInitialized.length > 0);
  }

  get maxLength(): number {
    return Math.min(this.model.config.max_position_embeddings, this.tokenizer.settings.modelMaxLength);
  }

  /** Classifies `texts` in batches; `onBatch` hears the count done after each (and may throw to stop). */
  async classify(texts: string[], onBatch: (done: number) => void = () => {}): Promise<Classification[]> {
    if (texts.length === 0) throw new UserError('nothing to classify: no text was given');
    const results: Classification[] = [];
    for (let start = 0; start < texts.length; start += BATCH) {
      const slice = texts.slice(start, start + BATCH);
      const encoded = slice.map((t) => this.tokenizer.encode(t, undefined, { maxLength: this.maxLength }).inputIds);
      const softmax = tf.tidy(() =>
        tf.softmax(this.model.logits(padBatch(encoded, this.tokenizer.padId, this.maxLength))),
      );
      const rows = (await softmax.array()) as number[][];
      softmax.dispose();
      slice.forEach((text, i) => {
        const p = rows[i];
        const best = p.indexOf(Math.max(...p));
        results.push({
          text,
          label: this.labels[best],
          score: p[best],
          probabilities: Object.fromEntries(this.labels.map((label, j) => [label, p[j]])),
        });
      });
      // A turn of the event loop between batches, so that a cancel message can arrive.
      await new Promise<void>((resolve) => setImmediate(resolve));
      onBatch(results.length);
    }
    return results;
  }

  dispose(): void {
    disposeModel(this.model);
  }
}
