// L1 and KL activity-sparsity kernels vs the float64 reference on awkward shapes.
// Padding rows of h are NaN, so any read of them shows up; padding rows of dH must
// come back bit-identical.
import { beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { klColumnStatsDispatch, klGradDispatch, l1ActivityDispatch } from '../../src/kernels/sparsity';
import { KL_EPS, klSparsityRef, l1Ref } from '../../src/reference/sparsity';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

const U = 2 ** -24; // float32 unit roundoff
const TINY = 1e-30; // lets an exact 0 compare equal to an expected 0

// B rows, V valid rows, H units: 1, odd, > one workgroup (64), several strides, V < B, V = 0.
const SHAPES = [
  { B: 1, V: 1, H: 1 },
  { B: 5, V: 3, H: 7 },
  { B: 33, V: 30, H: 65 },
  { B: 33, V: 33, H: 200 },
  { B: 5, V: 0, H: 7 },
];

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});

function nanPadding(h: Float32Array, V: number, H: number): Float32Array {
  h.fill(NaN, V * H);
  return h;
}

describe('l1Activity', () => {
  const lambda = Math.fround(0.3);
  for (const { B, V, H } of SHAPES) {
    test(`B=${B} V=${V} H=${H}`, async () => {
      const h = nanPadding(randomArray(B * H, B * 100 + H, -1, 1), V, H);
      for (let k = 2; k < V * H; k += 5) h[k] = 0; // sign(0) = 0
      const dh0 = randomArray(B * H, 7 + H, -1, 1);
      const hBuf = t.upload('h', h);
      const dhBuf = t.upload('dh', dh0);
      const rowAbs = t.upload('rowAbs', new Float32Array(B).fill(777));
      const d = l1ActivityDispatch(t, { h: hBuf, dh: dhBuf, rowAbs, rows: B, hidden: H, lambda, step: t.step({ validRows: V }) });
      await runDispatches(t.device, [d], true);
      const dh = await t.read(dhBuf, B * H);
      const perRow = await t.read(rowAbs, B);

      const ref = l1Ref(h, B, V, H, lambda);
      const expectedDh = dh0.map((v, k) => v + ref.dh[k]);
      // dh0 + fl(λ·fl(1/V))·sign: three roundings → ≤ 3u relative to |dh0| + λ/V.
      const cDh = compare(dh, expectedDh, 0, 3 * U * (1 + lambda));
      // Σ_j |h_rj|, non-negative terms: strided partial sums (≤ ⌈H/64⌉ terms) then a
      // 6-level tree → relative error ≤ (⌈H/64⌉ + 6)u ≤ 10u; padding rows exactly 0.
      const cRow = compare(perRow, ref.perRow, 10 * U, TINY);
      const penalty = lambda * (V > 0 ? 1 / V : 0) * perRow.reduce((s, v) => s + v, 0);
      console.log(`l1 B=${B} V=${V} H=${H}: max|Δ| dh ${cDh.maxAbs.toExponential(2)}, rowAbs ${cRow.maxAbs.toExponential(2)}; penalty ${penalty} vs ${ref.penalty}`);
      expect(cDh.worst).toBeLessThanOrEqual(1);
      expect(cRow.worst).toBeLessThanOrEqual(1);
      expect(dh.slice(V * H)).toEqual(dh0.slice(V * H));
      expect(Math.abs(penalty - ref.penalty)).toBeLessThanOrEqual(10 * U * ref.penalty + TINY);
    });
  }
});

