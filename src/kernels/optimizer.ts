// Optimizers (shaders/optimizer.wgsl): one dispatch updates a whole flat
// parameter buffer, 4 floats per thread. lr comes from step.lr, Adam's bias
// corrections from step.adam_c1 / adam_c2 (see adamCorrections).
//   sgd:      p −= lr·g
//   momentum: v = μ·v + g;  p −= lr·v   (nesterov: p −= lr·(g + μ·v))     — PyTorch SGD
//   adam:     m = β1 m + (1−β1) g;  v = β2 v + (1−β2) g²;  p −= lr·(m·c1)/(sqrt(v·c2) + ε)  — PyTorch Adam
// Nothing changes while the non-finite guard (src/kernels/finite.ts) is set.
import familyWgsl from '../../shaders/optimizer.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { requireBoolean, requireCount, requireFloats, requireNoAliasing, requireStep, requireValue, workgroupGrid } from './checks';

const CODE = stepWgsl + familyWgsl;
const WG = 64; // vec4s per workgroup

export type OptimizerConfig =
  | { type: 'sgd'; learningRate: number }
  | { type: 'momentum'; learningRate: number; momentum?: number; nesterov?: boolean }
  | { type: 'adam'; learningRate: number; beta1?: number; beta2?: number; epsilon?: number };

export const OPTIMIZER_TYPES = ['sgd', 'momentum', 'adam'] as const;
export const OPTIMIZER_DEFAULTS = { momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } as const;

const ALLOWED_KEYS: Record<OptimizerConfig['type'], readonly string[]> = {
  sgd: ['type', 'learningRate'],
  momentum: ['type', 'learningRate', 'momentum', 'nesterov'],
  adam: ['type', 'learningRate', 'beta1', 'beta2', 'epsilon'],
};

/**
 * Check an optimizer config and return it with the defaults filled in.
 * Throws naming the field, the value and what is allowed.
 */
export function validateOptimizer(config: unknown): OptimizerConfig {
  if (typeof config !== 'object' || config === null) {
    throw new Error(`optimizer: expected an object like { type: 'adam', learningRate: 1e-3 }, got ${String(config)}`);
  }
  const c = config as Record<string, unknown>;
  const type = c.type;
  if (typeof type !== 'string' || !(OPTIMIZER_TYPES as readonly string[]).includes(type)) {
    throw new Error(`optimizer: unknown type ${JSON.stringify(type)}; allowed: ${OPTIMIZER_TYPES.join(', ')}`);
  }
  const t = type as OptimizerConfig['type'];
  for (const key of Object.keys(c)) {
    if (!ALLOWED_KEYS[t].includes(key)) {
      throw new Error(`optimizer '${t}': unknown option '${key}'; allowed: ${ALLOWED_KEYS[t].join(', ')}`);
    }
  }
  const lr = c.learningRate;
  requirePositive(t, 'learningRate', lr);
  if (t === 'sgd') return { type: 'sgd', learningRate: lr };
  if (t === 'momentum') {
    const momentum = unitInterval(t, 'momentum', c.momentum ?? OPTIMIZER_DEFAULTS.momentum);
    const nesterov = c.nesterov ?? OPTIMIZER_DEFAULTS.nesterov;
    requireBoolean("optimizer 'momentum'", 'nesterov', nesterov);
    if (nesterov && momentum === 0) throw new Error(`optimizer 'momentum': nesterov needs momentum > 0 (as in PyTorch), got 0`);
    return { type: 'momentum', learningRate: lr, momentum, nesterov };
  }
  const beta1 = unitInterval(t, 'beta1', c.beta1 ?? OPTIMIZER_DEFAULTS.beta1);
  const beta2 = unitInterval(t, 'beta2', c.beta2 ?? OPTIMIZER_DEFAULTS.beta2);
  const epsilon = c.epsilon ?? OPTIMIZER_DEFAULTS.epsilon;
  requirePositive(t, 'epsilon', epsilon);
  return { type: 'adam', learningRate: lr, beta1, beta2, epsilon };
}

function unitInterval(type: string, name: string, v: unknown): number {
  requireValue(`optimizer '${type}'`, name, v, typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1, 'a number in [0, 1)');
  return v as number;
}

function requirePositive(type: string, name: string, v: unknown): asserts v is number {
  requireValue(`optimizer '${type}'`, name, v, typeof v === 'number' && Number.isFinite(v) && v > 0, 'a finite number > 0');
}

