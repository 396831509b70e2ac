// The main job's page: loads the bundled MNIST, trains an autoencoder in WebGPU,
// and hands back metrics and pictures (loss curve, reconstructions, filters) as
// PNG data URLs. Driven by scripts/train.mjs through Playwright.
import { createAutoencoder, loadMnist, type AutoencoderConfig, type OptimizerConfig } from '../../src/index';
import { filters, interleaveRows, tileGrid, type RgbaImage } from '../../src/analysis/images';

export interface JobConfig {
  model: AutoencoderConfig;
  optimizer: OptimizerConfig;
  batchSize: number;
  epochs: number;
  trainLimit?: number;
  seed?: number;
}

declare global {
  interface Window {
    runTrainingJob: (cfg: JobConfig) => Promise<unknown>;
    reportProgress?: (line: Record<string, unknown>) => void;
  }
}

function png(img: RgbaImage): string {
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(new ImageData(img.data, img.width, img.height), 0, 0);
  return canvas.toDataURL('image/png');
}

/** A plain line chart of loss per epoch (training and held-out). */
function lossCurve(series: Array<{ name: string; color: string; values: number[] }>, title: string): string {
  const W = 720;
  const H = 420;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const canvas = document.createElement('canvas');
  canvas.width = W;
  canvas.height = H;
  const g = canvas.getContext('2d')!;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, W, H);
  const all = series.flatMap((s) => s.values).filter(Number.isFinite);
  const n = Math.max(...series.map((s) => s.values.length));
  let lo = Math.min(...all);
  let hi = Math.max(...all);
  if (!(hi > lo)) hi = lo + 1;
  const pad = (hi - lo) * 0.08;
  lo -= pad;
  hi += pad;
  const x = (i: number) => m.l + (n <= 1 ? 0.5 : i / (n - 1)) * (W - m.l - m.r);
  const y = (v: number) => H - m.b - ((v - lo) / (hi - lo)) * (H - m.t - m.b);
  g.strokeStyle = '#ccc';
  g.fillStyle = '#333';
  g.font = '13px sans-serif';
  g.textAlign = 'right';
  for (let k = 0; k <= 5; k++) {
    const v = lo + ((hi - lo) * k) / 5;
    g.beginPath();
    g.moveTo(m.l, y(v));
    g.lineTo(W - m.r, y(v));
    g.stroke();
    g.fillText(v.toFixed(2), m.l - 8, y(v) + 4);
  }
  g.textAlign = 'center';
  for (let i = 0; i < n; i++) g.fillText(String(i + 1), x(i), H - m.b + 20);
  g.fillText('epoch', (m.l + W - m.r) / 2, H - 12);
  g.font = 'bold 15px sans-serif';
  g.fillText(title, W / 2, 24);
  series.forEach((s, si) => {
    g.strokeStyle = s.color;
    g.fillStyle = s.color;
    g.lineWidth = 2.5;
    g.beginPath();
    s.values.forEach((v, i) => (i === 0 ? g.moveTo(x(i), y(v)) : g.lineTo(x(i), y(v))));
    g.stroke();
    s.values.forEach((v, i) => {
      g.beginPath();
      g.arc(x(i), y(v), 4, 0, 2 * Math.PI);
      g.fill();
    });
    g.font = '13px sans-serif';
    g.textAlign = 'left';
    g.fillRect(W - m.r - 170, m.t + 8 + si * 20, 14, 4);
    g.fillText(s.name, W - m.r - 150, m.t + 14 + si * 20);
  });
  return canvas.toDataURL('image/png');
}

window.runTrainingJob = async (cfg: JobConfig) => {
  const say = (line: Record<string, unknown>) => window.reportProgress?.(line);
  say({ kind: 'status', message: 'loading MNIST' });
  const mnist = await loadMnist({ trainLimit: cfg.trainLimit });
  const model = await createAutoencoder(cfg.model);
  try {
    const info = (model.gpu.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    say({ kind: 'status', message: `adapter: ${info ? `${info.vendor} ${info.architecture} ${info.description}`.trim() : 'unknown'}` });
    const train = model.uploadDataset({ data: mnist.train.images, features: 784, labels: mnist.train.labels, label: 'mnist train' });
    const test = model.uploadDataset({ data: mnist.test.images, features: 784, labels: mnist.test.labels, label: 'mnist test' });
    const trainer = model.createTrainer({ batchSize: cfg.batchSize, optimizer: cfg.optimizer, seed: cfg.seed });
    const initialEval = (await model.evaluate(test)).reconstruction;
    say({ kind: 'status', message: `held-out loss before training: ${initialEval.toFixed(3)}` });
    const history = await trainer.fit(train, {
      epochs: cfg.epochs,
      evalData: test,
      onProgress: (p) => say({ kind: 'progress', ...p }),
      onEpoch: (r) => say({ kind: 'epoch', ...r }),
    });

    // Pictures: 4 groups of 16 test digits, originals over reconstructions; the filters.
    const count = 64;
    const originals = Float32Array.from(mnist.test.images.subarray(0, count * 784), (v) => v / 255);
    const recon = await model.reconstruct(test, 0, count);
    const params = await model.getParameters();
    const H = model.config.hiddenSize;
    const shown = Math.min(H, 100);
    const images = {
      'loss.png': lossCurve(
        [
          { name: 'training (all terms)', color: '#1f77b4', values: history.map((h) => h.trainLoss) },
          { name: 'held-out reconstruction', color: '#d62728', values: history.map((h) => h.evalLoss ?? NaN) },
        ],
        `loss per sample (${model.config.loss}) — ${cfg.model.inputSize}–${H}–${cfg.model.inputSize}`,
      ),
      'reconstructions.png': png(tileGrid(interleaveRows([originals, recon], count, 784, 16), 2 * count, 28, 28, { columns: 16, scale: 2 })),
      'filters.png': png(tileGrid(filters(params['encoder.0.weight'], H, 784), shown, 28, 28, { columns: 10, normalizeEach: true, scale: 2 })),
    };
    trainer.dispose();
    return { initialEval, history, images, config: model.config };
  } finally {
    model.dispose();
  }
};
