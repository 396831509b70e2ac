// GPU matmul against the float64 reference, on every kernel family ('blocked',
// shaders/matmul.wgsl, with both its paths: aligned vec4 / general scalar;
// 'tiled', shaders/matmul_tiled.wgsl), every form and every epilogue, on awkward shapes.
import { beforeAll, describe, expect, test } from 'vitest';
import { BufferArena, readFloats, readU32, runDispatches, type KernelContext } from '../../src/gpu';
import { GUARD_CLEAR } from '../../src/kernels/finite';
import { finiteGuardRef } from '../../src/reference/finite';
import { ACTIVATIONS, type Activation } from '../../src/kernels/activations';
import {
  MATMUL_CODE,
  MATMUL_ENTRY_POINTS,
  MATMUL_KERNELS,
  MATMUL_TILED_CODE,
  MATMUL_TILED_ENTRY_POINTS,
  matmulAlignedOk,
  matmulDispatch,
  matmulDispatchOnPath,
  matmulKernelAvailable,
  matmulKernelDispatch,
  type MatmulArgs,
  type MatmulForm,
  type MatmulKernel,
  type MatmulPath,
} from '../../src/kernels/matmul';
import { matmulRef } from '../../src/reference/matmul';
import { columnSumRef, lossLogIncrementRef } from '../../src/reference/reduce';
import { LOSS_LOG_STRIDE, lossLogDispatch } from '../../src/kernels/reduce';
import { activationGradFromOutput } from '../../src/reference/activations';
import { randomArray, testGpu, type TestGpu } from './helpers';

let g: TestGpu;
beforeAll(async () => {
  g = await testGpu();
});

const FORMS: MatmulForm[] = ['nn', 'nt', 'tn'];
const U = 2 ** -24; // unit roundoff of f32
const GUARD = 7.25; // sentinel written past the end of C; the kernel must leave it alone
const GUARD_FLOATS = 64;

/** A fresh arena per case so every case frees what it made (including the dispatch's uniform). */
function caseContext(): KernelContext & { arena: BufferArena } {
  return { device: g.device, cache: g.cache, arena: new BufferArena(g.device, 'matmul-case') };
}

/** rowSums ('tn' only): also write Σ_k A[k,m], the fused bias gradient. gate: C = A·B ⊙ g'(y) for a layer output y (an input gradient). */
type Epilogue = { bias: boolean; activation: Activation; accumulate: boolean; rowSums?: boolean; gate?: Activation };

/**
 * Elementwise error bound. A float32 dot product of K terms, summed in any order,
 * has |error| ≤ γ_K·Σ|a_k·b_k| with γ_K ≈ K·u; the bias and accumulate adds bring
 * it to (K+2)·u·(Σ|a·b| + |bias| + |C₀|). All four activations are 1-Lipschitz,
 * so the error passes through unamplified, plus the activation's own rounding:
 * sigmoid/tanh outputs are ≤ 1 and WGSL's exp/tanh are accurate to a few ulp, so
 * 1e-6 absolute covers it. Any indexing mistake gives errors of O(1).
 */
function bound(form: MatmulForm, M: number, N: number, K: number, a: Float32Array, b: Float32Array, bias?: Float32Array, c0?: Float32Array): Float64Array {
  const abs = (x: Float32Array) => x.map(Math.abs);
  const mag = matmulRef(form, M, N, K, abs(a), abs(b), bias && abs(bias), 'linear', c0 && abs(c0));
  return mag.map((v) => (K + 2) * U * v + 1e-6);
}

/** One way to run a product: a kernel family, and for 'blocked' a path ('auto': its own choice). */
interface Variant {
  kernel: MatmulKernel;
  path?: MatmulPath | 'auto';
}

function variantName(v: Variant): string {
  return v.path ? `${v.kernel} ${v.path}` : v.kernel;
}

/** Every variant of `kernel` that can run this shape: 'blocked' on each valid path, 'tiled' as it is. */
function variantsOf(kernel: MatmulKernel, form: MatmulForm, M: number, N: number, K: number): Variant[] {
  if (kernel === 'tiled') return [{ kernel }];
  return (matmulAlignedOk(form, M, N, K) ? ['aligned', 'general'] : ['general']).map((path) => ({ kernel, path: path as MatmulPath }));
}

