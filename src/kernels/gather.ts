// Builds the batch tensors on the GPU: rows of a GpuDataset picked through a
// permutation, optionally centred, optionally corrupted (shaders/gather.wgsl).
import gatherWgsl from '../../shaders/gather.wgsl?raw';
import rngWgsl from '../../shaders/common/rng.wgsl?raw';
import stepWgsl from '../../shaders/common/step.wgsl?raw';
import { STORAGE } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import { makeDispatch, type Dispatch, type KernelSpec, type Resource } from '../gpu/kernel';
import { STEP_BYTES } from '../gpu/step';
import { packUniform } from '../gpu/uniforms';
import type { GpuDataset } from '../data/dataset';

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

// A GPUBuffer and a BufferSlice both carry their size in bytes.
const sizeOf = (r: Resource): number => r.size;

/** The noise's parameter (q, σ or ν), after checking it. */
export function noiseParam(noise: InputNoise, where = 'noise'): number {
  switch (noise.type) {
    case 'none':
      return 0;
    case 'masking':
    case 'salt-and-pepper':
      if (!(Number.isFinite(noise.rate) && noise.rate >= 0 && noise.rate <= 1)) {
        throw new Error(`${where}: ${noise.type} rate must be in [0, 1], got ${noise.rate}`);
      }
      return noise.rate;
    case 'gaussian':
      if (!(Number.isFinite(noise.stddev) && noise.stddev >= 0)) {
        throw new Error(`${where}: gaussian stddev must be a finite number ≥ 0, got ${noise.stddev}`);
      }
      return noise.stddev;
    default:
      throw new Error(`${where}: unknown noise type ${JSON.stringify((noise as { type: unknown }).type)}; allowed: ${Object.keys(NOISE_CODE).join(', ')}`);
  }
}

export function gatherDispatch(ctx: KernelContext, args: GatherArgs): Dispatch {
  const label = args.label ?? 'gather';
  const { dataset, batchSize } = args;
  const noise = args.noise ?? { type: 'none' };
  const param = noiseParam(noise, label);
  const F = dataset.features;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`${label}: batchSize must be a positive integer, got ${batchSize}`);
  }
  const outBytes = batchSize * F * 4;
  if (sizeOf(args.clean) < outBytes) {
    throw new Error(`${label}: clean holds ${sizeOf(args.clean)} bytes; batchSize×features = ${batchSize}×${F} f32 need ${outBytes}`);
  }
  if (noise.type === 'none') {
    if (args.noisy) throw new Error(`${label}: noisy was given but noise is 'none' (the model reads clean)`);
  } else {
    if (!args.noisy) throw new Error(`${label}: noise '${noise.type}' needs a noisy output buffer`);
    if (sizeOf(args.noisy) < outBytes) {
      throw new Error(`${label}: noisy holds ${sizeOf(args.noisy)} bytes; batchSize×features = ${batchSize}×${F} f32 need ${outBytes}`);
    }
  }
  if (args.center && sizeOf(args.center) < F * 4) {
    throw new Error(`${label}: center holds ${sizeOf(args.center)} bytes; ${F} features need ${F * 4}`);
  }
  if (args.scale && sizeOf(args.scale) < F * 4) {
    throw new Error(`${label}: scale holds ${sizeOf(args.scale)} bytes; ${F} features need ${F * 4}`);
  }
  if (sizeOf(args.indices) < 4) throw new Error(`${label}: indices is empty; it must hold the u32 permutation`);
  if (args.step.size < STEP_BYTES) throw new Error(`${label}: step buffer has ${args.step.size} bytes; struct Step needs ${STEP_BYTES}`);

  const spec: KernelSpec = {
    name: 'gather',
    code: CODE,
    entryPoint: 'gather',
    bindings: ['uniform', 'uniform', 'read', 'read', 'read', 'rw', 'rw', 'read'],
    constants: { WG, IS_U8: dataset.format === 'u8' ? 1 : 0, NOISE: NOISE_CODE[noise.type], HAS_CENTER: args.center ? 1 : 0, HAS_SCALE: args.scale ? 1 : 0 },
  };
  const params = ctx.arena.uniform(`${label}/params`, packUniform([['u32', F], ['u32', batchSize], ['f32', param], ['u32', 0]]));
  // Unused bindings still need a buffer (one each: a buffer may not be bound twice when one binding is writable).
  const center = args.center ?? ctx.arena.create(`${label}/no-center`, 16, STORAGE);
  const noisy = args.noisy ?? ctx.arena.create(`${label}/no-noisy`, 16, STORAGE);
  // Two read-only bindings may share a buffer: without a scale, bind the centre (unused) again.
  const scale = args.scale ?? center;
  return makeDispatch(
    ctx.cache,
    spec,
    [params, args.step, dataset.buffer, args.indices, center, args.clean, noisy, scale],
    [Math.ceil(F / WG), batchSize],
    label,
  );
}
