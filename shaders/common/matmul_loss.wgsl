// The matmuls' loss epilogue (the *_loss entry points of shaders/matmul.wgsl and
// shaders/matmul_tiled.wgsl): for the decoder's last layer in training, where the
// product is the logits z = y·Wᵀ + c, each stored element also gets its
// reconstruction loss and gradient, the work of shaders/loss.wgsl's loss_grad
// without a dispatch of its own:
//   C[m,n] = z,  elem_loss[m,n] = ℓ(z, x[m,n]),  dz[m,n] = ∂ℓ/∂z · inv_rows · grad_scale
// and 0, 0 on the padding rows m ≥ step.valid_rows. dz is what loss_grad computes,
// bit for bit; the reconstruction term's loss_log (shaders/reduce.wgsl) sums the
// per-element losses into the loss log. Prepend after common/activation.wgsl,
// common/recon_loss.wgsl and common/step.wgsl; the family declares sz and c.

override LOSS: u32 = 0u;    // RECON_BCE or RECON_MSE
override OUT_ACT: u32 = 0u; // the output activation f of x̂ = f(z) (ACT_SIGMOID for RECON_BCE)

struct LossEpilogue {
  grad_scale: f32, // the loss's weight in the objective (a classifier's reconstruction weight), on dz only
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
}

@group(0) @binding(5) var<storage, read> target_x: array<f32>;         // x [M, N]
@group(0) @binding(6) var<storage, read_write> dz: array<f32>;         // ∂L/∂z [M, N]
@group(0) @binding(7) var<uniform> step: Step;                         // also the weight-gradient epilogue's (grad_guard.wgsl)
@group(0) @binding(8) var<storage, read_write> elem_loss: array<f32>;  // ℓ [M, N]
@group(0) @binding(9) var<uniform> loss_params: LossEpilogue;

// Store z at (m, n), inside C, with its loss and gradient.
fn store_loss_element(m: u32, n: u32, z: f32) {
  let at = m * sz.N + n;
  c[at] = z;
  if (m < step.valid_rows) {
    let x = target_x[at];
    elem_loss[at] = recon_element_loss(z, x, LOSS, OUT_ACT);
    dz[at] = recon_element_grad(z, x, LOSS, OUT_ACT) * step.inv_rows * loss_params.grad_scale;
  } else {
    elem_loss[at] = 0.0;
    dz[at] = 0.0;
  }
}
