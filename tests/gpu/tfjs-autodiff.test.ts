// An independent check of the training step: TensorFlow.js autodiff (CPU backend)
// differentiates the same loss, written directly in tfjs ops, for the same
// weights, inputs, corruption and dropout mask; the GPU's loss terms and
// gradients must agree for every regulariser alone and in combination.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { createAutoencoder, type AutoencoderConfig, type ResolvedConfig } from '../../src/index';
import { dropoutScaleRef } from '../../src/reference/dropout';
import { readFloats } from '../../src/gpu/arena';
import { compare, randomArray, testGpu, type TestGpu } from './helpers';

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
  await tf.setBackend('cpu');
});
afterAll(() => t.gpu.destroy());

const D = 11;
const H = 6;
const B = 7;

function act(x: tf.Tensor, kind: string): tf.Tensor {
  return kind === 'sigmoid' ? tf.sigmoid(x) : kind === 'tanh' ? tf.tanh(x) : kind === 'relu' ? tf.relu(x) : x;
}

/** g'(a) as a differentiable tfjs expression of a (so autodiff supplies g''). */
function actGrad(a: tf.Tensor, kind: string): tf.Tensor {
  if (kind === 'sigmoid') {
    const h = tf.sigmoid(a);
    return h.mul(tf.sub(1, h));
  }
  if (kind === 'tanh') return tf.sub(1, tf.square(tf.tanh(a)));
  if (kind === 'relu') return tf.step(a); // derivative zero almost everywhere
  return tf.onesLike(a);
}

/** The model's loss terms in tfjs, for V valid rows of B. */
function tfLoss(c: ResolvedConfig, p: Record<string, tf.Tensor>, x: tf.Tensor, xin: tf.Tensor, keep: tf.Tensor, V: number) {
  const rowMask = tf.tensor2d(Array.from({ length: B }, (_, r) => (r < V ? 1 : 0)), [B, 1]);
  const W = p['encoder.0.weight'];
  const a = tf.add(tf.matMul(xin, W, false, true), p['encoder.0.bias']);
  const h = act(a, c.encoderActivation);
  const hd = tf.mul(h, keep);
  const dec = c.tiedWeights ? tf.matMul(hd, W) : tf.matMul(hd, p['decoder.0.weight'], false, true);
  const z = tf.add(dec, p['decoder.0.bias']);
  const perElement =
    c.loss === 'bce'
      ? tf.add(tf.sub(tf.relu(z), tf.mul(x, z)), tf.log1p(tf.exp(tf.neg(tf.abs(z)))))
      : tf.square(tf.sub(act(z, c.decoderActivation), x));
  const terms: Record<string, tf.Scalar> = { reconstruction: tf.sum(tf.mul(perElement, rowMask)).div(V) as tf.Scalar };
  if (c.weightDecay > 0) {
    let s = tf.sum(tf.square(W));
    if (!c.tiedWeights) s = s.add(tf.sum(tf.square(p['decoder.0.weight'])));
    terms.weightDecay = s.mul(c.weightDecay) as tf.Scalar;
  }
  const sp = c.sparsity;
  if (sp.type === 'l1') terms.l1 = tf.sum(tf.mul(tf.abs(h), rowMask)).mul(sp.lambda / V) as tf.Scalar;
  if (sp.type === 'kl') {
    const rhoHat = tf.clipByValue(tf.sum(tf.mul(h, rowMask), 0).div(V), 1e-6, 1 - 1e-6);
    const kl = tf.add(tf.mul(sp.rho, tf.log(tf.div(sp.rho, rhoHat))), tf.mul(1 - sp.rho, tf.log(tf.div(1 - sp.rho, tf.sub(1, rhoHat)))));
    terms.klSparsity = tf.sum(kl).mul(sp.beta) as tf.Scalar;
  }
  if (c.contractive > 0) {
    const s = tf.sum(tf.square(W), 1); // [H]
    const gp = actGrad(a, c.encoderActivation);
    terms.contractive = tf.sum(tf.mul(tf.mul(tf.square(gp), s), rowMask)).mul(c.contractive / V) as tf.Scalar;
  }
  return terms;
}

