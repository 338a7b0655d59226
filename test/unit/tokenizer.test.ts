// The tokenizer against known ids and against Hugging Face's own fast tokenizer (the Rust
// `tokenizers` crate through its Node binding), loaded from the tokenizer.json we write.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import { Tokenizer, type TruncationOptions } from 'tokenizers';
import { BertTokenizer } from '../../src/core/text/tokenizer';
import { fixture } from './helpers';

const vocab = fs.readFileSync(fixture('vocab/vocab.txt'), 'utf8').split('\n').slice(0, -1);
const ours = new BertTokenizer(vocab);
let reference: Tokenizer;

before(() => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tok-')), 'tokenizer.json');
  fs.writeFileSync(file, JSON.stringify(ours.tokenizerJson()));
  reference = Tokenizer.fromFile(file);
});

async function referenceIds(text: string, pair?: string): Promise<number[]> {
  return (await reference.encode(text, pair ?? null)).getIds();
}

const EDGE_CASES = [
  '',
  '   ',
  'Hello, my dog is cute',
  'Café naïve résumé',
  'ÀÉÎÕÜ ñ ç ß ø',
  'ΟΔΟΣ ΣΟΦΟΣ',
  'İstanbul',
  'ﬁnance ﬂow', // lowercase per character, ligatures
  '中文字 日本語 한국어',
  '𠀀𠀁𪜀 𫝀',
  '\u{2B820}\u{2B91F}|\u{2B920}\u{2CEAF}', // CJK, Extension B, the fast tokenizer's E range
  'a\u0000b\u00adc\ufffdd\u200be\u0085f\u000bg', // NUL, soft hyphen, replacement, ZWSP, NEL, VT
  'a\u0378b c\ue000d e\u{F0000}f g\u{E0001}h \uffff', // unassigned (kept), private use, tag, noncharacter
  'tab\tnew\nline\r\nnbsp\u00a0ideo\u3000space',
  'x'.repeat(100),
  'x'.repeat(101),
  'supercalifragilisticexpialidocious',
  'unaffable',
  '$5 <3 =) ^_^ `~| «quotes» ¿qué? — dash… ellipsis',
  'hello[SEP]world [MASK] [sep] [CLS][PAD] [UNK]',
  '[[SEP]]',
  'emoji 😀👍🏽 flags 🇫🇷',
  'http://example.com/a?b=c&d=e user@example.com #hashtag @mention',
];

test('known encodings of the bert-base-uncased vocabulary', () => {
  assert.deepEqual(ours.encode('Hello, my dog is cute').inputIds, [101, 7592, 1010, 2026, 3899, 2003, 10140, 102]);
  assert.deepEqual(ours.encode('Café naïve résumé').inputIds, [101, 7668, 15743, 13746, 102]);
  assert.deepEqual(ours.tokenize('unaffable'), ['una', '##ffa', '##ble']);
});

test("edge cases give the fast tokenizer's ids", async () => {
  for (const text of EDGE_CASES)
    assert.deepEqual(ours.encode(text).inputIds, await referenceIds(text), JSON.stringify(text));
});

test("CJK: BMP and Extension B characters are split; U+2B820..U+2B91F is not (the fast tokenizer's table)", () => {
  assert.deepEqual(ours.tokenize('中文'), ['中', '文']);
  assert.equal(ours.tokenize('𠀀𠀁').length, 2);
  assert.deepEqual(ours.tokenize('\u{2B820}\u{2B821}'), ['[UNK]']);
});

test('words over 100 characters are [UNK]; special tokens in the text are recognized', () => {
  assert.deepEqual(ours.tokenize('a'.repeat(101)), ['[UNK]']);
  assert.deepEqual(ours.encode('a [SEP] b').inputIds, [101, 1037, 102, 1038, 102]);
});

test("every sentence of the real datasets gives the fast tokenizer's ids", async () => {
  const texts: string[] = [];
  for (const file of ['data/uci_sentiment.csv', 'data/spamassassin.csv']) {
    const { readRows } = await import('../../src/core/data/readers');
    for await (const row of readRows(fixture(file))) texts.push(String(row.values.text));
  }
  assert.ok(texts.length > 8000);
  let mismatches = 0;
  for (const text of texts) {
    const expected = await referenceIds(text);
    if (JSON.stringify(ours.encode(text).inputIds) !== JSON.stringify(expected)) mismatches++;
  }
  assert.equal(mismatches, 0);
});

test('pairs with longest_first truncation and max_length padding match the fast tokenizer', async () => {
  const a = 'The quick brown fox jumps over the lazy dog near the river bank today';
  const b = 'A fast auburn fox leapt';
  for (const maxLength of [5, 8, 9, 12, 17, 20, 64]) {
    // (a const enum in the binding's types: its value is the string)
    reference.setTruncation(maxLength, { strategy: 'LongestFirst' } as unknown as TruncationOptions);
    reference.setPadding({ maxLength, padId: 0, padToken: '[PAD]' });
    for (const [x, y] of [
      [a, b],
      [b, a],
      [a, a],
      [a, undefined],
      [b, undefined],
    ] as const) {
      const expected = await reference.encode(x, y ?? null);
      const got = ours.encode(x, y, { maxLength, padToMaxLength: true });
      assert.deepEqual(got.inputIds, expected.getIds(), `max ${maxLength} ${y === undefined ? 'single' : 'pair'}`);
      assert.deepEqual(got.attentionMask, expected.getAttentionMask());
    }
  }
  reference.disableTruncation();
  reference.disablePadding();
});

test('saved tokenizer files load back to the same ids, from tokenizer.json and from vocab.txt alone', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'tok-save-'));
  ours.save(folder);
  for (const name of ['vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'])
    assert.ok(fs.existsSync(path.join(folder, name)), name);
  const fromJson = BertTokenizer.fromFolder(folder);
  fs.rmSync(path.join(folder, 'tokenizer.json'));
  const fromVocab = BertTokenizer.fromFolder(folder);
  for (const text of EDGE_CASES) {
    assert.deepEqual(fromJson.encode(text).inputIds, ours.encode(text).inputIds);
    assert.deepEqual(fromVocab.encode(text).inputIds, ours.encode(text).inputIds);
  }
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8')).tokenizer_class,
    'DistilBertTokenizer',
  );
});
