// A denoising autoencoder on MNIST (ReLU encoder, sigmoid decoder, cross-entropy)
// trained on digits with 30 % of their pixels masked to 0, then its filters and
// its reconstructions of masked test digits drawn on canvases. Sizes come from the page's URL (defaults in brackets):
// ?trainLimit= [10000] digits, &epochs= [5], &hidden= [64] units.
import { createAutoencoder, filters, interleaveRows, loadMnist, tileGrid, type RgbaImage } from 'webgpu-autoencoders';

const size = new URLSearchParams(location.search);
const trainLimit = Number(size.get('trainLimit')) || 10_000;
const epochs = Number(size.get('epochs')) || 5;
const hiddenSize = Number(size.get('hidden')) || 64;
const shown = 12; // test digits in the picture
const status = document.getElementById('status')!;

async function main() {
  const mnist = await loadMnist({ trainLimit, testLimit: 500 });
  const model = await createAutoencoder({ inputSize: 784, hiddenSize, encoderActivation: 'relu', noise: { type: 'masking', rate: 0.3 } });
  const train = model.uploadDataset({ data: mnist.train.images, features: 784 });
  const test = model.uploadDataset({ data: mnist.test.images, features: 784 });
  const trainer = model.createTrainer({ batchSize: 50, optimizer: { type: 'adam', learningRate: 3e-3 } });
  const history = await trainer.fit(train, {
    epochs,
    evalData: test,
    onEpoch: (e) => (status.textContent = `epoch ${e.epoch}/${epochs}: held-out loss ${e.evalLoss?.toFixed(1)}`),
  });

  // Filters: W_l / ‖W_l‖ of each hidden unit, as 28×28 tiles.
  const weight = (await model.getParameters())['encoder.0.weight'];
  draw('filters', tileGrid(filters(weight, hiddenSize, 784), hiddenSize, 28, 28, { columns: 16, normalizeEach: true, scale: 2 }));

  // Reconstructions of masked test digits (the same masking as in training, done here on the CPU).
  const clean = Float32Array.from(mnist.test.images.subarray(0, shown * 784), (p) => p / 255);
  let s = 7;
  const masked = clean.map((x) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 < 0.3 ? 0 : x));
  const recon = await model.reconstructBatch(masked);
  draw('reconstructions', tileGrid(interleaveRows([masked, recon, clean], shown, 784, shown), 3 * shown, 28, 28, { columns: shown, scale: 3 }));

  const error = (a: Float32Array) => a.reduce((sum, v, i) => sum + (v - clean[i]) ** 2, 0) / shown;
  model.dispose();
  status.textContent = `trained ${epochs} epochs on ${mnist.train.count} digits: held-out loss ${history.at(-1)?.evalLoss?.toFixed(1)}`;
  return {
    trainCount: mnist.train.count,
    hiddenSize,
    evalLosses: history.map((e) => e.evalLoss ?? NaN),
    maskedError: error(masked), // squared error to the clean digit, per digit
    reconstructionError: error(recon),
  };
}

function draw(id: string, image: RgbaImage) {
  const canvas = document.getElementById(id) as HTMLCanvasElement;
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(new ImageData(image.data, image.width, image.height), 0, 0);
}

main().then(
  (result) => ((window as unknown as { denoising: unknown }).denoising = result),
  (error: unknown) => {
    status.textContent = `error: ${String(error)}`;
    console.error(error);
  },
);
