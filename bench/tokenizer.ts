// Tokenizer throughput on real text: `node out/bench/tokenizer.js <vocab.txt> <csv>...` prints
// JSON lines for ours and for Hugging Face's Rust fast tokenizer (the `tokenizers` binding).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from 'tokenizers';
import { readRows } from '../src/core/data/readers';
import { BertTokenizer } from '../src/core/text/tokenizer';

async function main([vocabFile, ...files]: string[]): Promise<void> {
  const texts: string[] = [];
  for (const file of files) for await (const row of readRows(file)) texts.push(String(row.values.text));
  const vocab = fs.readFileSync(vocabFile, 'utf8').split('\n').slice(0, -1);
  const rounds = 5;
  let tokens = 0;
  // A fresh tokenizer per round: its word cache must not carry the previous round's work.
  const oursTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const ours = new BertTokenizer(vocab);
    const start = performance.now();
    tokens = 0;
    for (const text of texts) tokens += ours.encode(text).inputIds.length;
    oursTimes.push((performance.now() - start) / 1000);
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tok-bench-')), 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(new BertTokenizer(vocab).tokenizerJson()));
  const reference = Tokenizer.fromFile(file);
  const referenceTimes: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    // Its batch API, in chunks: one native call per chunk (per-text calls would measure the binding's overhead).
    for (let i = 0; i < texts.length; i += 1000) await reference.encodeBatch(texts.slice(i, i + 1000));
    referenceTimes.push((performance.now() - start) / 1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(
    `${JSON.stringify({ kind: 'tokenizer', engine: 'ours', texts: texts.length, tokens, seconds: oursTimes, tokens_per_second: tokens / median(oursTimes) })}\n`,
  );
  process.stdout.write(
    `${JSON.stringify({ kind: 'tokenizer', engine: 'hf-rust', texts: texts.length, tokens, seconds: referenceTimes, tokens_per_second: tokens / median(referenceTimes) })}\n`,
  );
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error);
  process.exit(2);
});
