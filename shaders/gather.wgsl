// Batch gather with fused input corruption (denoising autoencoders).
// Prepend: shaders/common/step.wgsl, shaders/common/rng.wgsl.
//
// One thread per (row r, feature i); grid (ceil(F / WG), B).
//   r <  valid_rows: sample = perm[batch_offset + r]
//                    clean[r, i] = (value(sample, i) − center[i]) · scale[i]   (centre, scale optional)
//   r >= valid_rows: clean[r, i] = noisy[r, i] = 0                (padding rows)
// value is byte/255 for u8 data (packed 4 bytes per u32 word, little-endian) and
// the stored f32 otherwise. When step.training == 1 the noisy copy is corrupted
// with the draw keyed by (seed, STREAM_INPUT_NOISE, step, r·F + i):
//   masking:          0 with probability q                  (u < q)
//   gaussian:         x + σ·N(0, 1)
//   salt-and-pepper:  with probability ν (u < ν) replaced by 0 or 1, chosen by
//                     the top bit of the counter's second word
// and noisy = clean when training == 0. Corruption acts on the (centred) clean value.
// A data set split across bindings (src/data/dataset.ts) holds rows_per_part
// samples in data, the next in data1, the rest in data2; unused parts are bound
// to data again.

override WG: u32 = 64u;
override IS_U8: bool = true;      // data format: packed bytes (true) or f32 (false)
override NOISE: u32 = 0u;         // 0 none (noisy not written), 1 masking, 2 gaussian, 3 salt-and-pepper
override HAS_CENTER: bool = false;
override HAS_SCALE: bool = false;  // standardisation: multiply by scale[i] = 1/σ_i after centring

struct Params {
  features: u32,
  batch: u32,
  noise_param: f32,   // q, σ or ν
  rows_per_part: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> data: array<u32>;     // u8 packed, or f32 bits
@group(0) @binding(3) var<storage, read> perm: array<u32>;
@group(0) @binding(4) var<storage, read> center: array<f32>;   // [F]; a placeholder unless HAS_CENTER
@group(0) @binding(5) var<storage, read_write> clean: array<f32>;  // [B, F]
@group(0) @binding(6) var<storage, read_write> noisy: array<f32>;  // [B, F]; a placeholder if NOISE == 0
@group(0) @binding(7) var<storage, read> scale: array<f32>;    // [F]; a placeholder unless HAS_SCALE
@group(0) @binding(8) var<storage, read> data1: array<u32>;    // the second part, or data again
@group(0) @binding(9) var<storage, read> data2: array<u32>;    // the third part, or data again

fn word(part: u32, w: u32) -> u32 {
  switch part {
    case 1u: { return data1[w]; }
    case 2u: { return data2[w]; }
    default: { return data[w]; }
  }
}

fn value(sample: u32, i: u32) -> f32 {
  let part = sample / params.rows_per_part;
  let k = (sample - part * params.rows_per_part) * params.features + i;
  if (IS_U8) {
    let byte = (word(part, k >> 2u) >> (8u * (k & 3u))) & 0xffu;
    return f32(byte) / 255.0;
  }
  return bitcast<f32>(word(part, k));
}

fn corrupt(x: f32, index: u32) -> f32 {
  let h = rng_u32(step.seed, STREAM_INPUT_NOISE, step.step, index);
  switch NOISE {
    case 1u: { return select(x, 0.0, rng_uniform_from(h) < params.noise_param); }
    case 2u: { return x + params.noise_param * rng_normal_from(h); }
    case 3u: {
      let coin = f32(rng_second(h) >> 31u);
      return select(x, coin, rng_uniform_from(h) < params.noise_param);
    }
    default: { return x; }
  }
}

@compute @workgroup_size(WG)
fn gather(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let r = gid.y;
  let F = params.features;
  if (i >= F || r >= params.batch) { return; }
  let out = r * F + i;
  var x = 0.0;
  var y = 0.0;
  if (r < step.valid_rows) {
    x = value(perm[step.batch_offset + r], i);
    if (HAS_CENTER) { x -= center[i]; }
    if (HAS_SCALE) { x *= scale[i]; }
    y = x;
    if (step.training == 1u) { y = corrupt(x, out); }
  }
  clean[out] = x;
  if (NOISE != 0u) { noisy[out] = y; }
}
