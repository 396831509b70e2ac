// Input corruption of one element as shaders/gather.wgsl does it, from the same
// counter-based generator: the CPU mirror that the gather reference
// (src/reference/noise.ts) and the demo's corrupted-digit pictures use.
import type { InputNoise } from '../kernels/gather';
import { rngNormalFrom, rngSecond, rngU32, rngUniformFrom, STREAM_INPUT_NOISE } from './rng';

/** One element's corruption, keyed by (seed, STREAM_INPUT_NOISE, step, index); `param` is q or σ as the f32 the GPU reads. */
export function corrupt(x: number, type: InputNoise['type'], param: number, seed: number, step: number, index: number): number {
  const h = rngU32(seed, STREAM_INPUT_NOISE, step, index);
  switch (type) {
    case 'masking':
      return rngUniformFrom(h) < param ? 0 : x;
    case 'gaussian':
      return x + param * rngNormalFrom(h);
    case 'salt-and-pepper':
      return rngUniformFrom(h) < param ? rngSecond(h) >>> 31 : x;
    case 'none':
      return x;
  }
}
