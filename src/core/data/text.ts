// Dataset bytes to text. Datasets must be UTF-8 (with or without a byte-order mark); anything else
// is refused with the line it goes wrong on, rather than read as replacement characters that would
// silently become training data.
import { isUtf8 } from 'node:buffer';
import { UserError, atLine } from '../errors';

const UTF16 = 'is UTF-16 text (it starts with a UTF-16 byte-order mark), not UTF-8';
const SAVE_AS_UTF8 =
  'Save the file as UTF-8 (in VS Code: "Change File Encoding" in the status bar, then "Save with Encoding").';

/** Why `bytes` (whole characters) are not UTF-8 text, with the line it goes wrong on; undefined when they are. */
function textProblem(bytes: Uint8Array): { line: number; message: string } | undefined {
  if (startsWithUtf16Mark(bytes)) return { line: 1, message: UTF16 };
  const nul = bytes.indexOf(0);
  if (nul >= 0) return { line: lineAt(bytes, nul), message: 'is a binary file, not text (it holds a NUL byte)' };
  const offset = invalidUtf8Offset(bytes);
  if (offset < 0) return undefined;
  return {
    line: lineAt(bytes, offset),
    message: `is not UTF-8 text (byte 0x${bytes[offset].toString(16).toUpperCase()} cannot start or continue a UTF-8 character)`,
  };
}

/**
 * Decodes a file's chunks as UTF-8, failing with the line of the first invalid byte. A character
 * split between two chunks is carried over; a leading byte-order mark is dropped.
 */
export class Utf8Decoder {
  private carry: Uint8Array = new Uint8Array(0);
  private lines = 0;
  private first = true;

  constructor(private readonly name: string) {}

  push(chunk: Uint8Array): string {
    return this.decode(chunk, false);
  }

  end(): string {
    return this.decode(new Uint8Array(0), true);
  }

  private decode(chunk: Uint8Array, last: boolean): string {
    let bytes = this.carry.length ? concat(this.carry, chunk) : chunk;
    if (this.first) {
      // Too few bytes to tell a byte-order mark yet: wait for more (nothing is decoded before it).
      if (bytes.length < 3 && !last) {
        this.carry = bytes.slice();
        return '';
      }
      this.first = false;
      if (startsWithUtf16Mark(bytes)) this.fail(1, UTF16);
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    }
    const end = last ? bytes.length : completeLength(bytes);
    const whole = bytes.subarray(0, end);
    this.carry = bytes.slice(end);
    if (!isUtf8(whole) || whole.indexOf(0) >= 0) {
      const problem = textProblem(whole)!;
      this.fail(this.lines + problem.line, problem.message);
    }
    for (let i = 0; i < whole.length; i++) if (whole[i] === 0x0a) this.lines++;
    return Buffer.from(whole.buffer, whole.byteOffset, whole.byteLength).toString('utf8');
  }

  private fail(line: number, message: string): never {
    throw new UserError(atLine(this.name, line, `the file ${message}`), SAVE_AS_UTF8);
  }
}

function startsWithUtf16Mark(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}

/** The length of `bytes` without a UTF-8 sequence that is cut off at its end. */
function completeLength(bytes: Uint8Array): number {
  let start = bytes.length;
  // Back up over at most 3 continuation bytes to the lead byte of the last character.
  while (start > 0 && bytes.length - start < 4 && (bytes[start - 1] & 0xc0) === 0x80) start--;
  if (start === 0) return bytes.length;
  const lead = bytes[start - 1];
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return bytes.length - (start - 1) < needed ? start - 1 : bytes.length;
}

/** The offset of the first byte that breaks UTF-8, or -1. */
function invalidUtf8Offset(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const length =
      b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    for (let k = 1; k < length; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    if (!isUtf8(bytes.subarray(i, i + length))) return i; // overlong forms and surrogates
    i += length;
  }
  return -1;
}

function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
