// The BERT uncased WordPiece tokenizer, giving the ids of Hugging Face's fast tokenizer
// (`DistilBertTokenizerFast`), read from a model folder's `tokenizer.json` or `vocab.txt`.
//
// Encoding: special tokens written in the text ("[SEP]") are recognized first, on the raw text,
// as the fast tokenizer's added vocabulary does; each other span is normalized and pre-tokenized
// (normalize.ts); each word becomes WordPiece pieces (longest match first, `##` continuations,
// `[UNK]` for a word that cannot be split or has more than 100 characters); then
// `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]`, with `longest_first` truncation and padding.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../errors';
import { writeFileAtomic, writeJsonAtomic } from '../files';
import { normalizeText, preTokenize, type NormalizerSettings } from './normalize';
import { SPECIAL_TOKENS_MAP_NAME, TOKENIZER_CONFIG_NAME, TOKENIZER_NAME, VOCAB_NAME } from '../outputNames';

export interface TokenizerSettings extends NormalizerSettings {
  unkToken: string;
  clsToken: string;
  sepToken: string;
  padToken: string;
  maskToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  modelMaxLength: number;
}

export interface Encoding {
  inputIds: number[];
  attentionMask: number[];
}

export interface EncodeOptions {
  /** Truncate to this many tokens, specials included (HF `truncation=True, max_length=N`). */
  maxLength?: number;
  /** Pad to `maxLength` (HF `padding="max_length"`). */
  padToMaxLength?: boolean;
}

export const BERT_UNCASED_SETTINGS: TokenizerSettings = {
  cleanText: true,
  handleChineseChars: true,
  stripAccents: true,
  lowercase: true,
  unkToken: '[UNK]',
  clsToken: '[CLS]',
  sepToken: '[SEP]',
  padToken: '[PAD]',
  maskToken: '[MASK]',
  continuingSubwordPrefix: '##',
  maxInputCharsPerWord: 100,
  modelMaxLength: 512,
};

export class BertTokenizer {
  private readonly ids = new Map<string, number>();
  private readonly specialTokens: string[];
  /** Tokenized words seen before: real text repeats words a lot. */
  private readonly wordCache = new Map<string, number[]>();
  readonly unkId: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;

  constructor(
    readonly vocab: string[],
    readonly settings: TokenizerSettings = BERT_UNCASED_SETTINGS,
    private readonly sourceTokenizerJson?: string,
  ) {
    vocab.forEach((token, id) => {
      if (!this.ids.has(token)) this.ids.set(token, id);
    });
    const idOf = (token: string) => {
      const id = this.ids.get(token);
      if (id === undefined) throw new UserError(`the vocabulary has no ${token} token`);
      return id;
    };
    this.unkId = idOf(settings.unkToken);
    this.clsId = idOf(settings.clsToken);
    this.sepId = idOf(settings.sepToken);
    this.padId = idOf(settings.padToken);
    this.specialTokens = [
      settings.padToken,
      settings.unkToken,
      settings.clsToken,
      settings.sepToken,
      settings.maskToken,
    ]
      .filter((t) => this.ids.has(t))
      .sort((a, b) => b.length - a.length);
  }

  /** Loads `tokenizer.json` (preferred, as the fast tokenizer does) or `vocab.txt` from a model folder. */
  static fromFolder(folder: string): BertTokenizer {
    const tokenizerJson = path.join(folder, TOKENIZER_NAME);
    if (fs.existsSync(tokenizerJson))
      return BertTokenizer.fromTokenizerJson(fs.readFileSync(tokenizerJson, 'utf8'), tokenizerJson);
    const vocabFile = path.join(folder, VOCAB_NAME);
    if (!fs.existsSync(vocabFile))
      throw new UserError(
        `${folder}: no tokenizer.json or vocab.txt`,
        'A model folder needs the tokenizer it was trained with.',
      );
    const vocab = fs.readFileSync(vocabFile, 'utf8').split('\n');
    if (vocab[vocab.length - 1] === '') vocab.pop();
    return new BertTokenizer(
      vocab.map((t) => t.replace(/\r$/, '')),
      settingsFromTokenizerConfig(folder),
    );
  }

