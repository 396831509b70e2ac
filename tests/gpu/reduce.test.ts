// Column sums and the loss log vs the float64 references.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readU32, runDispatches } from '../../src/gpu';
import { GUARD_CLEAR, NON_FINITE_KIND } from '../../src/kernels/finite';
import { columnSumDispatch, LOSS_LOG_STRIDE, lossLogDispatch } from '../../src/kernels/reduce';
import { LOSS_COMPONENT } from '../../src/model/objective';
import { columnSumRef, lossLogIncrementRef } from '../../src/reference/reduce';
import { finiteGuardRef } from '../../src/reference/finite';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

const U = 2 ** -24; // f32 unit roundoff

/** Multiples of 1/64 in [−1, 1]: every partial sum of a few thousand of them is exact in f32. */
function dyadic(n: number, seed: number): Float32Array {
  return Float32Array.from(randomArray(n, seed, -1, 1), (v) => Math.round(v * 64) / 64);
}

describe('columnSumDispatch', () => {
  // [rows, cols, gridWidth?]: 1×1; odd; cols one past the 64-column tile; more
  // rows than the 4 row lanes; 200 columns on a grid 2 wide (4 tiles → 2×2).
  const SHAPES: [number, number, number?][] = [
    [1, 1],
    [3, 5],
    [2, 65],
    [257, 3],
    [64, 1000],
    [7, 200, 2],
  ];
  for (const [rows, cols, gridWidth] of SHAPES) {
    for (const accumulate of [false, true]) {
      test(`${rows}×${cols}${accumulate ? ' accumulate' : ''}${gridWidth ? ` grid width ${gridWidth}` : ''}`, async () => {
        // Exact arithmetic: inputs are multiples of 2^-6 with |x| ≤ 1 and every partial
        // sum stays below 2^17, so any summation order is exact in f32 (24-bit mantissa):
        // the GPU must match the reference bit for bit.
        const data = dyadic(rows * cols, rows * 31 + cols);
        const initial = dyadic(cols, cols + 5).map((v) => v * 8);
        const input = t.upload('in', data);
        const output = t.upload('out', new Float32Array([...initial, 7, 7]));
        await runDispatches(t.device, [columnSumDispatch(t, { input, output, rows, cols, accumulate, gridWidth })], true);
        const got = await t.read(output, cols + 2);
        const want = columnSumRef(data, rows, cols, accumulate ? initial : undefined);
        const c = compare(got.subarray(0, cols), want, 0, 0);
        console.log(`column sum ${rows}×${cols}${accumulate ? ' +=' : ''}: max |diff| ${c.maxAbs}`);
        expect(c.maxAbs).toBe(0);
        expect(Array.from(got.subarray(cols))).toEqual([7, 7]); // nothing written past cols
      });
    }
  }

  test('random data within the f32 summation bound', async () => {
    const rows = 300;
    const cols = 130;
    const data = randomArray(rows * cols, 99, -1, 1);
    const input = t.upload('in', data);
    const output = t.upload('out', new Float32Array(cols));
    await runDispatches(t.device, [columnSumDispatch(t, { input, output, rows, cols })], true);
    const got = await t.read(output, cols);
    const want = columnSumRef(data, rows, cols);
    // Each of the 4 lanes adds ⌈rows/4⌉ values in sequence, then 2 more levels: the
    // classical bound is (⌈rows/4⌉ + 2)·u·Σ|x|, with Σ|x| ≤ rows.
    const atol = (Math.ceil(rows / 4) + 2) * U * rows;
    const c = compare(got, want, 0, atol);
    console.log(`column sum random ${rows}×${cols}: max |diff| ${c.maxAbs.toExponential(2)} (bound ${atol.toExponential(2)})`);
    expect(c.worst).toBeLessThanOrEqual(1);
  });
});

