// Inverted dropout (forward and in-place backward) against src/reference/dropout.ts.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { dropoutBackwardDispatch, dropoutForwardDispatch } from '../../src/kernels/dropout';
import { dropoutBackwardRef, dropoutForwardRef } from '../../src/reference/dropout';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

// out = h · f32(1/(1−p)): two f32 roundings (the scale and the product), relative
// 2 × 6e-8; 2.5e-7 relative. Dropped elements must be exactly 0 (atol ≈ 0).
const RTOL = 2.5e-7;
const ATOL = 1e-30;

interface Case {
  rows: number;
  units: number;
  rate: number;
  layer: number;
  training: boolean;
  seed?: number;
  step?: number;
}

async function run(c: Case) {
  const n = c.rows * c.units;
  const h = randomArray(n, 21, -1, 1);
  const g = randomArray(n, 22, -1, 1);
  const input = t.upload('h', h);
  const output = t.upload('out', new Float32Array(n).fill(999));
  const grad = t.upload('grad', g);
  const step = t.step({ validRows: 0 });
  const seed = c.seed ?? 31;
  const stepNo = c.step ?? 9;
  t.writeStep(step, { validRows: c.rows, seed, step: stepNo, training: c.training });
  const shape = { step, rows: c.rows, units: c.units, rate: c.rate, layer: c.layer };
  await runDispatches(t.device, [dropoutForwardDispatch(t, { ...shape, input, output }), dropoutBackwardDispatch(t, { ...shape, grad })], true);
  const out = await t.read(output, n);
  const dh = await t.read(grad, n);
  for (const b of [input, output, grad, step]) t.arena.release(b);
  const args = [c.rows, c.units, c.rate, c.layer, seed, stepNo, c.training] as const;
  return { out, dh, refOut: dropoutForwardRef(Float64Array.from(h), ...args), refDh: dropoutBackwardRef(Float64Array.from(g), ...args) };
}

describe('dropout against the reference', () => {
  const cases: Case[] = [
    { rows: 1, units: 1, rate: 0.5, layer: 0, training: true, seed: 1, step: 1 },
    { rows: 5, units: 7, rate: 0.5, layer: 1, training: true },
    { rows: 256, units: 300, rate: 0.2, layer: 13, training: true }, // 5×256 workgroups
    { rows: 3, units: 65, rate: 0.9, layer: 2, training: true },
    { rows: 17, units: 33, rate: 0, layer: 0, training: true },
    { rows: 17, units: 33, rate: 0.5, layer: 0, training: false },
  ];
  for (const c of cases) {
    test(`rows ${c.rows} units ${c.units} p=${c.rate} layer ${c.layer} training ${c.training}`, async () => {
      const r = await run(c);
      const f = compare(r.out, r.refOut, RTOL, ATOL);
      const b = compare(r.dh, r.refDh, RTOL, ATOL);
      const dropped = r.refOut.filter((v) => v === 0).length;
      const sameMask = r.out.every((v, k) => (v === 0) === (r.dh[k] === 0));
      console.log(`forward max diff ${f.maxAbs.toExponential(2)}, backward max diff ${b.maxAbs.toExponential(2)}, dropped ${dropped}/${r.out.length}`);
      expect(f.worst).toBeLessThanOrEqual(1);
      expect(b.worst).toBeLessThanOrEqual(1);
      expect(sameMask).toBe(true);
      if (!c.training || c.rate === 0) expect(dropped).toBe(0);
    });
  }

  test('kept fraction is 1 − p and masks differ between layers and steps', async () => {
    const c: Case = { rows: 256, units: 300, rate: 0.3, layer: 4, training: true };
    const n = c.rows * c.units;
    const a = await run(c);
    const kept = a.out.filter((v) => v !== 0).length / n;
    const bound = 5 * Math.sqrt((0.3 * 0.7) / n);
    console.log(`kept ${kept.toFixed(5)} (0.7 ± ${bound.toFixed(5)})`);
    expect(Math.abs(kept - 0.7)).toBeLessThan(bound);
    for (const other of [{ ...c, layer: 5 }, { ...c, step: 10 }, { ...c, seed: 32 }]) {
      const o = await run(other);
      // Independent masks agree on a fraction 0.7² + 0.3² = 0.58 of the elements.
      const agree = o.out.filter((v, k) => (v === 0) === (a.out[k] === 0)).length / n;
      expect(Math.abs(agree - 0.58)).toBeLessThan(0.01);
    }
  });

  test('argument checks', () => {
    const step = t.step({ validRows: 0 });
    const buf = t.arena.storage('x', 4 * 12);
    const base = { step, rows: 3, units: 4, rate: 0.5, layer: 0, grad: buf };
    expect(() => dropoutBackwardDispatch(t, { ...base, rate: 1 })).toThrow(/rate must be in \[0, 1\), got 1/);
    expect(() => dropoutBackwardDispatch(t, { ...base, layer: 14 })).toThrow(/layer must be an integer in 0..13/);
    expect(() => dropoutBackwardDispatch(t, { ...base, units: 0 })).toThrow(/units must be a positive integer/);
    expect(() => dropoutBackwardDispatch(t, { ...base, rows: 5 })).toThrow(/grad holds 12 floats \(48 bytes\) but 20 are needed for \[rows, units\] = \[5, 4\]/);
    expect(() => dropoutForwardDispatch(t, { ...base, input: buf, output: t.arena.storage('y', 16) })).toThrow(/output holds 4 floats \(16 bytes\)/);
  });
});
