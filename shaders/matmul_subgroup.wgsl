// The 'subgroup' matmul family: the maths, forms, bindings and epilogues of
// shaders/matmul.wgsl ('blocked', whose store functions it uses: the module is
// `enable subgroups;` + the common files + matmul.wgsl + this file), with op(A)
// shared through subgroup shuffles instead of loaded by every invocation.
//
// A workgroup of SG_WG invocations owns a 4 × 4·SG_WG strip of C: every
// invocation the same 4 rows m0..m0+3 (so every subgroup, whatever its size and
// however the invocations are grouped, shares them) and its own 4 columns. K is
// walked one subgroup width at a time: lane l loads op(A)[m0+i, k0+l] for i < 4,
// then for each kk of the chunk every lane takes lane kk's four values with
// subgroupShuffle and multiplies them into its 4×4 block with op(B)[k0+kk, its
// columns]. So op(A) is read once per subgroup instead of once per invocation;
// op(B) is read as in the general path (any sizes, clamped indices).
// Every invocation reaches every shuffle (the loop bounds are uniform: K, the
// subgroup size); those past N compute values that are never stored.

const SG_WG: u32 = 64u;

fn op_a(m: u32, k: u32) -> f32 {
  let row = min(m, sz.M - 1u);
  return select(a1[row * sz.K + k], a1[k * sz.M + row], FORM == 2u);
}

fn op_b4(k: u32, n0: u32) -> vec4<f32> {
  let last = sz.N - 1u;
  let n = vec4<u32>(min(n0, last), min(n0 + 1u, last), min(n0 + 2u, last), min(n0 + 3u, last));
  if (FORM == 1u) {
    return vec4<f32>(b1[n.x * sz.K + k], b1[n.y * sz.K + k], b1[n.z * sz.K + k], b1[n.w * sz.K + k]);
  }
  return vec4<f32>(b1[k * sz.N + n.x], b1[k * sz.N + n.y], b1[k * sz.N + n.z], b1[k * sz.N + n.w]);
}

fn block_subgroup(m0: u32, n0: u32, lane: u32, width: u32) -> Block {
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  var sums = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < sz.K; k0 += width) {
    var mine = vec4<f32>(0.0);
    let k = k0 + lane;
    if (k < sz.K) {
      mine = vec4<f32>(op_a(m0, k), op_a(m0 + 1u, k), op_a(m0 + 2u, k), op_a(m0 + 3u, k));
    }
    let chunk = min(width, sz.K - k0);
    for (var kk = 0u; kk < chunk; kk++) {
      let av = vec4<f32>(subgroupShuffle(mine.x, kk), subgroupShuffle(mine.y, kk), subgroupShuffle(mine.z, kk), subgroupShuffle(mine.w, kk));
      let bv = op_b4(k0 + kk, n0);
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
      if (ROW_SUMS) {
        sums += av;
      }
    }
  }
  return Block(acc0, acc1, acc2, acc3, sums);
}

struct SubgroupPlace {
  m0: u32,
  n0: u32,
  inside: bool,
}

fn place(wg: vec3<u32>, lid: u32) -> SubgroupPlace {
  let m0 = wg.y * 4u;
  let n0 = (wg.x * SG_WG + lid) * 4u;
  return SubgroupPlace(m0, n0, m0 < sz.M && n0 < sz.N);
}

@compute @workgroup_size(SG_WG)
fn matmul_subgroup(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) width: u32) {
  let p = place(wg, lid);
  let blk = block_subgroup(p.m0, p.n0, lane, width);
  if (p.inside) { store_block(p.m0, p.n0, blk, vec4<f32>(0.0)); }
}

@compute @workgroup_size(SG_WG)
fn matmul_subgroup_bias(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) width: u32) {
  let p = place(wg, lid);
  let blk = block_subgroup(p.m0, p.n0, lane, width);
  if (p.inside) { store_block(p.m0, p.n0, blk, load_bias(p.n0)); }
}

@compute @workgroup_size(SG_WG)
fn matmul_subgroup_sums(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) width: u32) {
  let p = place(wg, lid);
  let blk = block_subgroup(p.m0, p.n0, lane, width);
  if (p.inside) { store_grads(p.m0, p.n0, blk); }
}

// matmul_subgroup_sums with the loss-log rider (common/log_rider.wgsl) in the grid's extra row.
@compute @workgroup_size(SG_WG)
fn matmul_subgroup_sums_logged(
  @builtin(workgroup_id) wg: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
  @builtin(subgroup_invocation_id) lane: u32,
  @builtin(subgroup_size) width: u32,
) {
  if (in_rider_row(wg, nwg)) {
    ride_loss_log(wg, lid, SG_WG);
    return;
  }
  let p = place(wg, lid);
  let blk = block_subgroup(p.m0, p.n0, lane, width);
  if (p.inside) { store_grads(p.m0, p.n0, blk); }
}

@compute @workgroup_size(SG_WG)
fn matmul_subgroup_gate(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) width: u32) {
  let p = place(wg, lid);
  let blk = block_subgroup(p.m0, p.n0, lane, width);
  if (p.inside) { store_block_gated(p.m0, p.n0, blk); }
}

@compute @workgroup_size(SG_WG)
fn matmul_subgroup_loss(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) width: u32) {
  let p = place(wg, lid);
  let blk = block_subgroup(p.m0, p.n0, lane, width);
  if (p.inside) { store_block_loss(p.m0, p.n0, blk, load_bias(p.n0)); }
}
