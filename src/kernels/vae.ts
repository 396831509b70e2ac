// Builders for the VAE kernels (shaders/vae.wgsl): z = μ + exp(½ log σ²)·ε with ε
// from the counter-based generator, the per-row KL(N(μ, σ²) ‖ N(0, I)), and the
// gradients through both into the μ and log σ² heads.
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import rngWgsl from '../../shaders/common/rng.wgsl?raw';
import vaeWgsl from '../../shaders/vae.wgsl?raw';
import { groups, makeDispatch, packUniform, type Dispatch, type KernelContext, type KernelSpec, type Resource } from '../gpu';
import { requireCount, requireFloats, requireInteger, requireNoAliasing, requireNonNegative, requireStep } from './checks';

const CODE = stepWgsl + rngWgsl + vaeWgsl;
const WG = 64;

interface VaeShape {
  rows: number;
  /** Latent size Z. */
  latent: number;
  /** The Step uniform: seed, step and batch_offset key ε; valid_rows, inv_rows. */
  step: GPUBuffer;
  label?: string;
}

export interface VaeSampleArgs extends VaeShape {
  mu: Resource; // [rows, Z]
  logvar: Resource; // [rows, Z]
  z: Resource; // [rows, Z] out
}

export interface VaeKlRowsArgs extends VaeShape {
  mu: Resource;
  logvar: Resource;
  /** [rows] out: KL_r, 0 for padding rows. */
  rowKl: Resource;
}

export interface VaeBackwardArgs extends VaeShape {
  mu: Resource;
  logvar: Resource;
  /** [rows, Z] ∂L/∂z from the decoder. */
  dz: Resource;
  dmu: Resource; // [rows, Z] out
  dlogvar: Resource; // [rows, Z] out
  /** KL weight β ≥ 0. */
  beta: number;
  /** Steps of linear warm-up of β (0: none). */
  warmupSteps: number;
}

function params(ctx: KernelContext, label: string, a: VaeShape, beta = 0, warmup = 0): GPUBuffer {
  requireCount(label, 'rows', a.rows);
  requireCount(label, 'latent', a.latent);
  requireStep(label, a.step);
  requireNonNegative(label, 'beta', beta);
  requireInteger(label, 'warmupSteps', warmup, 0);
  return ctx.arena.uniform(
    `${label}/params`,
    packUniform([
      ['u32', a.rows],
      ['u32', a.latent],
      ['f32', beta],
      ['u32', warmup],
    ]),
  );
}

function latentShape(a: VaeShape): string {
  return `[rows, latent] = [${a.rows}, ${a.latent}]`;
}

function spec(entryPoint: string, bindings: KernelSpec['bindings']): KernelSpec {
  return { name: entryPoint, code: CODE, entryPoint, bindings, constants: { WG } };
}

/** z = μ + exp(½ log σ²) ⊙ ε. Grid (⌈Z/64⌉, rows). */
export function vaeSampleDispatch(ctx: KernelContext, a: VaeSampleArgs): Dispatch {
  const label = a.label ?? 'vae_sample';
  const p = params(ctx, label, a);
  const n = a.rows * a.latent;
  const read = [['mu', a.mu], ['logvar', a.logvar]] as const;
  const written = [['z', a.z]] as const;
  for (const [name, r] of [...read, ...written]) requireFloats(ctx, label, name, r, n, latentShape(a));
  requireNoAliasing(label, written, read);
  return makeDispatch(ctx.cache, spec('vae_sample', ['uniform', 'uniform', 'read', 'read', 'rw']), [p, a.step, a.mu, a.logvar, a.z], [groups(a.latent, WG), a.rows], label);
}

/** KL_r = −½ Σ_j (1 + log σ² − μ² − σ²) per valid row. Grid ⌈rows/64⌉. */
export function vaeKlRowsDispatch(ctx: KernelContext, a: VaeKlRowsArgs): Dispatch {
  const label = a.label ?? 'vae_kl_rows';
  const p = params(ctx, label, a);
  requireFloats(ctx, label, 'mu', a.mu, a.rows * a.latent, latentShape(a));
  requireFloats(ctx, label, 'logvar', a.logvar, a.rows * a.latent, latentShape(a));
  requireFloats(ctx, label, 'rowKl', a.rowKl, a.rows);
  requireNoAliasing(
    label,
    [['rowKl', a.rowKl]],
    [
      ['mu', a.mu],
      ['logvar', a.logvar],
    ],
  );
  return makeDispatch(ctx.cache, spec('vae_kl_rows', ['uniform', 'uniform', 'read', 'read', 'rw']), [p, a.step, a.mu, a.logvar, a.rowKl], [groups(a.rows, WG)], label);
}

/** ∂L/∂μ and ∂L/∂log σ² from dz and the β-weighted KL. Grid (⌈Z/64⌉, rows). */
export function vaeBackwardDispatch(ctx: KernelContext, a: VaeBackwardArgs): Dispatch {
  const label = a.label ?? 'vae_backward';
  const p = params(ctx, label, a, a.beta, a.warmupSteps);
  const n = a.rows * a.latent;
  const read = [['mu', a.mu], ['logvar', a.logvar], ['dz', a.dz]] as const;
  const written = [['dmu', a.dmu], ['dlogvar', a.dlogvar]] as const;
  for (const [name, r] of [...read, ...written]) requireFloats(ctx, label, name, r, n, latentShape(a));
  requireNoAliasing(label, written, read);
  return makeDispatch(
    ctx.cache,
    spec('vae_backward', ['uniform', 'uniform', 'read', 'read', 'read', 'rw', 'rw']),
    [p, a.step, a.mu, a.logvar, a.dz, a.dmu, a.dlogvar],
    [groups(a.latent, WG), a.rows],
    label,
  );
}

/** β_t = β · min(1, step / warmupSteps) (β when warmupSteps = 0), the KL weight at optimizer step `step`, as shaders/vae.wgsl computes it. */
export function klWeight(v: { beta: number; warmupSteps: number }, step: number): number {
  if (v.warmupSteps === 0) return v.beta;
  return v.beta * Math.min(1, step / v.warmupSteps);
}
