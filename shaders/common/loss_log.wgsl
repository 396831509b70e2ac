// The loss log's record, shared by the kernels that add a term's value to it
// (shaders/reduce.wgsl's loss_log entry points, the matmuls' loss-log rider in
// common/log_rider.wgsl). A step's slot is LOSS_LOG_STRIDE floats from
// step.loss_slot · LOSS_LOG_STRIDE, a term's value at its component:
//   log[slot + component] += scale · (PER_SAMPLE ? step.inv_rows : 1) · sum
// The trainer clears the slot at the start of each step, so kernels accumulate.
// Prepend after common/step.wgsl; the including module declares
// `log_params: LogParams` (uniform), `loss_log_buf: array<f32>` (read_write
// storage) and `step: Step` (uniform).

const LOSS_LOG_STRIDE: u32 = 8u;

override PER_SAMPLE: bool = false; // multiply by step.inv_rows (a mean over the batch's valid rows)

struct LogParams {
  count: u32,     // values to sum
  component: u32, // column of the log row (a term's slot: LOSS_COMPONENT in src/model/objective.ts)
  scale: f32,
}

// Add `sum`, scaled, to this step's entry; the value left in the log.
fn log_add(sum: f32) -> f32 {
  var total = sum * log_params.scale;
  if (PER_SAMPLE) {
    total = total * step.inv_rows;
  }
  let k = step.loss_slot * LOSS_LOG_STRIDE + log_params.component;
  let logged = loss_log_buf[k] + total;
  loss_log_buf[k] = logged;
  return logged;
}
