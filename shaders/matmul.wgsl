// Matrix product with a fused epilogue (prepend shaders/common/activation.wgsl,
// recon_loss.wgsl, step.wgsl, guard.wgsl, loss_log.wgsl, matmul_loss.wgsl,
// grad_guard.wgsl and log_rider.wgsl).
//
//   C[m,n] = g( Σ_k op(A)[m,k]·op(B)[k,n] + bias[n] (+ C[m,n] if ACCUMULATE) )
//
// FORM 0 'nn': A [M,K], B [K,N]      op(A)[m,k] = A[m,k]   op(B)[k,n] = B[k,n]
// FORM 1 'nt': A [M,K], B [N,K]      op(B)[k,n] = B[n,k]
// FORM 2 'tn': A [K,M], B [K,N]      op(A)[m,k] = A[k,m]
//
// Register blocking: every invocation computes a 4×4 block of C (rows m0..m0+3,
// columns n0..n0+3) in four vec4 accumulators, so each loaded value feeds four
// multiply-adds; K is walked four at a time. No workgroup memory: on SwiftShader
// (our benchmark target) a 32×32-tile shared-memory version of 'nn' ran at
// 1.4 GFLOP/s against 4.2 for this one — barriers cost more than the loads saved.
// (The workgroup-memory family for GPUs is shaders/matmul_tiled.wgsl, 'tiled';
// src/kernels/matmul-tuning.ts chooses between the two per shape.)
// Workgroups of 8×8, 16×8, 16×16 and 64×1 invocations measured the same.
//
// Tails: rows/columns past M/N are loaded from a clamped index (always in bounds,
// the value is never stored); the K loops run exactly K steps (groups of four,
// then the K % 4 leftovers). So the inner loops have no branches.
//
// Two paths, as separate entry points (they declare bindings 1, 2 with different
// types; WGSL allows that because no entry point uses both declarations):
//  - aligned: A, B as array<vec4<f32>>; needs the vectorised dimensions to be
//    multiples of 4: nn K and N, nt K, tn M and N.
//  - general: A, B as array<f32>, any sizes.
// The *_bias entry points also bind bias [N] at binding 4.
// The *_sums entry points ('tn' only, ROW_SUMS on) instead bind row_sums [M] at
// binding 4 and also write row_sums[m] = Σ_k op(A)[m,k] = Σ_k A[k,m]: for a weight
// gradient dW = dPreᵀ·in that is the bias gradient Σ_r dPre, summed from the A
// values the product loads anyway (one pass instead of a separate column sum).
// The invocations with n0 = 0 store it; written, never accumulated. The stored
// dW and db go through the non-finite guard (shaders/common/grad_guard.wgsl,
// bindings 5–7), so the gradients need no separate check. The *_sums_logged
// entry points add the loss-log rider (shaders/common/log_rider.wgsl, bindings
// 8–10): one extra row of workgroups, whose first sums a term's values into the
// loss log instead of a dispatch of its own.
// The *_gate entry points instead bind gate [M,N] at binding 4, the output
// y = g(a) of the layer whose input gradient this product is, and store
// C = acc · g'(y) with g' from y (GATE: an ACT_* code): the activation's backward
// fused into dIn = dPre·W, instead of a separate in-place pass over C.
// The *_loss entry points bind bias [N] at binding 4 and store C = z = acc + bias
// with the reconstruction loss and its gradient of each element
// (shaders/common/matmul_loss.wgsl, bindings 5–9): the decoder's last layer in training.

override FORM: u32 = 0u;
override ACTIVATION: u32 = 0u; // an ACT_* code
override ACCUMULATE: bool = false;
override ROW_SUMS: bool = false;
override GATE: u32 = 0u; // ACT_* code of g in the *_gate epilogue
override WG_X: u32 = 8u; // invocations along N
override WG_Y: u32 = 8u; // invocations along M