function variantDispatch(ctx: KernelContext, args: MatmulArgs, v: Variant) {
  if (v.kernel === 'blocked' && v.path && v.path !== 'auto') return matmulDispatchOnPath(ctx, args, v.path);
  return v.kernel === 'blocked' ? matmulDispatch(ctx, args) : matmulKernelDispatch(ctx, args, v.kernel);
}

interface Run {
  form: MatmulForm;
  M: number;
  N: number;
  K: number;
  variant: Variant;
  ep: Epilogue;
  seed: number;
}

/** Run one product on the GPU, compare with the reference; return max |diff| and worst diff/bound. */
async function runCase(r: Run): Promise<{ maxAbs: number; worst: number }> {
  const { form, M, N, K, ep, seed } = r;
  const ctx = caseContext();
  try {
    const a = randomArray(M * K, seed);
    const b = randomArray(N * K, seed + 1);
    const bias = ep.bias ? randomArray(N, seed + 2) : undefined;
    const c0 = ep.accumulate ? randomArray(M * N, seed + 3) : undefined;
    const cInit = new Float32Array(M * N + GUARD_FLOATS).fill(GUARD);
    if (c0) cInit.set(c0);
    const cBuf = ctx.arena.storage('c', cInit);
    // A layer output y = g(a) in g's range (relu: half of them 0, where g' is 0).
    const y = ep.gate && randomArray(M * N, seed + 4, ep.gate === 'sigmoid' ? 0 : -1, 1).map((v) => (ep.gate === 'relu' ? Math.max(v, 0) : v));
    const sumsBuf = ep.rowSums ? ctx.arena.storage('row sums', new Float32Array(M + GUARD_FLOATS).fill(GUARD)) : undefined;
    // The weight-gradient epilogue's non-finite guard (finite values: it must stay clear).
    const guardBuf = ep.rowSums ? ctx.arena.storage('non-finite guard', GUARD_CLEAR) : undefined;
    const args = {
      form, M, N, K,
      a: ctx.arena.storage('a', a),
      b: ctx.arena.storage('b', b),
      c: cBuf,
      bias: bias && ctx.arena.storage('bias', bias),
      activation: ep.activation,
      accumulate: ep.accumulate,
      rowSums: sumsBuf && { buffer: sumsBuf, offset: 0, size: M * 4 },
      guard: guardBuf && { guard: guardBuf, step: g.step({ validRows: 1, step: 2 }), cCode: 1, sumsCode: 1 + M * N },
      gate: y && { output: ctx.arena.storage('gate output', y), activation: ep.gate! },
    };
    const d = variantDispatch(ctx, args, r.variant);
    await runDispatches(g.device, [d], true);
    const out = await readFloats(g.device, cBuf, M * N + GUARD_FLOATS);
    for (let i = M * N; i < out.length; i++) expect(out[i], `guard after C at ${i}`).toBe(GUARD);
    let ref = matmulRef(form, M, N, K, a, b, bias, ep.activation, c0);
    let tol = bound(form, M, N, K, a, b, bias, c0);
    if (y) {
      // |g'(y)| ≤ 1 for every activation, so the product's error passes through, plus g'(y)'s own rounding (a few u of |C|).
      tol = tol.map((t, i) => t + 4 * U * Math.abs(ref[i]));
      ref = ref.map((v, i) => v * activationGradFromOutput(y[i], ep.gate!));
    }
    let maxAbs = 0;
    let worst = 0;
    if (sumsBuf) {
      // Σ_k A[k,m] of A [K,M] in float32, any order: |error| ≤ (K+2)·u·Σ_k |A[k,m]|.
      expect(Array.from(await readU32(g.device, guardBuf!, 4)), 'the guard after finite gradients').toEqual(Array.from(GUARD_CLEAR));
      const sums = await readFloats(g.device, sumsBuf, M + GUARD_FLOATS);
      for (let i = M; i < sums.length; i++) expect(sums[i], `guard after the row sums at ${i}`).toBe(GUARD);
      const sumRef = columnSumRef(a, K, M);
      const sumTol = columnSumRef(a.map(Math.abs), K, M).map((v) => (K + 2) * U * v + 1e-6);
      for (let m = 0; m < M; m++) {
        const ratio = Math.abs(sums[m] - sumRef[m]) / sumTol[m];
        if (!(ratio <= worst)) worst = Number.isNaN(ratio) ? Infinity : ratio;
        if (!(ratio <= 1)) console.log(`  ${form} ${variantName(r.variant)} ${M}×${N}×${K}: rowSums[${m}] = ${sums[m]}, expected ${sumRef[m]}`);
      }
    }
    for (let i = 0; i < M * N; i++) {
      const diff = Math.abs(out[i] - ref[i]);
      const ratio = diff / tol[i];
      if (!(diff <= maxAbs)) maxAbs = Number.isNaN(diff) ? Infinity : diff;
      if (!(ratio <= worst)) {
        worst = Number.isNaN(ratio) ? Infinity : ratio;
        if (worst > 1) console.log(`  ${form} ${variantName(r.variant)} ${M}×${N}×${K}: C[${Math.floor(i / N)},${i % N}] = ${out[i]}, expected ${ref[i]}`);
      }
    }
    return { maxAbs, worst };
  } finally {
    ctx.arena.dispose();
  }
}

