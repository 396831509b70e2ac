// Column sums, for bias gradients: out[j] = Σ_{r < rows} in[r, j]   (ACCUMULATE: out[j] += …)
// Prepend common/step.wgsl and common/guard.wgsl.
//
// A workgroup owns COL_TILE adjacent columns (coalesced reads along a row) and
// ROW_LANES threads per column, each summing every ROW_LANES-th row; the lanes'
// partial sums are then added in workgroup memory.
// column_sum_guarded: the same, and each stored out[j] goes through the step's
// non-finite guard (common/guard.wgsl) with code base_code + j (out is a slice of
// the gradient buffer: base_code = 1 + its offset, so the code is 1 + the flat
// index), so a bias gradient written here needs no separate check.

const COL_TILE: u32 = 64u;
const ROW_LANES: u32 = 4u;

override ACCUMULATE: bool = false; // add into out instead of overwriting

struct ColumnParams {
  rows: u32,
  cols: u32,
}

struct ColumnCode {
  base_code: u32, // guard code of out[0]
}

// column_sum: bindings 0..2; column_sum_guarded also 3..5.
@group(0) @binding(0) var<uniform> col_params: ColumnParams;
@group(0) @binding(1) var<storage, read> col_in: array<f32>;
@group(0) @binding(2) var<storage, read_write> col_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> guard: Guard;
@group(0) @binding(4) var<uniform> step: Step;
@group(0) @binding(5) var<uniform> col_code: ColumnCode;

var<workgroup> col_partial: array<array<f32, COL_TILE>, ROW_LANES>;

// Sum column j (lanes lid.y = 0 store it) and return whether this invocation stored out[j].
fn sum_column(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> bool {
  let j = (wid.y * nwg.x + wid.x) * COL_TILE + lid.x;
  var acc = 0.0;
  if (j < col_params.cols) {
    for (var r = lid.y; r < col_params.rows; r = r + ROW_LANES) {
      acc = acc + col_in[r * col_params.cols + j];
    }
  }
  col_partial[lid.y][lid.x] = acc;
  workgroupBarrier();
  if (lid.y != 0u || j >= col_params.cols) {
    return false;
  }
  let s = (col_partial[0][lid.x] + col_partial[1][lid.x]) + (col_partial[2][lid.x] + col_partial[3][lid.x]);
  if (ACCUMULATE) {
    col_out[j] = col_out[j] + s;
  } else {
    col_out[j] = s;
  }
  return true;
}

@compute @workgroup_size(COL_TILE, ROW_LANES)
fn column_sum(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  _ = sum_column(wid, nwg, lid);
}

@compute @workgroup_size(COL_TILE, ROW_LANES)
fn column_sum_guarded(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
) {
  if (sum_column(wid, nwg, lid)) {
    let j = (wid.y * nwg.x + wid.x) * COL_TILE + lid.x;
    guard_note(bitcast<u32>(col_out[j]), col_code.base_code + j);
    guard_record_found();
  }
}
