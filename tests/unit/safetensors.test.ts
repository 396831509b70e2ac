// safetensors encode/decode: bit-exact round trips, the Python library's exact
// byte layout, and a precise error for each kind of malformed file.
import { describe, expect, test } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError, type SafetensorsTensor } from '../../src/io/safetensors';

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** 8-byte LE length, header text, data: a file assembled by hand. */
function file(header: string, data: number[] = [], headerLength = header.length): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(ascii(header), 8);
  out.set(data, 8 + header.length);
  return out;
}

const bitsOf = (d: SafetensorsTensor['data']) => Array.from(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));

describe('encodeSafetensors / decodeSafetensors', () => {
  test('round trip is bit-exact, including NaN payloads, -0, ±Inf and subnormals', () => {
    const f32 = new Float32Array(7);
    new Uint32Array(f32.buffer).set([0x7fc00001, 0xffbad123, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x3f800000]);
    const f64 = new Float64Array(3);
    new BigUint64Array(f64.buffer).set([0x7ff8000000000abcn, 0x8000000000000000n, 0x0000000000000001n]);
    const u32 = Uint32Array.from([0, 1, 0xffffffff]);
    const i32 = Int32Array.from([-2147483648, -1, 0, 2147483647]);
    const backing = new Float32Array([9, 9, 1.5, -2.5, 9]);
    const tensors: Record<string, SafetensorsTensor> = {
      'encoder.0.weight': { dtype: 'F32', shape: [7, 1], data: f32 },
      'b.f64': { dtype: 'F64', shape: [3], data: f64 },
      'c.u32': { dtype: 'U32', shape: [1, 3], data: u32 },
      'd.i32': { dtype: 'I32', shape: [4], data: i32 },
      view: { dtype: 'F32', shape: [2], data: backing.subarray(2, 4) }, // a view with a byteOffset
      scalar: { dtype: 'F32', shape: [], data: new Float32Array([42]) },
      empty: { dtype: 'F32', shape: [0, 5], data: new Float32Array(0) },
    };
    const meta = { config: '{"a":1}', 'ünïcødé': '✓ "quoted"\n' };
    const bytes = encodeSafetensors(tensors, meta);
    const header = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + header) % 8).toBe(0); // data section 8-byte aligned
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual(meta);
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
    let mismatches = 0;
    for (const [name, t] of Object.entries(tensors)) {
      const u = back.tensors[name];
      expect(u.dtype).toBe(t.dtype);
      expect(u.shape).toEqual(t.shape);
      expect(u.data.constructor).toBe(t.data.constructor);
      expect(u.data.byteOffset % 8).toBe(0);
      if (bitsOf(u.data).join() !== bitsOf(t.data).join()) mismatches++;
    }
    console.log(`round trip: ${bytes.length} bytes, ${mismatches} tensors with differing bits`);
    expect(mismatches).toBe(0);
  });

  test('writes exactly the bytes of the Python library for a tiny tensor (hand-written from the spec)', () => {
    // w = float32 [1, -2], metadata {k: v}. Header JSON is 79 bytes, padded with one
    // space to 80 = 0x50 so the data starts at 8 + 80 = 88, a multiple of 8.
    const json = '{"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    const expected = [
      0x50, 0, 0, 0, 0, 0, 0, 0, // u64 LE header length 80
      ...ascii(json), 0x20, // header + 1 space of padding
      0x00, 0x00, 0x80, 0x3f, // 1.0f  = 0x3f800000, little-endian
      0x00, 0x00, 0x00, 0xc0, // -2.0f = 0xc0000000
    ];
    expect(json.length).toBe(79);
    const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, -2]) } }, { k: 'v' });
    expect(Array.from(bytes)).toEqual(expected);
    const back = decodeSafetensors(Uint8Array.from(expected));
    expect(Array.from(back.tensors.w.data)).toEqual([1, -2]);
  });

  test('sorts tensors by dtype (widest first) then name, and omits __metadata__ when none is given', () => {
    // As the Python library writes {a: u32 [7], z: f64 [0.5], m: f32 [-0, 3]}.
    const json =
      '{"z":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
      '"m":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
      '"a":{"dtype":"U32","shape":[1],"data_offsets":[16,20]}}';
    expect(json.length).toBe(163); // + 5 spaces = 168 = 0xa8
    const expected = [
      0xa8, 0, 0, 0, 0, 0, 0, 0,
      ...ascii(json), 0x20, 0x20, 0x20, 0x20, 0x20,
      0, 0, 0, 0, 0, 0, 0xe0, 0x3f, // 0.5 (f64 0x3fe0000000000000)
      0, 0, 0, 0x80, // -0.0f
      0, 0, 0x40, 0x40, // 3.0f = 0x40400000
      7, 0, 0, 0, // u32 7
    ];
    const bytes = encodeSafetensors({
      a: { dtype: 'U32', shape: [1], data: Uint32Array.from([7]) },
      z: { dtype: 'F64', shape: [1], data: Float64Array.from([0.5]) },
      m: { dtype: 'F32', shape: [2], data: Float32Array.from([-0, 3]) },
    });
    expect(Array.from(bytes)).toEqual(expected);
    const back = decodeSafetensors(bytes);
    expect(Object.is(back.tensors.m.data[0], -0)).toBe(true);
    expect(back.metadata).toEqual({});
  });

  test('reads a header that is not padded to 8 bytes and copies data out aligned', () => {
    // Older writers did not pad: the data section starts at an odd offset.
    const json = '{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    const bytes = file(json, [0, 0, 0x80, 0x3f]);
    expect((8 + json.length) % 4).not.toBe(0);
    const back = decodeSafetensors(bytes);
    expect(back.tensors.t.data).toBeInstanceOf(Float32Array);
    expect(Array.from(back.tensors.t.data)).toEqual([1]);
  });

  test('encode rejects bad arguments with what was wrong', () => {
    const f = new Float32Array(3);
    expect(() => encodeSafetensors({ t: { dtype: 'F32', shape: [2], data: f } })).toThrow(/shape \[2\] has 2 elements but the data has 3/);
    expect(() => encodeSafetensors({ t: { dtype: 'F64', shape: [3], data: f } })).toThrow(/dtype F64 needs a Float64Array, got Float32Array/);
    expect(() => encodeSafetensors({ t: { dtype: 'F16' as 'F32', shape: [3], data: f } })).toThrow(/dtype "F16" is not supported/);
    expect(() => encodeSafetensors({ t: { dtype: 'F32', shape: [1.5], data: f } })).toThrow(/non-negative integers/);
    expect(() => encodeSafetensors({ __metadata__: { dtype: 'F32', shape: [3], data: f } })).toThrow(/reserved/);
    expect(() => encodeSafetensors({}, { k: 3 as unknown as string })).toThrow(/metadata "k" must be a string/);
  });
});

