// shaders/common/rng.wgsl on the GPU against src/random/rng.ts, and the
// statistics of a million GPU draws.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import { RNG_WGSL } from '../../src/kernels/gather';
import { groups, makeDispatch, packUniform, readU32, runDispatches, type KernelSpec } from '../../src/gpu';
import { rngNormal, rngNormalFrom, rngU32, rngUniform, rngUniformFrom, STREAM_DROPOUT, STREAM_INPUT_NOISE, STREAM_SHUFFLE, STREAM_VAE_EPS } from '../../src/random/rng';
import { testGpu, type TestGpu } from './helpers';

// Test-only kernel: draw n numbers of each kind at indices base..base+n-1.
const DRAW_WGSL = /* wgsl */ `
struct P { seed: u32, stream: u32, step: u32, base: u32, n: u32, _a: u32, _b: u32, _c: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read_write> out_u32: array<u32>;
@group(0) @binding(2) var<storage, read_write> out_uniform: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_normal: array<f32>;
@compute @workgroup_size(256)
fn draw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let g = gid.x + gid.y * nwg.x * 256u;
  if (g >= p.n) { return; }
  let i = p.base + g;
  out_u32[g] = rng_u32(p.seed, p.stream, p.step, i);
  out_uniform[g] = rng_uniform(p.seed, p.stream, p.step, i);
  out_normal[g] = rng_normal(p.seed, p.stream, p.step, i);
}`;
const SPEC: KernelSpec = { name: 'rng_draw', code: stepWgsl + RNG_WGSL + DRAW_WGSL, entryPoint: 'draw', bindings: ['uniform', 'rw', 'rw', 'rw'] };

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

interface Draws {
  u32: Uint32Array;
  uniform: Float32Array;
  normal: Float32Array;
}

async function draw(seed: number, stream: number, step: number, base: number, n: number): Promise<Draws> {
  const bufs = [t.arena.storage('u32', n * 4), t.arena.storage('uniform', n * 4), t.arena.storage('normal', n * 4)];
  const params = t.arena.uniform('params', packUniform([['u32', seed], ['u32', stream], ['u32', step], ['u32', base], ['u32', n], ['u32', 0], ['u32', 0], ['u32', 0]]));
  const g = groups(n, 256);
  const gx = Math.min(g, 4096); // > 1 row of workgroups for large n
  await runDispatches(t.device, [makeDispatch(t.cache, SPEC, [params, ...bufs], [gx, Math.ceil(g / gx)])], true);
  const u32 = await readU32(t.device, bufs[0], n);
  const uniform = await t.read(bufs[1], n);
  const normal = await t.read(bufs[2], n);
  for (const b of [params, ...bufs]) t.arena.release(b);
  return { u32, uniform, normal };
}

// GPU normals use polynomial ln/cos in f32 (rng.wgsl); with |z| ≤ 5.8 and a few f32
// roundings of relative size 6e-8 in ln, sqrt, cos and the product, |Δz| ≲ 4 × 5.8 × 6e-8 ≈ 1.4e-6.
const NORMAL_TOL = 2e-6;

describe('GPU rng == TypeScript rng', () => {
  const cases: [number, number, number, number][] = [
    [0, 0, 0, 0],
    [1, STREAM_INPUT_NOISE, 1, 0],
    [0xdeadbeef, STREAM_DROPOUT + 3, 12345, 1000],
    [42, STREAM_VAE_EPS, 0xffffffff, 0xffffffff - 4999], // indices up to 2^32 − 1
    [7, STREAM_SHUFFLE, 99, 123456789],
  ];
  for (const [seed, stream, step, base] of cases) {
    test(`seed ${seed} stream ${stream} step ${step} indices ${base}..+5000`, async () => {
      const n = 5000;
      const d = await draw(seed, stream, step, base, n);
      let u32Mismatch = 0;
      let uniMismatch = 0;
      let normalDiff = 0;
      for (let g = 0; g < n; g++) {
        const i = (base + g) >>> 0;
        if (d.u32[g] !== rngU32(seed, stream, step, i)) u32Mismatch++;
        if (d.uniform[g] !== rngUniform(seed, stream, step, i)) uniMismatch++;
        normalDiff = Math.max(normalDiff, Math.abs(d.normal[g] - rngNormal(seed, stream, step, i)));
      }
      console.log(`u32 mismatches ${u32Mismatch}, uniform mismatches ${uniMismatch}, max |normal diff| ${normalDiff.toExponential(2)}`);
      expect(u32Mismatch).toBe(0);
      expect(uniMismatch).toBe(0);
      expect(normalDiff).toBeLessThan(NORMAL_TOL);
    });
  }
});

