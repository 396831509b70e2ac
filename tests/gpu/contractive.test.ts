// Contractive-penalty kernels vs the float64 reference on awkward shapes, each
// kernel on its own, then the whole factored gradient (with uᵀ·X and Σ_r u done on
// the CPU in float64, standing in for the caller's matmul and column sums) against
// the directly computed reference gradient.
import { beforeAll, describe, expect, test } from 'vitest';
import { readU32, runDispatches, STEP_BYTES } from '../../src/gpu';
import { GUARD_CLEAR, NON_FINITE_KIND } from '../../src/kernels/finite';
import { finiteGuardRef } from '../../src/reference/finite';
import { ACTIVATIONS } from '../../src/kernels/activations';
import { addScaledRowsDispatch, contractiveTermsDispatch, rowNormsSqDispatch } from '../../src/kernels/contractive';
import { addScaledRowsRef, contractiveRef, contractiveTermsRef, rowNormsSqRef } from '../../src/reference/contractive';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

const U = 2 ** -24; // float32 unit roundoff
const TINY = 1e-30; // lets an exact 0 compare equal to an expected 0

// B rows, V valid, H units, D inputs: 1, odd, > one workgroup of 64, several strides, V < B, V = 0.
const SHAPES = [
  { B: 1, V: 1, H: 1, D: 1 },
  { B: 5, V: 3, H: 7, D: 9 },
  { B: 33, V: 30, H: 65, D: 50 },
  { B: 33, V: 33, H: 1, D: 130 },
  { B: 1, V: 1, H: 65, D: 9 },
  { B: 5, V: 0, H: 7, D: 50 },
];

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});

