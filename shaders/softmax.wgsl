// Softmax cross-entropy of a batch of logits against integer class labels, with
// its gradient and the argmax prediction, fused (the linear probe's loss).
// Prepend common/step.wgsl.
//
// Per row r < step.valid_rows, with z = logits[r, ·] over C classes and y = label[r]:
//   m = max_j z_j,   S = Σ_j exp(z_j − m)                 (shifted: exp never overflows)
//   ℓ_r = log S − (z_y − m)                               (= −log softmax(z)_y)
//   ∂L/∂z_j = (exp(z_j − m)/S − [j = y]) · inv_rows        (L = inv_rows · Σ_r ℓ_r, the batch mean)
//   correct_r = 1 if argmax_j z_j = y (the first index on ties), else 0
// Padding rows r ≥ valid_rows get ℓ = 0, correct = 0 and ∂L/∂z = 0.
//
// Labels are stored as f32 holding integers 0..C−1 (they are gathered like a
// one-feature dataset); the host checks them before upload.
//
// One workgroup per row: threads stride over the classes, then tree reductions
// in workgroup memory give the max (with its index) and the sum.

const WG: u32 = 64u;
const NO_INDEX: u32 = 0xffffffffu;

struct Params {
  rows: u32,    // B: rows in the buffers (valid and padding)
  classes: u32, // C
}

// softmax_xent_forward uses bindings 0..5, softmax_xent_grad 0..6.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> logits: array<f32>;          // z [B, C]
@group(0) @binding(3) var<storage, read> labels: array<f32>;          // y [B]
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>;  // ℓ [B]
@group(0) @binding(5) var<storage, read_write> correct: array<f32>;   // [B], 1 or 0
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;      // ∂L/∂z [B, C]

var<workgroup> red_value: array<f32, WG>;
var<workgroup> red_index: array<u32, WG>;

struct RowStats {
  max_logit: f32,
  argmax: u32,
  sum_exp: f32, // S
}

// Whether (v, i) beats (best_v, best_i): larger, or equal with a smaller index.
fn beats(v: f32, i: u32, best_v: f32, best_i: u32) -> bool {
  if (i == NO_INDEX) { return false; }
  if (best_i == NO_INDEX) { return true; }
  return v > best_v || (v == best_v && i < best_i);
}

// m, argmax and S of row `base`; every thread of the workgroup gets them.
fn row_stats(lid: u32, base: u32) -> RowStats {
  var best_v = 0.0;
  var best_i = NO_INDEX;
  for (var j = lid; j < params.classes; j = j + WG) {
    let z = logits[base + j];
    if (beats(z, j, best_v, best_i)) {
      best_v = z;
      best_i = j;
    }
  }
  red_value[lid] = best_v;
  red_index[lid] = best_i;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s && beats(red_value[lid + s], red_index[lid + s], red_value[lid], red_index[lid])) {
      red_value[lid] = red_value[lid + s];
      red_index[lid] = red_index[lid + s];
    }
    workgroupBarrier();
  }
  let m = red_value[0];
  let argmax = red_index[0];
  workgroupBarrier(); // everyone has read m before red_value is reused

  var acc = 0.0;
  for (var j = lid; j < params.classes; j = j + WG) {
    acc = acc + exp(logits[base + j] - m);
  }
  red_value[lid] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      red_value[lid] = red_value[lid] + red_value[lid + s];
    }
    workgroupBarrier();
  }
  let total = red_value[0];
  workgroupBarrier();
  return RowStats(m, argmax, total);
}

// ℓ_r and correct_r of a row (thread 0 writes them).
fn write_row(lid: u32, r: u32, valid: bool, stats: RowStats, y: u32) {
  if (lid == 0u) {
    let z_y = logits[r * params.classes + min(y, params.classes - 1u)];
    let loss = log(stats.sum_exp) - (z_y - stats.max_logit);
    row_loss[r] = select(0.0, loss, valid);
    correct[r] = select(0.0, 1.0, valid && stats.argmax == y);
  }
}

@compute @workgroup_size(WG)
fn softmax_xent_grad(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= params.rows) { return; } // spare workgroup of a 2-D grid (uniform branch)
  let valid = r < step.valid_rows;
  let base = r * params.classes;
  let stats = row_stats(lid, base);
  let y = u32(labels[r]);
  let inv_s = 1.0 / stats.sum_exp;
  for (var j = lid; j < params.classes; j = j + WG) {
    let p = exp(logits[base + j] - stats.max_logit) * inv_s;
    let g = (p - select(0.0, 1.0, j == y)) * step.inv_rows;
    grad[base + j] = select(0.0, g, valid);
  }
  write_row(lid, r, valid, stats, y);
}

@compute @workgroup_size(WG)
fn softmax_xent_forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= params.rows) { return; }
  let valid = r < step.valid_rows;
  let stats = row_stats(lid, r * params.classes);
  write_row(lid, r, valid, stats, u32(labels[r]));
}
