// The VAE kernels (shaders/vae.wgsl) against src/reference/vae.ts on awkward
// shapes: one row of one unit, latents wider than the 64-wide workgroup, padding
// rows, a batch offset, and β warming up. ε comes from the reference generator
// with the key the shader uses: (seed, STREAM_VAE_EPS, step, (batch_offset + r)·Z + j).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { vaeBackwardDispatch, vaeKlRowsDispatch, vaeSampleDispatch } from '../../src/kernels/vae';
import { klWeightRef, vaeBackwardRef, vaeKlRowsRef, vaeSampleRef } from '../../src/reference/vae';
import { rngNormal, STREAM_VAE_EPS } from '../../src/random/rng';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => {
  t.arena.dispose();
  t.gpu.destroy();
});

// exp(½s) in f32 on s ∈ [−3, 2] and the GPU's normals (within ~1e-6 of the
// reference's float64 ones): a few f32 roundings per value, so 1e-5 relative
// plus 1e-6 absolute (for values that cancel to near 0).
const RTOL = 1e-5;
const ATOL = 1e-6;

function expectClose(what: string, gpu: ArrayLike<number>, ref: ArrayLike<number>) {
  const r = compare(gpu, ref, RTOL, ATOL);
  expect(r.worst, `${what} worst at ${r.at}: gpu ${gpu[r.at]} ref ${ref[r.at]}`).toBeLessThanOrEqual(1);
}

const CASES = [
  { rows: 1, latent: 1, valid: 1, step: 1, batchOffset: 0, beta: 1, warmup: 0 },
  { rows: 7, latent: 65, valid: 5, step: 3, batchOffset: 40, beta: 2, warmup: 10 },
  { rows: 33, latent: 3, valid: 33, step: 12, batchOffset: 7, beta: 0.5, warmup: 4 },
];

for (const c of CASES) {
  test(`rows ${c.rows} (valid ${c.valid}), latent ${c.latent}, step ${c.step}, β ${c.beta} warm-up ${c.warmup}`, async () => {
    const n = c.rows * c.latent;
    const seed = 11;
    const mu = randomArray(n, 1 + n, -2, 2);
    const logvar = randomArray(n, 2 + n, -3, 2);
    const dz = randomArray(n, 3 + n, -1, 1);
    const step = t.step({ step: c.step, seed, batchOffset: c.batchOffset, validRows: c.valid });
    const [muB, lvB, dzB] = [t.upload('mu', mu), t.upload('logvar', logvar), t.upload('dz', dz)];
    const [z, rowKl, dmu, dlogvar] = [n, c.rows, n, n].map((k, i) => t.upload(`out ${i}`, new Float32Array(k).fill(123)));
    const shape = { rows: c.rows, latent: c.latent, step };
    await runDispatches(
      t.device,
      [
        vaeSampleDispatch(t, { ...shape, mu: muB, logvar: lvB, z }),
        vaeKlRowsDispatch(t, { ...shape, mu: muB, logvar: lvB, rowKl }),
        vaeBackwardDispatch(t, { ...shape, mu: muB, logvar: lvB, dz: dzB, dmu, dlogvar, beta: c.beta, warmupSteps: c.warmup }),
      ],
      true,
    );
    const eps = Float64Array.from({ length: n }, (_, k) => rngNormal(seed, STREAM_VAE_EPS, c.step, c.batchOffset * c.latent + k));
    const back = vaeBackwardRef({ mu, logvar, dz, eps }, c.rows, c.latent, c.valid, klWeightRef(c.beta, c.warmup, c.step));
    expectClose('z', await t.read(z, n), vaeSampleRef(mu, logvar, eps));
    expectClose('KL per row', await t.read(rowKl, c.rows), vaeKlRowsRef(mu, logvar, c.rows, c.latent, c.valid));
    expectClose('dμ', await t.read(dmu, n), back.dmu);
    expectClose('d log σ²', await t.read(dlogvar, n), back.dlogvar);
  });
}

test('bad arguments are named with what is allowed', () => {
  const step = t.step({ validRows: 1 });
  const b = t.upload('b', new Float32Array(4));
  const c = t.upload('c', new Float32Array(4));
  expect(() => vaeBackwardDispatch(t, { rows: 2, latent: 2, step, mu: b, logvar: c, dz: t.upload('d', new Float32Array(4)), dmu: t.upload('e', new Float32Array(4)), dlogvar: t.upload('f', new Float32Array(4)), beta: -1, warmupSteps: 0 })).toThrow(/beta must be a finite number ≥ 0, got -1/);
  expect(() => vaeSampleDispatch(t, { rows: 3, latent: 2, step, mu: b, logvar: c, z: t.upload('z', new Float32Array(4)) })).toThrow(/mu holds 4 floats \(16 bytes\) but 6 are needed/);
  expect(() => vaeKlRowsDispatch(t, { rows: 0, latent: 2, step, mu: b, logvar: c, rowKl: t.upload('k', new Float32Array(4)) })).toThrow(/rows must be a positive integer, got 0/);
});
