// The reconstruction loss of one element and its gradient with respect to the
// output pre-activation z, shared by the loss kernels (shaders/loss.wgsl) and the
// decoder matmul's loss epilogue (shaders/matmul.wgsl, matmul_tiled.wgsl), so both
// compute the same values. Prepend after common/activation.wgsl.
//   RECON_BCE (output activation sigmoid, x̂ = σ(z)): ℓ = softplus(z) − x·z, stably
//     max(z, 0) − x·z + log1p(e^−|z|);  ∂ℓ/∂z = σ(z) − x
//   RECON_MSE (output activation f, x̂ = f(z)):       ℓ = (x̂ − x)²;  ∂ℓ/∂z = 2(x̂ − x)·f'(z)  (f' from x̂)

const RECON_BCE: u32 = 0u;
const RECON_MSE: u32 = 1u;

// log(1 + t) for t in [0, 1]. WGSL has no log1p: for small t the series is exact
// to f32 precision (error t⁴/4 < 3e-13 relative); otherwise log(u)·t/(u − 1) with
// u = 1 + t cancels the rounding of u (Goldberg's trick).
fn log1p_unit(t: f32) -> f32 {
  if (t < 1e-3) {
    return t * (1.0 - t * (0.5 - t / 3.0));
  }
  let u = 1.0 + t;
  return log(u) * (t / (u - 1.0));
}

fn recon_element_loss(z: f32, x: f32, loss: u32, act: u32) -> f32 {
  if (loss == RECON_BCE) {
    return max(z, 0.0) - x * z + log1p_unit(exp(-abs(z)));
  }
  let d = activate(z, act) - x;
  return d * d;
}

// ∂ℓ/∂z of one element (before the 1/valid_rows of the batch mean).
fn recon_element_grad(z: f32, x: f32, loss: u32, act: u32) -> f32 {
  if (loss == RECON_BCE) {
    return sigmoid(z) - x;
  }
  let y = activate(z, act);
  return 2.0 * (y - x) * activation_grad_from_output(y, act);
}
