// trainer.profile(): the count of a step's compute dispatches and the matmul kernels
// they use, for a one-layer model, against a hand count and against the dispatches
// the GPU is actually asked to run in one trainer.steps() call.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createAutoencoder, MATMUL_KERNELS } from '../../src/index';
import { randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});
afterAll(() => t.gpu.destroy());

test('one-layer sigmoid/BCE model (8–3–8, SGD): 7 dispatches per step, 5 matmuls on the paths their shapes allow', async () => {
  const D = 8; // a multiple of 4: the encoder's x·Wᵀ reads K = 8 as vec4
  const H = 3; // not one: every matmul with 3 in a vectorised dimension takes the general path
  const model = await createAutoencoder({ inputSize: D, hiddenSize: H, seed: 2 }, { gpu: t.gpu });
  try {
    const ds = model.uploadDataset({ data: randomArray(10 * D, 3, 0, 1), features: D });
    const trainer = model.createTrainer({ batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } });
    const p = await trainer.profile(ds, 1);
    // Hand count: gather 1; forward: encoder matmul, decoder matmul with the loss and dz in its epilogue = 2;
    // backward: decoder dW with dc summed and the loss's log riding in the same dispatch, da = dh ⊙ σ'(h) with
    // dh = dz·W2 in one = 2; encoder dW with db = 1; update: SGD = 1 (the weight-gradient matmuls and the
    // loss log check what they store: no guard pass).
    expect(p.dispatchesPerStep).toBe(1 + 2 + 2 + 1 + 1);
    expect(p.matmuls.map((m) => m.kernel)).toEqual([
      'matmul_nt_aligned', // h = σ(x·W1ᵀ + b1): M = 4, N = 3, K = 8
      'matmul_nt_general_loss', // z = h·W2ᵀ + c, with ℓ and dz per element: K = 3
      'matmul_tn_general_sums_logged', // dW2 = dzᵀ·h, dc = Σ_r dz, and log Σ ℓ: M = 8, N = 3
      'matmul_nn_general_gate', // da = (dz·W2) ⊙ σ'(h): K = 8, N = 3
      'matmul_tn_general_sums', // dW1 = daᵀ·x, db = Σ_r da: M = 3, N = 8
    ]);
    expect(p.matmuls.every((m) => m.label.length > 0)).toBe(true);
    // The family chosen for each of the 5 shapes, after profile() tuned whatever needed it (none pending).
    expect(p.matmulChoices!.map((c) => `${c.form} ${c.M}×${c.N}×${c.K}`).sort()).toEqual(['nn 4×3×8', 'nt 4×3×8', 'nt 4×8×3', 'tn 3×8×4', 'tn 8×3×4']);
    for (const c of p.matmulChoices!) {
      expect(MATMUL_KERNELS).toContain(c.kernel);
      expect(['tuned', 'cached', 'default']).toContain(c.source);
    }
    // stepDispatches(): the same step, by label (what metrics.json records).
    const step = trainer.stepDispatches(ds);
    expect(step).toHaveLength(p.dispatchesPerStep);
    expect(step.filter((d) => d.kernel.startsWith('matmul_'))).toEqual(p.matmuls);
    expect(p.stepMs).toBeGreaterThan(0);
    expect(p.matmulMs).toBeGreaterThan(0);

    // What one step really records: count dispatchWorkgroups calls during trainer.steps(ds, 1).
    const proto = GPUComputePassEncoder.prototype;
    const original = proto.dispatchWorkgroups;
    let count = 0;
    proto.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<typeof original>) {
      count++;
      return original.apply(this, args);
    };
    try {
      await trainer.steps(ds, 1);
    } finally {
      proto.dispatchWorkgroups = original;
    }
    expect(count).toBe(p.dispatchesPerStep);
    trainer.dispose();
  } finally {
    model.dispose();
  }
});

test('every variant: the reconstruction log rides in a weight-gradient matmul, and the update comes last', async () => {
  const D = 8;
  const RECON_LOG = 'log reconstruction loss';
  // (The non-finite guard has no pass of its own: each kernel that writes a gradient last checks it.)
  const cases: Array<Record<string, unknown>> = [
    {},
    { sparsity: { type: 'kl', rho: 0.05, beta: 3 } },
    { noise: { type: 'masking', rate: 0.3 }, dropout: 0.2 },
    { hiddenSizes: [5, 3] },
    { hiddenSizes: [6, 2], variational: true },
    { tiedWeights: true },
    { hiddenSizes: [5, 3], tiedWeights: true },
    { contractive: 0.1 },
    { contractive: 0.1, encoderActivation: 'relu' },
    { weightDecay: 0.01 },
  ];
  for (const extra of cases) {
    const model = await createAutoencoder({ inputSize: D, seed: 2, ...('hiddenSizes' in extra ? {} : { hiddenSize: 3 }), ...extra }, { gpu: t.gpu });
    try {
      const ds = model.uploadDataset({ data: randomArray(10 * D, 3, 0, 1), features: D });
      const trainer = model.createTrainer({ batchSize: 4, optimizer: { type: 'adam', learningRate: 0.01 } });
      const step = trainer.stepDispatches(ds);
      const what = JSON.stringify(extra);
      // No dispatch of its own: the decoder's dW (a tied model's first untied one: the encoder's) carries it.
      const carriers = step.filter((d) => d.label.includes(RECON_LOG));
      expect(carriers, what).toHaveLength(1);
      expect(carriers[0].kernel, what).toMatch(/^matmul_tn_.*_sums_logged$/);
      expect(step.at(-1)!.kernel, `${what}: the update comes last`).toMatch(/^optimizer_adam/);
      trainer.dispose();
    } finally {
      model.dispose();
    }
  }
});
