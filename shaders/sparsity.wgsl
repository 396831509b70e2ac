// Activity-sparsity penalties on a hidden layer h = g(a), [B, H] row-major, and
// their gradients, ADDED in place into dH = ∂L/∂h (the caller then multiplies by
// g'(a)). Only the first V = step.valid_rows rows hold samples: padding rows are
// never read, their dH is left untouched and their per-row outputs are 0.
// Needs shaders/common/step.wgsl and workgroup_sum.wgsl prepended.
//
// L1:  P = λ/V · Σ_{r<V} Σ_j |h_rj|,   ∂P/∂h_rj = λ/V · sign(h_rj)   (sign(0) = 0).
//      l1_activity writes row_abs[r] = Σ_j |h_rj|; the loss is λ·inv_rows·Σ_r row_abs[r].
//
// KL:  ρ̂_j = 1/V · Σ_{r<V} h_rj (sigmoid units),  c_j = clamp(ρ̂_j, ε, 1−ε), ε = 1e-6,
//      P = β Σ_j KL(ρ‖c_j),  KL(ρ‖c) = ρ log(ρ/c) + (1−ρ) log((1−ρ)/(1−c)).
//      kl_column_stats writes the unclamped ρ̂_j and kl_unit[j] = KL(ρ‖c_j); the loss
//      is β·Σ_j kl_unit[j].
//      ∂P/∂h_rj = β/V · ((1−ρ)/(1−ρ̂_j) − ρ/ρ̂_j) where ρ̂_j ≥ ε and 1−ρ̂_j ≥ ε, and 0 where the
//      clamp is active: that is the exact derivative of the clamped penalty (flat
//      outside [ε, 1−ε]), so the gradient always belongs to the loss reported.

struct Params {
  rows: u32, // B: rows of the batch buffers
  cols: u32, // H: hidden units
  coef: f32, // λ (L1) or β (KL gradient); unused by kl_column_stats
  rho: f32,  // KL target activation ρ ∈ (0, 1); unused by L1
}

const WG: u32 = 64u; // @workgroup_size; also sizes workgroup_sum's scratch
const KL_EPS: f32 = 1e-6;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;

// l1_activity, kl_column_stats
@group(0) @binding(2) var<storage, read> h: array<f32>;
// l1_activity, kl_grad
@group(0) @binding(3) var<storage, read_write> dh: array<f32>;
// l1_activity
@group(0) @binding(4) var<storage, read_write> row_abs: array<f32>;
// kl_column_stats
@group(0) @binding(3) var<storage, read_write> rho_hat: array<f32>;
@group(0) @binding(4) var<storage, read_write> kl_unit: array<f32>;
// kl_grad
@group(0) @binding(2) var<storage, read> rho_hat_in: array<f32>;

fn valid_rows() -> u32 {
  return min(step.valid_rows, params.rows);
}

// One workgroup per row r (grid [B]).
@compute @workgroup_size(WG)
fn l1_activity(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  if (r >= valid_rows()) {
    if (lid == 0u) {
      row_abs[r] = 0.0;
    }
    return;
  }
  let H = params.cols;
  let grad = params.coef * step.inv_rows; // λ/V
  var acc = 0.0;
  for (var j = lid; j < H; j += WG) {
    let k = r * H + j;
    let v = h[k];
    dh[k] += grad * sign(v);
    acc += abs(v);
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    row_abs[r] = total;
  }
}

// One invocation per unit j (grid [⌈H/64⌉]): column mean over the valid rows.
@compute @workgroup_size(WG)
fn kl_column_stats(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let H = params.cols;
  if (j >= H) {
    return;
  }
  let V = valid_rows();
  var sum = 0.0;
  for (var r = 0u; r < V; r++) {
    sum += h[r * H + j];
  }
  let mean = sum * step.inv_rows;
  rho_hat[j] = mean;
  // 1 − c is clamped directly rather than computed from c: near the upper clamp,
  // 1 − f32(1 − ε) would be 1.013e-6, not ε, an error of 1.3% inside the log.
  let c = clamp(mean, KL_EPS, 1.0 - KL_EPS);
  let q = clamp(1.0 - mean, KL_EPS, 1.0 - KL_EPS);
  let rho = params.rho;
  kl_unit[j] = rho * log(rho / c) + (1.0 - rho) * log((1.0 - rho) / q);
}

// One invocation per element (grid [⌈H/64⌉, B]): x = unit j, y = row r.
@compute @workgroup_size(WG)
fn kl_grad(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let r = gid.y;
  if (j >= params.cols || r >= valid_rows()) {
    return;
  }
  let m = rho_hat_in[j];
  if (m < KL_EPS || 1.0 - m < KL_EPS) {
    return; // clamp active: the penalty does not depend on ρ̂_j here
  }
  let rho = params.rho;
  dh[r * params.cols + j] += params.coef * step.inv_rows * ((1.0 - rho) / (1.0 - m) - rho / m);
}