struct MatmulSizes {
  M: u32,
  N: u32,
  K: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> sz: MatmulSizes;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> a1: array<f32>;
@group(0) @binding(2) var<storage, read> b1: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> row_sums: array<f32>;
@group(0) @binding(4) var<storage, read> gate: array<f32>;

// A 4×4 block of C: r<i> holds C[m0+i, n0..n0+3]; with ROW_SUMS, sums[i] = Σ_k op(A)[m0+i, k] (else 0).
struct Block {
  r0: vec4<f32>,
  r1: vec4<f32>,
  r2: vec4<f32>,
  r3: vec4<f32>,
  sums: vec4<f32>,
}

// ---------------------------------------------------------------- aligned paths

// nn: per 4 k's, A rows give a_i = A[m0+i, k..k+3], B rows give b_kk = B[k+kk, n0..n0+3];
// acc_i += Σ_kk a_i[kk]·b_kk.
fn block_nn_aligned(m0: u32, n0: u32) -> Block {
  let K4 = sz.K / 4u;
  let N4 = sz.N / 4u;
  let ra0 = min(m0, sz.M - 1u) * K4;
  let ra1 = min(m0 + 1u, sz.M - 1u) * K4;
  let ra2 = min(m0 + 2u, sz.M - 1u) * K4;
  let ra3 = min(m0 + 3u, sz.M - 1u) * K4;
  var ib = min(n0 / 4u, N4 - 1u);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let b0 = b4[ib];
    let b1v = b4[ib + N4];
    let b2 = b4[ib + 2u * N4];
    let b3 = b4[ib + 3u * N4];
    ib += 4u * N4;
    let a0 = a4[ra0 + k4];
    let a1v = a4[ra1 + k4];
    let a2 = a4[ra2 + k4];
    let a3 = a4[ra3 + k4];
    acc0 += a0.x * b0 + a0.y * b1v + a0.z * b2 + a0.w * b3;
    acc1 += a1v.x * b0 + a1v.y * b1v + a1v.z * b2 + a1v.w * b3;
    acc2 += a2.x * b0 + a2.y * b1v + a2.z * b2 + a2.w * b3;
    acc3 += a3.x * b0 + a3.y * b1v + a3.z * b2 + a3.w * b3;
  }
  return Block(acc0, acc1, acc2, acc3, vec4<f32>(0.0));
}

// nt: a_i = A[m0+i, k..k+3], b_j = B[n0+j, k..k+3]; C[m0+i, n0+j] += a_i·b_j.
fn block_nt_aligned(m0: u32, n0: u32) -> Block {
  let K4 = sz.K / 4u;
  let ra0 = min(m0, sz.M - 1u) * K4;
  let ra1 = min(m0 + 1u, sz.M - 1u) * K4;
  let ra2 = min(m0 + 2u, sz.M - 1u) * K4;
  let ra3 = min(m0 + 3u, sz.M - 1u) * K4;
  let rb0 = min(n0, sz.N - 1u) * K4;
  let rb1 = min(n0 + 1u, sz.N - 1u) * K4;
  let rb2 = min(n0 + 2u, sz.N - 1u) * K4;
  let rb3 = min(n0 + 3u, sz.N - 1u) * K4;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k4 = 0u; k4 < K4; k4++) {
    let b0 = b4[rb0 + k4];
    let b1v = b4[rb1 + k4];
    let b2 = b4[rb2 + k4];
    let b3 = b4[rb3 + k4];
    let a0 = a4[ra0 + k4];
    let a1v = a4[ra1 + k4];
    let a2 = a4[ra2 + k4];
    let a3 = a4[ra3 + k4];
    acc0 += vec4<f32>(dot(a0, b0), dot(a0, b1v), dot(a0, b2), dot(a0, b3));
    acc1 += vec4<f32>(dot(a1v, b0), dot(a1v, b1v), dot(a1v, b2), dot(a1v, b3));
    acc2 += vec4<f32>(dot(a2, b0), dot(a2, b1v), dot(a2, b2), dot(a2, b3));
    acc3 += vec4<f32>(dot(a3, b0), dot(a3, b1v), dot(a3, b2), dot(a3, b3));
  }
  return Block(acc0, acc1, acc2, acc3, vec4<f32>(0.0));
}