// [M, N, K]: 1s, odd sizes, grid tails (not multiples of blocked's 32×64 or tiled's
// 64×64 workgroup tile, nor of tiled's 16-deep K tile), several workgroups along
// both axes, and aligned shapes with tails in the non-vectorised dimensions
// (13×16×12 nn, 13×17×12 nt, 12×8×7 tn).
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 3],
  [7, 3, 5],
  [13, 17, 9],
  [33, 65, 31],
  [4, 8, 12],
  [64, 68, 36],
  [300, 20, 7],
  [13, 16, 12],
  [13, 17, 12],
  [12, 8, 7],
  [65, 129, 33],
];

describe.each(MATMUL_KERNELS.flatMap((kernel) => FORMS.map((form) => [kernel, form] as const)))('matmul %s %s', (kernel, form) => {
  test.each(SHAPES)('M=%i N=%i K=%i: every path and epilogue matches matmulRef', async (M, N, K) => {
    const act = ACTIVATIONS[(M + N + K) % ACTIVATIONS.length];
    const epilogues: Epilogue[] = [
      { bias: false, activation: 'linear', accumulate: false },
      { bias: true, activation: act, accumulate: false },
      { bias: false, activation: act === 'linear' ? 'tanh' : act, accumulate: false },
      { bias: false, activation: 'linear', accumulate: true },
      // A weight gradient with its fused bias gradient ('tn' only); C accumulated for every other shape (a tied encoder's dW).
      ...(form === 'tn' ? [{ bias: false, activation: 'linear' as const, accumulate: (M + N + K) % 2 === 0, rowSums: true }] : []),
      // An input gradient with the activation's backward fused in ('nn', 'nt': dIn = dPre·W); each non-linear activation in turn over the shapes.
      ...(form !== 'tn' ? [{ bias: false, activation: 'linear' as const, accumulate: false, gate: (['sigmoid', 'tanh', 'relu'] as const)[(M + 2 * N + K) % 3] }] : []),
    ];
    let seed = M * 1000 + N * 10 + K;
    for (const variant of variantsOf(kernel, form, M, N, K)) {
      for (const ep of epilogues) {
        const { maxAbs, worst } = await runCase({ form, M, N, K, variant, ep, seed: seed++ });
        const what = `${variantName(variant)} bias=${ep.bias} ${ep.activation}${ep.accumulate ? ' accumulate' : ''}${ep.rowSums ? ' rowSums' : ''}${ep.gate ? ` gate ${ep.gate}` : ''}`;
        console.log(`${form} ${M}×${N}×${K} ${what}: max |diff| ${maxAbs.toExponential(2)}, worst diff/bound ${worst.toFixed(4)}`);
        expect(worst, what).toBeLessThanOrEqual(1);
      }
    }
  });
});