describe('klSparsity', () => {
  const rho = Math.fround(0.05);
  const beta = Math.fround(0.8);
  for (const { B, V, H } of SHAPES) {
    test(`B=${B} V=${V} H=${H}`, async () => {
      const h = nanPadding(randomArray(B * H, B * 31 + H, 0.02, 0.98), V, H);
      if (H >= 3) {
        for (let r = 0; r < V; r++) {
          h[r * H] = 0; // ρ̂ = 0: clamped low
          h[r * H + 1] = 1; // ρ̂ = 1: clamped high
        }
      }
      const dh0 = randomArray(B * H, 3 + H, -1, 1);
      const hBuf = t.upload('h', h);
      const dhBuf = t.upload('dh', dh0);
      const rhoHatBuf = t.upload('rhoHat', new Float32Array(H).fill(777));
      const klBuf = t.upload('klUnit', new Float32Array(H).fill(777));
      const step = t.step({ validRows: V });
      const stats = klColumnStatsDispatch(t, { h: hBuf, rhoHat: rhoHatBuf, klUnit: klBuf, rows: B, hidden: H, rho, step });
      const grad = klGradDispatch(t, { rhoHat: rhoHatBuf, dh: dhBuf, rows: B, hidden: H, rho, beta, step });
      await runDispatches(t.device, [stats, grad], true);
      const rhoHat = await t.read(rhoHatBuf, H);
      const kl = await t.read(klBuf, H);
      const dh = await t.read(dhBuf, B * H);

      const ref = klSparsityRef(h, B, V, H, rho, beta);
      const invV = V > 0 ? 1 / V : 0;
      // ρ̂: sequential sum of V non-negative terms, then × fl(1/V): relative error ≤ (V + 2)u.
      const relM = (V + 2) * U;
      const cM = compare(rhoHat, ref.rhoHat, relM, TINY);

      // KL: the error of ρ̂ propagates through |∂KL/∂ρ̂|·ρ̂·relM (0 where clamped);
      // each log is within 2^-21 absolute (near 1) or 3 ulp (WGSL), its argument within 1u.
      let klWorst = 0;
      let klMax = 0;
      let gWorst = 0;
      let gMax = 0;
      for (let j = 0; j < H; j++) {
        const m = ref.rhoHat[j];
        const clamped = m < KL_EPS || 1 - m < KL_EPS;
        const t1 = Math.abs(rho * Math.log(rho / Math.max(m, KL_EPS)));
        const t2 = Math.abs((1 - rho) * Math.log((1 - rho) / Math.max(1 - m, KL_EPS)));
        const sens = clamped ? 0 : (rho + ((1 - rho) * m) / (1 - m)) * relM;
        const tolKl = 2 * (sens + 2 ** -21 + 4 * U * (t1 + t2)) + TINY;
        const dKl = Math.abs(kl[j] - ref.kl[j]);
        klWorst = Math.max(klWorst, dKl / tolKl);
        klMax = Math.max(klMax, dKl);
        // gradient β/V((1−ρ)/(1−m) − ρ/m): ρ̂ error × its m-derivative, ~5 roundings of each
        // quotient, then the addition to dh0 (1u of the result).
        const gSens = clamped ? 0 : beta * invV * (((1 - rho) * m) / (1 - m) ** 2 + rho / m) * relM;
        const gRound = clamped ? 0 : beta * invV * ((1 - rho) / (1 - m) + rho / m) * 5 * U;
        for (let r = 0; r < B; r++) {
          const k = r * H + j;
          const expected = dh0[k] + ref.dh[k];
          const tol = 2 * (gSens + gRound) + 2 * U * Math.abs(expected) + TINY;
          const dG = Math.abs(dh[k] - expected);
          gWorst = Math.max(gWorst, dG / tol);
          gMax = Math.max(gMax, dG);
        }
      }
      const penalty = beta * kl.reduce((s, v) => s + v, 0);
      console.log(
        `kl B=${B} V=${V} H=${H}: max|Δ| rhoHat ${cM.maxAbs.toExponential(2)}, kl ${klMax.toExponential(2)}, dh ${gMax.toExponential(2)}; penalty ${penalty} vs ${ref.penalty}`,
      );
      expect(cM.worst).toBeLessThanOrEqual(1);
      expect(klWorst).toBeLessThanOrEqual(1);
      expect(gWorst).toBeLessThanOrEqual(1);
      expect(dh.slice(V * H)).toEqual(dh0.slice(V * H));
      if (H >= 3 && V > 0) expect(dh[0]).toBe(dh0[0]); // clamped unit: untouched
    });
  }
});

describe('argument checks', () => {
  test('say what was wrong', () => {
    const buf = t.upload('small', new Float32Array(4));
    const step = t.step({ validRows: 1 });
    expect(() => l1ActivityDispatch(t, { h: buf, dh: buf, rowAbs: buf, rows: 2, hidden: 2, lambda: 1, step })).toThrow(/h \(read\) and dh \(written\) are in the same GPUBuffer/);
    expect(() => l1ActivityDispatch(t, { h: buf, dh: buf, rowAbs: buf, rows: 3, hidden: 2, lambda: 1, step })).toThrow(/h holds 4 floats \(16 bytes\) but 6 are needed/);
    expect(() => klGradDispatch(t, { rhoHat: buf, dh: buf, rows: 1, hidden: 1, rho: 1, beta: 1, step })).toThrow(/rho .* strictly between 0 and 1/);
    expect(() => klColumnStatsDispatch(t, { h: buf, rhoHat: buf, klUnit: buf, rows: 1.5, hidden: 1, rho: 0.1, step })).toThrow(/rows must be a positive integer/);
  });
});