describe('columnSumDispatch, guarded', () => {
  // Each stored out[j] goes through the guard with code + j, as check_step records it over the
  // stored values (finiteGuardRef on the float64 sums, rounded to f32 there): NaN and ±Inf inputs,
  // a column whose f32 sum overflows from finite values, an accumulated entry already −Inf,
  // columns past one workgroup; finite sums leave the guard clear and an earlier step's guard stays.
  for (const [rows, cols] of [
    [1, 1],
    [5, 3],
    [9, 130],
  ]) {
    for (const accumulate of [false, true]) {
      test(`${rows}×${cols}${accumulate ? ' accumulate' : ''}`, async () => {
        const initial = dyadic(cols, cols + 1);
        const clean = dyadic(rows * cols, rows * 7 + cols);
        const poisoned = Float32Array.from(clean);
        poisoned[(rows - 1) * cols + (cols - 1)] = NaN; // the last column
        if (cols > 2) poisoned[1] = rows > 1 ? 3e38 : Infinity; // column 1: +Inf, or an f32 overflow below
        if (cols > 2 && rows > 1) poisoned[cols + 1] = 3e38;
        const initialBad = Float32Array.from(initial);
        if (cols > 1) initialBad[cols - 2] = -Infinity;
        const CODE = 40;
        const run = async (data: Float32Array, init: Float32Array, before: Uint32Array) => {
          const output = t.upload('out', accumulate ? init : new Float32Array(cols));
          const guard = t.upload('guard', before);
          const step = t.step({ validRows: 1, step: 6 });
          await runDispatches(t.device, [columnSumDispatch(t, { input: t.upload('in', data), output, rows, cols, accumulate, guard: { guard, step, code: CODE } })], true);
          const sums = columnSumRef(data, rows, cols, accumulate ? init : undefined);
          const want = finiteGuardRef(before, 6, [{ code: CODE, values: sums, indexed: true }]);
          return { guard: Array.from(await readU32(t.device, guard, 4)), want: Array.from(want), out: Array.from(await t.read(output, cols)), sums: Array.from(sums, Math.fround) };
        };
        // Finite: the guard stays clear, and the guarded entry point sums exactly as the plain one (dyadic values: exact either way).
        const finite = await run(clean, initial, GUARD_CLEAR);
        expect(finite.guard).toEqual(Array.from(GUARD_CLEAR));
        expect(finite.out).toEqual(finite.sums);
        const cases: Array<[string, Float32Array, Float32Array, Uint32Array]> = [
          ['poisoned', poisoned, initial, GUARD_CLEAR],
          ['poisoned, earlier guard', poisoned, initial, Uint32Array.from([2, 9, NON_FINITE_KIND.nan, 0])],
        ];
        if (accumulate) cases.push(['clean onto −Inf', clean, initialBad, GUARD_CLEAR]);
        for (const [what, data, init, before] of cases) {
          const r = await run(data, init, before);
          expect(r.guard, what).toEqual(r.want);
        }
      });
    }
  }

  test('argument errors name the problem', () => {
    const input = t.upload('in', new Float32Array(6));
    const output = t.upload('out', new Float32Array(3));
    const guard = t.upload('guard', GUARD_CLEAR);
    const step = t.step({ validRows: 1 });
    expect(() => columnSumDispatch(t, { input, output, rows: 2, cols: 3, guard: { guard, step, code: 0 } })).toThrow(/guard\.code/);
    expect(() => columnSumDispatch(t, { input, output, rows: 2, cols: 3, guard: { guard: output, step, code: 1 } })).toThrow(/output and guard\.guard are written and overlap/);
    expect(() => columnSumDispatch(t, { input, output, rows: 2, cols: 3, guard: { guard: input, step, code: 1 } })).toThrow(/input \(read\) and guard\.guard \(written\)/);
  });
});

