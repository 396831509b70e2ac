// npm run bench: this library vs TensorFlow.js (WebGPU) in one headless Chromium.
// The benchmark lives in cli/node/bench.mjs (the package ships it: `npx
// webgpu-autoencoders bench`); from this checkout it serves bench/bench.html
// from source with Vite. Options: node bench/run.mjs --help.
import '../cli/node/bench.mjs';
