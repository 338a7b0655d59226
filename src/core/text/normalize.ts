// BERT text normalization and pre-tokenization, as Hugging Face's fast tokenizer (the Rust
// `tokenizers` crate: BertNormalizer + BertPreTokenizer) does them, in its order:
//
//   1. clean:     drop U+0000, U+FFFD and control, format and private-use characters (Cc, Cf, Co,
//                 except \t \n \r); turn every whitespace character into a space
//   2. CJK:       put spaces around CJK ideographs (including those outside the Basic Multilingual
//                 Plane); the table is the crate's, whose Extension E range starts at U+2B920
//   3. accents:   NFD, then drop nonspacing marks (category Mn)
//   4. lowercase: character by character (no final-sigma rule: Σ always becomes σ)
//   5. split on whitespace, and isolate every punctuation character (ASCII punctuation or category P)

export interface NormalizerSettings {
  cleanText: boolean;
  handleChineseChars: boolean;
  stripAccents: boolean;
  lowercase: boolean;
}

const WHITESPACE = /\p{White_Space}/u;
// Rust's `is_other` as the crate implements it: Cc, Cf, Co and Cs. Unassigned code points (Cn) are
// kept, whatever the crate's comment says (checked against the fast tokenizer).
const CONTROL = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}]/u;
const PUNCTUATION = /\p{P}/u;
const NONSPACING_MARK = /\p{Mn}/gu;

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

function isWhitespace(cp: number, ch: string): boolean {
  if (cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d) return true;
  return cp > 0x7f && WHITESPACE.test(ch);
}

function isControl(cp: number, ch: string): boolean {
  if (cp === 0x09 || cp === 0x0a || cp === 0x0d) return false;
  if (cp < 0x20 || cp === 0x7f) return true;
  return cp > 0x7f && CONTROL.test(ch);
}

function isPunctuation(cp: number, ch: string): boolean {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return cp > 0x7f && PUNCTUATION.test(ch);
}

/** Steps 1-4: the normalized text. */
export function normalizeText(text: string, settings: NormalizerSettings): string {
  let out = '';
  let ascii = true;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp > 0x7f) ascii = false;
    if (settings.cleanText) {
      if (cp === 0 || cp === 0xfffd || isControl(cp, ch)) continue;
      if (isWhitespace(cp, ch)) {
        out += ' ';
        continue;
      }
    }
    out += settings.handleChineseChars && cp >= 0x3400 && isChineseChar(cp) ? ` ${ch} ` : ch;
  }
  if (settings.stripAccents && !ascii) out = out.normalize('NFD').replace(NONSPACING_MARK, '');
  if (settings.lowercase) out = ascii ? out.toLowerCase() : lowercaseEachChar(out);
  return out;
}

/**
 * Lowercase one character at a time, as Rust's `char::to_lowercase`: a whole-string
 * toLowerCase would apply the final-sigma rule (ΟΔΟΣ -> οδος) that the fast tokenizer does not.
 */
function lowercaseEachChar(text: string): string {
  let out = '';
  for (const ch of text) out += ch.toLowerCase();
  return out;
}

/** Step 5: words and punctuation marks. */
export function preTokenize(text: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (isWhitespace(cp, ch)) {
      if (current) words.push(current);
      current = '';
    } else if (isPunctuation(cp, ch)) {
      if (current) words.push(current);
      words.push(ch);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current) words.push(current);
  return words;
}