const CASES: Array<[string, Partial<AutoencoderConfig>]> = [
  ['plain, sigmoid/bce', {}],
  ['tied, weight decay, tanh/mse', { tiedWeights: true, weightDecay: 0.03, encoderActivation: 'tanh', loss: 'mse' }],
  ['masking', { noise: { type: 'masking', rate: 0.3 } }],
  ['gaussian', { noise: { type: 'gaussian', stddev: 0.2 } }],
  ['salt-and-pepper', { noise: { type: 'salt-and-pepper', rate: 0.2 } }],
  ['dropout', { dropout: 0.3 }],
  ['L1', { sparsity: { type: 'l1', lambda: 0.2 } }],
  ['KL', { sparsity: { type: 'kl', rho: 0.1, beta: 0.5 } }],
  ['contractive sigmoid', { contractive: 0.3 }],
  ['contractive tanh', { contractive: 0.3, encoderActivation: 'tanh', loss: 'mse' }],
  ['masking + KL', { noise: { type: 'masking', rate: 0.2 }, sparsity: { type: 'kl', rho: 0.1, beta: 0.3 } }],
  ['L1 + contractive', { sparsity: { type: 'l1', lambda: 0.1 }, contractive: 0.2 }],
  ['gaussian + contractive + tied + weight decay', { noise: { type: 'gaussian', stddev: 0.1 }, contractive: 0.2, tiedWeights: true, weightDecay: 0.02 }],
];

describe('GPU step vs TensorFlow.js autodiff (CPU backend)', () => {
  for (const [name, extra] of CASES) {
    test(name, async () => {
      const model = await createAutoencoder({ inputSize: D, hiddenSize: H, seed: 9, ...extra }, { gpu: t.gpu });
      try {
        const data = randomArray(10 * D, 21, 0, 1); // batches of 7 then 3 (padding rows)
        const ds = model.uploadDataset({ data, features: D });
        const trainer = model.createTrainer({ batchSize: B, optimizer: { type: 'sgd', learningRate: 0.1 }, shuffle: false });
        const params = await model.getParameters();
        await trainer.steps(ds, 1); // batch rows 0..6, moves the weights: use the ones from before
        model.setParameters(params);
        const { rows: V, loss } = await trainer.computeGradients(ds); // rows 7..9 of an epoch: V = 3
        expect(V).toBe(3);
        const gpuGrads = await trainer.readGradients();
        const c = model.config;
        const xRows = new Float32Array(B * D);
        xRows.set(data.subarray(7 * D, 10 * D));
        const xin = trainer.plan.batch.noisy ? await readFloats(t.device, trainer.plan.batch.noisy, B * D) : xRows;
        const keep = c.dropout > 0 ? Float32Array.from(dropoutScaleRef(B, H, c.dropout, 0, trainer.seed, 2, true)) : new Float32Array(B * H).fill(1);

        const names = Object.keys(params);
        const shapes = Object.fromEntries(model.layout.tensors.map((x) => [x.name, x.shape]));
        const result = tf.tidy(() => {
          const x = tf.tensor2d(xRows, [B, D]);
          const xi = tf.tensor2d(xin, [B, D]);
          const k = tf.tensor2d(keep, [B, H]);
          const f = (...ts: tf.Tensor[]) => {
            const p = Object.fromEntries(names.map((n, i) => [n, ts[i]]));
            const terms = tfLoss(c, p, x, xi, k, V);
            return Object.values(terms).reduce((a, b) => a.add(b)) as tf.Scalar;
          };
          const inputs = names.map((n) => tf.tensor(params[n], shapes[n]));
          const grads = tf.grads(f)(inputs);
          return { loss: f(...inputs).dataSync()[0], grads: grads.map((g) => g.dataSync()) };
        });
        names.forEach((n, i) => {
          const ref = result.grads[i];
          let scale = 0;
          for (const v of ref) scale = Math.max(scale, Math.abs(v));
          // Both sides are float32 with different summation orders over ≤ 11 terms:
          // errors of a few ulps of the largest gradient entry; allow 2e-5 of it.
          const r = compare(gpuGrads[n], ref, 1e-4, 2e-5 * Math.max(scale, 1e-3));
          console.log(`${name} ${n}: max |gpu − tfjs| ${r.maxAbs.toExponential(2)} (scale ${scale.toExponential(2)})`);
          expect(r.worst, `${n} at ${r.at}: gpu ${gpuGrads[n][r.at]} tfjs ${ref[r.at]}`).toBeLessThanOrEqual(1);
        });
        console.log(`${name} loss: gpu ${loss.total} tfjs ${result.loss}`);
        expect(Math.abs(loss.total - result.loss)).toBeLessThan(1e-5 * Math.abs(result.loss) + 1e-6);
      } finally {
        model.dispose();
      }
    });
  }
});