// The weight-gradient epilogue's guard: non-finite values in what it stores record
// what check_step would record for them (finiteGuardRef over the float64 products),
// on every family and path, with and without accumulation; a guard set by an earlier
// step is left alone.
describe.each(MATMUL_KERNELS)('matmul %s: the weight-gradient epilogue guards what it stores', (kernel) => {
  // [M, N, K]: tails everywhere (general path), and an aligned 'tn' shape with several workgroups.
  test.each([
    [7, 5, 3],
    [36, 68, 9],
  ])('M=%i N=%i K=%i', async (M, N, K) => {
    const ctx = caseContext();
    try {
      if (!matmulKernelAvailable(g.device, kernel)) throw new Error(`${kernel} is not available on the test adapter`);
      // Poisoned C and row sums: A[K−1, 2] = NaN makes row 2 of C and rowSums[2] NaN; A[1, M−1] = +Inf
      // makes row M−1 ±Inf by the sign of B[1, n] and rowSums[M−1] +Inf.
      const aBad = randomArray(K * M, M + N + K);
      aBad[(K - 1) * M + 2] = NaN;
      aBad[1 * M + (M - 1)] = Infinity;
      const bRandom = randomArray(K * N, M + N + K + 1);
      // Only a row sum non-finite: A[0, 3] = A[1, 3] = 3e38 overflow in their f32 sum, while B's rows 0 and 1 are 0 (C stays finite).
      const aSums = randomArray(K * M, M + N + K + 2);
      aSums[3] = aSums[M + 3] = 3e38;
      const bSums = randomArray(K * N, M + N + K + 3).map((v, i) => (i < 2 * N ? 0 : v));
      for (const [a, b, accumulate] of [[aBad, bRandom, false], [aBad, bRandom, true], [aSums, bSums, false]] as const) {
        const c0 = randomArray(M * N, 5);
        c0[N + 3] = -Infinity; // C₀[1, 3]: −Inf after accumulation (before row 2's NaN in layout order)
        for (const variant of variantsOf(kernel, 'tn', M, N, K)) {
          for (const before of [GUARD_CLEAR, Uint32Array.from([3, 40, 1, 0])]) {
            const guard = ctx.arena.storage('guard', before);
            const cBuf = ctx.arena.storage('c', accumulate ? c0 : new Float32Array(M * N));
            const sums = ctx.arena.storage('row sums', M * 4);
            const [cCode, sumsCode] = [101, 101 + M * N + 11];
            const args: MatmulArgs = { form: 'tn', M, N, K, a: ctx.arena.storage('a', a), b: ctx.arena.storage('b', b), c: cBuf, accumulate, rowSums: sums, guard: { guard, step: g.step({ validRows: 1, step: 5 }), cCode, sumsCode } };
            await runDispatches(g.device, [variantDispatch(ctx, args, variant)], true);
            const want = finiteGuardRef(before, 5, [
              { code: cCode, values: matmulRef('tn', M, N, K, a, b, undefined, 'linear', accumulate ? c0 : undefined), indexed: true },
              { code: sumsCode, values: columnSumRef(a, K, M), indexed: true },
            ]);
            const what = `${variantName(variant)}${accumulate ? ' accumulate' : ''}, guard before ${before.join(',')}`;
            expect(Array.from(await readU32(g.device, guard, 4)), what).toEqual(Array.from(want));
          }
        }
      }
    } finally {
      ctx.arena.dispose();
    }
  });
});

