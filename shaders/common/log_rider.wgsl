// The loss-log rider of the weight-gradient matmuls (their *_sums_logged entry
// points): one extra workgroup of the dispatch sums a term's values into the loss
// log and puts the logged value through the non-finite guard with code 0, the
// loss: the work of shaders/reduce.wgsl's loss_log_guarded without a dispatch of
// its own (the reconstruction term's, whose per-element losses the decoder's loss
// epilogue wrote in an earlier dispatch).
// The dispatch's grid has one row of workgroups more than C needs; in that last
// row, workgroup 0 rides and the others return at once. No other workgroup reads
// what the rider writes or writes what it reads, so they need no ordering; the
// guard's record is atomic (common/guard.wgsl), shared with the epilogue's checks.
// The sum: each of `lanes` invocations (the family's workgroup, a power of two
// ≤ RIDER_LANES) adds every lanes-th value, then a tree in workgroup memory —
// common/workgroup_sum.wgsl's tree, written here for a lane count the family
// sets (workgroup_sum's scratch is sized by a `WG` constant the matmul modules
// use for other things); with 256 lanes ('tiled') it adds in loss_log's order.
// Prepend after common/loss_log.wgsl, common/guard.wgsl and common/matmul_loss.wgsl
// (`step`, binding 7) and common/grad_guard.wgsl (`guard`, binding 5).

const RIDER_LANES: u32 = 256u;

@group(0) @binding(8) var<uniform> log_params: LogParams;
@group(0) @binding(9) var<storage, read> log_values: array<f32>;
@group(0) @binding(10) var<storage, read_write> loss_log_buf: array<f32>;

var<workgroup> rider_partial: array<f32, RIDER_LANES>;

// Whether workgroup `wg` is in the grid's extra row (a uniform value: branch on it before any barrier).
fn in_rider_row(wg: vec3<u32>, nwg: vec3<u32>) -> bool {
  return wg.y + 1u == nwg.y;
}

// The rider's work, called by every invocation of the extra row's workgroups from uniform control flow.
fn ride_loss_log(wg: vec3<u32>, lid: u32, lanes: u32) {
  if (wg.x != 0u) {
    return;
  }
  var acc = 0.0;
  for (var i = lid; i < log_params.count; i = i + lanes) {
    acc = acc + log_values[i];
  }
  rider_partial[lid] = acc;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      rider_partial[lid] += rider_partial[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let logged = log_add(rider_partial[0]);
    guard_record(non_finite_kind(bitcast<u32>(logged)), 0u);
  }
}
