// Float64 reference for the encoder Jacobian kernels (shaders/jacobian.wgsl).
// A chain of layers h_l = g_l(h_{l−1}·W_lᵀ + b_l), h_0 = x, W_l [outputs, inputs].
// Per sample r the Jacobian of the code is
//   J_r = D_L W_L D_{L−1} W_{L−1} ⋯ D_1 W_1,   D_l = diag(g_l'(a_l)),
// with g_l'(a_l) taken from the layer's output h_l, as the kernels do. The
// biases only enter through h_l, so they are not arguments.
import type { Activation } from '../kernels/activations';
import { activationGradFromOutput } from './activations';

/** One encoder layer as the Jacobian sees it. */
export interface JacobianLayerRef {
  /** W [outputs, inputs]. */
  weight: ArrayLike<number>;
  /** The layer's outputs h for the batch [rows, outputs]. */
  output: ArrayLike<number>;
  activation: Activation;
  inputs: number;
  outputs: number;
}

/**
 * J_r for every sample, multiplied out from the input side: [rows][code·inputs],
 * row-major [code, inputs] each. With `magnitude`, the same product of |D_l| and
 * |W_l| (an elementwise bound on J, used to size float32 tolerances).
 */
export function encoderJacobianRef(layers: readonly JacobianLayerRef[], rows: number, magnitude = false): Float64Array[] {
  if (layers.length < 1) throw new Error('encoderJacobianRef: needs at least one layer');
  const D = layers[0].inputs;
  const out: Float64Array[] = [];
  for (let r = 0; r < rows; r++) {
    // J [width reached so far, D], starting from the identity.
    let J = new Float64Array(D * D);
    for (let i = 0; i < D; i++) J[i * D + i] = 1;
    let width = D;
    for (const [l, layer] of layers.entries()) {
      if (layer.inputs !== width) throw new Error(`encoderJacobianRef: layer ${l} takes ${layer.inputs} inputs but gets ${width}`);
      const next = new Float64Array(layer.outputs * D);
      for (let o = 0; o < layer.outputs; o++) {
        const g = activationGradFromOutput(layer.output[r * layer.outputs + o], layer.activation);
        const d = magnitude ? Math.abs(g) : g;
        for (let c = 0; c < D; c++) {
          let s = 0;
          for (let i = 0; i < width; i++) {
            const w = layer.weight[o * width + i];
            s += (magnitude ? Math.abs(w) : w) * J[i * D + c];
          }
          next[o * D + c] = d * s;
        }
      }
      J = next;
      width = layer.outputs;
    }
    out.push(J);
  }
  return out;
}

/** ‖J_r‖²_F per sample [rows]: what jacobian_row_norms leaves in `norms`. */
export function encoderJacobianNormsSqRef(layers: readonly JacobianLayerRef[], rows: number): Float64Array {
  return Float64Array.from(encoderJacobianRef(layers, rows), (J) => J.reduce((a, v) => a + v * v, 0));
}
