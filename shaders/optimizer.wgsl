// Optimizer updates of a flat parameter buffer, 4 floats per thread (vec4).
// Prepend common/step.wgsl. lr = step.lr; Adam's bias corrections
// c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t) come from step.adam_c1 / step.adam_c2.
//   sgd:      p −= lr·g
//   momentum: v = μ·v + g;  p −= lr·v             (PyTorch SGD with momentum, no dampening)
//             NESTEROV: p −= lr·(g + μ·v)
//   adam:     m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//             p −= lr · (m·c1) / (sqrt(v·c2) + ε)   (PyTorch Adam)
// The non-finite guard (shaders/common/guard.wgsl) is bound too: while its step word is
// set, no entry point changes anything, so p and the state keep their last
// finite values.
// 1−β is passed precomputed in float64 and rounded once: computing 1 − 0.999 in
// f32 would be off by 1.3e-5 relative (β2 itself rounds to 0.99900001).

const WG: u32 = 64u;

override NESTEROV: bool = false;

struct Params {
  count4: u32,          // number of vec4s
  momentum: f32,        // μ
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  epsilon: f32,
}

// sgd uses bindings 0..4, momentum 0..5, adam 0..6.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> guard: array<u32>; // [0]: step of the first non-finite value, 0 if none
@group(0) @binding(3) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read> g: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> state0: array<vec4<f32>>; // momentum v / Adam m
@group(0) @binding(6) var<storage, read_write> state1: array<vec4<f32>>; // Adam v

fn vec_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn sgd(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = vec_index(wid, nwg, lid);
  if (i >= params.count4 || guard[0] != 0u) { return; }
  p[i] = p[i] - step.lr * g[i];
}

@compute @workgroup_size(WG)
fn momentum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = vec_index(wid, nwg, lid);
  if (i >= params.count4 || guard[0] != 0u) { return; }
  let gi = g[i];
  let v = params.momentum * state0[i] + gi;
  state0[i] = v;
  if (NESTEROV) {
    p[i] = p[i] - step.lr * (gi + params.momentum * v);
  } else {
    p[i] = p[i] - step.lr * v;
  }
}

@compute @workgroup_size(WG)
fn adam(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = vec_index(wid, nwg, lid);
  if (i >= params.count4 || guard[0] != 0u) { return; }
  let gi = g[i];
  let m = params.beta1 * state0[i] + params.one_minus_beta1 * gi;
  let v = params.beta2 * state1[i] + params.one_minus_beta2 * gi * gi;
  state0[i] = m;
  state1[i] = v;
  p[i] = p[i] - step.lr * (m * step.adam_c1) / (sqrt(v * step.adam_c2) + params.epsilon);
}