describe('lossLogDispatch', () => {
  const SLOT = 3;
  const logInit = () => Float32Array.from({ length: 5 * LOSS_LOG_STRIDE }, (_, i) => i / 4); // recognisable, exact

  for (const count of [1, 5, 257, 1000, 70001]) {
    for (const perSample of [false, true]) {
      test(`count ${count}${perSample ? ' per sample' : ''}`, async () => {
        // Exact again: multiples of 2^-6, |Σ| ≤ 70001 < 2^17; scale 0.5 and inv_rows 1/4 are powers of 2.
        const values = dyadic(count, count);
        const validRows = 4;
        const component = LOSS_COMPONENT.klSparsity;
        const step = t.step({ validRows, lossSlot: SLOT });
        const init = logInit();
        const log = t.upload('log', init);
        const valuesBuf = t.upload('values', values);
        await runDispatches(t.device, [lossLogDispatch(t, { values: valuesBuf, count, log, step, component, scale: 0.5, perSample })], true);
        const got = await t.read(log, init.length);
        const want = Float64Array.from(init);
        want[SLOT * LOSS_LOG_STRIDE + component] += lossLogIncrementRef(values, count, 0.5, perSample, validRows);
        const c = compare(got, want, 0, 0);
        console.log(`loss log count ${count}: got ${got[SLOT * LOSS_LOG_STRIDE + component]}, max |diff| ${c.maxAbs}`);
        expect(c.maxAbs).toBe(0); // and every other entry of the log is untouched
      });
    }
  }

  test('random values, inv_rows = 1/3, two dispatches accumulate', async () => {
    const count = 5000;
    const values = randomArray(count, 5, 0, 2);
    const step = t.step({ validRows: 3, lossSlot: 0 });
    const log = t.upload('log', new Float32Array(LOSS_LOG_STRIDE));
    const valuesBuf = t.upload('values', values);
    const d = lossLogDispatch(t, { values: valuesBuf, count, log, step, component: LOSS_COMPONENT.reconstruction, perSample: true });
    await runDispatches(t.device, [d, d], true);
    const got = await t.read(log, LOSS_LOG_STRIDE);
    const want = 2 * lossLogIncrementRef(values, count, 1, true, 3);
    // Positive values: each thread adds ⌈5000/256⌉ = 20 in sequence, 8 tree levels, then
    // ×scale, ×inv_rows (rounded) and the += (3 roundings): rtol (20 + 8 + 4)·u ≈ 1.9e-6.
    const rtol = (Math.ceil(count / 256) + 8 + 4) * U;
    const c = compare([got[0]], [want], rtol, 0);
    console.log(`loss log random: got ${got[0]} want ${want} rel ${(c.maxAbs / want).toExponential(2)} (bound ${rtol.toExponential(2)})`);
    expect(c.worst).toBeLessThanOrEqual(1);
    expect(Array.from(got.subarray(1))).toEqual(new Array(LOSS_LOG_STRIDE - 1).fill(0));
  });

  test('guarded: the value left in the log goes through the non-finite guard as the loss (code 0)', async () => {
    // [values, value already in the log]: finite; a NaN value; a sum that overflows only in f32
    // (two values of 3e38); a finite sum added to a log entry that is already −Infinity.
    const cases: Array<[number[], number, number[]]> = [
      [[1, 2, 3], 0, [0, 0xffffffff, 0, 0]],
      [[1, NaN, 3], 0, [7, 0, NON_FINITE_KIND.nan, 0]],
      [[3e38, 3e38], 0, [7, 0, NON_FINITE_KIND.posInf, 0]],
      [[1], -Infinity, [7, 0, NON_FINITE_KIND.negInf, 0]],
    ];
    for (const [values, already, want] of cases) {
      const step = t.step({ validRows: 1, lossSlot: 1, step: 7 });
      const log = t.upload('log', Float32Array.from({ length: 2 * LOSS_LOG_STRIDE }, (_, i) => (i === LOSS_LOG_STRIDE + 2 ? already : 0)));
      const guard = t.upload('guard', GUARD_CLEAR);
      const d = lossLogDispatch(t, { values: t.upload('values', Float32Array.from(values)), count: values.length, log, step, component: 2, guard });
      await runDispatches(t.device, [d], true);
      expect(Array.from(await readU32(t.device, guard, 4)), `values ${values.join(', ')} onto ${already}`).toEqual(want);
    }
    // A guard that an earlier step set stays as it was.
    const guard = t.upload('guard', Uint32Array.from([3, 12, NON_FINITE_KIND.nan, 0]));
    const log = t.upload('log', new Float32Array(2 * LOSS_LOG_STRIDE));
    await runDispatches(t.device, [lossLogDispatch(t, { values: t.upload('values', Float32Array.of(Infinity)), count: 1, log, step: t.step({ validRows: 1, lossSlot: 1, step: 7 }), component: 0, guard })], true);
    expect(Array.from(await readU32(t.device, guard, 4))).toEqual([3, 12, NON_FINITE_KIND.nan, 0]);
  });

  test('argument errors name the problem', () => {
    const b = t.upload('b', new Float32Array(8));
    const step = t.step({ validRows: 1 });
    expect(() => lossLogDispatch(t, { values: b, count: 4, log: b, step, component: 0 })).toThrow(/same GPUBuffer/);
    const log = t.upload('log', new Float32Array(8));
    expect(() => lossLogDispatch(t, { values: b, count: 4, log, step, component: 8 })).toThrow(/component must be an integer in 0..7/);
    expect(() => lossLogDispatch(t, { values: b, count: 4, log, step, component: 0, scale: NaN })).toThrow(/scale must be a finite number/);
    expect(() => lossLogDispatch(t, { values: b, count: 4, log, step, component: 0, guard: { buffer: t.upload('guard', new Float32Array(8)), offset: 0, size: 8 } })).toThrow(/guard holds 2 floats \(8 bytes\) but 4 are needed/);
    expect(() => lossLogDispatch(t, { values: b, count: 4, log, step, component: 0, guard: log })).toThrow(/log and guard are written and overlap/);
    expect(() => columnSumDispatch(t, { input: b, output: log, rows: 3, cols: 3 })).toThrow(/input holds 8 floats .* but 9 are needed/);
  });
});
