// Choosing a matmul kernel family per shape (src/kernels/matmul-tuning.ts): forced
// modes, timing ('tune'), the session cache, 'auto' on a fallback adapter, switching
// a dispatch that a plan already holds, and saving/restoring the choices.
import { beforeAll, beforeEach, expect, test } from 'vitest';
import { BufferArena, PipelineCache, readFloats, runDispatches } from '../../src/gpu';
import { matmulDispatch, matmulKernelDispatch, type MatmulArgs, type MatmulContext, type MatmulForm } from '../../src/kernels/matmul';
import { adapterKey, clearMatmulChoices, exportMatmulChoices, importMatmulChoices, isFallbackAdapter, MatmulTuner, type MatmulKernelOption, type SavedMatmulChoices } from '../../src/kernels/matmul-tuning';
import { matmulRef } from '../../src/reference/matmul';
import { randomArray, testGpu, type TestGpu } from './helpers';

let g: TestGpu;
beforeAll(async () => {
  g = await testGpu();
});
beforeEach(() => clearMatmulChoices());

const U = 2 ** -24;

function tunerContext(mode: MatmulKernelOption): MatmulContext & { arena: BufferArena; matmul: MatmulTuner } {
  return { device: g.device, cache: g.cache, arena: new BufferArena(g.device, `tuning ${mode}`), matmul: new MatmulTuner(g.cache, mode) };
}

/** A product of random operands with bias and sigmoid; check() runs `d` and compares C with the reference. */
function product(ctx: MatmulContext & { arena: BufferArena }, form: MatmulForm, M: number, N: number, K: number, seed: number) {
  const a = randomArray(M * K, seed);
  const b = randomArray(N * K, seed + 1);
  const bias = randomArray(N, seed + 2);
  const args: MatmulArgs = { form, M, N, K, a: ctx.arena.storage('a', a), b: ctx.arena.storage('b', b), c: ctx.arena.storage('c', M * N * 4), bias: ctx.arena.storage('bias', bias), activation: 'sigmoid' };
  const d = matmulDispatch(ctx, args);
  return {
    d,
    async check() {
      await runDispatches(g.device, [d], true);
      const out = await readFloats(g.device, args.c as GPUBuffer, M * N);
      const ref = matmulRef(form, M, N, K, a, b, bias, 'sigmoid');
      // |error| ≤ (K+2)·u·(Σ|a·b| + |bias|) ≤ (K+2)·u·(K+1) for operands in [-1, 1]; sigmoid is 1/4-Lipschitz.
      const tol = (K + 2) * U * (K + 1) + 1e-6;
      const worst = Math.max(...Array.from(out, (v, i) => Math.abs(v - ref[i])));
      expect(worst).toBeLessThanOrEqual(tol);
    },
  };
}

test('a forced family is used for every shape and reported as forced', async () => {
  for (const kernel of ['blocked', 'tiled', 'subgroup'] as const) {
    const ctx = tunerContext(kernel);
    try {
      const p = product(ctx, 'nt', 9, 70, 17, 1);
      const q = product(ctx, 'tn', 5, 6, 33, 2);
      expect(ctx.matmul.untuned).toBe(0);
      expect(p.d.pipeline.label.endsWith({ blocked: '_general', tiled: '_tiled', subgroup: '_subgroup' }[kernel])).toBe(true);
      await p.check();
      await q.check();
      expect(ctx.matmul.choices().map((c) => `${c.form} ${c.M}×${c.N}×${c.K} ${c.kernel} ${c.source}`)).toEqual([`nt 9×70×17 ${kernel} forced`, `tn 5×6×33 ${kernel} forced`]);
      expect(exportMatmulChoices()).toEqual({}); // forced choices are not measurements
    } finally {
      ctx.arena.dispose();
    }
  }
});

test("'tune' times every family on each new shape (SwiftShader has subgroups: all three), switches the plan's dispatches, and caches the choice for the adapter", async () => {
  const ctx = tunerContext('tune');
  try {
    const p1 = product(ctx, 'nn', 20, 36, 28, 3);
    const p2 = product(ctx, 'nn', 20, 36, 28, 4); // the same shape: one timing, both switched
    const q = product(ctx, 'nt', 7, 5, 3, 5);
    expect(ctx.matmul.untuned).toBe(2);
    expect(ctx.matmul.choices().map((c) => c.source)).toEqual(['pending', 'pending']);
    await p1.check(); // a pending dispatch runs ('blocked') before tuning
    await ctx.matmul.tune();
    expect(ctx.matmul.untuned).toBe(0);
    const choices = ctx.matmul.choices();
    console.log(choices.map((c) => `${c.form} ${c.M}×${c.N}×${c.K}: ${c.kernel} (${JSON.stringify(c.ms)} ms, ${c.method})`).join('; '));
    expect(choices.map((c) => c.source)).toEqual(['tuned', 'tuned']);
    for (const c of choices) {
      const ms = c.ms!;
      expect([ms.blocked, ms.tiled, ms.subgroup].every((t) => t! > 0)).toBe(true);
      // Another family only when it beat 'blocked' by the 5% margin, and then the fastest of those.
      const winners = (['tiled', 'subgroup'] as const).filter((k) => ms[k]! < 0.95 * ms.blocked!);
      expect(c.kernel).toBe(winners.length === 0 ? 'blocked' : winners.reduce((a, b) => (ms[b]! < ms[a]! ? b : a)));
    }
    const nn = choices.find((c) => c.form === 'nn')!;
    for (const d of [p1.d, p2.d]) expect(d.pipeline.label).toBe({ blocked: 'matmul_nn_aligned', tiled: 'matmul_nn_tiled', subgroup: 'matmul_nn_subgroup' }[nn.kernel]);
    await p1.check();
    await p2.check();
    await q.check();
    expect(exportMatmulChoices()).toEqual({ [adapterKey(g.device)]: { 'nn 20×36×28': nn.kernel, 'nt 7×5×3': choices.find((c) => c.form === 'nt')!.kernel } });

    // A second tuner on the same adapter takes the cached choice at once.
    const ctx2 = tunerContext('tune');
    try {
      const r = product(ctx2, 'nn', 20, 36, 28, 6);
      expect(ctx2.matmul.untuned).toBe(0);
      expect(ctx2.matmul.choices().map((c) => `${c.kernel} ${c.source}`)).toEqual([`${nn.kernel} cached`]);
      await r.check();
    } finally {
      ctx2.arena.dispose();
    }
  } finally {
    ctx.arena.dispose();
  }
});

