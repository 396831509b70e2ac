// The encoder Jacobian kernels (src/kernels/jacobian.ts, shaders/jacobian.wgsl) on
// their own: given each layer's weights and outputs, ‖J_r‖²_F per sample against
// the float64 reference (src/reference/jacobian.ts), on awkward shapes and every
// activation. The whole model path (contraction()) is checked in deep-vae.test.ts.
import { beforeAll, describe, expect, test } from 'vitest';
import { runDispatches } from '../../src/gpu';
import { ACTIVATIONS, type Activation } from '../../src/kernels/activations';
import { encoderJacobianDispatches, jacobianScratchFloats, type JacobianLayer } from '../../src/kernels/jacobian';
import { activate } from '../../src/reference/activations';
import { encoderJacobianNormsSqRef, encoderJacobianRef, type JacobianLayerRef } from '../../src/reference/jacobian';
import { randomArray, testGpu, type TestGpu } from './helpers';

const U = 2 ** -24; // float32 unit roundoff
const TINY = 1e-30; // lets an exact 0 (a relu chain switched off) compare equal to an expected 0

// rows, then the widths from the input to the code.
const SHAPES: Array<{ rows: number; widths: number[] }> = [
  { rows: 1, widths: [1, 1] }, // batch 1, one layer, one unit
  { rows: 1, widths: [7, 3] }, // batch 1, odd widths
  { rows: 3, widths: [3, 65] }, // a code wider than one 64-wide workgroup
  { rows: 3, widths: [70, 67, 5] }, // inputs and hidden wider than a workgroup: seed and column scaling cross it
  { rows: 2, widths: [16, 8, 4] }, // multiples of 4: the matmul's vec4 path
  { rows: 5, widths: [13, 9, 6, 3] }, // three layers, odd widths
  { rows: 65, widths: [9, 5, 2] }, // more samples than one workgroup of the row norms
];

let t: TestGpu;
beforeAll(async () => {
  t = await testGpu();
});

/**
 * A layer chain with float32 weights, and its outputs from a float64 forward pass
 * of float32 inputs, rounded to float32: what the GPU is given. W scaled by 1.5/√inputs
 * keeps |a| ≲ 2, so tanh's 1 − h² ≥ 0.07 stays well conditioned.
 */
function chain(rows: number, widths: number[], activations: Activation[], seed: number): JacobianLayerRef[] {
  let h: ArrayLike<number> = randomArray(rows * widths[0], seed, -1, 1);
  return activations.map((activation, l) => {
    const [inputs, outputs] = [widths[l], widths[l + 1]];
    const s = 1.5 / Math.sqrt(inputs);
    const weight = randomArray(outputs * inputs, seed + 1 + l, -s, s);
    const bias = randomArray(outputs, seed + 20 + l, -0.5, 0.5);
    const output = new Float32Array(rows * outputs);
    for (let r = 0; r < rows; r++) {
      for (let o = 0; o < outputs; o++) {
        let a = bias[o];
        for (let i = 0; i < inputs; i++) a += weight[o * inputs + i] * h[r * inputs + i];
        output[r * outputs + o] = activate(a, activation);
      }
    }
    h = output;
    return { weight, output, activation, inputs, outputs };
  });
}

async function gpuNormsSq(layers: JacobianLayerRef[], rows: number): Promise<Float32Array> {
  const gpuLayers: JacobianLayer[] = layers.map((l, i) => ({
    weight: t.upload(`W${i}`, Float32Array.from(l.weight)),
    output: t.upload(`h${i}`, Float32Array.from(l.output)),
    activation: l.activation,
    inputs: l.inputs,
    outputs: l.outputs,
  }));
  const floats = jacobianScratchFloats(layers, rows);
  const scratch: [GPUBuffer, GPUBuffer] = [t.upload('scratch0', new Float32Array(floats).fill(777)), t.upload('scratch1', new Float32Array(floats).fill(777))];
  const norms = t.upload('norms', new Float32Array(rows).fill(777));
  await runDispatches(t.device, encoderJacobianDispatches(t, { layers: gpuLayers, rows, scratch, norms }), true);
  return t.read(norms, rows);
}

/**
 * The float32 error bound on ‖J_r‖²_F. Elementwise, the computed product of L
 * factors differs from J by at most γ_m·M, M = |D_L||W_L|⋯|D_1||W_1| (the
 * reference's magnitude product), m = the rounding steps along one entry's path:
 * each matmul's inner length K_l, plus ≤ 16 for each g'(h) from a float32 h (tanh's
 * 1 − h² loses ≤ u/0.07 ≈ 15u, sigmoid's h(1 − h) ≤ 3u) and 1 for its product.
 * Squaring doubles that, and summing the k·n squares one after another adds
 * ≤ k·n·u of their total. So |Δ‖J‖²| ≤ (2m + k·n)·u·Σ M². For the widest case
 * (70–67–5) that is ≈ 550u ≈ 3e-5 of Σ M², a worst case the rounding rarely reaches.
 */
function tolerance(layers: JacobianLayerRef[], rows: number): Float64Array {
  const m = layers.reduce((acc, l, i) => acc + (i === layers.length - 1 ? 0 : l.outputs) + 17, 0);
  const kn = layers[layers.length - 1].outputs * layers[0].inputs;
  return Float64Array.from(encoderJacobianRef(layers, rows, true), (M) => (2 * m + kn) * U * M.reduce((a, v) => a + v * v, 0));
}

function check(name: string, rows: number, widths: number[], activations: Activation[], seed: number) {
  test(name, async () => {
    const layers = chain(rows, widths, activations, seed);
    const ref = encoderJacobianNormsSqRef(layers, rows);
    const got = await gpuNormsSq(layers, rows);
    const tol = tolerance(layers, rows);
    let maxAbs = 0;
    let maxRel = 0;
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const d = Math.abs(got[r] - ref[r]);
      maxAbs = Math.max(maxAbs, d);
      maxRel = Math.max(maxRel, d / (ref[r] + TINY));
      worst = Math.max(worst, d / (tol[r] + TINY));
    }
    console.log(`${name}: max|Δ‖J‖²| ${maxAbs.toExponential(2)}, relative ${maxRel.toExponential(2)}, ${worst.toFixed(3)} of the bound`);
    expect(worst).toBeLessThanOrEqual(1);
  });
}

describe('encoder Jacobian kernels vs float64', () => {
  for (const { rows, widths } of SHAPES) {
    for (const act of ACTIVATIONS) {
      check(`R=${rows} ${widths.join('–')} ${act}`, rows, widths, new Array(widths.length - 1).fill(act), rows * 31 + widths.length);
    }
  }
  check('R=4 11–7–6–5 sigmoid/tanh/relu', 4, [11, 7, 6, 5], ['sigmoid', 'tanh', 'relu'], 5);
  check('R=3 9–70–4 relu/linear', 3, [9, 70, 4], ['relu', 'linear'], 6);
  // R·k = 257·257 = 66 049 block rows: more than one grid dimension holds (65 535), so the rows fold into y and z
  // (the medium features experiment's VAE, 256 rows × a 256-wide μ, failed on this).
  check('R=257 2–3–257 sigmoid/tanh (R·k above one grid dimension)', 257, [2, 3, 257], ['sigmoid', 'tanh'], 7);
});
