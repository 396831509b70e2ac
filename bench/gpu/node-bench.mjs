// Runs the benchmark that bench/gpu/pack.mjs built (.gpu-kit/bench/node-bench.js) in
// Node on Dawn: the bench page's interleaved rounds (ours vs TensorFlow.js, WebGPU
// both) and whole-epoch times of the autoencoder and the VAE on the training digits.
// bench/gpu/run.sh calls it on the GPU machine; here it runs on SwiftShader.
//
//   node bench/gpu/node-bench.mjs [--kit .gpu-kit] [--out FILE] [--images N] [--epochs E]
//                                 [--rounds R] [--only bench|epochs] [--sweep-epochs E]
//                                 [--steps S --warmup W --chunk C --reps N --step-reps N]
//
// --images: training digits for the epochs (default all 60 000; the bench page's
// rounds use min(N, 16 384), its default); --epochs: per model (default 4: the first
// compiles and tunes, the median of the others is reported); --sweep-epochs: epochs of
// each setting of the autoencoder's stepsPerSubmit / matmulKernel sweep (node-bench.ts
// SWEEP; default 3, 0 leaves it out).
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { installDawnWebGpu } from '../../cli/node/dawn-webgpu.mjs';

const { values: a } = parseArgs({
  options: {
    kit: { type: 'string', default: '.gpu-kit' },
    out: { type: 'string' },
    images: { type: 'string', default: '60000' },
    epochs: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    'sweep-epochs': { type: 'string', default: '3' },
    // The bench page's own options (bench/README.md); its defaults where not given.
    steps: { type: 'string' },
    warmup: { type: 'string' },
    chunk: { type: 'string' },
    reps: { type: 'string' },
    'step-reps': { type: 'string' },
  },
});
const kit = resolve(a.kit);
const count = Number(a.images);
const epochs = Number(a.epochs);
const rounds = Number(a.rounds);
if (!(Number.isInteger(count) && count >= 256 && count <= 60000)) throw new Error(`--images must be an integer in 256..60000, got ${a.images}`);
if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs must be a positive integer, got ${a.epochs}`);
const sweepEpochs = Number(a['sweep-epochs']);
if (!(Number.isInteger(sweepEpochs) && sweepEpochs >= 0)) throw new Error(`--sweep-epochs must be a non-negative integer, got ${a['sweep-epochs']}`);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be a positive integer, got ${a.rounds}`);
const pageOptions = {};
for (const [flag, key] of [['steps', 'steps'], ['warmup', 'warmup'], ['chunk', 'chunk'], ['reps', 'matmulReps'], ['step-reps', 'stepMatmulReps']]) {
  if (a[flag] === undefined) continue;
  const v = Number(a[flag]);
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${flag} must be a positive integer, got ${a[flag]}`);
  pageOptions[key] = v;
}
if (a.only !== undefined && a.only !== 'bench' && a.only !== 'epochs') throw new Error(`--only must be bench or epochs, got ${a.only}`);

// WebGPU from Dawn as the page has it (the kit's `webgpu` package); window is the global object.
installDawnWebGpu(await import(pathToFileURL(`${kit}/webgpu/index.js`).href), `Node ${process.version}, Dawn (webgpu package)`);
globalThis.window = globalThis;

const IMAGES = `${kit}/mnist/train-images-idx3-ubyte`;
const file = new Uint8Array(await readFile(IMAGES));
window.benchMnistFile = async () => file;
const bench = await import(pathToFileURL(`${kit}/bench/node-bench.js`).href);

const adapter = await navigator.gpu.requestAdapter();
if (!adapter) throw new Error('Dawn found no WebGPU adapter (is a Vulkan loader and driver installed? see bench/README.md)');
const info = adapter.info;
const features = [...adapter.features].sort();
console.log(`adapter: ${info.vendor} / ${info.architecture} / ${info.description || info.device}; features: ${features.join(', ')}`);

const result = { date: new Date().toISOString(), node: process.version, adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, features } };
if (a.only !== 'epochs') {
  result.bench = await bench.runBench({ ...pageOptions, rounds, images: Math.min(count, 16384) });
  const [ours, tfjs] = [result.bench.ours.train, result.bench.tfjs.train];
  if (ours && tfjs) console.log(`bench: ours ${ours.msPerStep.median.toFixed(3)} ms/step, TF.js ${tfjs.msPerStep.median.toFixed(3)} ms/step: ${(tfjs.msPerStep.median / ours.msPerStep.median).toFixed(2)}× (dispatches ${result.bench.ours.dispatchesPerStep} vs ${result.bench.tfjs.dispatchesPerStep})`);
  for (const side of ['ours', 'tfjs']) for (const e of result.bench[side].errors) console.log(`bench ${side}: ${e}`);
}
if (a.only !== 'bench') {
  const images = file.slice(16, 16 + count * 784);
  result.epochs = await bench.epochTimes(images, epochs, (line) => console.log(line));
  if (sweepEpochs > 0) {
    const sweep = await bench.sweepTimes(images, sweepEpochs, (line) => console.log(line));
    result.sweep = sweep.results;
    result.sweepSkipped = sweep.skipped;
    result.sweepErrors = sweep.errors;
    if (sweep.errors.length) process.exitCode = 1;
    for (const e of result.sweep) console.log(`sweep: ${e.name}: ${e.medianSeconds.toFixed(3)} s per ${e.samples} samples, ${e.gflops.toFixed(1)} GFLOP/s`);
  }
  for (const e of result.epochs) console.log(`epoch: ${e.name}: ${e.medianSeconds.toFixed(3)} s per ${e.samples} samples (${epochs > 1 ? `median of epochs 2..${epochs}` : 'one epoch, compilation included'}), ${e.gflops.toFixed(1)} GFLOP/s`);
}
const json = JSON.stringify(result, null, 1);
if (a.out) await writeFile(a.out, json);
else console.log(json);
// Dawn's threads keep the process alive otherwise.
process.exit(process.exitCode ?? 0);
