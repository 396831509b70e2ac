// The non-finite guard's checks. Prepend common/step.wgsl and common/guard.wgsl
// (the guard's record, and what its words mean).
//
// check_finite scans `count` f32 values (read as their bit patterns) starting at
// step.loss_slot · SLOT_STRIDE (0 for a gradient tensor; the loss log's stride
// for the step's loss row). Each non-finite one records its code: params.code,
// or params.code + i for value i when params.indexed (so one check over the flat
// gradient buffer also says where). Once an earlier step is recorded, later
// checks return at once.
//
// check_step is a training step's whole guard in one dispatch: the check above
// over the flat gradient buffer (offset 0), and, in the first workgroup, the
// step's loss row loss_log[step.loss_slot · slot_stride + i] for i < slot_stride
// with code 0 (so a bad loss still wins over any gradient).

const WG: u32 = 256u;
const PER_THREAD: u32 = 4u; // values per thread, strided by WG

struct FiniteParams {
  count: u32,       // values to check
  code: u32,        // what they are (src/kernels/finite.ts: 0 loss, 1 + tensor index)
  slot_stride: u32, // offset = step.loss_slot · slot_stride (0: offset 0)
  indexed: u32,     // 1: value i has code + i
}

@group(0) @binding(0) var<uniform> params: FiniteParams;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> values: array<u32>; // f32 bit patterns
@group(0) @binding(3) var<storage, read_write> guard: Guard;
@group(0) @binding(4) var<storage, read> loss_log: array<u32>; // check_step only: f32 bit patterns

// Note this invocation's share of values[base + i], i < params.count (value i has
// code params.code, + i when params.indexed).
fn scan(base: u32, wid: vec3<u32>, nwg: vec3<u32>, lid: u32) {
  let first = (wid.y * nwg.x + wid.x) * WG * PER_THREAD + lid;
  for (var k = 0u; k < PER_THREAD; k = k + 1u) {
    let i = first + k * WG;
    if (i < params.count) {
      guard_note(values[base + i], params.code + select(0u, i, params.indexed == 1u));
    }
  }
}

@compute @workgroup_size(WG)
fn check_finite(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (guard_stopped_earlier()) { return; }
  scan(step.loss_slot * params.slot_stride, wid, nwg, lid);
  guard_record_found();
}

@compute @workgroup_size(WG)
fn check_step(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (guard_stopped_earlier()) { return; }
  scan(0u, wid, nwg, lid);
  if (wid.x == 0u && wid.y == 0u && lid < params.slot_stride) {
    guard_note(loss_log[step.loss_slot * params.slot_stride + lid], 0u);
  }
  guard_record_found();
}
