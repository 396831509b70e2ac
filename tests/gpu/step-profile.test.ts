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

test('one-layer sigmoid/BCE model (8–3–8, SGD): 9 dispatches per step, 5 matmuls on the paths their shapes allow', async () => {
  const D = 8; // a multiple of 4: the encoder's x·Wᵀ reads K = 8 as vec4
  const H = 3; // not one: every matmul with 3 in a vectorised dimension takes the general path
  const model = await createAutoencoder({ inputSize: D, hiddenSize: H, seed: 2 }, { gpu: t.gpu });
  try {
    const ds = model.uploadDataset({ data: randomArray(10 * D, 3, 0, 1), features: D });
    const trainer = model.createTrainer({ batchSize: 4, optimizer: { type: 'sgd', learningRate: 0.1 } });
    const p = await trainer.profile(ds, 1);
    // Hand count: gather 1; forward: encoder matmul, decoder matmul with the loss and dz in its epilogue, loss log = 3;
    // backward: decoder dW with dc summed in the same dispatch, da = dh ⊙ σ'(h) with dh = dz·W2 in one = 2; encoder dW with db = 1;
    // update: the guard on the loss and the gradients (one dispatch), SGD = 2.
    expect(p.dispatchesPerStep).toBe(1 + 3 + 2 + 1 + 2);
    expect(p.matmuls.map((m) => m.kernel)).toEqual([
      'matmul_nt_aligned', // h = σ(x·W1ᵀ + b1): M = 4, N = 3, K = 8
      'matmul_nt_general_loss', // z = h·W2ᵀ + c, with ℓ and dz per element: K = 3
      'matmul_tn_general_sums', // dW2 = dzᵀ·h, dc = Σ_r dz: M = 8, N = 3
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
