// WebGPU from Dawn as a page has it: navigator.gpu and the WebGPU globals
// (GPUBufferUsage, GPUComputePassEncoder, …) the library and TensorFlow.js use,
// from the `webgpu` package's exports. Used by the node runtime's job process
// (node-job.mjs) and by the GPU machine's benchmark (bench/gpu/node-bench.mjs),
// which loads the package from its kit rather than from node_modules.
//
// The GPU object of create() stays reachable for the whole life of the process:
// once it is garbage-collected, Dawn's instance goes while its devices still work
// and SwiftShader's threads crash (a segfault, or "The futex facility returned an
// unexpected error code"; scripts/node-runtime-stress.mjs, docs/node-runtime.md).
let dawnGpu;

/**
 * @param {{ create: (flags: string[]) => GPU, globals: object }} webgpu the `webgpu` package's module
 * @param {string} [userAgent] navigator.userAgent where Node has no navigator (Node 20)
 */
export function installDawnWebGpu(webgpu, userAgent) {
  Object.assign(globalThis, webgpu.globals);
  const gpu = (dawnGpu = webgpu.create([]));
  if (typeof globalThis.navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: { gpu, ...(userAgent ? { userAgent } : {}) }, configurable: true, writable: true });
  else Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  return dawnGpu;
}
