// The batch gather + input corruption kernel against src/reference/noise.ts,
// and the GPU dataset it reads.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readU32, runDispatches, STEP_BYTES, UNIFORM } from '../../src/gpu';
import { uploadDataset } from '../../src/data/dataset';
import { shuffledIndices } from '../../src/data/shuffle';
import { gatherDispatch, type InputNoise } from '../../src/kernels/gather';
import { gatherRef } from '../../src/reference/noise';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

// clean: |x| ≤ 1; u8 → f32(byte) / 255 is within 2.5 ulp (1.5e-7) of byte/255, and
// centring adds one f32 rounding (6e-8): 4e-7 covers both.
const CLEAN_TOL = 4e-7;
// gaussian: clean's error, plus σ·|Δz| (|Δz| ≤ 2e-6, see rng.test.ts) with σ ≤ 0.5, plus
// the rounding of x + σz (|x + σz| ≤ 4, ulp 2.4e-7): 2e-6 in all.
const GAUSS_TOL = 2e-6;

interface Case {
  format: 'u8' | 'f32';
  features: number;
  count: number;
  batch: number;
  validRows: number;
  batchOffset: number;
  noise: InputNoise;
  training: boolean;
  center?: boolean;
  /** Standardise: multiply by a per-feature scale after centring. */
  scale?: boolean;
  seed?: number;
  step?: number;
  /** Split the data set into parts of this many rows (maxBindingBytes: src/data/dataset.ts). */
  rowsPerPart?: number;
}

function makeData(c: Case): Uint8Array | Float32Array {
  const n = c.count * c.features;
  // Values away from 0 and 1, so masking and salt-and-pepper decisions are visible.
  if (c.format === 'u8') return Uint8Array.from(randomArray(n, 3, 1, 255), Math.floor);
  return randomArray(n, 4, 0.05, 0.95);
}

function stepBuffer(c: Case): GPUBuffer {
  return t.step({ validRows: c.validRows, batchOffset: c.batchOffset, seed: c.seed ?? 77, step: c.step ?? 5, training: c.training });
}

async function runCase(c: Case) {
  const data = makeData(c);
  const maxBindingBytes = c.rowsPerPart === undefined ? undefined : c.rowsPerPart * c.features * data.BYTES_PER_ELEMENT;
  const ds = uploadDataset(t, { data, features: c.features, label: 'ds', maxBindingBytes });
  // Every case's layout: one buffer of all rows, or the split asked for (never streamed at these sizes).
  const rowsPerPart = c.rowsPerPart ?? c.count;
  expect([ds.parts.length, ds.rowsPerPart, ds.stream]).toEqual([Math.ceil(c.count / rowsPerPart), rowsPerPart, undefined]);
  const perm = shuffledIndices(c.count, 1, 2);
  const indices = t.upload('perm', perm);
  const garbage = new Float32Array(c.batch * c.features).fill(999); // padding rows must be overwritten
  const clean = t.upload('clean', garbage);
  const noisy = c.noise.type === 'none' ? undefined : t.upload('noisy', garbage);
  const centerHost = c.center ? randomArray(c.features, 9, 0, 0.5) : undefined;
  const center = centerHost ? t.upload('center', centerHost) : undefined;
  const scaleHost = c.scale ? randomArray(c.features, 10, 0.5, 3) : undefined;
  const scale = scaleHost ? t.upload('scale', scaleHost) : undefined;
  const step = stepBuffer(c);
  const d = gatherDispatch(t, { dataset: ds, indices, step, batchSize: c.batch, clean, noisy, noise: c.noise, center, scale });
  await runDispatches(t.device, [d], true);
  const gClean = await t.read(clean, c.batch * c.features);
  const gNoisy = noisy ? await t.read(noisy, c.batch * c.features) : undefined;
  const ref = gatherRef(data, c.format, c.features, perm, c.batchOffset, c.validRows, c.batch, c.noise, c.seed ?? 77, c.step ?? 5, c.training, centerHost, scaleHost);
  for (const b of [...ds.parts, indices, clean, step, ...(noisy ? [noisy] : []), ...(center ? [center] : []), ...(scale ? [scale] : [])]) t.arena.release(b);
  return { gClean, gNoisy, ref };
}

