// Float64 activations and their derivatives, the reference for the WGSL ones.
import type { Activation } from '../kernels/activations';

export function activate(x: number, kind: Activation): number {
  switch (kind) {
    case 'sigmoid':
      return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    case 'tanh':
      return Math.tanh(x);
    case 'relu':
      return x > 0 ? x : 0;
    case 'linear':
      return x;
  }
}

/** g'(a) from y = g(a). */
export function activationGradFromOutput(y: number, kind: Activation): number {
  switch (kind) {
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'linear':
      return 1;
  }
}

/** g''(a) from y = g(a) (used by the contractive penalty's gradient). */
export function activationSecondFromOutput(y: number, kind: Activation): number {
  switch (kind) {
    case 'sigmoid':
      return y * (1 - y) * (1 - 2 * y);
    case 'tanh':
      return -2 * y * (1 - y * y);
    case 'relu':
    case 'linear':
      return 0;
  }
}
