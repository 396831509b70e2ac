// The IDX file format (used by MNIST): big-endian header
//   bytes 0-1: 0x00 0x00; byte 2: element type; byte 3: number of dims d;
//   then d big-endian u32 sizes; then the data, row-major.
// Only the unsigned-byte type (0x08) is supported.

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

/** Parse an unsigned-byte IDX file. `data` is a view into `bytes` (no copy). */
export function parseIdx(bytes: Uint8Array): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`IDX file: ${bytes.length} bytes is too short for the 4-byte magic number`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const hex = [...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(
      `IDX file: bad magic number ${hex} (must start with 00 00)` +
        (bytes[0] === 0x1f && bytes[1] === 0x8b ? '; this is a gzip file, decompress it first' : '') +
        (bytes[0] === 0x3c ? '; this looks like an HTML page, not an IDX file' : ''),
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const name = TYPE_NAMES[type] ? ` (${TYPE_NAMES[type]})` : '';
    throw new Error(`IDX file: element type 0x${type.toString(16).padStart(2, '0')}${name} is not supported; only 0x08 (unsigned byte) is`);
  }
  const ndims = bytes[3];
  if (ndims < 1) throw new Error('IDX file: header says 0 dimensions; at least 1 is needed');
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`IDX file: header has ${ndims} dimensions and needs ${headerBytes} bytes, but the file has only ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expected = dims.reduce((a, b) => a * b, 1);
  const present = bytes.length - headerBytes;
  if (present !== expected) {
    throw new Error(
      `IDX file: header says ${dims.join('×')} = ${expected} bytes of data but ` +
        (present < expected ? `only ${present} are present` : `${present} are present (${present - expected} too many)`),
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}