/** Exact agreement of corruption decisions: noisy equals the GPU's clean unless the reference corrupted it. */
function checkDecisions(gClean: Float32Array, gNoisy: Float32Array, refClean: Float64Array, refNoisy: Float64Array) {
  let wrong = 0;
  for (let k = 0; k < refClean.length; k++) {
    const corrupted = refNoisy[k] !== refClean[k];
    const expected = corrupted ? refNoisy[k] : gClean[k]; // a corrupted value is exactly 0 or 1
    if (gNoisy[k] !== expected) wrong++;
  }
  return wrong;
}

describe('gather against the reference', () => {
  const cases: Case[] = [
    { format: 'u8', features: 784, count: 300, batch: 256, validRows: 256, batchOffset: 44, noise: { type: 'masking', rate: 0.3 }, training: true },
    { format: 'u8', features: 7, count: 11, batch: 5, validRows: 3, batchOffset: 8, noise: { type: 'salt-and-pepper', rate: 0.4 }, training: true },
    { format: 'f32', features: 7, count: 300, batch: 256, validRows: 200, batchOffset: 100, noise: { type: 'masking', rate: 0.5 }, training: true, center: true },
    { format: 'f32', features: 1, count: 3, batch: 1, validRows: 1, batchOffset: 2, noise: { type: 'salt-and-pepper', rate: 1 }, training: true },
    { format: 'u8', features: 1, count: 9, batch: 5, validRows: 4, batchOffset: 5, noise: { type: 'masking', rate: 0.5 }, training: true, center: true },
    // Split across 3 bindings (4 + 4 + 3 rows; 7-byte u8 rows straddle words), the permutation reading all three.
    { format: 'u8', features: 7, count: 11, batch: 11, validRows: 11, batchOffset: 0, noise: { type: 'salt-and-pepper', rate: 0.4 }, training: true, rowsPerPart: 4 },
    { format: 'f32', features: 3, count: 10, batch: 7, validRows: 6, batchOffset: 4, noise: { type: 'masking', rate: 0.5 }, training: true, center: true, rowsPerPart: 4 },
  ];
  for (const c of cases) {
    test(`${c.format} F=${c.features} B=${c.batch} valid=${c.validRows} ${c.noise.type}${c.center ? ' centred' : ''}`, async () => {
      const { gClean, gNoisy, ref } = await runCase(c);
      const cc = compare(gClean, ref.clean, 0, CLEAN_TOL);
      const wrong = checkDecisions(gClean, gNoisy!, ref.clean, ref.noisy);
      const corrupted = ref.noisy.reduce((n, v, k) => n + (v !== ref.clean[k] ? 1 : 0), 0);
      console.log(`clean max diff ${cc.maxAbs.toExponential(2)}; ${corrupted} corrupted by the reference, ${wrong} GPU values disagree`);
      expect(cc.worst).toBeLessThanOrEqual(1);
      expect(wrong).toBe(0);
      expect(corrupted).toBeGreaterThan(0); // the check above saw decisions
      const pad = gClean.subarray(c.validRows * c.features);
      expect(pad.every((v) => v === 0) && gNoisy!.subarray(c.validRows * c.features).every((v) => v === 0)).toBe(true);
    });
  }

  for (const c of [
    { format: 'u8', features: 784, count: 70, batch: 64, validRows: 60, batchOffset: 3, noise: { type: 'gaussian', stddev: 0.3 }, training: true },
    { format: 'f32', features: 7, count: 10, batch: 5, validRows: 5, batchOffset: 5, noise: { type: 'gaussian', stddev: 0.5 }, training: true, center: true },
    { format: 'f32', features: 1, count: 1, batch: 1, validRows: 1, batchOffset: 0, noise: { type: 'gaussian', stddev: 0.1 }, training: true },
  ] as Case[]) {
    test(`${c.format} F=${c.features} B=${c.batch} valid=${c.validRows} gaussian${c.center ? ' centred' : ''}`, async () => {
      const { gClean, gNoisy, ref } = await runCase(c);
      const cc = compare(gClean, ref.clean, 0, CLEAN_TOL);
      const cn = compare(gNoisy!, ref.noisy, 0, GAUSS_TOL);
      console.log(`clean max diff ${cc.maxAbs.toExponential(2)}, noisy max diff ${cn.maxAbs.toExponential(2)}`);
      expect(cc.worst).toBeLessThanOrEqual(1);
      expect(cn.worst).toBeLessThanOrEqual(1);
      expect(compare(gNoisy!, ref.clean, 0, 1e-3).worst).toBeGreaterThan(1); // noise was added
    });
  }

  test('evaluation (training 0): noisy = clean exactly', async () => {
    for (const noise of [{ type: 'masking', rate: 0.5 }, { type: 'gaussian', stddev: 0.5 }, { type: 'salt-and-pepper', rate: 0.5 }] as InputNoise[]) {
      const { gClean, gNoisy, ref } = await runCase({ format: 'u8', features: 7, count: 20, batch: 5, validRows: 5, batchOffset: 10, noise, training: false });
      expect(compare(gClean, ref.clean, 0, CLEAN_TOL).worst).toBeLessThanOrEqual(1);
      expect([...gNoisy!]).toEqual([...gClean]);
    }
  });

  // Standardisation (x − μ)·s with s ∈ [0.5, 3): the centred value's error (CLEAN_TOL) times s,
  // plus one rounding of the product (|·| ≤ 3, half an ulp 1.2e-7): 2e-6 covers it.
  for (const c of [
    { format: 'u8', features: 13, count: 40, batch: 33, validRows: 30, batchOffset: 7, noise: { type: 'none' }, training: false, center: true, scale: true },
    { format: 'f32', features: 5, count: 9, batch: 4, validRows: 4, batchOffset: 5, noise: { type: 'masking', rate: 0.5 }, training: true, scale: true },
  ] as Case[]) {
    test(`${c.format} F=${c.features} B=${c.batch} ${c.noise.type}, ${c.center ? 'centred and ' : ''}scaled`, async () => {
      const { gClean, gNoisy, ref } = await runCase(c);
      const cc = compare(gClean, ref.clean, 0, 2e-6);
      console.log(`scaled clean max diff ${cc.maxAbs.toExponential(2)}`);
      expect(cc.worst).toBeLessThanOrEqual(1);
      if (gNoisy) expect(checkDecisions(gClean, gNoisy, ref.clean, ref.noisy)).toBe(0);
      expect(gClean.subarray(c.validRows * c.features).every((v) => v === 0)).toBe(true);
    });
  }

  test("noise 'none': clean only, padding rows zeroed", async () => {
    const { gClean, ref } = await runCase({ format: 'f32', features: 7, count: 12, batch: 5, validRows: 2, batchOffset: 10, noise: { type: 'none' }, training: true });
    const cc = compare(gClean, ref.clean, 0, CLEAN_TOL);
    console.log(`clean max diff ${cc.maxAbs.toExponential(2)}`);
    expect(cc.worst).toBeLessThanOrEqual(1);
    expect(gClean.subarray(14).every((v) => v === 0)).toBe(true);
  });
});

