// Contractive penalty of one encoder layer a = X·Wᵀ + b, h = g(a)
// (X [B, D], W [H, D] PyTorch layout, h [B, H], all row-major).
// Needs shaders/common/activation.wgsl, step.wgsl and workgroup_sum.wgsl prepended.
//
// J_r = ∂h_r/∂x_r = diag(g'(a_r))·W, so ‖J_r‖²_F = Σ_j g'(a_rj)² s_j, s_j = Σ_i W_ji².
// P = λ/V · Σ_{r<V} ‖J_r‖²_F. The exact gradient needs g'' (it does not go through dH):
//   ∂P/∂W_ji = λ/V Σ_{r<V} [2 g'_rj² W_ji + s_j · 2 g'_rj g''_rj x_ri]
//   ∂P/∂b_j  = λ/V Σ_{r<V} s_j · 2 g'_rj g''_rj
// factored as
//   u_rj       = λ/V · s_j · 2 g'_rj g''_rj   (0 for padding rows r ≥ V)
//   rowScale_j = λ/V · Σ_{r<V} 2 g'_rj²
// so that dW += uᵀ·X and db += Σ_r u_rj (caller: matmul and column sums), and
// dW_ji += rowScale_j · W_ji (add_scaled_rows, here).
//
// g', g'' from the output y = g(a): sigmoid y(1−y), y(1−y)(1−2y); tanh 1−y², −2y(1−y²);
// relu [y>0], 0; linear 1, 0. For relu and linear u = 0: the relu penalty is λ times
// the mean over samples of Σ_{j active} s_j (squared norms of the active rows of W),
// and its gradient is only the 2W term.
// row_jac[r] = ‖J_r‖²_F is also the model-analysis metric (‖J_r‖_F = its square root).

struct Params {
  rows: u32,   // B: rows of the batch buffers (contractive_terms)
  cols: u32,   // H: hidden units = rows of W
  inputs: u32, // D: inputs = columns of W (row_norms_sq, add_scaled_rows)
  lambda: f32, // λ (contractive_terms)
}

override ACT: u32; // activation code ACT_* (contractive_terms only)
const WG: u32 = 64u; // @workgroup_size; also sizes workgroup_sum's scratch

struct GuardCode {
  base_code: u32, // guard code of dW[0, 0]: 1 + its offset in the gradient buffer
}

@group(0) @binding(0) var<uniform> params: Params;

// row_norms_sq, add_scaled_rows
@group(0) @binding(1) var<storage, read> w: array<f32>;
// row_norms_sq
@group(0) @binding(2) var<storage, read_write> s_out: array<f32>;
// add_scaled_rows (the last kernel to write dW, so it checks what it stores: 4 guard, 5 code, 6 step)
@group(0) @binding(2) var<storage, read> row_scale_in: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;
@group(0) @binding(4) var<storage, read_write> guard: Guard;
@group(0) @binding(5) var<uniform> dw_code: GuardCode;
// contractive_terms
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read> s: array<f32>;
@group(0) @binding(3) var<storage, read_write> u: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_scale: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_jac: array<f32>;
// contractive_terms, add_scaled_rows
@group(0) @binding(6) var<uniform> step: Step;

// g''(a) from y = g(a) (activation.wgsl has g' only).
fn activation_second_from_output(y: f32, kind: u32) -> f32 {
  switch kind {
    case 1u: { return y * (1.0 - y) * (1.0 - 2.0 * y); }
    case 2u: { return -2.0 * y * (1.0 - y * y); }
    default: { return 0.0; }
  }
}

// s_j = Σ_i W_ji². One workgroup per row j of W (grid [H]).
@compute @workgroup_size(WG)
fn row_norms_sq(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let j = wid.x;
  let D = params.inputs;
  var acc = 0.0;
  for (var i = lid; i < D; i += WG) {
    let v = w[j * D + i];
    acc += v * v;
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    s_out[j] = total;
  }
}

// Grid [B + ⌈H/64⌉] workgroups with two roles:
//   workgroup r < B:  row r: u_r· and row_jac[r] (zeros for padding rows);
//   workgroup B + t:  units j = 64t .. 64t+63: rowScale_j, a column sum over valid rows.
@compute @workgroup_size(WG)
fn contractive_terms(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let B = params.rows;
  let H = params.cols;
  let V = min(step.valid_rows, B);
  let coef = params.lambda * step.inv_rows; // λ/V

  if (wid.x < B) {
    let r = wid.x;
    if (r >= V) {
      for (var j = lid; j < H; j += WG) {
        u[r * H + j] = 0.0;
      }
      if (lid == 0u) {
        row_jac[r] = 0.0;
      }
      return;
    }
    var acc = 0.0;
    for (var j = lid; j < H; j += WG) {
      let y = h[r * H + j];
      let g1 = activation_grad_from_output(y, ACT);
      let g2 = activation_second_from_output(y, ACT);
      u[r * H + j] = coef * s[j] * 2.0 * g1 * g2;
      acc += g1 * g1 * s[j];
    }
    let total = workgroup_sum(lid, acc);
    if (lid == 0u) {
      row_jac[r] = total;
    }
    return;
  }

  let j = (wid.x - B) * WG + lid;
  if (j >= H) {
    return;
  }
  var acc = 0.0;
  for (var r = 0u; r < V; r++) {
    let g1 = activation_grad_from_output(h[r * H + j], ACT);
    acc += g1 * g1;
  }
  row_scale[j] = coef * 2.0 * acc;
}

// dW_ji += rowScale_j · W_ji. One invocation per element (grid [⌈D/64⌉, H]). The
// stored value goes through the step's non-finite guard with code base_code + k,
// 1 + its flat index in the gradient buffer (common/guard.wgsl).
@compute @workgroup_size(WG)
fn add_scaled_rows(@builtin(global_invocation_id) gid: vec3u) {
  let i = gid.x;
  let j = gid.y;
  let D = params.inputs;
  if (i >= D) {
    return;
  }
  let k = j * D + i;
  let v = dw[k] + row_scale_in[j] * w[k];
  dw[k] = v;
  guard_note(bitcast<u32>(v), dw_code.base_code + k);
  guard_record_found();
}
