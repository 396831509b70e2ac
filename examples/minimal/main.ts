// The smallest app using webgpu-autoencoders as an installed package: its own
// GPUDevice, a tiny denoising autoencoder trained on synthetic data, codes read
// back as a Float32Array and left on the GPU as a buffer the app owns.
// tests/e2e/package.e2e.ts builds and packs the library, installs it next to
// this file in a temporary app, bundles it with Vite and runs it in Chromium.
import { createAutoencoder } from 'webgpu-autoencoders';

async function main() {
  // 1. The app's own device; the library uses it and never destroys it.
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) throw new Error('this browser has no WebGPU adapter');
  const device = await adapter.requestDevice({ label: 'my app' });

  // 2. 512 samples of 16 values in [0, 1], each a random mix of 3 fixed patterns.
  const features = 16;
  const count = 512;
  const data = syntheticMixtures(count, features, 3);

  // 3. A 16–3–16 autoencoder (sigmoid units, cross-entropy), denoising with masking noise.
  const model = await createAutoencoder(
    { inputSize: features, hiddenSize: 3, noise: { type: 'masking', rate: 0.1 } },
    { device },
  );
  const train = model.uploadDataset({ data, features }); // to the GPU once
  const trainer = model.createTrainer({ batchSize: 32, optimizer: { type: 'adam', learningRate: 0.03 } });
  const lossBefore = (await model.evaluate(train)).reconstruction;
  const history = await trainer.fit(train, { epochs: 8 });
  const lossAfter = (await model.evaluate(train)).reconstruction;

  // 4. The encoder alone on a batch: as a Float32Array, and as a GPUBuffer for the app's own kernels.
  const batch = data.subarray(0, 4 * features);
  const codes = await model.encodeBatch(batch); // [4, 3]
  const codesBuffer = await model.encodeToBuffer(batch); // the app's to destroy
  model.dispose(); // frees the model's buffers; not the device, not codesBuffer
  const codesFromBuffer = await readBack(device, codesBuffer);
  codesBuffer.destroy();
  device.destroy();

  return {
    lossBefore,
    lossAfter,
    lossFloor: meanEntropy(data, features), // the least cross-entropy any model can reach
    epochLosses: history.map((e) => e.trainLoss),
    codesShape: [4, 3],
    codes: Array.from(codes),
    codesFromBuffer: Array.from(codesFromBuffer),
  };
}

/** Rows of weights w (w_k ≥ 0, Σ w_k = 1) times fixed patterns in [0, 1]; a seeded LCG. */
function syntheticMixtures(count: number, features: number, patterns: number): Float32Array {
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const pattern = (k: number, i: number) => 0.5 + 0.5 * Math.sin((k + 1) * (i + 1) * 0.9);
  const out = new Float32Array(count * features);
  for (let n = 0; n < count; n++) {
    const w = Array.from({ length: patterns }, rand);
    const sum = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < features; i++) {
      let x = 0;
      for (let k = 0; k < patterns; k++) x += (w[k] / sum) * pattern(k, i);
      out[n * features + i] = x;
    }
  }
  return out;
}

/** Mean over samples of Σ_i H(x_i): the cross-entropy of a perfect reconstruction. */
function meanEntropy(data: Float32Array, features: number): number {
  let sum = 0;
  for (const x of data) if (x > 0 && x < 1) sum -= x * Math.log(x) + (1 - x) * Math.log(1 - x);
  return sum / (data.length / features);
}

/** Copy a GPU buffer of f32 into a mappable one and read it. */
async function readBack(device: GPUDevice, buffer: GPUBuffer): Promise<Float32Array> {
  const staging = device.createBuffer({ label: 'read back', size: buffer.size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const values = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return values;
}

const out = document.getElementById('out')!;
main().then(
  (result) => {
    out.textContent = JSON.stringify(result, null, 2);
    (window as unknown as { minimalResult: unknown }).minimalResult = result;
  },
  (error: unknown) => {
    out.textContent = `error: ${String(error)}`;
    (window as unknown as { minimalError: string }).minimalError = String((error as Error)?.stack ?? error);
  },
);
