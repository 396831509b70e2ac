// The counter-based generator of shaders/common/rng.wgsl, in TypeScript.
// rngU32 and rngUniform match the GPU bit for bit (32-bit wrapping multiplies via
// Math.imul, unsigned results via >>> 0). rngNormal uses the same two words but
// computes log/sqrt/cos in float64, so it matches the GPU's f32 normals to about
// 1e-6 (the f32 rounding of those functions), not exactly.
//
// Production code uses it where the CPU must draw the same numbers as the GPU
// (weight init, shuffling, samples from a VAE's prior); the float64 references in
// src/reference/ use it to replay the GPU's noise.

export const STREAM_INPUT_NOISE = 1;
/** Plus the hidden layer index (0..MAX_DROPOUT_LAYER). */
export const STREAM_DROPOUT = 2;
export const STREAM_VAE_EPS = 16;
/** Samples from a VAE's prior, z ~ N(0, I) (drawn on the CPU, then decoded). */
export const STREAM_PRIOR = 17;
export const STREAM_SHUFFLE = 32;
/** Dropout streams STREAM_DROPOUT + layer must stay below STREAM_VAE_EPS. */
export const MAX_DROPOUT_LAYER = STREAM_VAE_EPS - STREAM_DROPOUT - 1;

/** lowbias32 (C. Wellons): a bijective 32-bit mixer. */
export function rngMix(x: number): number {
  x >>>= 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export function rngU32(seed: number, stream: number, step: number, index: number): number {
  let h = rngMix((seed ^ 0x9e3779b9) >>> 0);
  h = rngMix(h ^ stream);
  h = rngMix(h ^ step);
  return rngMix(h ^ index);
}

/** A second word from the same counter (Box–Muller's angle, salt-and-pepper's coin). */
export function rngSecond(h: number): number {
  return rngMix(h ^ 0x5bd1e995);
}

/** Uniform in [0, 1) from the top 24 bits: exactly the GPU's f32 value. */
export function rngUniformFrom(h: number): number {
  return (h >>> 8) / 16777216;
}

export function rngUniform(seed: number, stream: number, step: number, index: number): number {
  return rngUniformFrom(rngU32(seed, stream, step, index));
}

/** Box–Muller from the same words as the GPU: sqrt(−2 ln u1)·cos(2π u2), in float64. */
export function rngNormalFrom(h: number): number {
  const u1 = ((h >>> 9) + 0.5) / 8388608;
  const u2 = rngUniformFrom(rngSecond(h));
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export function rngNormal(seed: number, stream: number, step: number, index: number): number {
  return rngNormalFrom(rngU32(seed, stream, step, index));
}
