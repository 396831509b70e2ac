// Activation names and their codes in shaders/common/activation.wgsl.
import activationWgsl from '../../shaders/common/activation.wgsl?raw';

export const ACTIVATIONS = ['linear', 'sigmoid', 'tanh', 'relu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

export const ACTIVATION_CODE: Record<Activation, number> = { linear: 0, sigmoid: 1, tanh: 2, relu: 3 };

/** WGSL declarations of sigmoid/activate/activation_grad_from_output, to prepend to a kernel. */
export const ACTIVATION_WGSL: string = activationWgsl;

export function isActivation(x: unknown): x is Activation {
  return typeof x === 'string' && (ACTIVATIONS as readonly string[]).includes(x);
}