  static fromTokenizerJson(text: string, source = TOKENIZER_NAME): BertTokenizer {
    const json = JSON.parse(text) as TokenizerJson;
    if (json.model?.type !== 'WordPiece')
      throw new UserError(`${source}: the tokenizer model is ${json.model?.type}, not WordPiece`);
    if (json.normalizer && json.normalizer.type !== 'BertNormalizer')
      throw new UserError(`${source}: normalizer ${json.normalizer.type} is not supported (BertNormalizer)`);
    const entries = Object.entries(json.model.vocab);
    const vocab: string[] = new Array(entries.length);
    for (const [token, id] of entries) vocab[id] = token;
    const normalizer = json.normalizer ?? {
      lowercase: true,
      strip_accents: null,
      clean_text: true,
      handle_chinese_chars: true,
    };
    const settings: TokenizerSettings = {
      ...BERT_UNCASED_SETTINGS,
      lowercase: normalizer.lowercase ?? true,
      stripAccents: normalizer.strip_accents ?? normalizer.lowercase ?? true,
      cleanText: normalizer.clean_text ?? true,
      handleChineseChars: normalizer.handle_chinese_chars ?? true,
      unkToken: json.model.unk_token ?? '[UNK]',
      continuingSubwordPrefix: json.model.continuing_subword_prefix ?? '##',
      maxInputCharsPerWord: json.model.max_input_chars_per_word ?? 100,
    };
    return new BertTokenizer(vocab, settings, text);
  }

  get vocabSize(): number {
    return this.vocab.length;
  }

  /** WordPiece ids of a text, without special tokens. */
  tokenIds(text: string): number[] {
    const ids: number[] = [];
    for (const span of this.splitOnSpecialTokens(text)) {
      if (span.special !== undefined) {
        ids.push(span.special);
        continue;
      }
      for (const word of preTokenize(normalizeText(span.text, this.settings))) ids.push(...this.wordPiece(word));
    }
    return ids;
  }

  /** The pieces of a text, as strings (for display and tests). */
  tokenize(text: string): string[] {
    return this.tokenIds(text).map((id) => this.vocab[id]);
  }

  /** `[CLS] text [SEP]` or `[CLS] text [SEP] pair [SEP]`, truncated and padded as asked. */
  encode(text: string, pair?: string, options: EncodeOptions = {}): Encoding {
    let first = this.tokenIds(text);
    let second = pair === undefined ? undefined : this.tokenIds(pair);
    if (options.maxLength !== undefined)
      [first, second] = truncateLongestFirst(first, second, options.maxLength - (second ? 3 : 2));
    const inputIds = second
      ? [this.clsId, ...first, this.sepId, ...second, this.sepId]
      : [this.clsId, ...first, this.sepId];
    const attentionMask = inputIds.map(() => 1);
    if (options.padToMaxLength && options.maxLength !== undefined) {
      while (inputIds.length < options.maxLength) {
        inputIds.push(this.padId);
        attentionMask.push(0);
      }
    }
    return { inputIds, attentionMask };
  }

  private splitOnSpecialTokens(text: string): Array<{ text: string; special?: number }> {
    if (!text.includes('[')) return [{ text }];
    const spans: Array<{ text: string; special?: number }> = [];
    let start = 0;
    let i = text.indexOf('[');
    while (i >= 0) {
      const token = this.specialTokens.find((t) => text.startsWith(t, i));
      if (token) {
        if (i > start) spans.push({ text: text.slice(start, i) });
        spans.push({ text: token, special: this.ids.get(token)! });
        start = i + token.length;
        i = text.indexOf('[', start);
      } else {
        i = text.indexOf('[', i + 1);
      }
    }
    if (start < text.length) spans.push({ text: text.slice(start) });
    return spans;
  }

