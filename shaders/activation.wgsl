// Elementwise activation kernels. Prepend common/activation.wgsl (activate,
// activation_grad_from_output, the ACT_* codes).
//   activation_forward:  dst[i] = g(src[i])                 (e.g. x̂ = f(z) at inference)
//   activation_backward: dst[i] *= g'(a_i), with src[i] = y_i = g(a_i)
//                        (in place on the gradient; g' is written in terms of y, so
//                        the backward pass only needs what the forward pass stored)
// One thread per element; the workgroups form a 2-D grid when there are more of
// them than fit in one row (maxComputeWorkgroupsPerDimension).

override ACT: u32 = 0u; // ACT_* code of g

const WG: u32 = 256u;

struct Params {
  count: u32, // number of elements
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// Index of this thread's element: workgroups are numbered row by row in the grid.
fn element_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * WG + lid;
}

@compute @workgroup_size(WG)
fn activation_forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = element_index(wid, nwg, lid);
  if (i >= params.count) { return; }
  dst[i] = activate(src[i], ACT);
}

@compute @workgroup_size(WG)
fn activation_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = element_index(wid, nwg, lid);
  if (i >= params.count) { return; }
  dst[i] = dst[i] * activation_grad_from_output(src[i], ACT);
}
