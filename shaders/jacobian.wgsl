// The exact Jacobian of a deep encoder, per sample, multiplied out from the code
// side. Prepend: shaders/common/activation.wgsl.
//
// For h_L = g_L(W_L g_{L−1}(⋯ g_1(W_1 x))), J = D_L W_L D_{L−1} ⋯ D_1 W_1 with
// D_l = diag(g_l'(a_l)). A batch of R samples keeps one [k, n] block per sample,
// stacked as A [R·k, n] (k = code width, n = the width reached so far):
//   jacobian_seed:        A_r = D_L W_L                 (A[(r·k+i), j] = g'(h_L[r,i]) W_L[i,j])
//   matmul 'nn':          A ← A · W_l                  (W shared by every sample: one matmul)
//   jacobian_scale_cols:  A_r ← A_r D_{l−1}            (column j scaled by g'(h[r,j]))
//   jacobian_row_norms:   out[r] = ‖A_r‖²_F = ‖J_r‖²_F once n = the input width
// Starting from the code side keeps the blocks k wide, the narrowest choice for an encoder.

override ACT: u32 = 0u;
override WG: u32 = 64u;

struct Params {
  rows: u32,  // R
  code: u32,  // k
  cols: u32,  // n
  _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;        // [R, k] or [R, n]: a layer's outputs
@group(0) @binding(2) var<storage, read> w: array<f32>;        // [k, n] (jacobian_seed only)
@group(0) @binding(3) var<storage, read_write> a: array<f32>;  // [R·k, n]

// Grid (ceil(n / WG), R·k), the R·k rows folded as y + z·Y when R·k exceeds one grid dimension.
@compute @workgroup_size(WG)
fn jacobian_seed(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x;
  let ri = gid.z * nwg.y + gid.y; // r·k + i (R·k may exceed a grid dimension: folded into y and z)
  if (j >= params.cols || ri >= params.rows * params.code) { return; }
  let i = ri % params.code;
  a[ri * params.cols + j] = activation_grad_from_output(h[ri], ACT) * w[i * params.cols + j];
}

// jacobian_scale_cols binds (params, h, blocks).
@group(0) @binding(2) var<storage, read_write> blocks: array<f32>; // [R·k, n]

// Grid (ceil(n / WG), R·k), the R·k rows folded as y + z·Y when R·k exceeds one grid dimension.
@compute @workgroup_size(WG)
fn jacobian_scale_cols(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = gid.x;
  let ri = gid.z * nwg.y + gid.y;
  if (j >= params.cols || ri >= params.rows * params.code) { return; }
  let r = ri / params.code;
  blocks[ri * params.cols + j] *= activation_grad_from_output(h[r * params.cols + j], ACT);
}

// jacobian_row_norms binds (params, finished blocks, norms).
@group(0) @binding(1) var<storage, read> done: array<f32>;          // [R·k, n]
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;   // [R]

// Grid ceil(R / WG): one invocation per sample sums its k·n block.
@compute @workgroup_size(WG)
fn jacobian_row_norms(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.rows) { return; }
  let size = params.code * params.cols;
  var s = 0.0;
  for (var q = 0u; q < size; q++) {
    let v = done[r * size + q];
    s += v * v;
  }
  norms[r] = s;
}
