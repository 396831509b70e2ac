// The contractive autoencoder's picture (Rifai et al. 2011): on data that lie on
// a low-dimensional manifold, penalising ‖∂h/∂x‖²_F makes the encoder
// insensitive to every direction except the ones it needs to tell the data
// apart — the manifold's tangent. The leading right singular vector u₁ of the
// Jacobian J = diag(h ⊙ (1 − h)) W then aligns with the tangent and the other
// singular values shrink; a plain encoder's Jacobian shows no such structure.
//
// The data: a closed curve x(t) = c + Σ_{j=1..3} (a_j cos jt + b_j sin jt) in
// D = 16 dimensions (random a_j, b_j, seeded), t uniform; its tangent is
// dx/dt = Σ_j j (b_j cos jt − a_j sin jt).
import { createAutoencoder, orthonormaliseRows, symmetricEigen, type RgbaImage } from '../../../src/index';
import type { Experiment, ExperimentSize } from './experiment';
import { sideBySide } from './figures';
import { fmt, hostNormal, hostRandom } from './common';

const SIZES: Record<ExperimentSize, { train: number; test: number; epochs: number }> = {
  quick: { train: 1000, test: 200, epochs: 40 },
  medium: { train: 5000, test: 1000, epochs: 150 },
  full: { train: 20000, test: 2000, epochs: 300 },
};

const D = 16;
const H = 8;
const HARMONICS = 3;
const LAMBDA = 0.5;
const SEED = 3;

interface Curve {
  c: Float64Array;
  a: Float64Array[];
  b: Float64Array[];
}

function makeCurve(seed: number): Curve {
  const n = hostNormal(hostRandom(seed));
  const vec = (scale: number) => Float64Array.from({ length: D }, () => scale * n());
  // Lower harmonics carry more of the curve, as in a smooth natural trajectory.
  return { c: vec(0.2), a: Array.from({ length: HARMONICS }, (_, j) => vec(0.6 / (j + 1))), b: Array.from({ length: HARMONICS }, (_, j) => vec(0.6 / (j + 1))) };
}

/** Points x(t) and unit tangents at t = 2π·u, u uniform (seeded). */
function sample(curve: Curve, count: number, seed: number): { x: Float32Array; tangents: Float64Array; t: Float64Array } {
  const u = hostRandom(seed);
  const x = new Float32Array(count * D);
  const tangents = new Float64Array(count * D);
  const t = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    const tr = (t[r] = 2 * Math.PI * u());
    let norm = 0;
    for (let i = 0; i < D; i++) {
      let v = curve.c[i];
      let d = 0;
      for (let j = 0; j < HARMONICS; j++) {
        const w = j + 1;
        v += curve.a[j][i] * Math.cos(w * tr) + curve.b[j][i] * Math.sin(w * tr);
        d += w * (curve.b[j][i] * Math.cos(w * tr) - curve.a[j][i] * Math.sin(w * tr));
      }
      x[r * D + i] = v;
      tangents[r * D + i] = d;
      norm += d * d;
    }
    for (let i = 0; i < D; i++) tangents[r * D + i] /= Math.sqrt(norm);
  }
  return { x, tangents, t };
}

/** Singular values (descending) and right singular vectors of the sigmoid encoder's Jacobian at x. */
function jacobianSvd(W: Float32Array, bias: Float32Array, x: Float32Array, row: number) {
  const J = new Float64Array(H * D);
  for (let h = 0; h < H; h++) {
    let z = bias[h];
    for (let i = 0; i < D; i++) z += W[h * D + i] * x[row * D + i];
    const s = 1 / (1 + Math.exp(-z));
    for (let i = 0; i < D; i++) J[h * D + i] = s * (1 - s) * W[h * D + i];
  }
  const JtJ = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) for (let h = 0; h < H; h++) JtJ[i * D + j] += J[h * D + i] * J[h * D + j];
  const { values, vectors } = symmetricEigen(JtJ, D);
  let frobSq = 0;
  for (const v of J) frobSq += v * v;
  return { singular: Array.from(values, (v) => Math.sqrt(Math.max(v, 0))), vectors, frobenius: Math.sqrt(frobSq) };
}

interface Alignment {
  /** Mean angle (degrees) between u₁ and the tangent. */
  angle: number;
  /** Mean σ₂/σ₁. */
  ratio: number;
  /** Mean ‖J t̂‖ along the tangent and the mean ‖J v‖ over the unit vectors orthogonal to it (RMS over an orthonormal basis). */
  alongTangent: number;
  acrossTangent: number;
  meanFrobenius: number;
  /** u₁ at the points drawn in the figure. */
  leading: Float64Array[];
  singular: number[][];
}

