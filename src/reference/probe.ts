// Float64 reference of the linear probe's training (src/analysis/probe.ts): the
// same standardisation, epoch shuffles, zero start, softmax cross-entropy
// gradients and Adam steps, so a GPU run can be checked number by number.
import type { ProbeData } from '../analysis/probe';
import { standardisation } from '../analysis/probe';
import { shuffledIndices } from '../data/shuffle';
import { OPTIMIZER_DEFAULTS } from '../kernels/optimizer';
import { adamRef } from './optimizer';
import { softmaxCrossEntropyRef } from './softmax';

export interface ProbeRefOptions {
  classes: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
}

export interface ProbeRefResult {
  lossHistory: number[];
  trainLoss: number;
  testLoss: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** Final W [classes, features] and b [classes]. */
  weights: Float64Array;
  bias: Float64Array;
}

export function linearProbeRef(data: ProbeData, o: ProbeRefOptions): ProbeRefResult {
  const F = data.features;
  const C = o.classes;
  const nTrain = data.trainFeatures.length / F;
  const nTest = data.testFeatures.length / F;
  const { mean, scale } = standardisation(data.trainFeatures, nTrain, F);
  const unit = data.trainFeatures instanceof Uint8Array ? 1 / 255 : 1;
  const standardised = (features: ArrayLike<number>, n: number) => {
    const out = new Float64Array(n * F);
    for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) out[r * F + j] = (features[r * F + j] * unit - mean[j]) * scale[j];
    return out;
  };
  const xTrain = standardised(data.trainFeatures, nTrain);
  const xTest = standardised(data.testFeatures, nTest);
  // θ = [W (C·F) | b (C)]
  const theta = new Float64Array(C * F + C);
  const m = new Float64Array(theta.length);
  const v = new Float64Array(theta.length);
  const logits = (x: Float64Array, rows: number[]) => {
    const z = new Float64Array(rows.length * C);
    rows.forEach((row, r) => {
      for (let c = 0; c < C; c++) {
        let s = theta[C * F + c];
        for (let j = 0; j < F; j++) s += x[row * F + j] * theta[c * F + j];
        z[r * C + c] = s;
      }
    });
    return z;
  };
  const lossHistory: number[] = [];
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    const perm = shuffledIndices(nTrain, o.seed, epoch);
    let epochLoss = 0;
    for (let start = 0; start < nTrain; start += o.batchSize) {
      const rows = Array.from(perm.subarray(start, Math.min(nTrain, start + o.batchSize)));
      const labels = rows.map((r) => data.trainLabels[r]);
      const { rowLoss, dz } = softmaxCrossEntropyRef(logits(xTrain, rows), labels, rows.length, rows.length, C);
      epochLoss += rowLoss.reduce((a, b) => a + b, 0);
      const grad = new Float64Array(theta.length);
      rows.forEach((row, r) => {
        for (let c = 0; c < C; c++) {
          const d = dz[r * C + c];
          grad[C * F + c] += d;
          for (let j = 0; j < F; j++) grad[c * F + j] += d * xTrain[row * F + j];
        }
      });
      step += 1;
      adamRef(theta, grad, m, v, o.learningRate, OPTIMIZER_DEFAULTS.beta1, OPTIMIZER_DEFAULTS.beta2, OPTIMIZER_DEFAULTS.epsilon, step);
    }
    lossHistory.push(epochLoss / nTrain);
  }
  const evaluate = (x: Float64Array, labels: ArrayLike<number>, n: number) => {
    const rows = Array.from({ length: n }, (_, i) => i);
    const r = softmaxCrossEntropyRef(logits(x, rows), labels, n, n, C);
    return { loss: r.rowLoss.reduce((a, b) => a + b, 0) / n, accuracy: r.correct.reduce((a, b) => a + b, 0) / n };
  };
  const train = evaluate(xTrain, data.trainLabels, nTrain);
  const test = evaluate(xTest, data.testLabels, nTest);
  return {
    lossHistory,
    trainLoss: train.loss,
    testLoss: test.loss,
    trainAccuracy: train.accuracy,
    testAccuracy: test.accuracy,
    weights: theta.slice(0, C * F),
    bias: theta.slice(C * F),
  };
}
