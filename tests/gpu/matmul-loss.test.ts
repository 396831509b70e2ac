// The matmuls' loss epilogue (shaders/common/matmul_loss.wgsl): the decoder's
// logits z = op(A)·op(B) + bias with each element's reconstruction loss and
// gradient. On both kernel families and every path, forms 'nt' (a decoder) and
// 'nn' (a tied one), awkward shapes (1s, odd sizes, grid tails) and padding rows:
//  - z and dz are bit-identical to the unfused pair it replaces (the bias matmul,
//    then shaders/loss.wgsl's loss_grad on its output), so training keeps its
//    numbers (that pair is checked against the float64 reference in matmul.test.ts
//    and loss.test.ts);
//  - each element's loss matches the float64 loss of its own z within the f32
//    evaluation's error, the padding rows hold 0, and nothing past the tensors
//    is written.
import { beforeAll, describe, expect, test } from 'vitest';
import { BufferArena, readFloats, runDispatches, type KernelContext } from '../../src/gpu';
import { matmulDispatchOnPath, matmulKernelDispatch, matmulAlignedOk, MATMUL_KERNELS, type MatmulArgs, type MatmulForm, type MatmulKernel, type MatmulPath } from '../../src/kernels/matmul';
import { lossDispatch, type LossKind } from '../../src/kernels/loss';
import type { Activation } from '../../src/kernels/activations';
import { activate } from '../../src/reference/activations';
import { bceElement } from '../../src/reference/loss';
import { randomArray, testGpu, type TestGpu, floatBits } from './helpers';

let g: TestGpu;
beforeAll(async () => {
  g = await testGpu();
});

const U = 2 ** -24;
const GUARD = 7.25;
const GUARD_FLOATS = 16;

// [M (rows), N (features), K (code)], and the rows that hold samples.
const SHAPES: Array<[number, number, number, number]> = [
  [1, 1, 1, 1],
  [5, 7, 3, 4],
  [13, 17, 9, 13],
  [8, 12, 16, 5],
  [65, 129, 33, 61],
];
const LOSSES: Array<{ kind: LossKind; act: Activation; gradScale: number }> = [
  { kind: 'bce', act: 'sigmoid', gradScale: 1 },
  { kind: 'mse', act: 'linear', gradScale: 0.25 },
  { kind: 'mse', act: 'tanh', gradScale: 1 },
  { kind: 'mse', act: 'sigmoid', gradScale: 3 },
];


type Variant = { kernel: MatmulKernel; path?: MatmulPath };
function variants(form: MatmulForm, M: number, N: number, K: number): Variant[] {
  return MATMUL_KERNELS.flatMap((kernel): Variant[] => (kernel === 'tiled' ? [{ kernel }] : (matmulAlignedOk(form, M, N, K) ? (['aligned', 'general'] as const) : (['general'] as const)).map((path) => ({ kernel, path }))));
}
const dispatchOf = (ctx: KernelContext, args: MatmulArgs, v: Variant) => (v.path ? matmulDispatchOnPath(ctx, args, v.path) : matmulKernelDispatch(ctx, args, v.kernel));