describe('statistics of 1e6 GPU draws', () => {
  const n = 1_000_000;
  let d: Draws;
  beforeAll(async () => {
    d = await draw(2024, STREAM_INPUT_NOISE, 17, 0, n);
  });

  test('all 1e6 draws match the reference', () => {
    let bad = 0;
    let normalDiff = 0;
    for (let i = 0; i < n; i++) {
      const h = rngU32(2024, STREAM_INPUT_NOISE, 17, i);
      if (d.u32[i] !== h || d.uniform[i] !== rngUniformFrom(h)) bad++;
      normalDiff = Math.max(normalDiff, Math.abs(d.normal[i] - rngNormalFrom(h)));
    }
    console.log(`1e6 draws: ${bad} u32/uniform mismatches, max |normal diff| ${normalDiff.toExponential(2)}`);
    expect(bad).toBe(0);
    expect(normalDiff).toBeLessThan(NORMAL_TOL);
  });

  test('uniform: mean, variance, lag-1 correlation, range', () => {
    let s = 0;
    let s2 = 0;
    let lo = 1;
    let hi = 0;
    for (const u of d.uniform) {
      s += u;
      s2 += u * u;
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
    }
    const mean = s / n;
    const v = s2 / n - mean * mean;
    let c = 0;
    for (let i = 1; i < n; i++) c += (d.uniform[i] - mean) * (d.uniform[i - 1] - mean);
    const rho = c / (n - 1) / v;
    // Bounds at 5 standard errors: mean sd = sqrt(1/12 / n); sample variance sd =
    // sqrt((μ4 − σ⁴)/n) = sqrt((1/80 − 1/144)/n) = sqrt(1/(180 n)); lag-1 ρ sd = 1/sqrt(n).
    const bMean = 5 * Math.sqrt(1 / 12 / n);
    const bVar = 5 * Math.sqrt(1 / 180 / n);
    const bRho = 5 / Math.sqrt(n);
    console.log(`uniform: mean−0.5 ${(mean - 0.5).toExponential(2)} (±${bMean.toExponential(2)}), var−1/12 ${(v - 1 / 12).toExponential(2)} (±${bVar.toExponential(2)}), ρ1 ${rho.toExponential(2)} (±${bRho.toExponential(2)}), range [${lo}, ${hi}]`);
    expect(Math.abs(mean - 0.5)).toBeLessThan(bMean);
    expect(Math.abs(v - 1 / 12)).toBeLessThan(bVar);
    expect(Math.abs(rho)).toBeLessThan(bRho);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
  });

  test('normal: mean 0, variance 1, kurtosis 3, tail mass', () => {
    let s = 0;
    let s2 = 0;
    let s4 = 0;
    let tail = 0;
    for (const z of d.normal) {
      s += z;
      s2 += z * z;
      s4 += z ** 4;
      if (Math.abs(z) > 2) tail++;
    }
    const mean = s / n;
    const v = s2 / n;
    const m4 = s4 / n;
    // sd: mean 1/sqrt(n); E z² has variance 2/n; E z⁴ has variance (105 − 9)/n;
    // P(|z| > 2) = 0.0455003, binomial sd sqrt(p(1−p)/n).
    const p2 = 0.04550026;
    const b = { mean: 5 / Math.sqrt(n), v: 5 * Math.sqrt(2 / n), m4: 5 * Math.sqrt(96 / n), tail: 5 * Math.sqrt((p2 * (1 - p2)) / n) };
    console.log(`normal: mean ${mean.toExponential(2)} (±${b.mean.toExponential(2)}), E z² − 1 ${(v - 1).toExponential(2)} (±${b.v.toExponential(2)}), E z⁴ − 3 ${(m4 - 3).toExponential(2)} (±${b.m4.toExponential(2)}), P(|z|>2) ${(tail / n).toFixed(5)}`);
    expect(Math.abs(mean)).toBeLessThan(b.mean);
    expect(Math.abs(v - 1)).toBeLessThan(b.v);
    expect(Math.abs(m4 - 3)).toBeLessThan(b.m4);
    expect(Math.abs(tail / n - p2)).toBeLessThan(b.tail);
  });

  test('different seeds, steps and streams give unrelated numbers', async () => {
    const m = 100_000;
    const base = d.uniform.subarray(0, m);
    const others: [string, Draws][] = [
      ['seed+1', await draw(2025, STREAM_INPUT_NOISE, 17, 0, m)],
      ['step+1', await draw(2024, STREAM_INPUT_NOISE, 18, 0, m)],
      ['stream', await draw(2024, STREAM_DROPOUT, 17, 0, m)],
      ['index+1', await draw(2024, STREAM_INPUT_NOISE, 17, 1, m)],
    ];
    for (const [what, o] of others) {
      let equal = 0;
      let c = 0;
      for (let i = 0; i < m; i++) {
        if (o.u32[i] === d.u32[i]) equal++;
        c += (o.uniform[i] - 0.5) * (base[i] - 0.5);
      }
      const rho = c / m / (1 / 12);
      console.log(`${what}: equal words ${equal}, correlation ${rho.toExponential(2)}`);
      expect(equal).toBeLessThan(3); // chance of a match is 2^-32 per pair
      expect(Math.abs(rho)).toBeLessThan(5 / Math.sqrt(m));
    }
  });
});
