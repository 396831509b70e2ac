// The safetensors file format (as written by the Python `safetensors` package),
// for the dtypes this library uses. Layout:
//   u64 little-endian N | N bytes of UTF-8 JSON header | data section
// The header maps each tensor name to { dtype, shape, data_offsets: [begin, end] }
// (byte offsets relative to the start of the data section) and may hold a
// "__metadata__" object of string → string. The writer pads the header with
// spaces to a multiple of 8 bytes so the data section is 8-byte aligned, and
// lays the tensors out contiguously sorted by dtype (widest first) then name,
// exactly like the Rust core of the Python package. The reader checks every
// field and that the tensors cover the data section exactly (no gap, no overlap,
// no trailing bytes), and copies each tensor out into its own aligned array.

export type SafetensorsDtype = 'F32' | 'U32' | 'I32' | 'F64';

export interface SafetensorsTensor {
  dtype: SafetensorsDtype;
  shape: number[];
  data: Float32Array | Uint32Array | Int32Array | Float64Array;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Bytes per element and the safetensors sort rank (its Dtype enum order: wider alignment sorts later). */
const DTYPES: Record<SafetensorsDtype, { bytes: number; rank: number; array: typeof Float32Array | typeof Uint32Array | typeof Int32Array | typeof Float64Array }> = {
  F32: { bytes: 4, rank: 11, array: Float32Array },
  U32: { bytes: 4, rank: 10, array: Uint32Array },
  I32: { bytes: 4, rank: 9, array: Int32Array },
  F64: { bytes: 8, rank: 12, array: Float64Array },
};

/** Every dtype the format defines, so an unsupported-but-valid one gets a clearer message. */
const OTHER_FORMAT_DTYPES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I64', 'U64'];

/** The Python library refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

// Typed arrays use the platform's byte order; the format is little-endian.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('safetensors: big-endian platforms are not supported');

function isDtype(v: unknown): v is SafetensorsDtype {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(DTYPES, v);
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

const utf8 = new TextEncoder();

/** Byte-wise comparison of UTF-8 encodings (Rust's String order), so names sort as the Python library sorts them. */
function compareUtf8(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** Serialise tensors (and optional string metadata) to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name];
    if (name === METADATA_KEY) throw new SafetensorsError(`a tensor may not be named "${METADATA_KEY}" (reserved for metadata)`);
    if (!isDtype(t?.dtype)) throw new SafetensorsError(`tensor "${name}": dtype ${JSON.stringify(t?.dtype)} is not supported (allowed: ${Object.keys(DTYPES).join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor "${name}": shape ${JSON.stringify(t.shape)} must be an array of non-negative integers`);
    }
    if (!(t.data instanceof DTYPES[t.dtype].array)) {
      throw new SafetensorsError(`tensor "${name}": dtype ${t.dtype} needs a ${DTYPES[t.dtype].array.name}, got ${t.data?.constructor?.name ?? typeof t.data}`);
    }
    if (t.data.length !== elementCount(t.shape)) {
      throw new SafetensorsError(`tensor "${name}": shape [${t.shape.join(', ')}] has ${elementCount(t.shape)} elements but the data has ${t.data.length}`);
    }
  }
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new SafetensorsError(`metadata "${k}" must be a string, got ${typeof v}`);
    }
  }
  // Widest dtype first, then by name (as the Python library writes them).
  names.sort((a, b) => DTYPES[tensors[b].dtype].rank - DTYPES[tensors[a].dtype].rank || compareUtf8(a, b));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  const json = utf8.encode(JSON.stringify(header));
  const headerBytes = Math.ceil(json.length / 8) * 8; // pad with spaces: data starts 8-byte aligned
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const name of names) {
    const d = tensors[name].data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return out;
}

function describe(v: unknown): string {
  return v === undefined ? 'missing' : JSON.stringify(v);
}

interface Entry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse one tensor's header entry, checking its fields. */
function parseEntry(name: string, info: unknown): Entry {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw new SafetensorsError(`tensor "${name}": header entry must be an object { dtype, shape, data_offsets }, got ${describe(info)}`);
  }
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isDtype(dtype)) {
    const known = typeof dtype === 'string' && OTHER_FORMAT_DTYPES.includes(dtype);
    throw new SafetensorsError(
      `tensor "${name}": ${known ? `dtype "${dtype}" is not supported` : `unknown dtype ${describe(dtype)}`} (supported: ${Object.keys(DTYPES).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`tensor "${name}": shape must be an array of non-negative integers, got ${describe(shape)}`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new SafetensorsError(`tensor "${name}": data_offsets must be [begin, end] with non-negative integers, got ${describe(offsets)}`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) throw new SafetensorsError(`tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
  const need = elementCount(shape) * DTYPES[dtype].bytes;
  if (end - begin !== need) {
    throw new SafetensorsError(
      `tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes but shape [${shape.join(', ')}] of ${dtype} needs ${need}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** Parse safetensors bytes; throws SafetensorsError saying exactly what is wrong. */
export function decodeSafetensors(bytes: Uint8Array): { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> } {
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`expected the file as a Uint8Array, got ${typeof bytes}`);
  if (bytes.length < 8) throw new SafetensorsError(`file is ${bytes.length} bytes, shorter than the 8-byte header length field`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(`header length ${n} bytes is above the 100 MB limit (not a safetensors file?)`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) {
    throw new SafetensorsError(`header length ${headerLength} bytes runs past the end of the file (only ${bytes.length - 8} bytes follow the length field): truncated file?`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    throw new SafetensorsError('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`header is not valid JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SafetensorsError(`header must be a JSON object, got ${Array.isArray(header) ? 'an array' : describe(header)}`);
  }

  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new SafetensorsError(`"${METADATA_KEY}" must be an object of strings, got ${describe(info)}`);
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new SafetensorsError(`metadata "${k}" must be a string, got ${describe(v)}`);
        metadata[k] = v;
      }
    } else {
      entries.push(parseEntry(name, info));
    }
  }

  // The tensors must tile the data section exactly, in offset order.
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous: Entry | undefined;
  for (const e of ordered) {
    if (e.end > dataLength) {
      throw new SafetensorsError(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] run past the end of the data section (${dataLength} bytes): truncated file?`);
    }
    if (e.begin < cursor) {
      throw new SafetensorsError(`tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] overlap tensor "${previous!.name}" [${previous!.begin}, ${previous!.end}]`);
    }
    if (e.begin > cursor) throw new SafetensorsError(`tensor "${e.name}": data_offsets begin at ${e.begin}, leaving a gap of unused bytes [${cursor}, ${e.begin})`);
    cursor = e.end;
    previous = e;
  }
  if (cursor !== dataLength) throw new SafetensorsError(`${dataLength - cursor} trailing bytes after the last tensor (data section is ${dataLength} bytes, tensors cover ${cursor})`);

  const tensors: Record<string, SafetensorsTensor> = {};
  for (const e of entries) {
    // slice() copies into a fresh ArrayBuffer, so the typed array is aligned.
    const copy = bytes.slice(dataStart + e.begin, dataStart + e.end).buffer;
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: new DTYPES[e.dtype].array(copy) };
  }
  return { tensors, metadata };
}