// A loss log riding in the weight-gradient dispatch (MatmulArgs.ridingLog, shaders/common/log_rider.wgsl),
// on every family and path, at shapes with one and several rows of workgroups: the log gets
// lossLogDispatch's increment exactly (dyadic values, so every summation order is exact) and
// nothing else of the log changes; C and the row sums are bit for bit those of the same dispatch
// without the rider; the logged value goes through the guard as the loss (code 0, which wins over
// any gradient's), and a guard an earlier step set stays as it was.
describe.each(MATMUL_KERNELS)('matmul %s: a loss log riding in the weight-gradient dispatch', (kernel) => {
  const SLOT = 2;
  const component = 1;
  const logInit = () => Float32Array.from({ length: 3 * LOSS_LOG_STRIDE }, (_, i) => i / 4);
  const dyadic = (n: number, seed: number) => Float32Array.from(randomArray(n, seed, -1, 1), (v) => Math.round(v * 64) / 64);
  const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

  test.each([
    [7, 5, 3],
    [36, 68, 9],
    [130, 20, 5],
  ])('M=%i N=%i K=%i', async (M, N, K) => {
    const ctx = caseContext();
    try {
      if (!matmulKernelAvailable(g.device, kernel)) throw new Error(`${kernel} is not available on the test adapter`);
      const step = g.step({ validRows: 4, lossSlot: SLOT, step: 5 });
      const run = async (variant: Variant, a: Float32Array, values: Float32Array | undefined, o: { perSample?: boolean; before?: Uint32Array; logged?: Float32Array } = {}) => {
        const guard = ctx.arena.storage('guard', o.before ?? GUARD_CLEAR);
        const c = ctx.arena.storage('c', M * N * 4);
        const sums = ctx.arena.storage('row sums', M * 4);
        const log = ctx.arena.storage('log', o.logged ?? logInit());
        const ridingLog = values && { values: ctx.arena.storage('values', values), count: values.length, log, component, scale: 0.5, perSample: o.perSample ?? false };
        const args: MatmulArgs = { form: 'tn', M, N, K, a: ctx.arena.storage('a', a), b: ctx.arena.storage('b', bMat), c, rowSums: sums, guard: { guard, step, cCode: 11, sumsCode: 11 + M * N }, ridingLog };
        await runDispatches(g.device, [variantDispatch(ctx, args, variant)], true);
        return { c: await readFloats(g.device, c, M * N), sums: await readFloats(g.device, sums, M), log: await readFloats(g.device, log, 3 * LOSS_LOG_STRIDE), guard: Array.from(await readU32(g.device, guard, 4)) };
      };
      const aMat = randomArray(K * M, M + N + K);
      const bMat = randomArray(K * N, M + N + K + 1);
      const at = SLOT * LOSS_LOG_STRIDE + component;
      for (const variant of variantsOf(kernel, 'tn', M, N, K)) {
        const name = variantName(variant);
        const alone = await run(variant, aMat, undefined);
        for (const count of [1, 257, 70001]) {
          for (const perSample of [false, true]) {
            const values = dyadic(count, count + M);
            const got = await run(variant, aMat, values, { perSample });
            const what = `${name}, count ${count}${perSample ? ' per sample' : ''}`;
            expect(bits(got.c), `${what}: C`).toEqual(bits(alone.c));
            expect(bits(got.sums), `${what}: row sums`).toEqual(bits(alone.sums));
            const want = logInit();
            want[at] += lossLogIncrementRef(values, count, 0.5, perSample, 4);
            expect(Array.from(got.log), `${what}: the log`).toEqual(Array.from(want));
            expect(got.guard, `${what}: the guard`).toEqual(Array.from(GUARD_CLEAR));
          }
        }
        // Non-finite logged values: a NaN value; a sum that overflows only in f32; an entry already −Inf.
        const cases: Array<[number[], number]> = [
          [[1, NaN, 3], 0],
          [[3e38, 3e38], 0],
          [[1], -Infinity],
        ];
        for (const [v, already] of cases) {
          const logged = logInit();
          logged[at] = already;
          const got = await run(variant, aMat, Float32Array.from(v), { logged });
          // What the kernel leaves, in f32: the values' sum (3e38 + 3e38 overflows there), scaled, added.
          const total = Math.fround(already + Math.fround(0.5 * v.reduce((x, y) => Math.fround(x + y), 0)));
          expect(got.guard, `${name}: values ${v.join(', ')} onto ${already}`).toEqual(Array.from(finiteGuardRef(GUARD_CLEAR, 5, [{ code: 0, values: [total] }])));
        }
        // A NaN loss and a NaN gradient in the same step: the loss's code 0 wins; both kinds are recorded.
        const aBad = Float32Array.from(aMat);
        aBad[(K - 1) * M + 2] = NaN;
        aBad[M - 1] = Infinity;
        const both = await run(variant, aBad, Float32Array.of(NaN));
        const want = finiteGuardRef(GUARD_CLEAR, 5, [
          { code: 0, values: [NaN] },
          { code: 11, values: matmulRef('tn', M, N, K, aBad, bMat), indexed: true },
          { code: 11 + M * N, values: columnSumRef(aBad, K, M), indexed: true },
        ]);
        expect(both.guard, `${name}: NaN loss and NaN gradients`).toEqual(Array.from(want));
        // An earlier step's guard stays.
        const earlier = Uint32Array.from([3, 40, 1, 0]);
        expect((await run(variant, aMat, Float32Array.of(Infinity), { before: earlier })).guard, `${name}: an earlier step's guard`).toEqual(Array.from(earlier));
      }
    } finally {
      ctx.arena.dispose();
    }
  });

  test('argument errors name the problem', () => {
    const ctx = caseContext();
    try {
      const [M, N, K] = [4, 4, 4];
      const buf = (n: number) => ctx.arena.storage('buf', n * 4);
      const log = buf(LOSS_LOG_STRIDE);
      const ridingLog = { values: buf(10), count: 10, log, component: 0 };
      const base: MatmulArgs = { form: 'tn', M, N, K, a: buf(M * K), b: buf(N * K), c: buf(M * N), kernel };
      expect(() => matmulDispatch(ctx, { ...base, ridingLog })).toThrow(/ridingLog .*only allowed with rowSums and guard/);
      const guarded: MatmulArgs = { ...base, rowSums: buf(M), guard: { guard: buf(4), step: g.step({ validRows: 1 }), cCode: 1, sumsCode: 17 } };
      expect(() => matmulDispatch(ctx, { ...guarded, ridingLog: { ...ridingLog, component: LOSS_LOG_STRIDE } })).toThrow(/ridingLog.*component/);
      expect(() => matmulDispatch(ctx, { ...guarded, ridingLog: { ...ridingLog, count: 1000 } })).toThrow(/ridingLog.*values/);
      expect(() => matmulDispatch(ctx, { ...guarded, ridingLog: { ...ridingLog, log: guarded.guard!.guard } })).toThrow(/ridingLog.*log/);
      expect(() => matmulDispatch(ctx, { ...guarded, ridingLog: { ...ridingLog, values: guarded.c } })).toThrow(/ridingLog.values \(read\) and c \(written\)/);
    } finally {
      ctx.arena.dispose();
    }
  });
});