describe('decodeSafetensors rejects malformed files precisely', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const eight = [1, 2, 3, 4, 5, 6, 7, 8];
  const cases: Array<[string, () => Uint8Array, RegExp]> = [
    ['shorter than 8 bytes', () => new Uint8Array(5), /file is 5 bytes, shorter than the 8-byte header length field/],
    ['header length beyond the file', () => file(ok, eight, 1000), /header length 1000 bytes runs past the end of the file \(only \d+ bytes follow/],
    ['absurd header length', () => file(ok, eight, 2 ** 40), /header length 1099511627776 bytes is above the 100 MB limit/],
    ['header not UTF-8', () => file('{"\xff":1}'), /header is not valid UTF-8/],
    ['invalid JSON', () => file('{"a":{"dtype":'), /header is not valid JSON/],
    ['JSON not an object', () => file('[1,2]'), /header must be a JSON object, got an array/],
    ['entry not an object', () => file('{"a":3}'), /tensor "a": header entry must be an object/],
    ['unknown dtype', () => file('{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}', eight), /tensor "a": unknown dtype "Q7" \(supported: F32, U32, I32, F64\)/],
    ['format dtype this library does not read', () => file('{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}', eight), /tensor "a": dtype "F16" is not supported/],
    ['negative shape', () => file('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', eight), /tensor "a": shape must be an array of non-negative integers, got \[-2\]/],
    ['offsets not a pair', () => file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[8]}}', eight), /tensor "a": data_offsets must be \[begin, end\]/],
    ['offsets end before begin', () => file('{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', eight), /data_offsets \[8, 0\] end before they begin/],
    ['offsets not matching shape×dtype', () => file('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', eight), /span 8 bytes but shape \[3\] of F32 needs 12/],
    [
      'overlapping tensors',
      () => file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', [...eight, 0, 0, 0, 0]),
      /tensor "b": data_offsets \[4, 12\] overlap tensor "a" \[0, 8\]/,
    ],
    [
      'gap between tensors',
      () => file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', [...eight, 0, 0, 0, 0]),
      /tensor "b": data_offsets begin at 8, leaving a gap of unused bytes \[4, 8\)/,
    ],
    ['truncated data', () => file(ok, eight).subarray(0, 8 + ok.length + 5), /tensor "a": data_offsets \[0, 8\] run past the end of the data section \(5 bytes\): truncated/],
    ['trailing bytes', () => file(ok, [...eight, 9, 9, 9, 9]), /4 trailing bytes after the last tensor/],
    ['non-string metadata value', () => file('{"__metadata__":{"format":"pt","n":3}}'), /metadata "n" must be a string, got 3/],
    ['metadata not an object', () => file('{"__metadata__":"pt"}'), /"__metadata__" must be an object of strings, got "pt"/],
  ];
  test.each(cases)('%s', (_name, make, message) => {
    let error: unknown;
    try {
      decodeSafetensors(make());
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SafetensorsError);
    console.log(`${_name}: ${(error as Error).message}`);
    expect((error as Error).message).toMatch(message);
  });

  test('the well-formed version of those files decodes', () => {
    expect(decodeSafetensors(file(ok, eight)).tensors.a.shape).toEqual([2]);
  });
});