// tn: per k, a = A[k, m0..m0+3], b = B[k, n0..n0+3]; acc_i += a[i]·b (outer product).
fn block_tn_aligned(m0: u32, n0: u32) -> Block {
  let M4 = sz.M / 4u;
  let N4 = sz.N / 4u;
  var ia = min(m0 / 4u, M4 - 1u);
  var ib = min(n0 / 4u, N4 - 1u);
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var sums = vec4<f32>(0.0); // Σ_k A[k, m0..m0+3]
  // Four k's per iteration (fewer loop overheads), then the K % 4 leftovers.
  let K4 = sz.K / 4u;
  for (var k4 = 0u; k4 < K4; k4++) {
    let a0 = a4[ia];
    let a1v = a4[ia + M4];
    let a2 = a4[ia + 2u * M4];
    let a3 = a4[ia + 3u * M4];
    let b0 = b4[ib];
    let b1v = b4[ib + N4];
    let b2 = b4[ib + 2u * N4];
    let b3 = b4[ib + 3u * N4];
    ia += 4u * M4;
    ib += 4u * N4;
    acc0 += a0.x * b0 + a1v.x * b1v + a2.x * b2 + a3.x * b3;
    acc1 += a0.y * b0 + a1v.y * b1v + a2.y * b2 + a3.y * b3;
    acc2 += a0.z * b0 + a1v.z * b1v + a2.z * b2 + a3.z * b3;
    acc3 += a0.w * b0 + a1v.w * b1v + a2.w * b2 + a3.w * b3;
    if (ROW_SUMS) {
      sums += (a0 + a1v) + (a2 + a3);
    }
  }
  for (var k = K4 * 4u; k < sz.K; k++) {
    let a = a4[ia];
    let b = b4[ib];
    ia += M4;
    ib += N4;
    acc0 += a.x * b;
    acc1 += a.y * b;
    acc2 += a.z * b;
    acc3 += a.w * b;
    if (ROW_SUMS) {
      sums += a;
    }
  }
  return Block(acc0, acc1, acc2, acc3, sums);
}

fn block_aligned(m0: u32, n0: u32) -> Block {
  if (FORM == 0u) {
    return block_nn_aligned(m0, n0);
  } else if (FORM == 1u) {
    return block_nt_aligned(m0, n0);
  }
  return block_tn_aligned(m0, n0);
}

// ---------------------------------------------------------------- general path

