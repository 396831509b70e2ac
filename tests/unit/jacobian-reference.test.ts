// The encoder Jacobian reference (src/reference/jacobian.ts) against central
// finite differences of the layer chain it describes, for every activation and
// 1-, 2- and 3-layer chains.
import { describe, expect, test } from 'vitest';
import { ACTIVATIONS, type Activation } from '../../src/kernels/activations';
import { activate } from '../../src/reference/activations';
import { encoderJacobianNormsSqRef, encoderJacobianRef, type JacobianLayerRef } from '../../src/reference/jacobian';
import { randomValues } from '../random';

interface Layer {
  W: Float64Array;
  b: Float64Array;
  activation: Activation;
  inputs: number;
  outputs: number;
}

function chain(widths: number[], activations: Activation[], seed: number): Layer[] {
  return activations.map((activation, l) => {
    const [inputs, outputs] = [widths[l], widths[l + 1]];
    const s = 1.5 / Math.sqrt(inputs);
    return { W: Float64Array.from(randomValues(outputs * inputs, seed + l, -s, s)), b: Float64Array.from(randomValues(outputs, seed + 10 + l, -0.5, 0.5)), activation, inputs, outputs };
  });
}

/** Every layer's outputs for one sample x. */
function forward(layers: Layer[], x: ArrayLike<number>): Float64Array[] {
  const outs: Float64Array[] = [];
  let h: ArrayLike<number> = x;
  for (const l of layers) {
    const next = new Float64Array(l.outputs);
    for (let o = 0; o < l.outputs; o++) {
      let a = l.b[o];
      for (let i = 0; i < l.inputs; i++) a += l.W[o * l.inputs + i] * h[i];
      next[o] = activate(a, l.activation);
    }
    outs.push(next);
    h = next;
  }
  return outs;
}

const CASES: Array<[number[], Activation[]]> = [
  ...ACTIVATIONS.map((a): [number[], Activation[]] => [[5, 3], [a]]),
  ...ACTIVATIONS.map((a): [number[], Activation[]] => [[6, 4, 2], [a, a]]),
  [[7, 5, 4, 3], ['sigmoid', 'tanh', 'relu']],
  [[4, 6, 3, 2], ['relu', 'linear', 'tanh']],
];

describe('encoder Jacobian reference', () => {
  for (const [widths, acts] of CASES) {
    test(`${widths.join('–')} ${acts.join('/')}: J equals finite differences of the code`, () => {
      const layers = chain(widths, acts, widths.length * 7 + widths[1]);
      const rows = 3;
      const D = widths[0];
      const k = widths[widths.length - 1];
      const x = Float64Array.from(randomValues(rows * D, 42 + D, -1, 1));
      const outputs = layers.map((l) => new Float64Array(rows * l.outputs));
      for (let r = 0; r < rows; r++) forward(layers, x.subarray(r * D, (r + 1) * D)).forEach((h, l) => outputs[l].set(h, r * layers[l].outputs));
      const refLayers: JacobianLayerRef[] = layers.map((l, i) => ({ weight: l.W, output: outputs[i], activation: l.activation, inputs: l.inputs, outputs: l.outputs }));
      const J = encoderJacobianRef(refLayers, rows);
      const norms = encoderJacobianNormsSqRef(refLayers, rows);
      const eps = 1e-6;
      for (let r = 0; r < rows; r++) {
        const xr = x.subarray(r * D, (r + 1) * D);
        let fdNorm = 0;
        for (let c = 0; c < D; c++) {
          const up = Float64Array.from(xr);
          const down = Float64Array.from(xr);
          up[c] += eps;
          down[c] -= eps;
          const hu = forward(layers, up).at(-1)!;
          const hd = forward(layers, down).at(-1)!;
          for (let o = 0; o < k; o++) {
            const fd = (hu[o] - hd[o]) / (2 * eps);
            fdNorm += fd * fd;
            // Central differences: O(eps²) truncation, O(1e-16/eps) rounding.
            expect(Math.abs(J[r][o * D + c] - fd)).toBeLessThan(1e-8);
          }
        }
        expect(Math.abs(norms[r] - fdNorm)).toBeLessThan(1e-8 * Math.max(1, fdNorm));
      }
    });
  }

  test('the magnitude bound is |J| or more, elementwise', () => {
    const layers = chain([5, 4, 3], ['tanh', 'linear'], 3);
    const x = Float64Array.from(randomValues(5, 8, -1, 1));
    const outs = forward(layers, x);
    const refLayers = layers.map((l, i) => ({ weight: l.W, output: outs[i], activation: l.activation, inputs: l.inputs, outputs: l.outputs }));
    const [J] = encoderJacobianRef(refLayers, 1);
    const [M] = encoderJacobianRef(refLayers, 1, true);
    for (let e = 0; e < J.length; e++) expect(M[e]).toBeGreaterThanOrEqual(Math.abs(J[e]));
  });

  test('a chain whose widths do not meet is refused', () => {
    const w = new Float64Array(6);
    const h = new Float64Array(3);
    expect(() =>
      encoderJacobianRef(
        [
          { weight: w, output: h, activation: 'linear', inputs: 2, outputs: 3 },
          { weight: w, output: h, activation: 'linear', inputs: 2, outputs: 3 },
        ],
        1,
      ),
    ).toThrow(/layer 1 takes 2 inputs but gets 3/);
  });
});
