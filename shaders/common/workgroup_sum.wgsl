// Sum of one f32 per invocation over a 1-D workgroup, for kernels that reduce a
// row (or a whole tensor) in one workgroup. Prepended as a whole file by the spec
// (WGSL has no #include), like the other files of shaders/common/.
//
// The kernel file that uses it declares `const WG: u32`, its @workgroup_size, a
// power of two: module-scope declarations may come in any order in WGSL, so the
// scratch array below is sized by it. A module holds one workgroup array here, so
// every entry point of the module that calls workgroup_sum shares it.
var<workgroup> workgroup_sum_scratch: array<f32, WG>;

// Tree sum: for s = WG/2, WG/4, …, 1, lane i < s adds lane i + s. Every
// invocation gets the total. Call it from uniform control flow (it has barriers).
fn workgroup_sum(lid: u32, v: f32) -> f32 {
  workgroup_sum_scratch[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      workgroup_sum_scratch[lid] += workgroup_sum_scratch[lid + s];
    }
    workgroupBarrier();
  }
  return workgroup_sum_scratch[0];
}