// Any sizes: per k, four scalars of op(A) (column k, rows m0..m0+3) and four of
// op(B) (row k, columns n0..n0+3); acc_i += a_i·b. Element (m,k) of op(A) is at
// m·K + k ('nn','nt') or k·M + m ('tn'); element (k,n) of op(B) at k·N + n
// ('nn','tn') or n·K + k ('nt'). The strides are folded per form.
fn block_general(m0: u32, n0: u32) -> Block {
  let M = sz.M;
  let N = sz.N;
  let K = sz.K;
  let a_row_stride = select(K, 1u, FORM == 2u); // step between rows m
  let a_k_stride = select(1u, M, FORM == 2u); // step between k
  let b_col_stride = select(1u, K, FORM == 1u); // step between columns n
  let b_k_stride = select(N, 1u, FORM == 1u); // step between k
  var ia0 = min(m0, M - 1u) * a_row_stride;
  var ia1 = min(m0 + 1u, M - 1u) * a_row_stride;
  var ia2 = min(m0 + 2u, M - 1u) * a_row_stride;
  var ia3 = min(m0 + 3u, M - 1u) * a_row_stride;
  var ib0 = min(n0, N - 1u) * b_col_stride;
  var ib1 = min(n0 + 1u, N - 1u) * b_col_stride;
  var ib2 = min(n0 + 2u, N - 1u) * b_col_stride;
  var ib3 = min(n0 + 3u, N - 1u) * b_col_stride;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var sums = vec4<f32>(0.0); // Σ_k op(A)[m0+i, k]
  // Four k's per iteration (fewer loop overheads), then the K % 4 leftovers.
  let K4 = K / 4u;
  for (var k4 = 0u; k4 < K4; k4++) {
    // a_i = op(A)[m0+i, k..k+3], b_kk = op(B)[k+kk, n0..n0+3].
    let a0 = vec4<f32>(a1[ia0], a1[ia0 + a_k_stride], a1[ia0 + 2u * a_k_stride], a1[ia0 + 3u * a_k_stride]);
    let a1v = vec4<f32>(a1[ia1], a1[ia1 + a_k_stride], a1[ia1 + 2u * a_k_stride], a1[ia1 + 3u * a_k_stride]);
    let a2 = vec4<f32>(a1[ia2], a1[ia2 + a_k_stride], a1[ia2 + 2u * a_k_stride], a1[ia2 + 3u * a_k_stride]);
    let a3 = vec4<f32>(a1[ia3], a1[ia3 + a_k_stride], a1[ia3 + 2u * a_k_stride], a1[ia3 + 3u * a_k_stride]);
    let b0 = vec4<f32>(b1[ib0], b1[ib1], b1[ib2], b1[ib3]);
    let b1v = vec4<f32>(b1[ib0 + b_k_stride], b1[ib1 + b_k_stride], b1[ib2 + b_k_stride], b1[ib3 + b_k_stride]);
    let s2 = 2u * b_k_stride;
    let b2 = vec4<f32>(b1[ib0 + s2], b1[ib1 + s2], b1[ib2 + s2], b1[ib3 + s2]);
    let s3 = 3u * b_k_stride;
    let b3 = vec4<f32>(b1[ib0 + s3], b1[ib1 + s3], b1[ib2 + s3], b1[ib3 + s3]);
    acc0 += a0.x * b0 + a0.y * b1v + a0.z * b2 + a0.w * b3;
    acc1 += a1v.x * b0 + a1v.y * b1v + a1v.z * b2 + a1v.w * b3;
    acc2 += a2.x * b0 + a2.y * b1v + a2.z * b2 + a2.w * b3;
    acc3 += a3.x * b0 + a3.y * b1v + a3.z * b2 + a3.w * b3;
    if (ROW_SUMS) {
      let one = vec4<f32>(1.0);
      sums += vec4<f32>(dot(a0, one), dot(a1v, one), dot(a2, one), dot(a3, one));
    }
    let da = 4u * a_k_stride;
    let db = 4u * b_k_stride;
    ia0 += da;
    ia1 += da;
    ia2 += da;
    ia3 += da;
    ib0 += db;
    ib1 += db;
    ib2 += db;
    ib3 += db;
  }
  for (var k = K4 * 4u; k < K; k++) {
    let b = vec4<f32>(b1[ib0], b1[ib1], b1[ib2], b1[ib3]);
    acc0 += a1[ia0] * b;
    acc1 += a1[ia1] * b;
    acc2 += a1[ia2] * b;
    acc3 += a1[ia3] * b;
    if (ROW_SUMS) {
      sums += vec4<f32>(a1[ia0], a1[ia1], a1[ia2], a1[ia3]);
    }
    ia0 += a_k_stride;
    ia1 += a_k_stride;
    ia2 += a_k_stride;
    ia3 += a_k_stride;
    ib0 += b_k_stride;
    ib1 += b_k_stride;
    ib2 += b_k_stride;
    ib3 += b_k_stride;
  }
  return Block(acc0, acc1, acc2, acc3, sums);
}

// ---------------------------------------------------------------- epilogue

// C[m0+i, n0..n0+3] = g(acc_i + bias (+ C)), skipping rows/columns outside C.
fn store_row(m: u32, n0: u32, acc: vec4<f32>, bias4: vec4<f32>) {
  if (m >= sz.M) {
    return;
  }
  let base = m * sz.N;
  for (var j = 0u; j < 4u; j++) {
    let n = n0 + j;
    if (n < sz.N) {
      var v = acc[j] + bias4[j];
      if (ACCUMULATE) {
        v += c[base + n];
      }
      c[base + n] = activate(v, ACTIVATION);
    }
  }
}

fn store_block(m0: u32, n0: u32, blk: Block, bias4: vec4<f32>) {
  store_row(m0, n0, blk.r0, bias4);
  store_row(m0 + 1u, n0, blk.r1, bias4);
  store_row(m0 + 2u, n0, blk.r2, bias4);
  store_row(m0 + 3u, n0, blk.r3, bias4);
}

// C[m0+i, n0..n0+3] = acc_i · g'(y) with y = gate at the same place, skipping what lies outside C.
fn store_block_gated(m0: u32, n0: u32, blk: Block) {
  let rows = array<vec4<f32>, 4>(blk.r0, blk.r1, blk.r2, blk.r3);
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (m < sz.M && n < sz.N) {
        let at = m * sz.N + n;
        c[at] = rows[i][j] * activation_grad_from_output(gate[at], GATE);
      }
    }
  }
}

