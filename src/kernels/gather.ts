// Builds the batch tensors on the GPU: rows of a GpuDataset picked through a
// permutation, optionally centred, optionally corrupted (shaders/gather.wgsl).
import gatherWgsl from '../../shaders/gather.wgsl?raw';
import rngWgsl from '../../shaders/common/rng.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import { STORAGE } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { packUniform } from '../gpu/uniforms';
import { MAX_DATASET_PARTS, type GpuDataset } from '../data/dataset';
import { requireCount, requireFloats, requireNoAliasing, requireNonNegative, requireOneOf, requireStep, requireU32s, requireValue } from './checks';

/** shaders/common/rng.wgsl, to prepend to kernels that draw random numbers. */
export const RNG_WGSL: string = rngWgsl;

/** Corruption of the input for a denoising autoencoder (training only). */
export type InputNoise =
  | { type: 'none' }
  | { type: 'masking'; rate: number }
  | { type: 'gaussian'; stddev: number }
  | { type: 'salt-and-pepper'; rate: number };

export const NOISE_CODE: Record<InputNoise['type'], number> = { none: 0, masking: 1, gaussian: 2, 'salt-and-pepper': 3 };

export interface GatherArgs {
  dataset: GpuDataset;
  /** u32 permutation of the dataset's samples; row r reads sample indices[batch_offset + r]. */
  indices: Resource;
  /** The Step uniform (batch_offset, valid_rows, seed, step, training). */
  step: GPUBuffer;
  batchSize: number;
  /** [batchSize, features] f32 output. */
  clean: Resource;
  /** [batchSize, features] f32 output; required exactly when noise is not 'none'. */
  noisy?: Resource;
  noise?: InputNoise;
  /** [features] f32 mean subtracted from every input. */
  center?: Resource;
  /** [features] f32 factor applied after centring (standardisation: 1/σ). */
  scale?: Resource;
  label?: string;
}

const WG = 64;
const CODE = stepWgsl + rngWgsl + gatherWgsl;

const NOISE_TYPES = Object.keys(NOISE_CODE) as InputNoise['type'][];

/** The noise's parameter (q, σ or ν), after checking it. */
export function noiseParam(noise: InputNoise, where = 'noise'): number {
  requireOneOf(where, 'noise type', noise.type, NOISE_TYPES);
  switch (noise.type) {
    case 'none':
      return 0;
    case 'masking':
    case 'salt-and-pepper':
      requireValue(where, `${noise.type} rate`, noise.rate, Number.isFinite(noise.rate) && noise.rate >= 0 && noise.rate <= 1, 'in [0, 1]');
      return noise.rate;
    case 'gaussian':
      requireNonNegative(where, 'gaussian stddev', noise.stddev);
      return noise.stddev;
  }
}

export function gatherDispatch(ctx: KernelContext, args: GatherArgs): Dispatch {
  const label = args.label ?? 'gather';
  const { dataset, batchSize } = args;
  const noise = args.noise ?? { type: 'none' };
  const param = noiseParam(noise, label);
  const F = dataset.features;
  requireCount(label, 'batchSize', batchSize);
  const batchShape = `[batchSize, features] = [${batchSize}, ${F}]`;
  requireFloats(ctx, label, 'clean', args.clean, batchSize * F, batchShape);
  if (noise.type === 'none') {
    if (args.noisy) throw new Error(`${label}: noisy was given but noise is 'none' (the model reads clean)`);
  } else {
    if (!args.noisy) throw new Error(`${label}: noise '${noise.type}' needs a noisy output buffer`);
    requireFloats(ctx, label, 'noisy', args.noisy, batchSize * F, batchShape);
  }
  if (args.center) requireFloats(ctx, label, 'center', args.center, F, `[features] = [${F}]`);
  if (args.scale) requireFloats(ctx, label, 'scale', args.scale, F, `[features] = [${F}]`);
  requireU32s(ctx, label, 'indices', args.indices, 1, 'the permutation');
  requireStep(label, args.step);
  const written: [string, Resource][] = [['clean', args.clean]];
  if (args.noisy) written.push(['noisy', args.noisy]);
  const parts = dataset.parts;
  if (parts.length < 1 || parts.length > MAX_DATASET_PARTS) throw new Error(`${label}: a dataset has 1 to ${MAX_DATASET_PARTS} parts (got ${parts.length})`);
  const read: [string, Resource][] = [...parts.map((p, k): [string, Resource] => [`dataset part ${k + 1}`, p]), ['indices', args.indices]];
  if (args.center) read.push(['center', args.center]);
  if (args.scale) read.push(['scale', args.scale]);
  requireNoAliasing(label, written, read);

  const spec: KernelSpec = {
    name: 'gather',
    code: CODE,
    entryPoint: 'gather',
    bindings: ['uniform', 'uniform', 'read', 'read', 'read', 'rw', 'rw', 'read', 'read', 'read'],
    constants: { WG, IS_U8: dataset.format === 'u8' ? 1 : 0, NOISE: NOISE_CODE[noise.type], HAS_CENTER: args.center ? 1 : 0, HAS_SCALE: args.scale ? 1 : 0 },
  };
  const params = ctx.arena.uniform(`${label}/params`, packUniform([['u32', F], ['u32', batchSize], ['f32', param], ['u32', dataset.rowsPerPart]]));
  // Unused bindings still need a buffer (one each: a buffer may not be bound twice when one binding is writable).
  const center = args.center ?? ctx.arena.create(`${label}/no-center`, 16, STORAGE);
  const noisy = args.noisy ?? ctx.arena.create(`${label}/no-noisy`, 16, STORAGE);
  // Two read-only bindings may share a buffer: without a scale, bind the centre (unused) again.
  const scale = args.scale ?? center;
  return makeDispatch(
    ctx.cache,
    spec,
    [params, args.step, parts[0], args.indices, center, args.clean, noisy, scale, parts[1] ?? parts[0], parts[2] ?? parts[0]],
    [Math.ceil(F / WG), batchSize],
    label,
  );
}
