// The TypeScript counter-based generator (the GPU's mirror), the shuffle built
// on it, and the small references that use it (noise, dropout).
import { describe, expect, test } from 'vitest';
import { shuffledIndices } from '../../src/data/shuffle';
import {
  rngMix,
  rngNormal,
  rngU32,
  rngUniform,
  STREAM_DROPOUT,
  STREAM_INPUT_NOISE,
  STREAM_SHUFFLE,
  STREAM_VAE_EPS,
  MAX_DROPOUT_LAYER,
} from '../../src/random/rng';
import { gatherRef } from '../../src/reference/noise';
import { dropoutBackwardRef, dropoutForwardRef, dropoutScaleRef } from '../../src/reference/dropout';

/** lowbias32 in exact BigInt arithmetic: an independent check of the Math.imul version. */
function mixBig(x: number): number {
  const M = (1n << 32n) - 1n;
  let v = BigInt(x >>> 0);
  v ^= v >> 16n;
  v = (v * 0x7feb352dn) & M;
  v ^= v >> 15n;
  v = (v * 0x846ca68bn) & M;
  v ^= v >> 16n;
  return Number(v);
}

/** Bound for a chi-square statistic with df degrees of freedom: mean + 5 sd. */
const chi2Bound = (df: number) => df + 5 * Math.sqrt(2 * df);

describe('rng (TypeScript mirror of shaders/common/rng.wgsl)', () => {
  test('rngMix equals lowbias32 computed with BigInt', () => {
    for (const x of [0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678, 0xdeadbeef]) expect(rngMix(x)).toBe(mixBig(x));
    for (let i = 0; i < 1000; i++) {
      const x = rngU32(7, 0, 0, i);
      expect(rngMix(x)).toBe(mixBig(x));
    }
  });

  test('pinned values (changing the generator changes every stored seed)', () => {
    expect(rngU32(0, 0, 0, 0)).toBe(0x41f39e5e);
    expect(rngU32(1, 1, 1, 1)).toBe(0x603d3fd2);
    expect(rngU32(42, 2, 7, 12345)).toBe(0xd15e5347);
    expect(rngU32(0xffffffff, 32, 0xffffffff, 0xffffffff)).toBe(0xcbec1c05);
  });

  test('stream constants are distinct and the dropout streams stay below the VAE stream', () => {
    const s = [STREAM_INPUT_NOISE, STREAM_DROPOUT, STREAM_VAE_EPS, STREAM_SHUFFLE];
    expect(new Set(s).size).toBe(4);
    expect(STREAM_DROPOUT + MAX_DROPOUT_LAYER).toBeLessThan(STREAM_VAE_EPS);
    expect(STREAM_DROPOUT).toBeGreaterThan(STREAM_INPUT_NOISE);
  });

  test('uniforms: [0, 1), 24-bit grid, 256-bucket chi-square, bit balance', () => {
    const n = 200_000;
    const buckets = new Float64Array(256);
    const ones = new Float64Array(32);
    let offGrid = 0;
    for (let i = 0; i < n; i++) {
      const h = rngU32(3, 1, 5, i);
      const u = rngUniform(3, 1, 5, i);
      if (!(u >= 0 && u < 1 && Number.isInteger(u * 2 ** 24))) offGrid++;
      buckets[Math.floor(u * 256)]++;
      for (let b = 0; b < 32; b++) ones[b] += (h >>> b) & 1;
    }
    const e = n / 256;
    const chi2 = buckets.reduce((a, c) => a + (c - e) ** 2 / e, 0);
    // Each bit is Bernoulli(1/2): sd of the count is sqrt(n)/2; allow 5 sd.
    const worstBit = Math.max(...ones.map((c) => Math.abs(c - n / 2) / (Math.sqrt(n) / 2)));
    console.log(`chi2(255) = ${chi2.toFixed(1)} (bound ${chi2Bound(255).toFixed(1)}), worst bit ${worstBit.toFixed(2)} sd`);
    expect(offGrid).toBe(0);
    expect(chi2).toBeLessThan(chi2Bound(255));
    expect(worstBit).toBeLessThan(5);
  });

  test('avalanche: flipping one bit of any key word flips about half the output bits', () => {
    // For each key word and bit, average the flipped output bits over 2000 keys: 16 ± 5·sqrt(8/2000).
    let worst = 0;
    for (let word = 0; word < 4; word++) {
      for (let bit = 0; bit < 32; bit++) {
        let flips = 0;
        const trials = 2000;
        for (let t = 0; t < trials; t++) {
          const key = [rngU32(1, 99, word, t), rngU32(2, 99, word, t), rngU32(3, 99, word, t), rngU32(4, 99, word, t)];
          const a = rngU32(key[0], key[1], key[2], key[3]);
          key[word] = (key[word] ^ (1 << bit)) >>> 0;
          const b = rngU32(key[0], key[1], key[2], key[3]);
          let x = (a ^ b) >>> 0;
          while (x) {
            flips += x & 1;
            x >>>= 1;
          }
        }
        worst = Math.max(worst, Math.abs(flips / trials - 16));
      }
    }
    console.log(`avalanche: worst mean deviation from 16 flipped bits = ${worst.toFixed(3)}`);
    expect(worst).toBeLessThan(5 * Math.sqrt(8 / 2000));
  });

  test('normals: finite, bounded by sqrt(2 ln 2^24), mean 0 and variance 1', () => {
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    let maxAbs = 0;
    for (let i = 0; i < n; i++) {
      const z = rngNormal(11, STREAM_VAE_EPS, 2, i);
      s += z;
      s2 += z * z;
      maxAbs = Math.max(maxAbs, Math.abs(z));
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    console.log(`normal: mean ${mean.toExponential(2)}, var ${v.toFixed(4)}, max |z| ${maxAbs.toFixed(2)}`);
    expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(2 * Math.log(2 ** 24)));
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });
});

