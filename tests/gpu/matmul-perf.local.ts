// Throwaway timing of the matmul kernels on SwiftShader (not run in CI).
// Variants are interleaved round by round so machine-load noise hits all alike.
// Run with a config whose include is this file, e.g. a copy of vitest.config.ts's
// gpu project with include: ['tests/gpu/matmul-perf.local.ts'] and root set to the repo.
import { test } from 'vitest';
import { testGpu, randomArray } from './helpers';
import { MATMUL_CODE, type MatmulForm } from '../../src/kernels/matmul';
import { encodeDispatches, makeDispatch, packUniform, groups, type Dispatch } from '../../src/gpu';


// Experimental: nn aligned with workgroup-memory tiles (32×32 C tile, 16-deep K tile).
const SHARED_NN = `
struct MatmulSizes { M: u32, N: u32, K: u32, _pad: u32 }
@group(0) @binding(0) var<uniform> sz: MatmulSizes;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b4: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
var<workgroup> As: array<vec4<f32>, 128>;
var<workgroup> Bs: array<vec4<f32>, 128>;
@compute @workgroup_size(8, 8)
fn mm_shared(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let tid = lid.y * 8u + lid.x;
  let K4 = sz.K / 4u;
  let N4 = sz.N / 4u;
  var acc: array<vec4<f32>, 4>;
  for (var kt = 0u; kt < sz.K; kt += 16u) {
    for (var s = 0u; s < 2u; s++) {
      let idx = tid + 64u * s;
      let ar = idx / 4u; let ac = idx % 4u;
      let arow = min(wid.y * 32u + ar, sz.M - 1u);
      let ak = kt / 4u + ac;
      As[idx] = select(vec4<f32>(0.0), a4[arow * K4 + min(ak, K4 - 1u)], ak < K4);
      let br = idx / 8u; let bc = idx % 8u;
      let bk = kt + br;
      let bcol = min(wid.x * 8u + bc, N4 - 1u);
      Bs[idx] = select(vec4<f32>(0.0), b4[min(bk, sz.K - 1u) * N4 + bcol], bk < sz.K);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 4u; kk++) {
      let b0 = Bs[(4u * kk) * 8u + lid.x];
      let b1 = Bs[(4u * kk + 1u) * 8u + lid.x];
      let b2 = Bs[(4u * kk + 2u) * 8u + lid.x];
      let b3 = Bs[(4u * kk + 3u) * 8u + lid.x];
      for (var i = 0u; i < 4u; i++) {
        let a = As[(lid.y * 4u + i) * 4u + kk];
        acc[i] += a.x * b0 + a.y * b1 + a.z * b2 + a.w * b3;
      }
    }
    workgroupBarrier();
  }
  let m0 = wid.y * 32u + lid.y * 4u;
  let n0 = wid.x * 32u + lid.x * 4u;
  for (var i = 0u; i < 4u; i++) {
    for (var j = 0u; j < 4u; j++) {
      if (m0 + i < sz.M && n0 + j < sz.N) { c[(m0 + i) * sz.N + n0 + j] = acc[i][j]; }
    }
  }
}`;

const WGS: [number, number][] = [[8, 8]]; // also tried 16×8, 16×16, 64×1: same speed
const PATHS = ['aligned', 'general'];

test('matmul timing', async () => {
  const g = await testGpu();
  const shapes: [MatmulForm, number, number, number][] = [
    ['nt', 256, 256, 784],
    ['tn', 784, 256, 256],
    ['nn', 256, 784, 256],
  ];
  const runs: { name: string; flops: number; d: Dispatch; t: number[] }[] = [];
  for (const [form, M, N, K] of shapes) {
    const a = g.upload('a', randomArray(M * K, 1));
    const b = g.upload('b', randomArray(N * K, 2));
    const c = g.arena.storage('c', M * N * 4);
    const sizes = g.arena.uniform('sz', packUniform([['u32', M], ['u32', N], ['u32', K]]));
    for (const path of PATHS) for (const [wx, wy] of WGS) {
      const d = makeDispatch(g.cache, {
        name: 'mm', code: MATMUL_CODE, entryPoint: `matmul_${path}`, bindings: ['uniform', 'read', 'read', 'rw'],
        constants: { FORM: { nn: 0, nt: 1, tn: 2 }[form], ACTIVATION: 0, ACCUMULATE: 0, WG_X: wx, WG_Y: wy },
      }, [sizes, a, b, c], [groups(N, 4 * wx), groups(M, 4 * wy)]);
      runs.push({ name: `${form} ${path} ${wx}x${wy} ${M}x${N}x${K}`, flops: 2 * M * N * K, d, t: [] });
    }
  }
  {
    const [M, N, K] = [256, 784, 256];
    const a = g.upload('a', randomArray(M * K, 1));
    const b = g.upload('b', randomArray(N * K, 2));
    const c = g.arena.storage('c', M * N * 4);
    const sizes = g.arena.uniform('sz', packUniform([['u32', M], ['u32', N], ['u32', K]]));
    const d = makeDispatch(g.cache, { name: 'mms', code: SHARED_NN, entryPoint: 'mm_shared', bindings: ['uniform', 'read', 'read', 'rw'] },
      [sizes, a, b, c], [groups(N, 32), groups(M, 32)]);
    runs.push({ name: `nn shared 8x8 ${M}x${N}x${K}`, flops: 2 * M * N * K, d, t: [] });
  }
  for (let round = 0; round < 12; round++) {
    for (const r of runs) {
      const t0 = performance.now();
      const enc = g.device.createCommandEncoder();
      encodeDispatches(enc, [r.d]);
      g.device.queue.submit([enc.finish()]);
      await g.device.queue.onSubmittedWorkDone();
      if (round >= 2) r.t.push(performance.now() - t0);
    }
  }
  for (const r of runs) {
    const s = r.t.sort((x, y) => x - y);
    const med = s[Math.floor(s.length / 2)];
    console.log(`${r.name.padEnd(34)} median ${(r.flops / med / 1e6).toFixed(2)} GFLOP/s  best ${(r.flops / s[0] / 1e6).toFixed(2)}`);
  }
});
