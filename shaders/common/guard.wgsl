// The non-finite guard's record, shared by the kernels that write it: each
// kernel that writes a gradient or a loss-log value last checks what it stores
// (the matmuls' weight-gradient epilogue in common/grad_guard.wgsl and their
// loss-log rider, the guarded column sums, add_scaled_rows, weight decay, the
// loss log's loss_log_guarded in reduce.wgsl).
// Prepend common/step.wgsl; the including module declares `guard: Guard`
// (read_write storage) and `step: Step` (uniform). The 16-byte guard:
//   step  = the step that first found a non-finite value (atomicMax: every finder writes the same value)
//   code  = min over the failing values of their code (0 the loss, 1 + flat index
//           in the gradient buffer: the minimum is the loss, else the first bad
//           gradient value in layout order)
//   kinds |= 1 NaN, 2 +Inf, 4 −Inf
// The optimizer skips its update while guard.step ≠ 0, so the parameters and the
// optimizer state keep their last finite values with no read-back per step.
// Once an earlier step is recorded, later finds leave the guard alone.
// A value is non-finite when its exponent bits are all ones: |bits| ≥ 0x7f800000
// (tested on the bit pattern, so no compiler can fold a NaN test away).

const KIND_NAN: u32 = 1u;
const KIND_POS_INF: u32 = 2u;
const KIND_NEG_INF: u32 = 4u;

struct Guard {
  step: atomic<u32>,  // 0 while everything was finite
  code: atomic<u32>,  // 0xffffffff while everything was finite
  kinds: atomic<u32>,
  _pad: u32,
}

fn non_finite_kind(bits: u32) -> u32 {
  let magnitude = bits & 0x7fffffffu;
  if (magnitude < 0x7f800000u) { return 0u; }
  if (magnitude > 0x7f800000u) { return KIND_NAN; }
  return select(KIND_POS_INF, KIND_NEG_INF, (bits >> 31u) == 1u);
}

// Whether an earlier step already stopped training (then nothing is recorded).
fn guard_stopped_earlier() -> bool {
  let recorded = atomicLoad(&guard.step);
  return recorded != 0u && recorded != step.step;
}

// Record `kinds` (0: nothing found) with `code` for this step, unless an earlier step stopped training.
fn guard_record(kinds: u32, code: u32) {
  if (kinds != 0u && !guard_stopped_earlier()) {
    atomicMax(&guard.step, step.step);
    atomicMin(&guard.code, code);
    atomicOr(&guard.kinds, kinds);
  }
}

// An invocation's finds, recorded once at the end (guard_record_found): the
// kinds, and the smallest code. For kernels that check each value they store.
var<private> found_kinds: u32 = 0u;
var<private> found_code: u32 = 0xffffffffu;

// Note value `bits` (an f32's bit pattern) stored at guard code `code`.
fn guard_note(bits: u32, code: u32) {
  let kind = non_finite_kind(bits);
  if (kind != 0u) {
    found_kinds = found_kinds | kind;
    found_code = min(found_code, code);
  }
}

fn guard_record_found() {
  guard_record(found_kinds, found_code);
}