function alignment(W: Float32Array, bias: Float32Array, test: ReturnType<typeof sample>, drawn: number): Alignment {
  const count = test.t.length;
  let angle = 0;
  let ratio = 0;
  let along = 0;
  let across = 0;
  let frob = 0;
  const leading: Float64Array[] = [];
  const singular: number[][] = [];
  for (let r = 0; r < count; r++) {
    const { singular: s, vectors, frobenius } = jacobianSvd(W, bias, test.x, r);
    const tangent = test.tangents.subarray(r * D, (r + 1) * D);
    let dot = 0;
    for (let i = 0; i < D; i++) dot += vectors[i] * tangent[i];
    angle += (Math.acos(Math.min(1, Math.abs(dot))) * 180) / Math.PI;
    ratio += s[1] / s[0];
    // ‖J t̂‖² = Σ_k σ_k² (v_k·t̂)², and the rest of ‖J‖²_F lies across the tangent (D − 1 directions).
    let alongSq = 0;
    for (let k = 0; k < D; k++) {
      let d = 0;
      for (let i = 0; i < D; i++) d += vectors[k * D + i] * tangent[i];
      alongSq += s[k] ** 2 * d * d;
    }
    along += Math.sqrt(alongSq);
    across += Math.sqrt(Math.max(frobenius ** 2 - alongSq, 0) / (D - 1));
    frob += frobenius;
    if (r < drawn) {
      leading.push(vectors.slice(0, D));
      singular.push(s.slice(0, 3));
    }
  }
  return { angle: angle / count, ratio: ratio / count, alongTangent: along / count, acrossTangent: across / count, meanFrobenius: frob / count, leading, singular };
}

/** The curve projected on the plane of its first harmonic, with u₁ drawn (length ∝ σ₁/σ₁max) at some points. */
function drawPanel(curve: Curve, test: ReturnType<typeof sample>, a: Alignment, colour: [number, number, number]): RgbaImage {
  const size = 260;
  const data = new Uint8ClampedArray(size * size * 4).fill(255);
  const [e1, e2] = [0, 1].map((k) => orthonormaliseRows(Float64Array.from([...curve.a[0], ...curve.b[0]]), 2, D).slice(k * D, (k + 1) * D));
  const proj = (v: ArrayLike<number>, offset = 0) => {
    let p = 0;
    let q = 0;
    for (let i = 0; i < D; i++) {
      p += e1[i] * (v[offset + i] - curve.c[i]);
      q += e2[i] * (v[offset + i] - curve.c[i]);
    }
    return [p, q];
  };
  const pts = Array.from({ length: test.t.length }, (_, r) => proj(test.x, r * D));
  const extent = Math.max(...pts.flat().map(Math.abs)) * 1.25;
  const px = (p: number) => Math.round(((p / extent + 1) / 2) * (size - 1));
  const plot = (x: number, y: number, rgb: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= size || y >= size) return;
    data.set([...rgb, 255], (y * size + x) * 4);
  };
  for (const [p, q] of pts) for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) plot(px(p) + dx, px(-q) + dy, [150, 150, 150]);
  const maxS = Math.max(...a.singular.map((s) => s[0]));
  a.leading.forEach((u, r) => {
    const [x0, y0] = pts[r];
    // A direction in the plane: the projection of u₁ (without the centre offset).
    let du = 0;
    let dv = 0;
    for (let i = 0; i < D; i++) {
      du += e1[i] * u[i];
      dv += e2[i] * u[i];
    }
    const len = (0.2 * extent * a.singular[r][0]) / maxS;
    for (let s = -1; s <= 1; s += 0.01) plot(px(x0 + s * len * du), px(-(y0 + s * len * dv)), colour);
  });
  return { width: size, height: size, data };
}