// The loss epilogue of a 4×4 block: z = acc_i + bias, skipping what lies outside C.
fn store_block_loss(m0: u32, n0: u32, blk: Block, bias4: vec4<f32>) {
  let rows = array<vec4<f32>, 4>(blk.r0, blk.r1, blk.r2, blk.r3);
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (m < sz.M && n < sz.N) {
        store_loss_element(m, n, rows[i][j] + bias4[j]);
      }
    }
  }
}

// row_sums[m0+i] = sums[i] from the invocations of the first block column, skipping rows outside C.
fn store_sums(m0: u32, n0: u32, sums: vec4<f32>) {
  if (n0 != 0u) {
    return;
  }
  for (var i = 0u; i < 4u; i++) {
    if (m0 + i < sz.M) {
      row_sums[m0 + i] = sums[i];
    }
  }
}

// The guard over what store_block and store_sums wrote for the block at (m0, n0) (the *_sums epilogue).
fn check_block_grads(m0: u32, n0: u32) {
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + i;
    if (m < sz.M) {
      for (var j = 0u; j < 4u; j++) {
        if (n0 + j < sz.N) { check_c(m, n0 + j); }
      }
      if (n0 == 0u) { check_row_sum(m); }
    }
  }
  guard_record_found();
}

fn load_bias(n0: u32) -> vec4<f32> {
  let last = sz.N - 1u;
  return vec4<f32>(bias[min(n0, last)], bias[min(n0 + 1u, last)], bias[min(n0 + 2u, last)], bias[min(n0 + 3u, last)]);
}

// ---------------------------------------------------------------- entry points
// Invocation (x, y) computes the block at rows 4y.., columns 4x...

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_aligned(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block(m0, n0, block_aligned(m0, n0), vec4<f32>(0.0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_aligned_bias(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block(m0, n0, block_aligned(m0, n0), load_bias(n0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_general(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block(m0, n0, block_general(m0, n0), vec4<f32>(0.0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_general_bias(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block(m0, n0, block_general(m0, n0), load_bias(n0));
}

// The weight-gradient epilogue of the block at (m0, n0): C, its row sums, and the guard over both.
fn store_grads(m0: u32, n0: u32, blk: Block) {
  store_block(m0, n0, blk, vec4<f32>(0.0));
  store_sums(m0, n0, blk.sums);
  check_block_grads(m0, n0);
}

// The weight-gradient epilogue for invocation `id` of the *_sums entry points, on each path.
fn sums_aligned(id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_grads(m0, n0, block_aligned(m0, n0));
}

fn sums_general(id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_grads(m0, n0, block_general(m0, n0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_aligned_sums(@builtin(global_invocation_id) id: vec3<u32>) {
  sums_aligned(id);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_general_sums(@builtin(global_invocation_id) id: vec3<u32>) {
  sums_general(id);
}

// *_sums with the loss-log rider (common/log_rider.wgsl) in the grid's extra row.
@compute @workgroup_size(WG_X, WG_Y)
fn matmul_aligned_sums_logged(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (in_rider_row(wg, nwg)) {
    ride_loss_log(wg, lid, WG_X * WG_Y);
    return;
  }
  sums_aligned(id);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_general_sums_logged(
  @builtin(global_invocation_id) id: vec3<u32>,
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  if (in_rider_row(wg, nwg)) {
    ride_loss_log(wg, lid, WG_X * WG_Y);
    return;
  }
  sums_general(id);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_aligned_gate(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block_gated(m0, n0, block_aligned(m0, n0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_general_gate(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block_gated(m0, n0, block_general(m0, n0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_aligned_loss(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block_loss(m0, n0, block_aligned(m0, n0), load_bias(n0));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_general_loss(@builtin(global_invocation_id) id: vec3<u32>) {
  let m0 = id.y * 4u;
  let n0 = id.x * 4u;
  if (m0 >= sz.M || n0 >= sz.N) {
    return;
  }
  store_block_loss(m0, n0, block_general(m0, n0), load_bias(n0));
}