test('a pending dispatch switches to the family a cached choice names (here: an imported one)', async () => {
  const ctx = tunerContext('tune');
  try {
    const p = product(ctx, 'tn', 13, 66, 19, 7);
    expect(p.d.pipeline.label).toBe('matmul_tn_general');
    importMatmulChoices({ [adapterKey(g.device)]: { 'tn 13×66×19': 'tiled' } });
    await ctx.matmul.tune();
    expect(p.d.pipeline.label).toBe('matmul_tn_tiled');
    expect(p.d.workgroups).toEqual([2, 1, 1]); // 66 columns, 13 rows in 64×64 tiles
    expect(ctx.matmul.choices().map((c) => `${c.kernel} ${c.source}`)).toEqual(['tiled cached']);
    await p.check();
  } finally {
    ctx.arena.dispose();
  }
});

test("'auto' times on a GPU and takes 'blocked' untimed on a fallback adapter", async () => {
  const ctx = tunerContext('auto');
  try {
    const fallback = isFallbackAdapter(g.device);
    console.log(`adapter ${adapterKey(g.device)}: fallback ${fallback}`);
    expect(ctx.matmul.timing).toBe(!fallback);
    const p = product(ctx, 'nt', 8, 12, 16, 8);
    expect(ctx.matmul.choices().map((c) => `${c.kernel} ${c.source}`)).toEqual([fallback ? 'blocked default' : 'blocked pending']);
    await ctx.matmul.tune();
    expect(ctx.matmul.choices()[0].source).toBe(fallback ? 'default' : 'tuned');
    await p.check();
  } finally {
    ctx.arena.dispose();
  }
});

test('saved choices round-trip, imports are checked and never overwrite a choice', () => {
  const key = adapterKey(g.device);
  importMatmulChoices({ [key]: { 'nn 4×4×4': 'tiled' }, 'other | gpu | - | -': { 'tn 784×256×256': 'blocked' } });
  importMatmulChoices({ [key]: { 'nn 4×4×4': 'blocked', 'nt 1×2×3': 'blocked' } });
  expect(exportMatmulChoices()).toEqual({ [key]: { 'nn 4×4×4': 'tiled', 'nt 1×2×3': 'blocked' }, 'other | gpu | - | -': { 'tn 784×256×256': 'blocked' } });
  expect(() => importMatmulChoices({ [key]: { 'nn 4x4x4': 'tiled' } })).toThrow(/shape "nn 4x4x4" of adapter .* is not like "nn 256×784×256"/);
  expect(() => importMatmulChoices({ [key]: { 'nn 4×4×4': 'naive' } } as unknown as SavedMatmulChoices)).toThrow(/kernel of "nn 4×4×4" must be one of blocked, tiled, subgroup, got "naive"/);
  expect(() => importMatmulChoices(null as unknown as SavedMatmulChoices)).toThrow(/expected an object/);
  expect(() => new MatmulTuner(g.cache, 'fastest' as MatmulKernelOption)).toThrow(/matmulKernel must be one of auto, tune, blocked, tiled, subgroup, got "fastest"/);
});

test("a device without the 'subgroups' feature (a host app's) times only 'blocked' and 'tiled', ignores a cached 'subgroup', and refuses a forced one by name", async () => {
  const adapter = (await navigator.gpu.requestAdapter())!;
  const device = await adapter.requestDevice({ label: 'no subgroups' }); // no features asked for
  try {
    expect(device.features.has('subgroups')).toBe(false);
    const cache = new PipelineCache(device, true);
    const arena = new BufferArena(device, 'no-subgroups case');
    const args: MatmulArgs = { form: 'nn', M: 5, N: 6, K: 7, a: arena.storage('a', randomArray(35, 1)), b: arena.storage('b', randomArray(42, 2)), c: arena.storage('c', 30 * 4) };
    expect(() => matmulKernelDispatch({ device, cache, arena }, args, 'subgroup')).toThrow(/kernel 'subgroup' needs a device with the 'subgroups' feature \(this one has not got it\); use 'blocked' or 'tiled'/);
    importMatmulChoices({ [adapterKey(device)]: { 'nn 5×6×7': 'subgroup' } });
    const tuner = new MatmulTuner(cache, 'tune');
    const d = matmulDispatch({ device, cache, arena, matmul: tuner }, args);
    expect(tuner.untuned).toBe(1); // the cached 'subgroup' is not usable here: timed instead
    await tuner.tune();
    const [c] = tuner.choices();
    expect(Object.keys(c.ms!).sort()).toEqual(['blocked', 'tiled']);
    expect(['blocked', 'tiled']).toContain(c.kernel);
    await runDispatches(device, [d], true);
    arena.dispose();
  } finally {
    device.destroy();
  }
});