// On 'tiled' (256 invocations a workgroup, as the loss log's one) the rider adds in loss_log's
// order: on random values of the decoder's real size its logged value is bit for bit
// lossLogDispatch's with the same guard, as MatmulArgs.ridingLog says.
test('tiled: the riding loss log is bit for bit lossLogDispatch', async () => {
  const ctx = caseContext();
  try {
    const [M, N, K] = [36, 20, 9];
    const count = 256 * 784;
    const values = ctx.arena.storage('values', randomArray(count, 41, 0, 3));
    const step = g.step({ validRows: 200, lossSlot: 1, step: 3 });
    const logged = async (riding: boolean) => {
      const log = ctx.arena.storage('log', new Float32Array(2 * LOSS_LOG_STRIDE));
      const guard = ctx.arena.storage('guard', GUARD_CLEAR);
      const term = { values, count, log, component: 0, scale: 1, perSample: true };
      const d = riding
        ? matmulKernelDispatch(ctx, { form: 'tn', M, N, K, a: ctx.arena.storage('a', randomArray(K * M, 1)), b: ctx.arena.storage('b', randomArray(K * N, 2)), c: ctx.arena.storage('c', M * N * 4), rowSums: ctx.arena.storage('sums', M * 4), guard: { guard, step, cCode: 1, sumsCode: 1 + M * N }, ridingLog: term }, 'tiled')
        : lossLogDispatch(ctx, { ...term, step, guard });
      await runDispatches(g.device, [d], true);
      return Array.from(await readU32(g.device, log, 2 * LOSS_LOG_STRIDE));
    };
    const alone = await logged(false);
    expect(alone[LOSS_LOG_STRIDE]).not.toBe(0);
    expect(await logged(true)).toEqual(alone);
  } finally {
    ctx.arena.dispose();
  }
});

// The autoencoder's real shapes (B=256, D=784, H=256), on each family ('blocked' on its automatically chosen, aligned, path).
test.each(
  MATMUL_KERNELS.flatMap((kernel) =>
    (
      [
        ['nt', 256, 256, 784, { bias: true, activation: 'sigmoid', accumulate: false }],
        ['tn', 784, 256, 256, { bias: false, activation: 'linear', accumulate: true }],
        ['nn', 256, 784, 256, { bias: true, activation: 'linear', accumulate: false }],
      ] as [MatmulForm, number, number, number, Epilogue][]
    ).map((c) => [kernel, ...c] as const),
  ),
)('typical size, %s: %s %i×%i×%i', async (kernel, form, M, N, K, ep) => {
  expect(matmulAlignedOk(form, M, N, K)).toBe(true);
  const variant: Variant = kernel === 'blocked' ? { kernel, path: 'auto' } : { kernel };
  const { maxAbs, worst } = await runCase({ form, M, N, K, variant, ep, seed: 99 });
  console.log(`${form} ${M}×${N}×${K} (${variantName(variant)}): max |diff| ${maxAbs.toExponential(2)}, worst diff/bound ${worst.toFixed(4)}`);
  expect(worst).toBeLessThanOrEqual(1);
});