describe('shuffledIndices', () => {
  test('a reproducible permutation; seeds and epochs differ', () => {
    const a = shuffledIndices(1000, 5, 0);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(1000).keys()]);
    expect(shuffledIndices(1000, 5, 0)).toEqual(a);
    const same = (p: Uint32Array, q: Uint32Array) => p.reduce((c, v, i) => c + (v === q[i] ? 1 : 0), 0);
    // A random permutation pair agrees in ~1 place on average.
    expect(same(a, shuffledIndices(1000, 6, 0))).toBeLessThan(10);
    expect(same(a, shuffledIndices(1000, 5, 1))).toBeLessThan(10);
    expect(shuffledIndices(0, 1, 1).length).toBe(0);
    expect([...shuffledIndices(1, 1, 1)]).toEqual([0]);
  });

  test('all 24 orders of 4 items are equally likely', () => {
    const counts = new Map<string, number>();
    const n = 48_000;
    for (let e = 0; e < n; e++) {
      const k = shuffledIndices(4, 123, e).join('');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    const e = n / 24;
    const chi2 = [...counts.values()].reduce((a, c) => a + (c - e) ** 2 / e, 0);
    console.log(`shuffle of 4: chi2(23) = ${chi2.toFixed(1)} (bound ${chi2Bound(23).toFixed(1)})`);
    expect(chi2).toBeLessThan(chi2Bound(23));
  });

  test('validates its arguments', () => {
    expect(() => shuffledIndices(-1, 0, 0)).toThrow(/count must be an integer/);
    expect(() => shuffledIndices(3, 1.5, 0)).toThrow(/seed must be a u32/);
    expect(() => shuffledIndices(3, 0, -1)).toThrow(/epoch must be a u32/);
  });
});

describe('references built on the generator', () => {
  test('gatherRef: scaling, centring, padding rows, no noise in evaluation', () => {
    const data = new Uint8Array([0, 255, 51, 102, 10, 20]); // 3 samples × 2 features
    const idx = new Uint32Array([2, 0, 1]);
    const r = gatherRef(data, 'u8', 2, idx, 1, 2, 3, { type: 'masking', rate: 0.5 }, 1, 1, false, [0.5, 0]);
    expect([...r.clean]).toEqual([0 - 0.5, 1, 0.2 - 0.5, 0.4, 0, 0]);
    expect([...r.noisy]).toEqual([...r.clean]);
    const t = gatherRef(new Float32Array(4000).fill(0.5), 'f32', 4, new Uint32Array(1000).map((_, i) => i), 0, 1000, 1000, { type: 'salt-and-pepper', rate: 0.3 }, 1, 1, true);
    const zeros = t.noisy.filter((v) => v === 0).length / 4000;
    const ones = t.noisy.filter((v) => v === 1).length / 4000;
    // Each is Binomial(4000, 0.15): sd ≈ 0.0056.
    expect(Math.abs(zeros - 0.15)).toBeLessThan(0.03);
    expect(Math.abs(ones - 0.15)).toBeLessThan(0.03);
  });

  test('dropout reference: kept fraction 1 − p, scale 1/(1 − p), backward uses the same mask', () => {
    const rows = 100;
    const units = 300;
    const s = dropoutScaleRef(rows, units, 0.25, 1, 9, 4, true);
    const kept = s.filter((v) => v !== 0).length / s.length;
    expect(Math.abs(kept - 0.75)).toBeLessThan(5 * Math.sqrt(0.75 * 0.25 / s.length));
    expect(s.every((v) => v === 0 || v === 1 / 0.75)).toBe(true);
    const h = new Float64Array(rows * units).map((_, k) => k + 1);
    const f = dropoutForwardRef(h, rows, units, 0.25, 1, 9, 4, true);
    const b = dropoutBackwardRef(h, rows, units, 0.25, 1, 9, 4, true);
    expect(f).toEqual(b);
    expect(dropoutForwardRef(h, rows, units, 0.25, 1, 9, 4, false)).toEqual(h);
    // Another layer draws another mask.
    const other = dropoutScaleRef(rows, units, 0.25, 2, 9, 4, true);
    expect(other.some((v, k) => v !== s[k])).toBe(true);
  });
});
