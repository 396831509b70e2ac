// Elementwise activations, shared by the matmul epilogue and the activation
// kernels. `kind` is one of the ACT_* codes (src/kernels/activations.ts); callers
// pass an `override` constant, so the switch folds away.
const ACT_LINEAR: u32 = 0u;
const ACT_SIGMOID: u32 = 1u;
const ACT_TANH: u32 = 2u;
const ACT_RELU: u32 = 3u;

// Logistic function, written so exp never overflows: for x < 0 use e^x / (1 + e^x).
fn sigmoid(x: f32) -> f32 {
  let e = exp(-abs(x));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
}

fn activate(x: f32, kind: u32) -> f32 {
  switch kind {
    case 1u: { return sigmoid(x); }
    case 2u: { return tanh(x); }
    case 3u: { return max(x, 0.0); }
    default: { return x; }
  }
}

// g'(a) written in terms of the output y = g(a), so the backward pass needs only
// what the forward pass stored: sigmoid y(1−y), tanh 1−y², relu [y > 0], linear 1.
fn activation_grad_from_output(y: f32, kind: u32) -> f32 {
  switch kind {
    case 1u: { return y * (1.0 - y); }
    case 2u: { return 1.0 - y * y; }
    case 3u: { return select(0.0, 1.0, y > 0.0); }
    default: { return 1.0; }
  }
}