// Operands as slices of one parameter-like buffer at non-zero 256-byte offsets;
// everything outside C's slice must stay untouched.
test.each(FORMS.flatMap((f) => [[f, 'blocked aligned'], [f, 'blocked general'], [f, 'tiled']] as [MatmulForm, string][]))(
  'BufferSlice operands at non-zero offsets: %s %s',
  async (form, name) => {
    const [kernel, path] = name.split(' ') as [MatmulKernel, MatmulPath | undefined];
    const [M, N, K] = [12, 20, 8]; // aligned for every form
    const ctx = caseContext();
    try {
      const a = randomArray(M * K, 5);
      const b = randomArray(N * K, 6);
      const bias = randomArray(N, 7);
      // Layout in floats: a at 64, b at 192, bias at 448, c at 512; the rest is GUARD.
      const offs = { a: 64, b: 192, bias: 448, c: 512 };
      const total = offs.c + M * N + 64;
      const init = new Float32Array(total).fill(GUARD);
      init.set(a, offs.a);
      init.set(b, offs.b);
      init.set(bias, offs.bias);
      const inputs = ctx.arena.storage('inputs', init);
      const outBuf = ctx.arena.storage('out', new Float32Array(total).fill(GUARD));
      const slice = (buf: GPUBuffer, at: number, n: number) => ({ buffer: buf, offset: at * 4, size: n * 4 });
      const d = variantDispatch(
        ctx,
        {
          form, M, N, K,
          a: slice(inputs, offs.a, M * K),
          b: slice(inputs, offs.b, N * K),
          bias: slice(inputs, offs.bias, N),
          c: slice(outBuf, offs.c, M * N),
          activation: 'relu',
        },
        { kernel, path },
      );
      await runDispatches(g.device, [d], true);
      const out = await readFloats(g.device, outBuf);
      const ref = matmulRef(form, M, N, K, a, b, bias, 'relu');
      const tol = bound(form, M, N, K, a, b, bias);
      let maxAbs = 0;
      for (let i = 0; i < total; i++) {
        const j = i - offs.c;
        if (j < 0 || j >= M * N) expect(out[i], `outside C at float ${i}`).toBe(GUARD);
        else {
          maxAbs = Math.max(maxAbs, Math.abs(out[i] - ref[j]));
          expect(Math.abs(out[i] - ref[j]), `C[${j}]`).toBeLessThanOrEqual(tol[j]);
        }
      }
      console.log(`slices ${form} ${name}: max |diff| ${maxAbs.toExponential(2)}`);
    } finally {
      ctx.arena.dispose();
    }
  },
);

