// The safetensors format, read and written here without a library:
//
//   u64 little-endian N | N bytes of JSON header | raw little-endian tensor bytes
//   header: {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [...], "data_offsets": [start, end]}, ...}
//
// Reading accepts F32, F16 and BF16 (widened to float32) and the integer types (for buffers such as
// `position_ids`). Writing produces what the Python `safetensors` package writes: names sorted,
// compact JSON padded with spaces to a multiple of 8, tensors contiguous in name order.
import * as fs from 'node:fs';
import { UserError } from '../errors';
import { writeFileAtomic } from '../files';
import { SAFE_WEIGHTS_NAME } from '../outputNames';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export interface StoredTensor {
  dtype: Dtype;
  shape: number[];
  /** The values, widened to float32 (integer buffers too: they are only ever skipped or checked). */
  data: Float32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<Dtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export function readSafetensors(file: string): SafetensorsFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UserError(`${file}: cannot read (${(error as Error).message})`);
  }
  return parseSafetensors(bytes, file);
}

export function parseSafetensors(bytes: Uint8Array, name = SAFE_WEIGHTS_NAME): SafetensorsFile {
  const corrupt = (why: string) =>
    new UserError(
      `${name} is not a valid safetensors file: ${why}`,
      'The file may be truncated or corrupt; delete it (and its Hugging Face cache entry) and download it again.',
    );
  if (bytes.byteLength < 8) throw corrupt(`it has ${bytes.byteLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES || 8 + headerLength > bytes.byteLength)
    throw corrupt(`header length ${headerLength} does not fit in ${bytes.byteLength} bytes`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, headerLength).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch (error) {
    throw corrupt(`the header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> = {};
  for (const [tensorName, entry] of Object.entries(header)) {
    if (tensorName === '__metadata__') {
      metadata = (entry ?? {}) as Record<string, string>;
      continue;
    }
    const {
      dtype,
      shape,
      data_offsets: offsets,
    } = entry as { dtype: Dtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw corrupt(`tensor ${tensorName} has unsupported dtype ${dtype}`);
    if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2)
      throw corrupt(`tensor ${tensorName} has a malformed header entry`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [start, end] = offsets;
    if (!(start >= 0 && end <= dataLength && end - start === count * BYTES[dtype])) {
      throw corrupt(
        `tensor ${tensorName} (${dtype} ${JSON.stringify(shape)}) has data offsets [${start}, ${end}] outside the ${dataLength} data bytes`,
      );
    }
    tensors.set(tensorName, { dtype, shape, data: decode(bytes, dataStart + start, count, dtype) });
  }
  return { tensors, metadata };
}

function decode(bytes: Uint8Array, offset: number, count: number, dtype: Dtype): Float32Array {
  const at = bytes.byteOffset + offset;
  const out = new Float32Array(count);
  switch (dtype) {
    case 'F32':
      if (at % 4 === 0) {
        out.set(new Float32Array(bytes.buffer, at, count));
      } else {
        // A Float32Array view needs 4-byte alignment; a file written by another tool may not give it.
        const aligned = new Uint8Array(count * 4);
        aligned.set(bytes.subarray(offset, offset + count * 4));
        out.set(new Float32Array(aligned.buffer));
      }
      return out;
    case 'F16': {
      const view = new DataView(bytes.buffer, at, count * 2);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32.
      const view = new DataView(bytes.buffer, at, count * 2);
      const widened = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) widened[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    default: {
      const view = new DataView(bytes.buffer, at, count * BYTES[dtype]);
      for (let i = 0; i < count; i++) out[i] = readNumber(view, i, dtype);
      return out;
    }
  }
}

function readNumber(view: DataView, i: number, dtype: Dtype): number {
  switch (dtype) {
    case 'F64':
      return view.getFloat64(i * 8, true);
    case 'I64':
      return Number(view.getBigInt64(i * 8, true));
    case 'I32':
      return view.getInt32(i * 4, true);
    case 'I16':
      return view.getInt16(i * 2, true);
    case 'I8':
      return view.getInt8(i);
    default:
      return view.getUint8(i);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** The bytes of a safetensors file of float32 tensors, as the Python `safetensors` package lays them out. */
export function serializeSafetensors(
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  metadata: Record<string, string> = { format: 'pt' },
): Buffer {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name)!;
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length)
      throw new Error(`tensor ${name}: shape ${JSON.stringify(shape)} holds ${count} values, data has ${data.length}`);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors.get(name)!;
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    at += data.byteLength;
  }
  return out;
}

export function writeSafetensors(
  file: string,
  tensors: Map<string, { shape: number[]; data: Float32Array }>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}
