// Reconstruction loss of a batch [rows, features] and its gradient with respect
// to the output pre-activation z, fused. Prepend common/activation.wgsl,
// common/recon_loss.wgsl (the element terms), common/step.wgsl and common/workgroup_sum.wgsl.
//
// Per sample (row) r < step.valid_rows, summed over the features i:
//   RECON_BCE (output activation sigmoid, x̂ = σ(z)):
//     ℓ = Σ_i softplus(z) − x·z, computed stably as max(z, 0) − x·z + log1p(e^−|z|)
//     ∂L/∂z = (σ(z) − x) · inv_rows
//   RECON_MSE (any output activation f, x̂ = f(z)):
//     ℓ = Σ_i (x̂ − x)²
//     ∂L/∂z = 2(x̂ − x) · f'(z) · inv_rows        (f' from x̂)
// where L = inv_rows · Σ_r ℓ_r is the batch mean; loss_grad multiplies ∂L/∂z by
// params.grad_scale (1, or a classifier's reconstruction weight w, so the decoder
// and the encoder receive ∂(w·L)/∂θ; ℓ itself is logged unweighted). Padding rows r ≥ valid_rows get
// ℓ = 0 and ∂L/∂z = 0, so nothing downstream needs to know about padding.
//
// One workgroup per row: its threads stride over the features, then a tree
// reduction in workgroup memory sums the row loss.

override LOSS: u32 = 0u; // RECON_BCE or RECON_MSE (common/recon_loss.wgsl)
override ACT: u32 = 0u;  // output activation f (ACT_SIGMOID for RECON_BCE)

const WG: u32 = 64u; // @workgroup_size; also sizes workgroup_sum's scratch

struct Params {
  rows: u32,     // B: rows in the buffers (valid and padding)
  features: u32, // F
  grad_scale: f32, // w: ∂L/∂z is scaled by it (loss_grad only)
}

// loss_forward uses bindings 0..4, loss_grad uses 0..5.
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> logits: array<f32>;        // z [B, F]
@group(0) @binding(3) var<storage, read> target_x: array<f32>;       // x [B, F]
@group(0) @binding(4) var<storage, read_write> row_loss: array<f32>; // ℓ [B]
@group(0) @binding(5) var<storage, read_write> grad: array<f32>;     // ∂L/∂z [B, F]

fn element_loss(z: f32, x: f32) -> f32 {
  return recon_element_loss(z, x, LOSS, ACT);
}

// ∂ℓ/∂z of one element (before the 1/valid_rows of the batch mean).
fn element_grad(z: f32, x: f32) -> f32 {
  return recon_element_grad(z, x, LOSS, ACT);
}

@compute @workgroup_size(WG)
fn loss_grad(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= params.rows) { return; } // spare workgroup of a 2-D grid (uniform branch)
  let valid = r < step.valid_rows;
  let base = r * params.features;
  var acc = 0.0;
  for (var j = lid; j < params.features; j = j + WG) {
    if (valid) {
      let z = logits[base + j];
      let x = target_x[base + j];
      acc = acc + element_loss(z, x);
      grad[base + j] = element_grad(z, x) * step.inv_rows * params.grad_scale;
    } else {
      grad[base + j] = 0.0;
    }
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    row_loss[r] = select(0.0, total, valid);
  }
}

@compute @workgroup_size(WG)
fn loss_forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let r = wid.y * nwg.x + wid.x;
  if (r >= params.rows) { return; }
  let valid = r < step.valid_rows;
  let base = r * params.features;
  var acc = 0.0;
  if (valid) {
    for (var j = lid; j < params.features; j = j + WG) {
      acc = acc + element_loss(logits[base + j], target_x[base + j]);
    }
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    row_loss[r] = select(0.0, total, valid);
  }
}
