// Inverted dropout on hidden units. Prepend: shaders/common/step.wgsl, shaders/common/rng.wgsl.
//
// Training (step.training == 1), element (r, j) of an [R, H] tensor:
//   m   = [ uniform(seed, STREAM_DROPOUT + layer, step, r·H + j) ≥ p ]
//   out = h · m / (1 − p)          (forward)
//   dh  = dh · m / (1 − p)         (backward, in place, the same m recomputed
//                                   from the hash: no mask buffer)
// Evaluation (training == 0): out = h, dh unchanged. Expected value is kept:
// E[m / (1 − p)] = 1, so nothing changes between training and evaluation.
// Grid (ceil(H / WG), R).

override WG: u32 = 64u;

struct Params {
  rows: u32,
  units: u32,
  rate: f32,     // p
  scale: f32,    // 1 / (1 − p)
  layer: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;

// m / (1 − p) for element k, or 1 when not training.
fn keep_scale(k: u32) -> f32 {
  if (step.training != 1u) { return 1.0; }
  let u = rng_uniform(step.seed, STREAM_DROPOUT + params.layer, step.step, k);
  return select(0.0, params.scale, u >= params.rate);
}

@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(WG)
fn dropout_forward(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= params.units || gid.y >= params.rows) { return; }
  let k = gid.y * params.units + gid.x;
  output[k] = input[k] * keep_scale(k);
}

// The backward entry point binds the gradient alone, read-write, at binding 2.
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;

@compute @workgroup_size(WG)
fn dropout_backward(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x >= params.units || gid.y >= params.rows) { return; }
  let k = gid.y * params.units + gid.x;
  grad[k] *= keep_scale(k);
}
