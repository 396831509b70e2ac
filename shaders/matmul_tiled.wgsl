// Matrix product with a fused epilogue, tiled through workgroup memory
// (prepend shaders/common/activation.wgsl, recon_loss.wgsl, step.wgsl, guard.wgsl,
// loss_log.wgsl, matmul_loss.wgsl, grad_guard.wgsl and log_rider.wgsl). Same maths, forms, bindings and
// epilogue as shaders/matmul.wgsl ('blocked'); a different structure, for GPUs
// whose global loads are expensive next to workgroup memory:
//
//   C[m,n] = g( Σ_k op(A)[m,k]·op(B)[k,n] + bias[n] (+ C[m,n] if ACCUMULATE) )
//
// FORM 0 'nn': A [M,K], B [K,N]      op(A)[m,k] = A[m,k]   op(B)[k,n] = B[k,n]
// FORM 1 'nt': A [M,K], B [N,K]      op(B)[k,n] = B[n,k]
// FORM 2 'tn': A [K,M], B [K,N]      op(A)[m,k] = A[k,m]
//
// A workgroup of 16×16 invocations owns a 64×64 tile of C. K is walked TK = 16
// at a time: the workgroup copies op(A)[tile rows, k0..k0+15] and
// op(B)[k0..k0+15, tile columns] into workgroup memory (4 values of each per
// invocation; consecutive invocations read consecutive addresses of whichever
// dimension is contiguous in memory for the form), waits at a barrier, and every
// invocation accumulates its 4×4 register block from the shared tiles; a second
// barrier before the next copy. Invocation (tx, ty) owns rows ty + 16i and
// columns tx + 16j (i, j < 4): strided, so neighbouring invocations read
// neighbouring words of the shared tiles and store neighbouring words of C.
//
// Bounds: elements outside op(A) or op(B) are copied as 0, so a partial K tile
// adds nothing and rows/columns past M/N compute values that are never stored.
// Every invocation reaches every barrier (no early return): the loop bound K is
// uniform.
//
// Entry points: matmul_tiled, matmul_tiled_bias (binds bias [N] at binding 4), and
// matmul_tiled_sums ('tn', ROW_SUMS on: binds row_sums [M] at binding 4 and also
// writes row_sums[m] = Σ_k op(A)[m,k], the bias gradient of dW = dPreᵀ·in; each
// invocation sums the op(A) values it reads from the shared tile, and those of
// the first tile column, lid.x = 0, store them; what it stored then goes through
// the non-finite guard of shaders/common/grad_guard.wgsl, bindings 5–7; matmul_tiled_sums_logged
// adds the loss-log rider of shaders/common/log_rider.wgsl, bindings 8–10), and matmul_tiled_gate (binds
// gate [M,N], the output y = g(a) of the layer whose input gradient this is, at
// binding 4 and stores C = acc · g'(y), GATE an ACT_* code: the activation's
// backward fused into dIn = dPre·W), and matmul_tiled_loss (bias at binding 4,
// and the loss epilogue of shaders/common/matmul_loss.wgsl: C = z = acc + bias
// with each element's reconstruction loss and gradient).

override FORM: u32 = 0u;
override ACTIVATION: u32 = 0u; // an ACT_* code
override ACCUMULATE: bool = false;
override ROW_SUMS: bool = false;
override GATE: u32 = 0u;

const WG: u32 = 16u; // invocations along each of M (y) and N (x)
const TILE: u32 = 64u; // rows and columns of C per workgroup: WG × 4
const TK: u32 = 16u; // k's per shared tile
const PER: u32 = 4u; // values of each shared tile copied per invocation: TILE·TK / WG²

struct MatmulSizes {
  M: u32,
  N: u32,
  K: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> sz: MatmulSizes;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_sums: array<f32>;
@group(0) @binding(4) var<storage, read> gate: array<f32>;

// k-major: sa[k·TILE + m] = op(A)[m0 + m, k0 + k], sb[k·TILE + n] = op(B)[k0 + k, n0 + n].
var<workgroup> sa: array<f32, TILE * TK>;
var<workgroup> sb: array<f32, TILE * TK>;

// op(A)[m, k] or 0 outside [M, K].
fn load_a(m: u32, k: u32) -> f32 {
  if (m >= sz.M || k >= sz.K) {
    return 0.0;
  }
  if (FORM == 2u) {
    return a[k * sz.M + m];
  }
  return a[m * sz.K + k];
}

// op(B)[k, n] or 0 outside [K, N].
fn load_b(k: u32, n: u32) -> f32 {
  if (k >= sz.K || n >= sz.N) {
    return 0.0;
  }
  if (FORM == 1u) {
    return b[n * sz.K + k];
  }
  return b[k * sz.N + n];
}

// Copy this invocation's share of the two tiles at k0. Element e = lid + WG²·p of
// a tile is split so its fast-moving index is the dimension contiguous in memory:
// A is contiguous in k for nn/nt and in m for tn; B in n for nn/tn and in k for nt.
fn copy_tiles(lid: u32, m0: u32, n0: u32, k0: u32) {
  for (var p = 0u; p < PER; p++) {
    let e = lid + WG * WG * p;
    var m: u32;
    var ka: u32;
    if (FORM == 2u) {
      m = e % TILE;
      ka = e / TILE;
    } else {
      m = e / TK;
      ka = e % TK;
    }
    sa[ka * TILE + m] = load_a(m0 + m, k0 + ka);
    var n: u32;
    var kb: u32;
    if (FORM == 1u) {
      n = e / TK;
      kb = e % TK;
    } else {
      n = e % TILE;
      kb = e / TILE;
    }
    sb[kb * TILE + n] = load_b(k0 + kb, n0 + n);
  }
}

// C[m, n + 16j] for j < 4 = g(acc[j] + bias4[j] (+ C)), skipping what lies outside C.
fn store_row(m: u32, n: u32, acc: vec4<f32>, bias4: vec4<f32>) {
  if (m >= sz.M) {
    return;
  }
  for (var j = 0u; j < 4u; j++) {
    let col = n + WG * j;
    if (col < sz.N) {
      var v = acc[j] + bias4[j];
      if (ACCUMULATE) {
        v += c[m * sz.N + col];
      }
      c[m * sz.N + col] = activate(v, ACTIVATION);
    }
  }
}

// The 4×4 register block of invocation lid in workgroup wg, acc[i][j] = Σ_k op(A)[m + 16i, k]·op(B)[k, n + 16j],
// and with ROW_SUMS sums[i] = Σ_k op(A)[m + 16i, k] (else 0).
struct Tile {
  acc: array<vec4<f32>, 4>,
  sums: vec4<f32>,
}

fn tiled(wg: vec3<u32>, lid: vec3<u32>) -> Tile {
  let m0 = wg.y * TILE;
  let n0 = wg.x * TILE;
  let flat = lid.y * WG + lid.x;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var sums = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < sz.K; k0 += TK) {
    copy_tiles(flat, m0, n0, k0);
    workgroupBarrier();
    for (var k = 0u; k < TK; k++) {
      let ra = k * TILE + lid.y;
      let rb = k * TILE + lid.x;
      let av = vec4<f32>(sa[ra], sa[ra + WG], sa[ra + 2u * WG], sa[ra + 3u * WG]);
      let bv = vec4<f32>(sb[rb], sb[rb + WG], sb[rb + 2u * WG], sb[rb + 3u * WG]);
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
      if (ROW_SUMS) {
        sums += av;
      }
    }
    workgroupBarrier();
  }
  return Tile(array<vec4<f32>, 4>(acc0, acc1, acc2, acc3), sums);
}

