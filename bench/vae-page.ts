// The PyTorch VAE example's recipe (github.com/pytorch/examples, vae/main.py) in
// this library: 784–400–20 with a ReLU hidden layer on each side, a Bernoulli
// decoder (cross-entropy from the logits, summed over pixels) plus the KL term,
// Adam 1e-3, batch 128, 10 epochs on the 60 000 training digits. After every
// epoch it reports the negative ELBO per test digit on the 10 000 test digits —
// the figure the example prints as "Test set loss". bench/vae.mjs drives it.
import { createAutoencoder, loadMnist, type EpochRecord } from '../src/index';

export interface VaeOptions {
  epochs: number;
  trainLimit?: number;
  seed: number;
}

declare global {
  interface Window {
    runVae: (o: VaeOptions) => Promise<{ history: EpochRecord[]; adapter: string }>;
    vaeProgress?: (line: string) => void;
  }
}

window.runVae = async (o) => {
  const log = (line: string) => {
    document.getElementById('log')!.textContent += line + '\n';
    window.vaeProgress?.(line);
  };
  const mnist = await loadMnist({ trainLimit: o.trainLimit });
  const model = await createAutoencoder({ inputSize: 784, hiddenSizes: [400, 20], encoderActivation: 'relu', variational: true, seed: o.seed });
  try {
    const train = model.uploadDataset({ data: mnist.train.images, features: 784 });
    const test = model.uploadDataset({ data: mnist.test.images, features: 784 });
    const trainer = model.createTrainer({ batchSize: 128, optimizer: { type: 'adam', learningRate: 1e-3 }, seed: o.seed, syncEvery: 50 });
    const history = await trainer.fit(train, {
      epochs: o.epochs,
      evalData: test,
      onEpoch: (r) =>
        log(
          `epoch ${r.epoch}: train ${r.trainLoss.toFixed(2)}, test -ELBO ${r.evalLoss!.toFixed(2)} ` +
            `(BCE ${r.evaluation!.reconstruction.toFixed(2)} + KL ${r.evaluation!.vaeKl!.toFixed(2)}), ${r.seconds.toFixed(0)} s, ${Math.round(r.samplesPerSecond)} samples/s`,
        ),
    });
    const info = (model.gpu.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return { history, adapter: `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`.trim() };
  } finally {
    model.dispose();
  }
};