  private wordPiece(word: string): number[] {
    const cached = this.wordCache.get(word);
    if (cached) return cached;
    const chars = Array.from(word);
    let pieces: number[];
    if (chars.length > this.settings.maxInputCharsPerWord) {
      pieces = [this.unkId];
    } else {
      pieces = [];
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (start < end) {
          const piece = (start > 0 ? this.settings.continuingSubwordPrefix : '') + chars.slice(start, end).join('');
          found = this.ids.get(piece);
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          pieces = [this.unkId];
          break;
        }
        pieces.push(found);
        start = end;
      }
    }
    if (this.wordCache.size < 200_000) this.wordCache.set(word, pieces);
    return pieces;
  }

  /** Writes vocab.txt, tokenizer.json, tokenizer_config.json and special_tokens_map.json, as HF saves them. */
  save(folder: string): void {
    fs.mkdirSync(folder, { recursive: true });
    writeFileAtomic(path.join(folder, VOCAB_NAME), `${this.vocab.join('\n')}\n`);
    writeFileAtomic(
      path.join(folder, TOKENIZER_NAME),
      this.sourceTokenizerJson ?? JSON.stringify(this.tokenizerJson(), null, 2),
    );
    const s = this.settings;
    const specials = {
      cls_token: s.clsToken,
      mask_token: s.maskToken,
      pad_token: s.padToken,
      sep_token: s.sepToken,
      unk_token: s.unkToken,
    };
    writeJsonAtomic(path.join(folder, SPECIAL_TOKENS_MAP_NAME), specials);
    writeJsonAtomic(path.join(folder, TOKENIZER_CONFIG_NAME), {
      added_tokens_decoder: Object.fromEntries(this.addedTokens().map((t) => [String(t.id), { ...t, id: undefined }])),
      clean_up_tokenization_spaces: true,
      ...specials,
      do_lower_case: s.lowercase,
      model_max_length: s.modelMaxLength,
      strip_accents: s.stripAccents === s.lowercase ? null : s.stripAccents,
      tokenize_chinese_chars: s.handleChineseChars,
      tokenizer_class: 'DistilBertTokenizer',
    });
  }

  private addedTokens(): Array<{
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }> {
    const s = this.settings;
    return [s.padToken, s.unkToken, s.clsToken, s.sepToken, s.maskToken]
      .filter((t) => this.ids.has(t))
      .map((content) => ({
        id: this.ids.get(content)!,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      }))
      .sort((a, b) => a.id - b.id);
  }

  /** The `tokenizer.json` Hugging Face's BertTokenizerFast writes for this vocabulary and settings. */
  tokenizerJson(): TokenizerJson {
    const s = this.settings;
    const special = (token: string) => ({ id: token, ids: [this.ids.get(token)!], tokens: [token] });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: this.addedTokens(),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: s.cleanText,
        handle_chinese_chars: s.handleChineseChars,
        strip_accents: s.stripAccents === s.lowercase ? null : s.stripAccents,
        lowercase: s.lowercase,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [
          { SpecialToken: { id: s.clsToken, type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: s.sepToken, type_id: 0 } },
        ],
        pair: [
          { SpecialToken: { id: s.clsToken, type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: s.sepToken, type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: s.sepToken, type_id: 1 } },
        ],
        special_tokens: { [s.clsToken]: special(s.clsToken), [s.sepToken]: special(s.sepToken) },
      },
      decoder: { type: 'WordPiece', prefix: s.continuingSubwordPrefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: s.unkToken,
        continuing_subword_prefix: s.continuingSubwordPrefix,
        max_input_chars_per_word: s.maxInputCharsPerWord,
        vocab: Object.fromEntries(this.vocab.map((token, id) => [token, id])),
      },
    };
  }
}

/**
 * The fast tokenizer's `longest_first` truncation of (first, second) to `budget` tokens:
 * only the longer one is cut when that suffices, else both get half (the longer the odd token).
 */
export function truncateLongestFirst(
  first: number[],
  second: number[] | undefined,
  budget: number,
): [number[], number[] | undefined] {
  const limit = Math.max(0, budget);
  if (!second) return [first.slice(0, limit), undefined];
  if (first.length + second.length <= limit) return [first, second];
  const swap = first.length > second.length;
  let n1 = Math.min(first.length, second.length);
  let n2 = n1 > limit ? n1 : Math.max(n1, limit - n1);
  if (n1 + n2 > limit) {
    n1 = Math.floor(limit / 2);
    n2 = n1 + (limit % 2);
  }
  const [forFirst, forSecond] = swap ? [n2, n1] : [n1, n2];
  return [first.slice(0, forFirst), second.slice(0, forSecond)];
}

function settingsFromTokenizerConfig(folder: string): TokenizerSettings {
  const file = path.join(folder, TOKENIZER_CONFIG_NAME);
  if (!fs.existsSync(file)) return BERT_UNCASED_SETTINGS;
  const config = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const lowercase = (config.do_lower_case as boolean | undefined) ?? true;
  return {
    ...BERT_UNCASED_SETTINGS,
    lowercase,
    stripAccents: (config.strip_accents as boolean | null | undefined) ?? lowercase,
    handleChineseChars: (config.tokenize_chinese_chars as boolean | undefined) ?? true,
    modelMaxLength:
      typeof config.model_max_length === 'number' && config.model_max_length < 1e9 ? config.model_max_length : 512,
  };
}

export interface TokenizerJson {
  version?: string;
  truncation?: unknown;
  padding?: unknown;
  added_tokens?: Array<{ id: number; content: string; [key: string]: unknown }>;
  normalizer?: {
    type: string;
    lowercase?: boolean;
    strip_accents?: boolean | null;
    clean_text?: boolean;
    handle_chinese_chars?: boolean;
  } | null;
  pre_tokenizer?: unknown;
  post_processor?: unknown;
  decoder?: unknown;
  model: {
    type: string;
    unk_token?: string;
    continuing_subword_prefix?: string;
    max_input_chars_per_word?: number;
    vocab: Record<string, number>;
  };
}
