// Counter-based random numbers: every draw is a pure function of
// (seed, stream, step, index), so no generator state lives on the GPU, any
// thread can draw in any order, and a backward pass can recompute the forward
// pass's draws (dropout masks) instead of storing them.
// src/random/rng.ts mirrors this file bit for bit (u32 and uniform).
//
// The hash: Chris Wellons' "lowbias32" integer mixer (xorshift-multiply, found
// by hash-prospector; avalanche bias 0.17, lower than the MurmurHash3
// finaliser's). It is a bijection of u32, so chaining
//   h = mix(seed ^ GOLDEN); h = mix(h ^ stream); h = mix(h ^ step); h = mix(h ^ index)
// gives, for a fixed (seed, stream, step), distinct outputs for distinct indices
// (no collisions within a tensor), and every key word passes through at least
// one full mix. Why not Philox-2x32: it needs 32×32→64-bit products, which WGSL
// lacks (they would cost four 16-bit multiplies each); why not PCG's state
// update: it is a sequential generator, not a hash of a key. Only 32-bit
// wrapping multiplies, xors and shifts are used, so WGSL and JavaScript
// (Math.imul, >>> 0) agree exactly.
//
// Streams keep the uses of randomness apart (same seed, step and index, but
// different streams give unrelated numbers). src/random/rng.ts has the same
// constants.
const STREAM_INPUT_NOISE: u32 = 1u;  // corruption of the inputs (gather.wgsl)
const STREAM_DROPOUT: u32 = 2u;      // + hidden layer index 0..13 (dropout.wgsl)
const STREAM_VAE_EPS: u32 = 16u;     // ε of the VAE reparameterisation (vae.wgsl)
// 17: prior samples of a VAE (CPU only, Autoencoder.sample)
const STREAM_SHUFFLE: u32 = 32u;     // Fisher–Yates swaps (CPU only, src/data/shuffle.ts)

// lowbias32: x ^= x>>16; x *= 0x7feb352d; x ^= x>>15; x *= 0x846ca68b; x ^= x>>16.
fn rng_mix(x0: u32) -> u32 {
  var x = x0;
  x ^= x >> 16u;
  x *= 0x7feb352du;
  x ^= x >> 15u;
  x *= 0x846ca68bu;
  x ^= x >> 16u;
  return x;
}

fn rng_u32(seed: u32, stream: u32, step: u32, index: u32) -> u32 {
  var h = rng_mix(seed ^ 0x9e3779b9u); // the golden-ratio constant: mix(0) = 0 otherwise
  h = rng_mix(h ^ stream);
  h = rng_mix(h ^ step);
  return rng_mix(h ^ index);
}

// A second word from the same counter, for draws that need two numbers per
// element (Box–Muller's angle, salt-and-pepper's coin): one more mix of the first.
fn rng_second(h: u32) -> u32 {
  return rng_mix(h ^ 0x5bd1e995u);
}

// Uniform in [0, 1) with 24 random bits: (h >> 8) / 2^24 is exact in f32.
fn rng_uniform_from(h: u32) -> f32 {
  return f32(h >> 8u) * (1.0 / 16777216.0);
}

fn rng_uniform(seed: u32, stream: u32, step: u32, index: u32) -> f32 {
  return rng_uniform_from(rng_u32(seed, stream, step, index));
}

// Standard normal by Box–Muller: z = sqrt(−2 ln u1) · cos(2π u2), where
// u1 = ((h >> 9) + 0.5) / 2^23 lies in (0, 1) and is exact in f32 (23 bits plus
// the half need 24 significant bits), so ln never sees 0 and |z| ≤ sqrt(2 ln 2^24) ≈ 5.8;
// u2 is the 24-bit uniform of the counter's second word.
// ln and cos are computed here with polynomials using only + − × ÷, because
// WGSL's builtins may be coarse (the spec allows cos an absolute error of 2^-11;
// SwiftShader's is 2e-4): these are accurate to ~1e-7 on every GPU, so GPU
// normals match the float64 reference to ~1e-6.

// ln x for x in (0, 1]: x = m·2^e with m in [√½, √2), ln m = 2 atanh(s), s = (m − 1)/(m + 1),
// |s| ≤ 0.172; the series 2s(1 + s²/3 + s⁴/5 + s⁶/7 + s⁸/9) is exact to 3e-9 there.
fn rng_ln(x: f32) -> f32 {
  let f = frexp(x); // x = fract · 2^exp, fract in [0.5, 1)
  var m = f.fract;
  var e = f32(f.exp);
  if (m < 0.70710678) {
    m *= 2.0;
    e -= 1.0;
  }
  let s = (m - 1.0) / (m + 1.0); // m − 1 is exact (Sterbenz)
  let s2 = s * s;
  let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
  return e * 0.69314718 + 2.0 * s * series;
}

// cos(2π j / 2^24) for a 24-bit integer j, reduced exactly in integers: shifting by
// half a quadrant, k = quadrant and a = f·π/2 with f in [−½, ½), so |a| ≤ π/4, and
// cos(kπ/2 + a) is cos a, −sin a, −cos a or sin a. Taylor series to a⁹ / a¹⁰
// are exact to 2e-9 on |a| ≤ π/4.
fn rng_cos_turn(j: u32) -> f32 {
  let jj = (j + 0x200000u) & 0xffffffu;
  let k = jj >> 22u;
  let a = (f32(jj & 0x3fffffu) * (1.0 / 4194304.0) - 0.5) * 1.5707963;
  let a2 = a * a;
  let c = 1.0 - a2 * (1.0 / 2.0 - a2 * (1.0 / 24.0 - a2 * (1.0 / 720.0 - a2 * (1.0 / 40320.0 - a2 * (1.0 / 3628800.0)))));
  let s = a * (1.0 - a2 * (1.0 / 6.0 - a2 * (1.0 / 120.0 - a2 * (1.0 / 5040.0 - a2 * (1.0 / 362880.0)))));
  switch k {
    case 0u: { return c; }
    case 1u: { return -s; }
    case 2u: { return -c; }
    default: { return s; }
  }
}

fn rng_normal_from(h: u32) -> f32 {
  let u1 = (f32(h >> 9u) + 0.5) * (1.0 / 8388608.0);
  let r = sqrt(-2.0 * rng_ln(u1));
  return r * rng_cos_turn(rng_second(h) >> 8u);
}

fn rng_normal(seed: u32, stream: u32, step: u32, index: u32) -> f32 {
  return rng_normal_from(rng_u32(seed, stream, step, index));
}