describe('contractive kernels', () => {
  const lambda = Math.fround(0.6);
  for (const act of ACTIVATIONS) {
    for (const { B, V, H, D } of SHAPES) {
      test(`${act} B=${B} V=${V} H=${H} D=${D}`, async () => {
        // W scaled by 1.5/√D keeps |a| ≲ 2, so tanh's 1 − h² ≥ 0.07 is well conditioned.
        const x = randomArray(B * D, B + D, -1, 1);
        const W = randomArray(H * D, H + 2 * D, -1.5 / Math.sqrt(D), 1.5 / Math.sqrt(D));
        const b = randomArray(H, H + 5, -0.5, 0.5);
        const ref = contractiveRef(x, W, b, B, V, D, H, act, lambda);
        const h = Float32Array.from(ref.h).fill(NaN, V * H); // padding rows must not be read
        const dW0 = randomArray(H * D, 99 + H, -0.1, 0.1);

        const wBuf = t.upload('W', W);
        const hBuf = t.upload('h', h);
        const sBuf = t.upload('s', new Float32Array(H).fill(777));
        const uBuf = t.upload('u', new Float32Array(B * H).fill(777));
        const rowScaleBuf = t.upload('rowScale', new Float32Array(H).fill(777));
        const rowJacBuf = t.upload('rowJacSq', new Float32Array(B).fill(777));
        const dwBuf = t.upload('dW', dW0);
        const guard = t.upload('guard', GUARD_CLEAR);
        const dispatches = [
          rowNormsSqDispatch(t, { w: wBuf, s: sBuf, hidden: H, inputs: D }),
          contractiveTermsDispatch(t, { h: hBuf, s: sBuf, u: uBuf, rowScale: rowScaleBuf, rowJacSq: rowJacBuf, rows: B, hidden: H, activation: act, lambda, step: t.step({ validRows: V }) }),
          addScaledRowsDispatch(t, { w: wBuf, rowScale: rowScaleBuf, dw: dwBuf, hidden: H, inputs: D, guard: { guard, step: t.step({ validRows: V, step: 2 }), code: 5 } }),
        ];
        await runDispatches(t.device, dispatches, true);
        const s = await t.read(sBuf, H);
        const u = await t.read(uBuf, B * H);
        const rowScale = await t.read(rowScaleBuf, H);
        const rowJac = await t.read(rowJacBuf, B);
        const dW = await t.read(dwBuf, H * D);

        // s: non-negative terms, strided partial sums (≤ ⌈D/64⌉ terms) + 6-level tree,
        // plus the rounding of each square: relative error ≤ (⌈D/64⌉ + 7)u ≤ 10u.
        const cS = compare(s, rowNormsSqRef(W, H, D), 10 * U, TINY);
        // Terms from the same float32 h. Each u_rj, g'² term is a product of ≤ 8 rounded
        // factors; 1 − h² (tanh) loses ≤ u/0.07 ≈ 15u relatively; s carries ≤ 10u;
        // rowScale sums ≤ 33 rows sequentially (≤ 33u), rowJacSq sums H ≤ 65 units
        // (≤ 8u). All well under 1e-5 relative; atol covers u's that are ~0 by
        // cancellation in 1 − 2h (sigmoid), 1e-6 of the largest |u|.
        const terms = contractiveTermsRef(h, rowNormsSqRef(W, H, D), B, V, H, act, lambda);
        const uMax = terms.u.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const cU = compare(u, terms.u, 1e-5, 1e-6 * uMax + TINY);
        const cScale = compare(rowScale, terms.rowScale, 1e-5, TINY);
        const cJac = compare(rowJac, terms.perRow, 1e-5, TINY);
        // add_scaled_rows alone, given the GPU's rowScale: dW0 + rs·W rounds twice, so the
        // error is ≤ 2u of |dW0| + |rs·W| (the sum may cancel).
        let mag = 0;
        for (let j = 0; j < H; j++) for (let i = 0; i < D; i++) mag = Math.max(mag, Math.abs(dW0[j * D + i]) + Math.abs(rowScale[j] * W[j * D + i]));
        const cAdd = compare(dW, addScaledRowsRef(dW0, rowScale, W, H, D), 0, 2 * U * mag);

        // The whole factored gradient vs the direct reference (h rounded to float32 adds
        // ≤ 1u to each input): 1e-5 of the magnitude of the summed terms, plus, for each
        // u_rj·x_ri, the same 1e-6·max|u| absolute allowance as for u (u ≈ 0 by cancellation
        // in 1 − 2h has a large relative error once h is rounded).
        const full = Float64Array.from(dW);
        const db = new Float64Array(H);
        const magW = new Float64Array(H * D);
        const magB = new Float64Array(H);
        for (let j = 0; j < H; j++) {
          for (let i = 0; i < D; i++) magW[j * D + i] = Math.abs(dW0[j * D + i]) + Math.abs(terms.rowScale[j] * W[j * D + i]);
          for (let r = 0; r < B; r++) {
            db[j] += u[r * H + j];
            magB[j] += Math.abs(terms.u[r * H + j]) + 0.1 * uMax;
            for (let i = 0; i < D; i++) {
              full[j * D + i] += u[r * H + j] * x[r * D + i];
              magW[j * D + i] += Math.abs((Math.abs(terms.u[r * H + j]) + 0.1 * uMax) * x[r * D + i]);
            }
          }
        }
        let wWorst = 0;
        let wMax = 0;
        for (let k = 0; k < H * D; k++) {
          const d = Math.abs(full[k] - (dW0[k] + ref.dW[k]));
          wWorst = Math.max(wWorst, d / (1e-5 * magW[k] + TINY));
          wMax = Math.max(wMax, d);
        }
        let bWorst = 0;
        let bMax = 0;
        for (let j = 0; j < H; j++) {
          const d = Math.abs(db[j] - ref.db[j]);
          bWorst = Math.max(bWorst, d / (1e-5 * magB[j] + TINY));
          bMax = Math.max(bMax, d);
        }
        const penalty = lambda * (V > 0 ? 1 / V : 0) * rowJac.reduce((acc, v) => acc + v, 0);

        console.log(
          `${act} B=${B} V=${V} H=${H} D=${D}: max|Δ| s ${cS.maxAbs.toExponential(2)}, u ${cU.maxAbs.toExponential(2)}, ` +
            `rowScale ${cScale.maxAbs.toExponential(2)}, rowJacSq ${cJac.maxAbs.toExponential(2)}, addScaled ${cAdd.maxAbs.toExponential(2)}, ` +
            `full dW ${wMax.toExponential(2)}, db ${bMax.toExponential(2)}; penalty ${penalty} vs ${ref.penalty}`,
        );
        expect(cS.worst).toBeLessThanOrEqual(1);
        expect(cU.worst).toBeLessThanOrEqual(1);
        expect(cScale.worst).toBeLessThanOrEqual(1);
        expect(cJac.worst).toBeLessThanOrEqual(1);
        expect(cAdd.worst).toBeLessThanOrEqual(1);
        expect(wWorst).toBeLessThanOrEqual(1);
        expect(bWorst).toBeLessThanOrEqual(1);
        expect(Math.abs(penalty - ref.penalty)).toBeLessThanOrEqual(1e-5 * ref.penalty + TINY);
        expect(Array.from(await readU32(t.device, guard, 4)), 'finite dW leaves the guard clear').toEqual(Array.from(GUARD_CLEAR));
        expect([...u.slice(V * H)].every((v) => v === 0)).toBe(true);
      });
    }
  }
});

