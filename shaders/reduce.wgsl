// The loss log's sums (the column sums of bias gradients are shaders/column_sum.wgsl).
// Prepend common/step.wgsl, common/workgroup_sum.wgsl, common/guard.wgsl and
// common/loss_log.wgsl.
//
// loss_log (the per-step loss record):
//   log[step.loss_slot · LOSS_LOG_STRIDE + component] += scale · (PER_SAMPLE ? inv_rows : 1) · Σ_{i < count} values[i]
//   One workgroup: each thread sums a strided subset, then a tree reduction; the
//   record itself is common/loss_log.wgsl's log_add. (A log whose values are ready
//   before the backward pass can instead ride in a weight-gradient matmul:
//   common/log_rider.wgsl.)
// loss_log_guarded: the same, and the value it leaves in the log goes through the
//   non-finite guard (common/guard.wgsl, binding 4) with code 0, the loss: a
//   training step's log then needs no separate check.

const WG: u32 = 256u; // loss_log's @workgroup_size; also sizes workgroup_sum's scratch

// loss_log: bindings 0..3; loss_log_guarded also 4.
@group(0) @binding(0) var<uniform> log_params: LogParams;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> log_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss_log_buf: array<f32>;
@group(0) @binding(4) var<storage, read_write> guard: Guard; // loss_log_guarded only

// Add this dispatch's term to the step's log row; the new value (in invocation 0; 0 elsewhere).
fn add_to_log(lid: u32) -> f32 {
  var acc = 0.0;
  for (var i = lid; i < log_params.count; i = i + WG) {
    acc = acc + log_values[i];
  }
  let sum = workgroup_sum(lid, acc);
  var logged = 0.0;
  if (lid == 0u) {
    logged = log_add(sum);
  }
  return logged;
}

@compute @workgroup_size(WG)
fn loss_log(@builtin(local_invocation_index) lid: u32) {
  _ = add_to_log(lid);
}

@compute @workgroup_size(WG)
fn loss_log_guarded(@builtin(local_invocation_index) lid: u32) {
  let logged = add_to_log(lid);
  if (lid == 0u) {
    guard_record(non_finite_kind(bitcast<u32>(logged)), 0u);
  }
}