describe.each(['nt', 'nn'] as const)('the loss epilogue of %s', (form) => {
  test.each(SHAPES)('M=%i N=%i K=%i (%i valid rows): z and dz bit-identical to matmul + loss_grad, ℓ within its f32 error', async (M, N, K, valid) => {
    for (const variant of variants(form, M, N, K)) {
      for (const [li, loss] of LOSSES.entries()) {
        const ctx = { device: g.device, cache: g.cache, arena: new BufferArena(g.device, 'matmul-loss case') };
        try {
          const seed = M * 100 + N * 10 + K + li;
          const a = randomArray(M * K, seed);
          const b = randomArray(N * K, seed + 1, -2, 2);
          const bias = randomArray(N, seed + 2);
          const x = randomArray(M * N, seed + 3, loss.kind === 'bce' ? 0 : -1, 1);
          const step = g.step({ validRows: valid });
          const guarded = (n: number) => ctx.arena.storage('guarded', new Float32Array(n + GUARD_FLOATS).fill(GUARD));
          const common = { form, M, N, K, a: ctx.arena.storage('a', a), b: ctx.arena.storage('b', b), bias: ctx.arena.storage('bias', bias) };
          const target = ctx.arena.storage('x', x);
          // Fused.
          const c = guarded(M * N);
          const dz = guarded(M * N);
          const elements = guarded(M * N);
          const fused = dispatchOf(ctx, { ...common, c, loss: { target, grad: dz, elementLoss: elements, step, kind: loss.kind, outputActivation: loss.act, gradScale: loss.gradScale } }, variant);
          // Unfused: the bias matmul, then the loss kernel on its output.
          const z0 = ctx.arena.storage('z0', M * N * 4);
          const dz0 = ctx.arena.storage('dz0', M * N * 4);
          const rowLoss = ctx.arena.storage('row loss', M * 4);
          const unfused = [
            dispatchOf(ctx, { ...common, c: z0 }, variant),
            lossDispatch(ctx, { logits: z0, target, rowLoss, grad: dz0, step, rows: M, features: N, loss: loss.kind, outputActivation: loss.act, gradScale: loss.gradScale }),
          ];
          await runDispatches(g.device, [fused, ...unfused], true);
          const [zF, dzF, lF, zU, dzU, rowU] = await Promise.all([
            readFloats(g.device, c, M * N + GUARD_FLOATS),
            readFloats(g.device, dz, M * N + GUARD_FLOATS),
            readFloats(g.device, elements, M * N + GUARD_FLOATS),
            readFloats(g.device, z0, M * N),
            readFloats(g.device, dz0, M * N),
            readFloats(g.device, rowLoss, M),
          ]);
          const what = `${form} ${variant.kernel}${variant.path ? ` ${variant.path}` : ''} ${M}×${N}×${K} ${loss.kind}/${loss.act}`;
          for (const out of [zF, dzF, lF]) expect(Array.from(out.subarray(M * N)), `${what}: past the tensor`).toEqual(new Array(GUARD_FLOATS).fill(GUARD));
          expect(floatBits(zF.subarray(0, M * N)), `${what}: z`).toEqual(floatBits(zU));
          expect(floatBits(dzF.subarray(0, M * N)), `${what}: dz`).toEqual(floatBits(dzU));
          // Padding rows: loss and gradient 0.
          for (let i = valid * N; i < M * N; i++) expect([lF[i], dzF[i]], `${what}: padding row ${Math.floor(i / N)}`).toEqual([0, 0]);
          let worst = 0;
          for (let m = 0; m < valid; m++) {
            let rowSum = 0;
            for (let n = 0; n < N; n++) {
              const i = m * N + n;
              const z = zF[i];
              // ℓ in float64 at the kernel's own z; the f32 evaluation's error: a few u of the terms it adds
              // (BCE: |z|, |x·z| and log1p's ≤ log 2), or (MSE) of (f(z) − x)² plus f's own error (≤ 1e-6 for σ, tanh).
              const want = loss.kind === 'bce' ? bceElement(z, x[i]) : (activate(z, loss.act) - x[i]) ** 2;
              const tol = loss.kind === 'bce' ? 8 * U * (Math.abs(z) + Math.abs(x[i] * z) + 1) + 1e-7 : 8 * U * want + 4e-6 * Math.sqrt(want) + 1e-7;
              worst = Math.max(worst, Math.abs(lF[i] - want) / tol);
              rowSum += lF[i];
            }
            // The row's sum is the sample's loss that loss_grad logs (summed in another order: N·u relative).
            expect(Math.abs(rowSum - rowU[m]), `${what}: row ${m} sum`).toBeLessThanOrEqual((N + 2) * U * Math.abs(rowU[m]) * 4 + 1e-5);
          }
          expect(worst, `${what}: worst ℓ error / bound`).toBeLessThanOrEqual(1);
        } finally {
          ctx.arena.dispose();
        }
      }
    }
  });
});

test('the loss epilogue refuses what it cannot do, naming it', () => {
  const ctx = { device: g.device, cache: g.cache, arena: new BufferArena(g.device, 'matmul-loss validation') };
  try {
    const buf = (n: number) => ctx.arena.storage('t', n * 4);
    const step = g.step({ validRows: 2 });
    const loss = { target: buf(6), grad: buf(6), elementLoss: buf(6), step, kind: 'bce' as const, outputActivation: 'sigmoid' as const };
    const base = { form: 'nt' as const, M: 2, N: 3, K: 4, a: buf(8), b: buf(12), c: buf(6) };
    expect(() => matmulKernelDispatch(ctx, { ...base, loss }, 'blocked')).toThrow(/loss \(the logits' reconstruction loss\) is only allowed with a bias, a linear activation and no accumulate, rowSums or gate/);
    expect(() => matmulKernelDispatch(ctx, { ...base, bias: buf(3), loss: { ...loss, outputActivation: 'tanh' } }, 'tiled')).toThrow(/loss 'bce' needs outputActivation 'sigmoid', got 'tanh'/);
    expect(() => matmulKernelDispatch(ctx, { ...base, bias: buf(3), loss: { ...loss, grad: { buffer: buf(8), offset: 0, size: 20 } } }, 'blocked')).toThrow(/loss\.grad/);
    expect(() => matmulKernelDispatch(ctx, { ...base, bias: buf(3), loss: { ...loss, grad: loss.target } }, 'blocked')).toThrow(/loss\.target \(read\) and loss\.grad \(written\) are in the same GPUBuffer/);
  } finally {
    ctx.arena.dispose();
  }
});
