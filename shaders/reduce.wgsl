// Reductions. Prepend common/step.wgsl, common/workgroup_sum.wgsl and common/guard.wgsl (for loss_log).
//
// column_sum (bias gradients):  out[j] = Σ_{r < rows} in[r, j]   (ACCUMULATE: out[j] += …)
//   A workgroup owns COL_TILE adjacent columns (coalesced reads along a row) and
//   ROW_LANES threads per column, each summing every ROW_LANES-th row; the lanes'
//   partial sums are then added in workgroup memory.
//
// loss_log (the per-step loss record):
//   log[step.loss_slot · LOSS_LOG_STRIDE + component] += scale · (PER_SAMPLE ? inv_rows : 1) · Σ_{i < count} values[i]
//   One workgroup: each thread sums a strided subset, then a tree reduction. The
//   trainer clears the slot at the start of each step, so kernels accumulate.
// loss_log_guarded: the same, and the value it leaves in the log goes through the
//   non-finite guard (common/guard.wgsl, binding 4) with code 0, the loss: a
//   training step's log then needs no separate check.

const COL_TILE: u32 = 64u;
const ROW_LANES: u32 = 4u;
const WG: u32 = 256u; // loss_log's @workgroup_size; also sizes workgroup_sum's scratch
const LOSS_LOG_STRIDE: u32 = 8u;

override ACCUMULATE: bool = false; // column_sum: add into out instead of overwriting
override PER_SAMPLE: bool = false; // loss_log: multiply by step.inv_rows (mean over the batch)

struct ColumnParams {
  rows: u32,
  cols: u32,
}

struct LogParams {
  count: u32,     // values to sum
  component: u32, // column of the log row (a term's slot: LOSS_COMPONENT in src/model/objective.ts)
  scale: f32,
}

// column_sum: bindings 0..2.
@group(0) @binding(0) var<uniform> col_params: ColumnParams;
@group(0) @binding(1) var<storage, read> col_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> col_out: array<f32>;

// loss_log: bindings 0..3 (a different entry point, so the numbers may repeat).
@group(0) @binding(0) var<uniform> log_params: LogParams;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> log_values: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss_log_buf: array<f32>;
@group(0) @binding(4) var<storage, read_write> guard: Guard; // loss_log_guarded only

var<workgroup> col_partial: array<array<f32, COL_TILE>, ROW_LANES>;

@compute @workgroup_size(COL_TILE, ROW_LANES)
fn column_sum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  let j = (wid.y * nwg.x + wid.x) * COL_TILE + lid.x;
  var acc = 0.0;
  if (j < col_params.cols) {
    for (var r = lid.y; r < col_params.rows; r = r + ROW_LANES) {
      acc = acc + col_in[r * col_params.cols + j];
    }
  }
  col_partial[lid.y][lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && j < col_params.cols) {
    let s = (col_partial[0][lid.x] + col_partial[1][lid.x]) + (col_partial[2][lid.x] + col_partial[3][lid.x]);
    if (ACCUMULATE) {
      col_out[j] = col_out[j] + s;
    } else {
      col_out[j] = s;
    }
  }
}

// Add this dispatch's term to the step's log row; the new value (in invocation 0; 0 elsewhere).
fn add_to_log(lid: u32) -> f32 {
  var acc = 0.0;
  for (var i = lid; i < log_params.count; i = i + WG) {
    acc = acc + log_values[i];
  }
  let sum = workgroup_sum(lid, acc);
  var logged = 0.0;
  if (lid == 0u) {
    var total = sum * log_params.scale;
    if (PER_SAMPLE) {
      total = total * step.inv_rows;
    }
    let k = step.loss_slot * LOSS_LOG_STRIDE + log_params.component;
    logged = loss_log_buf[k] + total;
    loss_log_buf[k] = logged;
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