fn store_block(wg: vec3<u32>, lid: vec3<u32>, acc: array<vec4<f32>, 4>, bias4: vec4<f32>) {
  let m = wg.y * TILE + lid.y;
  let n = wg.x * TILE + lid.x;
  store_row(m, n, acc[0], bias4);
  store_row(m + WG, n, acc[1], bias4);
  store_row(m + 2u * WG, n, acc[2], bias4);
  store_row(m + 3u * WG, n, acc[3], bias4);
}

// bias[n + 16j] for j < 4 (clamped to N-1; columns past N are never stored).
fn load_bias(n: u32) -> vec4<f32> {
  let last = sz.N - 1u;
  return vec4<f32>(bias[min(n, last)], bias[min(n + WG, last)], bias[min(n + 2u * WG, last)], bias[min(n + 3u * WG, last)]);
}

@compute @workgroup_size(WG, WG)
fn matmul_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  store_block(wg, lid, tiled(wg, lid).acc, vec4<f32>(0.0));
}

@compute @workgroup_size(WG, WG)
fn matmul_tiled_bias(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  store_block(wg, lid, tiled(wg, lid).acc, load_bias(wg.x * TILE + lid.x));
}

// The weight-gradient epilogue: C, its row sums, and the guard over what this invocation stored.
fn tiled_grads(wg: vec3<u32>, lid: vec3<u32>) {
  let t = tiled(wg, lid);
  store_block(wg, lid, t.acc, vec4<f32>(0.0));
  let m = wg.y * TILE + lid.y;
  let n = wg.x * TILE + lid.x;
  let first_column = wg.x == 0u && lid.x == 0u;
  if (first_column) {
    for (var i = 0u; i < 4u; i++) {
      if (m + WG * i < sz.M) {
        row_sums[m + WG * i] = t.sums[i];
      }
    }
  }
  // The guard over what this invocation stored (shaders/common/grad_guard.wgsl).
  for (var i = 0u; i < 4u; i++) {
    let row = m + WG * i;
    if (row < sz.M) {
      for (var j = 0u; j < 4u; j++) {
        if (n + WG * j < sz.N) { check_c(row, n + WG * j); }
      }
      if (first_column) { check_row_sum(row); }
    }
  }
  guard_record_found();
}

@compute @workgroup_size(WG, WG)
fn matmul_tiled_sums(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  tiled_grads(wg, lid);
}

// matmul_tiled_sums with the loss-log rider (common/log_rider.wgsl) in the grid's extra row.
@compute @workgroup_size(WG, WG)
fn matmul_tiled_sums_logged(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_id) lid: vec3<u32>,
  @builtin(local_invocation_index) index: u32,
) {
  if (in_rider_row(wg, nwg)) {
    ride_loss_log(wg, index, WG * WG);
    return;
  }
  tiled_grads(wg, lid);
}

@compute @workgroup_size(WG, WG)
fn matmul_tiled_gate(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = tiled(wg, lid);
  let m = wg.y * TILE + lid.y;
  let n = wg.x * TILE + lid.x;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let row = m + WG * i;
      let col = n + WG * j;
      if (row < sz.M && col < sz.N) {
        let at = row * sz.N + col;
        c[at] = t.acc[i][j] * activation_grad_from_output(gate[at], GATE);
      }
    }
  }
}

@compute @workgroup_size(WG, WG)
fn matmul_tiled_loss(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = tiled(wg, lid);
  let m = wg.y * TILE + lid.y;
  let n = wg.x * TILE + lid.x;
  let bias4 = load_bias(n);
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      let row = m + WG * i;
      let col = n + WG * j;
      if (row < sz.M && col < sz.N) {
        store_loss_element(row, col, t.acc[i][j] + bias4[j]);
      }
    }
  }
}
