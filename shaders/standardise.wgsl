// A fixed standardisation of the columns of a row-major [rows, cols] matrix: a
// classifier's frozen codes before its head, as PyTorch's BatchNorm1d(affine=False)
// in eval mode (the statistics are fixed tensors, fitted to the training codes):
//   y[r, j] = (x[r, j] − mean[j]) · 1/√(var[j] + ε)
// One thread per element; the workgroups form a 2-D grid when there are more of
// them than fit in one row (maxComputeWorkgroupsPerDimension).

const WG: u32 = 256u;

struct Params {
  count: u32, // rows · cols
  cols: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> mean: array<f32>;
@group(0) @binding(3) var<storage, read> variance: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn standardise(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let i = (wid.y * nwg.x + wid.x) * WG + lid;
  if (i >= params.count) { return; }
  let j = i % params.cols;
  y[i] = (x[i] - mean[j]) / sqrt(variance[j] + params.eps);
}