describe('empirical corruption', () => {
  // 256×784 = 200704 inputs; a fraction's sd is sqrt(p(1−p)/n) ≤ 1.2e-3; bounds at 5 sd.
  const base = { format: 'u8', features: 784, count: 256, batch: 256, validRows: 256, batchOffset: 0, training: true } as const;
  const n = 256 * 784;
  const bound = (p: number) => 5 * Math.sqrt((p * (1 - p)) / n);

  test('masking: fraction zeroed = q', async () => {
    const { gNoisy } = await runCase({ ...base, noise: { type: 'masking', rate: 0.25 } });
    const f = gNoisy!.filter((v) => v === 0).length / n;
    console.log(`masking q=0.25: zeroed ${f.toFixed(5)} (±${bound(0.25).toFixed(5)})`);
    expect(Math.abs(f - 0.25)).toBeLessThan(bound(0.25));
  });

  test('salt-and-pepper: ν/2 set to 0 and ν/2 set to 1', async () => {
    const { gNoisy } = await runCase({ ...base, noise: { type: 'salt-and-pepper', rate: 0.3 } });
    const zeros = gNoisy!.filter((v) => v === 0).length / n;
    const ones = gNoisy!.filter((v) => v === 1).length / n;
    console.log(`salt-and-pepper ν=0.3: zeros ${zeros.toFixed(5)}, ones ${ones.toFixed(5)} (0.15 ± ${bound(0.15).toFixed(5)})`);
    expect(Math.abs(zeros - 0.15)).toBeLessThan(bound(0.15));
    expect(Math.abs(ones - 0.15)).toBeLessThan(bound(0.15));
  });

  test('gaussian: (noisy − clean)/σ has mean 0 and variance 1', async () => {
    const { gClean, gNoisy } = await runCase({ ...base, noise: { type: 'gaussian', stddev: 0.2 } });
    let s = 0;
    let s2 = 0;
    for (let k = 0; k < n; k++) {
      const z = (gNoisy![k] - gClean[k]) / 0.2;
      s += z;
      s2 += z * z;
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    console.log(`gaussian σ=0.2: mean ${mean.toExponential(2)}, var ${v.toFixed(4)}`);
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
  });
});

describe('argument checks', () => {
  test('gatherDispatch', () => {
    const ds = uploadDataset(t, { data: new Uint8Array(14), features: 7 });
    const indices = t.upload('perm', new Uint32Array([0, 1]));
    const step = t.arena.create('step', STEP_BYTES, UNIFORM);
    const clean = t.arena.storage('clean', 2 * 7 * 4);
    const args = { dataset: ds, indices, step, batchSize: 2, clean };
    expect(() => gatherDispatch(t, { ...args, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => gatherDispatch(t, { ...args, batchSize: 3 })).toThrow(/clean holds 16 floats \(64 bytes\) but 21 are needed for \[batchSize, features\] = \[3, 7\]/);
    expect(() => gatherDispatch(t, { ...args, noise: { type: 'masking', rate: 0.1 } })).toThrow(/needs a noisy output/);
    expect(() => gatherDispatch(t, { ...args, noisy: clean })).toThrow(/noise is 'none'/);
    const noisy = t.arena.storage('noisy', 2 * 7 * 4);
    expect(() => gatherDispatch(t, { ...args, noisy, noise: { type: 'masking', rate: 1.5 } })).toThrow(/masking rate must be in \[0, 1\], got 1.5/);
    expect(() => gatherDispatch(t, { ...args, noisy, noise: { type: 'gaussian', stddev: -1 } })).toThrow(/stddev must be a finite number ≥ 0/);
    expect(() => gatherDispatch(t, { ...args, noisy, noise: { type: 'blur' } as unknown as InputNoise })).toThrow(/noise type must be one of none, masking, gaussian, salt-and-pepper, got "blur"/);
    expect(() => gatherDispatch(t, { ...args, center: t.arena.storage('c', 16) })).toThrow(/center holds 4 floats \(16 bytes\) but 7 are needed for \[features\] = \[7\]/);
  });
});

describe('uploadDataset', () => {
  test('u8 data is packed 4 bytes per u32 word, little-endian', async () => {
    const ds = uploadDataset(t, { data: new Uint8Array([1, 2, 3, 4, 5]), features: 5, labels: new Uint8Array([7]) });
    expect(ds).toMatchObject({ count: 1, features: 5, format: 'u8' });
    const words = await readU32(t.device, ds.buffer, 2);
    expect([...words]).toEqual([0x04030201, 0x00000005]);
  });
  test('validation messages', () => {
    expect(() => uploadDataset(t, { data: new Uint8Array(6), features: 0 })).toThrow(/features must be a positive integer, got 0/);
    expect(() => uploadDataset(t, { data: new Uint8Array(7), features: 2 })).toThrow(/count must be a positive integer, got 3.5 \(data.length 7 \/ features 2\)/);
    expect(() => uploadDataset(t, { data: new Uint8Array(6), features: 2, count: 4 })).toThrow(/data has 6 values but count×features = 4×2 = 8/);
    expect(() => uploadDataset(t, { data: new Uint8Array(0), features: 2 })).toThrow(/count must be a positive integer, got 0/);
    expect(() => uploadDataset(t, { data: new Float32Array([0, NaN]), features: 1 })).toThrow(/value NaN at sample 1, feature 0 is not finite/);
    expect(() => uploadDataset(t, { data: new Uint8Array(4), features: 2, labels: new Uint8Array(3) })).toThrow(/3 labels for 2 samples/);
    const small = { device: { limits: { maxStorageBufferBindingSize: 64, maxBufferSize: 1 << 30 } } as unknown as GPUDevice, arena: t.arena };
    // Above one binding: split by rows (16 of the 64-byte binding's f32 rows, then 1); above 3 bindings: streamed through two windows of 16.
    const split = uploadDataset(small, { data: new Float32Array(17), features: 1 });
    expect([split.parts.length, split.rowsPerPart, split.stream]).toEqual([2, 16, undefined]);
    for (const b of split.parts) t.arena.release(b);
    const streamed = uploadDataset(small, { data: new Float32Array(100), features: 1 });
    expect([streamed.parts.length, streamed.rowsPerPart, streamed.stream?.windowRows]).toEqual([2, 16, 16]);
    for (const b of streamed.parts) t.arena.release(b);
  });
});
