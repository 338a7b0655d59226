// `tokenize --model DIR [--max-length N]`: JSON lines {"text": ..., "text_pair"?: ...} on stdin,
// JSON lines {"input_ids": [...], "attention_mask": [...]} on stdout, one per input line.
// A machine interface: other tools compare its output with Hugging Face's, so the format is fixed.
import * as readline from 'node:readline';
import { UserError } from '../core/errors';
import { resolveModel } from '../core/model/hub';
import { BertTokenizer } from '../core/text/tokenizer';
import { parse } from './args';

export async function tokenizeCommand(args: string[]): Promise<number> {
  const { values } = parse({ args, options: { model: { type: 'string' }, 'max-length': { type: 'string' } } });
  if (!values.model) throw new UserError('tokenize needs --model DIR');
  const maxLength = values['max-length'] === undefined ? undefined : Number(values['max-length']);
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= 2))
    throw new UserError(`--max-length ${values['max-length']}: expected a whole number >= 2`);
  const { folder } = await resolveModel(values.model);
  const tokenizer = BertTokenizer.fromFolder(folder);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let input: { text?: unknown; text_pair?: unknown };
    try {
      input = JSON.parse(line) as typeof input;
    } catch (error) {
      throw new UserError(
        `stdin:${lineNumber}: invalid JSON (${(error as Error).message})`,
        'Each line is an object like {"text": "Hello, my dog is cute"}.',
      );
    }
    if (typeof input.text !== 'string') throw new UserError(`stdin:${lineNumber}: expected {"text": "..."}`);
    const pair = typeof input.text_pair === 'string' ? input.text_pair : undefined;
    const { inputIds, attentionMask } = tokenizer.encode(
      input.text,
      pair,
      maxLength === undefined ? {} : { maxLength, padToMaxLength: true },
    );
    process.stdout.write(`${JSON.stringify({ input_ids: inputIds, attention_mask: attentionMask })}\n`);
  }
  return 0;
}
