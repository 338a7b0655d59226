// Batches of token ids: dynamic padding to the longest example of each batch (as Hugging Face's
// DataCollatorWithPadding), so short sentences do not pay for max_length; rounded up to the
// kernels' sequence multiple (its `pad_to_multiple_of`) but never past `maxLength`.
import { kernels } from '../kernels/activeKernels';
import type { EncodedBatch } from '../model/distilbert';

export function padBatch(sequences: ArrayLike<number>[], padId: number, maxLength = Infinity): EncodedBatch {
  const batchSize = sequences.length;
  const longest = Math.max(1, ...sequences.map((s) => s.length));
  const multiple = kernels().sequenceMultiple;
  const seqLength = Math.max(longest, Math.min(Math.ceil(longest / multiple) * multiple, maxLength));
  const inputIds = new Int32Array(batchSize * seqLength).fill(padId);
  const attentionMask = new Int32Array(batchSize * seqLength);
  sequences.forEach((sequence, row) => {
    for (let i = 0; i < sequence.length; i++) {
      inputIds[row * seqLength + i] = sequence[i];
      attentionMask[row * seqLength + i] = 1;
    }
  });
  return { inputIds, attentionMask, batchSize, seqLength };
}
