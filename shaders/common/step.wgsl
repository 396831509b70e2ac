// Per-step values shared by every kernel of a training or evaluation step.
// Written once per step with queue.writeBuffer (see src/gpu/step.ts, which
// mirrors this layout); everything else a kernel needs is static.
// This file is prepended to the kernels that bind it (WGSL has no #include).
struct Step {
  step: u32,          // optimizer step, 1-based (Adam's t)
  seed: u32,          // run seed for the counter-based generator
  batch_offset: u32,  // index in the permutation of this batch's first row
  valid_rows: u32,    // rows of this batch that hold samples; the rest are padding
  lr: f32,            // learning rate for this step
  inv_rows: f32,      // 1 / valid_rows: losses are averaged over the batch
  adam_c1: f32,       // 1 / (1 - beta1^step), Adam's bias correction
  adam_c2: f32,       // 1 / (1 - beta2^step)
  loss_slot: u32,     // row of the loss log this step writes
  training: u32,      // 1: training (noise and dropout on); 0: evaluation
  _pad0: u32,
  _pad1: u32,
}