// add_scaled_rows writes dW last, so it checks what it stores: each non-finite value records
// code + its flat index, as check_step would over the stored dW (finiteGuardRef over the float64
// result, rounded to f32 there) — a NaN already in dW, an overflow only in f32, a −Inf weight times
// a positive row scale, several rows and a partial workgroup; an earlier step's guard stays.
describe('add_scaled_rows guards what it stores', () => {
  test.each([
    [1, 1],
    [3, 70],
  ])('H=%i D=%i', async (H, D) => {
    const W = randomArray(H * D, H + D, -1, 1);
    const rowScale = randomArray(H, H + 1, 0.5, 1);
    const dW0 = randomArray(H * D, H + D + 2, -1, 1);
    const last = H * D - 1;
    dW0[last] = NaN;
    if (D > 2) {
      dW0[D + 1] = 3e38; // row 1 (or 0): 3e38 + rowScale·W overflows only in f32
      W[D + 1] = 3.4e38;
      rowScale[Math.floor((D + 1) / D)] = 1;
      W[2] = -Infinity;
    }
    const dwAfter = addScaledRowsRef(dW0, rowScale, W, H, D);
    for (const before of [GUARD_CLEAR, Uint32Array.from([1, 3, NON_FINITE_KIND.nan, 0])]) {
      const guard = t.upload('guard', before);
      const dw = t.upload('dW', dW0);
      await runDispatches(t.device, [addScaledRowsDispatch(t, { w: t.upload('W', W), rowScale: t.upload('rowScale', rowScale), dw, hidden: H, inputs: D, guard: { guard, step: t.step({ validRows: 1, step: 4 }), code: 9 } })], true);
      const want = finiteGuardRef(before, 4, [{ code: 9, values: dwAfter, indexed: true }]);
      expect(Array.from(await readU32(t.device, guard, 4)), `guard before ${before.join(',')}`).toEqual(Array.from(want));
    }
  });
});

describe('argument checks', () => {
  test('say what was wrong', () => {
    const buf = t.upload('small', new Float32Array(4));
    const other = t.upload('other', new Float32Array(4));
    const step = t.step({ validRows: 1 });
    const notUniform = t.upload('not a uniform', new Float32Array(STEP_BYTES / 4));
    expect(() => rowNormsSqDispatch(t, { w: buf, s: other, hidden: 2, inputs: 3 })).toThrow(/w holds 4 floats \(16 bytes\) but 6 are needed/);
    const guard = { guard: t.upload('guard', GUARD_CLEAR), step, code: 1 };
    expect(() => addScaledRowsDispatch(t, { w: buf, rowScale: other, dw: buf, hidden: 1, inputs: 1, guard })).toThrow(/w \(read\) and dw \(written\) are in the same GPUBuffer/);
    expect(() => addScaledRowsDispatch(t, { w: buf, rowScale: other, dw: t.upload('dw', new Float32Array(4)), hidden: 1, inputs: 1, guard: undefined as never })).toThrow(/guard is required/);
    expect(() => addScaledRowsDispatch(t, { w: buf, rowScale: other, dw: t.upload('dw', new Float32Array(4)), hidden: 1, inputs: 1, guard: { ...guard, code: 0 } })).toThrow(/guard\.code/);
    expect(() =>
      contractiveTermsDispatch(t, { h: buf, s: buf, u: buf, rowScale: buf, rowJacSq: buf, rows: 1, hidden: 1, activation: 'softmax' as never, lambda: 1, step }),
    ).toThrow(/activation must be one of linear, sigmoid, tanh, relu/);
    expect(() => contractiveTermsDispatch(t, { h: buf, s: buf, u: buf, rowScale: buf, rowJacSq: buf, rows: 1, hidden: 1, activation: 'tanh', lambda: 1, step: notUniform })).toThrow(
      /step buffer .* lacks UNIFORM usage/,
    );
  });
});
