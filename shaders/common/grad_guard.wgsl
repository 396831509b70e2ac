// The non-finite guard in the epilogue that writes the weight gradients (the
// matmuls' *_sums entry points: dW = dPreᵀ·in and db = Σ_r dPre, bindings 5–7).
// Each invocation checks the values it stored and records the first bad one in
// the step's guard (common/guard.wgsl) with its code, 1 + its flat index in the
// gradient buffer, so the gradients need no separate pass over them.
// No barrier and no atomic unless a value is bad: the check is a few compares.
// Prepend after common/guard.wgsl and common/matmul_loss.wgsl (which declares
// `step`, binding 7, for both epilogues); the family declares sz, c and row_sums.

struct GradCodes {
  c: u32,    // guard code of C[0, 0]: 1 + its offset in the gradient buffer
  sums: u32, // guard code of row_sums[0]
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(5) var<storage, read_write> guard: Guard;
@group(0) @binding(6) var<uniform> grad_codes: GradCodes;

// C[m, n] as stored (after any accumulation).
fn check_c(m: u32, n: u32) {
  let at = m * sz.N + n;
  guard_note(bitcast<u32>(c[at]), grad_codes.c + at);
}

fn check_row_sum(m: u32) {
  guard_note(bitcast<u32>(row_sums[m]), grad_codes.sums + m);
}
