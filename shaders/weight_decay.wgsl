// Weight decay (L2 penalty) on one weight tensor. Prepend common/step.wgsl,
// common/workgroup_sum.wgsl and common/guard.wgsl.
//   penalty  P = λ·Σ w²,   ∂P/∂w = 2λ·w
//   grads[i] += 2λ·w[i]   (in place)
//   log[step.loss_slot · LOSS_LOG_STRIDE + COMPONENT] += λ·Σ w²
// One workgroup walks the whole tensor (each thread a strided subset) so the
// penalty is reduced in the same dispatch, without a second pass. What it
// stores goes through the step's non-finite guard: a gradient value records
// grad_code + i (1 + its flat index in the gradient buffer), the log's value code 0 (the loss).

const WG: u32 = 256u; // @workgroup_size; also sizes workgroup_sum's scratch
const LOSS_LOG_STRIDE: u32 = 8u;
override COMPONENT: u32 = 0u; // the term's component of a loss-log slot (src/model/objective.ts)

struct Params {
  count: u32,
  lambda: f32,
  two_lambda: f32, // 2λ, rounded once from float64
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<uniform> step: Step;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> grads: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss_log_buf: array<f32>;
@group(0) @binding(5) var<storage, read_write> guard: Guard;
@group(0) @binding(6) var<uniform> grad_code: vec4<u32>; // .x: the guard code of grads[0], 1 + its flat offset

@compute @workgroup_size(WG)
fn weight_decay(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < params.count; i = i + WG) {
    let w = weights[i];
    let g = grads[i] + params.two_lambda * w;
    grads[i] = g;
    acc = acc + w * w;
    guard_note(bitcast<u32>(g), grad_code.x + i);
  }
  let total = workgroup_sum(lid, acc);
  if (lid == 0u) {
    let k = step.loss_slot * LOSS_LOG_STRIDE + COMPONENT;
    let logged = loss_log_buf[k] + params.lambda * total;
    loss_log_buf[k] = logged;
    guard_note(bitcast<u32>(logged), 0u);
  }
  guard_record_found();
}
