// Float64 references of the optimizer updates and weight decay, with PyTorch's
// semantics (torch.optim.SGD without dampening, torch.optim.Adam without
// amsgrad or weight decay). Arrays are updated in place.
import { validateOptimizer, type OptimizerConfig } from '../kernels/optimizer';

/** p −= lr·g */
export function sgdRef(params: Float64Array, grads: ArrayLike<number>, lr: number): void {
  for (let i = 0; i < params.length; i++) params[i] -= lr * grads[i];
}

/** v = μ·v + g;  p −= lr·v   (nesterov: p −= lr·(g + μ·v)). v starts at 0, so v₁ = g as in PyTorch. */
export function momentumRef(
  params: Float64Array,
  grads: ArrayLike<number>,
  velocity: Float64Array,
  lr: number,
  momentum: number,
  nesterov = false,
): void {
  for (let i = 0; i < params.length; i++) {
    velocity[i] = momentum * velocity[i] + grads[i];
    params[i] -= lr * (nesterov ? grads[i] + momentum * velocity[i] : velocity[i]);
  }
}

/**
 * Adam at 1-based step t: m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²;
 * p −= lr · m̂ / (sqrt(v̂) + ε) with m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
 */
export function adamRef(
  params: Float64Array,
  grads: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  lr: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: number,
): void {
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    params[i] -= (lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + epsilon);
  }
}

/** One step of any optimizer; `state` as in optimizerDispatch (momentum: [v]; adam: [m, v]). */
export function optimizerStepRef(config: OptimizerConfig, step: number, params: Float64Array, grads: ArrayLike<number>, state: Float64Array[]): void {
  const c = validateOptimizer(config);
  switch (c.type) {
    case 'sgd':
      return sgdRef(params, grads, c.learningRate);
    case 'momentum':
      return momentumRef(params, grads, state[0], c.learningRate, c.momentum!, c.nesterov);
    case 'adam':
      return adamRef(params, grads, state[0], state[1], c.learningRate, c.beta1!, c.beta2!, c.epsilon!, step);
  }
}

/** Weight decay: grads += 2λ·w; returns the penalty λ·Σ w². */
export function weightDecayRef(weights: ArrayLike<number>, grads: Float64Array, lambda: number): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) {
    grads[i] += 2 * lambda * weights[i];
    s += weights[i] * weights[i];
  }
  return lambda * s;
}