export const contractionExperiment: Experiment = {
  name: 'contraction',
  title: 'The contractive encoder follows the manifold',
  question: "On data lying on a curve, does the contractive penalty make the encoder's leading Jacobian direction follow the curve's tangent while the other directions shrink?",
  mnist: () => null,
  async run(ctx) {
    const s = SIZES[ctx.size];
    const curve = makeCurve(SEED);
    const train = sample(curve, s.train, SEED + 1);
    const test = sample(curve, s.test, SEED + 2);
    const drawn = 40;
    const contenders = [
      { name: 'plain', contractive: 0 },
      { name: `contractive λ=${LAMBDA}`, contractive: LAMBDA },
    ];
    const results: Array<{ name: string; a: Alignment; gpuFrobenius: number; reconstruction: number; seconds: number }> = [];
    for (const c of contenders) {
      const model = await createAutoencoder({ inputSize: D, hiddenSize: H, decoderActivation: 'linear', loss: 'mse', contractive: c.contractive, seed: SEED });
      try {
        const trainData = model.uploadDataset({ data: train.x, features: D, label: 'curve train' });
        const testData = model.uploadDataset({ data: test.x, features: D, label: 'curve test' });
        const trainer = model.createTrainer({ batchSize: 50, optimizer: { type: 'adam', learningRate: 0.01 }, seed: SEED });
        let seconds = 0;
        await trainer.fit(trainData, {
          epochs: s.epochs,
          onEpoch: (r) => {
            seconds += r.seconds;
            if (r.epoch % 10 === 0 || r.epoch === s.epochs) ctx.say(`${c.name}: epoch ${r.epoch}/${s.epochs}, training loss ${r.trainLoss.toFixed(4)}`);
          },
        });
        const params = await model.getParameters();
        const a = alignment(params['encoder.0.weight'], params['encoder.0.bias'], test, drawn);
        const gpu = await model.contraction(testData);
        results.push({ name: c.name, a, gpuFrobenius: gpu.meanJacobianNorm, reconstruction: (await model.evaluate(testData)).reconstruction, seconds });
      } finally {
        model.dispose();
      }
    }
    const [plain, cae] = results;
    // The host Jacobian is the GPU's (the same maths in float64 vs float32): 1e-3 relative is float32 rounding with room.
    const agree = results.every((r) => Math.abs(r.a.meanFrobenius - r.gpuFrobenius) <= 1e-3 * r.gpuFrobenius);
    return {
      settings: { ...s, inputs: D, hidden: H, harmonics: HARMONICS, lambda: LAMBDA, batchSize: 50, optimizer: { type: 'adam', learningRate: 0.01 }, seed: SEED, encoder: 'sigmoid', decoder: 'linear', loss: 'mse' },
      tables: [
        {
          title: "The encoder's Jacobian on held-out points of the curve",
          columns: ['model', 'angle(u₁, tangent) °', 'σ₂/σ₁', '‖J t̂‖ along', '‖J v‖ across (RMS)', 'along / across', 'mean ‖J‖_F', 'held-out squared error', 'training s'],
          rows: results.map((r) => [r.name, fmt(r.a.angle, 3), fmt(r.a.ratio, 3), fmt(r.a.alongTangent), fmt(r.a.acrossTangent), fmt(r.a.alongTangent / r.a.acrossTangent, 3), fmt(r.gpuFrobenius), fmt(r.reconstruction), fmt(r.seconds, 3)]),
          note: `A closed curve with ${HARMONICS} harmonics in ${D} dimensions; ${D}–${H}–${D} autoencoders (sigmoid encoder, linear decoder), ${s.epochs} epochs on ${s.train} points; measured on ${s.test} other points. Angles are 0°–90° (90°: u₁ orthogonal to the tangent; a random direction in ${D} dimensions is at about ${fmt((Math.acos(Math.sqrt(2 / (Math.PI * D))) * 180) / Math.PI, 3)}° on average). mean ‖J‖_F from the GPU (model.contraction).`,
        },
      ],
      figures: { 'jacobian.png': ctx.png(sideBySide([drawPanel(curve, test, plain.a, [200, 40, 40]), drawPanel(curve, test, cae.a, [30, 80, 200])])) },
      captions: { 'jacobian.png': `The held-out points on the plane of the curve's first harmonic (grey) and, at ${drawn} of them, the leading right singular vector u₁ of the encoder's Jacobian projected on that plane (length ∝ σ₁): plain (left, red), contractive (right, blue).` },
      checks: [
        { claim: "the contractive encoder's u₁ is closer to the tangent than the plain encoder's", passed: cae.a.angle < plain.a.angle, measured: `${cae.a.angle.toFixed(1)}° vs ${plain.a.angle.toFixed(1)}°` },
        { claim: 'the contractive encoder is more sensitive along the tangent than across it, relative to the plain one', passed: cae.a.alongTangent / cae.a.acrossTangent > plain.a.alongTangent / plain.a.acrossTangent, measured: `along/across ${(cae.a.alongTangent / cae.a.acrossTangent).toFixed(2)} vs ${(plain.a.alongTangent / plain.a.acrossTangent).toFixed(2)}` },
        { claim: 'the penalty contracts: smaller mean ‖J‖_F', passed: cae.gpuFrobenius < plain.gpuFrobenius, measured: `${cae.gpuFrobenius.toFixed(3)} vs ${plain.gpuFrobenius.toFixed(3)}` },
        { claim: "the experiment's float64 Jacobian agrees with the GPU's mean ‖J‖_F (within 0.1%)", passed: agree, measured: results.map((r) => `${r.name}: ${r.a.meanFrobenius.toFixed(5)} vs ${r.gpuFrobenius.toFixed(5)}`).join('; ') },
      ],
      notes: ['Rifai et al. 2011 (Contractive auto-encoders, §5): the leading singular vectors of J follow the directions of variation of the data (the tangent plane), and the spectrum of a CAE falls off much faster than that of a plain or denoising autoencoder.'],
    };
  },
};