/** How many state buffers, each the size of the parameters, the optimizer needs. */
export function optimizerStateBuffers(config: OptimizerConfig): number {
  return { sgd: 0, momentum: 1, adam: 2 }[validateOptimizer(config).type];
}

/**
 * Adam's bias corrections for the 1-based `step`: c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t),
 * computed in float64 (for step.adam_c1 / adam_c2). 1, 1 for the other optimizers.
 */
export function adamCorrections(config: OptimizerConfig, step: number): { c1: number; c2: number } {
  return adamCorrector(config)(step);
}

/**
 * adamCorrections with the config validated once, for the training loop: the
 * returned function does only the two powers per step.
 */
export function adamCorrector(config: OptimizerConfig): (step: number) => { c1: number; c2: number } {
  const c = validateOptimizer(config);
  const b1 = c.type === 'adam' ? c.beta1! : 0;
  const b2 = c.type === 'adam' ? c.beta2! : 0;
  return (step) => {
    if (!Number.isInteger(step) || step < 1) throw new Error(`adamCorrections: step must be an integer ≥ 1 (1-based), got ${step}`);
    return c.type === 'adam' ? { c1: 1 / (1 - b1 ** step), c2: 1 / (1 - b2 ** step) } : { c1: 1, c2: 1 };
  };
}

export interface OptimizerArgs {
  config: OptimizerConfig;
  /** Parameters, updated in place: [count]. */
  params: Resource;
  /** Gradients: [count]. */
  grads: Resource;
  /** optimizerStateBuffers(config) buffers of [count], zero before the first step (momentum: [v]; adam: [m, v]). */
  state: Resource[];
  /** Floats to update, a multiple of 4. */
  count: number;
  /** The Step uniform (lr, adam_c1, adam_c2). */
  step: GPUBuffer;
  /**
   * The non-finite guard (src/kernels/finite.ts): no update while its first word
   * is non-zero. Default: a zero word of the dispatch's own (always update).
   */
  guard?: Resource;
  label?: string;
  /** Testing: most workgroups per grid row (default: maxComputeWorkgroupsPerDimension). */
  gridWidth?: number;
}

export function optimizerDispatch(ctx: KernelContext, args: OptimizerArgs): Dispatch {
  const config = validateOptimizer(args.config);
  const label = args.label ?? `optimizer(${config.type})`;
  requireCount(label, 'count', args.count);
  requireValue(label, 'count', args.count, args.count % 4 === 0, 'a multiple of 4 (the kernel updates vec4s)');
  requireStep(label, args.step);
  const nState = optimizerStateBuffers(config);
  if (!Array.isArray(args.state) || args.state.length !== nState) {
    throw new Error(`${label}: '${config.type}' needs ${nState} state buffer(s), got ${Array.isArray(args.state) ? args.state.length : String(args.state)}`);
  }
  requireFloats(ctx, label, 'params', args.params, args.count);
  requireFloats(ctx, label, 'grads', args.grads, args.count);
  args.state.forEach((s, i) => requireFloats(ctx, label, `state[${i}]`, s, args.count));
  if (args.guard) requireFloats(ctx, label, 'guard', args.guard, 1);
  const guard = args.guard ?? ctx.arena.storage(`${label}/no guard`, 16);
  requireNoAliasing(
    label,
    [['params', args.params] as const, ...args.state.map((s, i) => [`state[${i}]`, s] as const)],
    [['grads', args.grads], ['guard', guard]],
  );
  const mu = config.type === 'momentum' ? config.momentum! : 0;
  const b1 = config.type === 'adam' ? config.beta1! : 0;
  const b2 = config.type === 'adam' ? config.beta2! : 0;
  const eps = config.type === 'adam' ? config.epsilon! : 0;
  const params = ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', args.count / 4],
      ['f32', mu],
      ['f32', b1],
      ['f32', 1 - b1], // rounded once from float64, see shaders/optimizer.wgsl
      ['f32', b2],
      ['f32', 1 - b2],
      ['f32', eps],
    ]),
  );
  const spec: KernelSpec = {
    name: `optimizer_${config.type}`,
    code: CODE,
    entryPoint: config.type,
    bindings: ['uniform', 'uniform', 'read', 'rw', 'read', ...args.state.map(() => 'rw' as const)],
    constants: config.type === 'momentum' ? { NESTEROV: config.nesterov ? 1 : 0 } : {},
  };
  const grid = workgroupGrid(ctx, Math.ceil(args.count / 4 / WG), label, args.gridWidth);
  return makeDispatch(ctx.cache, spec, [params, args.step, guard, args.params, args.grads, ...args.state], grid, label);
}
