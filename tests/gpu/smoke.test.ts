import { test, expect } from 'vitest';
test('adapter', async () => {
  const adapter = await navigator.gpu.requestAdapter();
  expect(adapter).not.toBeNull();
  const info = adapter!.info;
  console.log('adapter', info.vendor, info.architecture, info.description);
  const device = await adapter!.requestDevice();
  const code = `
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read_write> b: array<vec4<f32>>;
@compute @workgroup_size(1) fn one() { a[0] = 1.0; }
@group(0) @binding(0) var<storage, read_write> a4: array<vec4<f32>>;
@compute @workgroup_size(1) fn four() { a4[0] = vec4(2.0); b[0]=vec4(1.0); }
`;
  const m = device.createShaderModule({ code });
  const info2 = await m.getCompilationInfo();
  console.log(info2.messages.map((x) => x.message));
  expect(info2.messages.filter((x) => x.type === 'error')).toEqual([]);
});