test.each([
  ['matmul.wgsl', MATMUL_CODE, MATMUL_ENTRY_POINTS, { WG_X: 8, WG_Y: 8 }],
  ['matmul_tiled.wgsl', MATMUL_TILED_CODE, MATMUL_TILED_ENTRY_POINTS, {}],
] as [string, string, readonly string[], Record<string, number>][])('every entry point of %s compiles without errors', async (file, code, entryPoints, sizes) => {
  const module = g.device.createShaderModule({ label: file, code });
  const info = await module.getCompilationInfo();
  for (const m of info.messages) console.log(`${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
  expect(info.messages.filter((m) => m.type === 'error')).toEqual([]);
  // Pipelines substitute the override constants; build each entry point for every form.
  for (const entryPoint of entryPoints) {
    for (const form of [0, 1, 2]) {
      g.device.pushErrorScope('validation');
      await g.device.createComputePipelineAsync({
        label: `${entryPoint} form ${form}`,
        layout: 'auto',
        compute: { module, entryPoint, constants: { FORM: form, ACTIVATION: 1, ACCUMULATE: 0, ...sizes } },
      });
      const err = await g.device.popErrorScope();
      expect(err?.message, `${entryPoint} form ${form}`).toBeUndefined();
    }
  }
});

test('argument validation says what is wrong', () => {
  const ctx = caseContext();
  try {
    const buf = (floats: number) => ctx.arena.storage('x', floats * 4);
    const ok = { form: 'nn' as MatmulForm, M: 4, N: 4, K: 4, a: buf(16), b: buf(16), c: buf(16) };
    expect(() => matmulDispatch(ctx, { ...ok, M: 0 })).toThrow(/M must be a positive integer/);
    expect(() => matmulDispatch(ctx, { ...ok, K: 2.5 })).toThrow(/K must be a positive integer/);
    expect(() => matmulDispatch(ctx, { ...ok, form: 'tt' as MatmulForm })).toThrow(/form must be/);
    expect(() => matmulDispatch(ctx, { ...ok, M: 5 })).toThrow(/a holds 16 floats \(64 bytes\) but 20 are needed/);
    expect(() => matmulDispatch(ctx, { ...ok, c: { buffer: buf(64), offset: 256, size: 32 } })).toThrow(/c holds 8 floats \(32 bytes\) but 16 are needed/);
    expect(() => matmulDispatch(ctx, { ...ok, bias: { buffer: buf(4), offset: 0, size: 8 } })).toThrow(/bias holds 2 floats \(8 bytes\) but 4 are needed/);
    expect(() => matmulDispatch(ctx, { ...ok, accumulate: true, activation: 'relu' })).toThrow(/accumulate/);
    expect(() => matmulDispatch(ctx, { ...ok, accumulate: true, bias: buf(4) })).toThrow(/accumulate/);
    expect(() => matmulDispatch(ctx, { ...ok, c: ok.a })).toThrow(/a \(read\) and c \(written\) are in the same GPUBuffer/);
    expect(() => matmulDispatchOnPath(ctx, { ...ok, K: 3, a: buf(12), b: buf(12) }, 'aligned')).toThrow(/multiples of 4/);
    expect(() => matmulDispatch(ctx, { ...ok, activation: 'gelu' as Activation })).toThrow(/activation must be one of linear, sigmoid, tanh, relu, got "gelu"/);
    expect(() => matmulDispatch(ctx, { ...ok, kernel: 'naive' as MatmulKernel })).toThrow(/kernel must be one of blocked, tiled, subgroup, got "naive"/);
    const tn = { ...ok, form: 'tn' as MatmulForm };
    expect(() => matmulDispatch(ctx, { ...ok, rowSums: buf(4) })).toThrow(/rowSums \(Σ_k A\[k,m\]\) is only allowed with form 'tn' and no bias \(got form 'nn'\)/);
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: buf(4), bias: buf(4) })).toThrow(/only allowed with form 'tn' and no bias \(got form 'tn' with a bias\)/);
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: { buffer: buf(4), offset: 0, size: 12 } })).toThrow(/rowSums holds 3 floats \(12 bytes\) but 4 are needed/);
    const guard = { guard: buf(4), step: g.step({ validRows: 1 }), cCode: 1, sumsCode: 17 };
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: buf(4) })).toThrow(/rowSums needs guard \(the weight-gradient epilogue checks what it stores\)/);
    expect(() => matmulDispatch(ctx, { ...ok, guard })).toThrow(/guard is only allowed with rowSums/);
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: buf(4), guard: { ...guard, guard: { buffer: buf(4), offset: 0, size: 8 } } })).toThrow(/guard\.guard holds 2 floats \(8 bytes\) but 4 are needed/);
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: buf(4), guard: { ...guard, cCode: 0 } })).toThrow(/guard\.cCode must be an integer/);
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: ok.a, guard })).toThrow(/a \(read\) and rowSums \(written\) are in the same GPUBuffer/);
    expect(() => matmulDispatch(ctx, { ...tn, rowSums: buf(4), guard: { ...guard, guard: ok.c } })).toThrow(/c and guard\.guard are written and overlap/);
    expect(() => matmulDispatch(ctx, { ...ok, gate: { output: buf(16), activation: 'relu' }, accumulate: true })).toThrow(/gate \(C = A·B ⊙ g'\(y\)\) is only allowed without bias, activation, accumulate or rowSums/);
    expect(() => matmulDispatch(ctx, { ...ok, gate: { output: buf(12), activation: 'relu' } })).toThrow(/gate\.output holds 12 floats \(48 bytes\) but 16 are needed/);
    expect(() => matmulDispatch(ctx, { ...ok, gate: { output: buf(16), activation: 'gelu' as Activation } })).toThrow(/gate\.activation must be one of linear, sigmoid, tanh, relu/);
    expect(() => matmulDispatch(ctx, { ...ok, gate: { output: ok.c, activation: 'tanh' } })).toThrow(/gate\.output \(read\) and c \(written\) are in the same GPUBuffer/);
    const shared = buf(128);
    expect(() => matmulDispatch(ctx, { ...tn, c: { buffer: shared, offset: 0, size: 512 }, rowSums: { buffer: shared, offset: 256, size: 16 }, guard })).toThrow(/c and rowSums are written and overlap/);
    // The tiled family checks its arguments the same way.
    expect(() => matmulKernelDispatch(ctx, { ...ok, M: 5 }, 'tiled')).toThrow(/a holds 16 floats \(64 bytes\) but 20 are needed/);
    expect(() => matmulKernelDispatch(ctx, { ...ok, c: ok.b }, 'tiled')).toThrow(/b \(read\) and c \(written\) are in the same GPUBuffer/);
  } finally {
    ctx.arena.dispose();
  }
});
