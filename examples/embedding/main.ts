// Draw a digit with the mouse and see where an autoencoder puts it: a model is
// trained on MNIST, the codes of test digits are drawn as a 2-D scatter (their
// top two principal directions, coloured by digit), and each drawing is scaled
// and centred like an MNIST digit, encoded on the GPU, shown as a black cross in
// the scatter and named by its nearest test digits in code space. Sizes come
// from the page's URL (defaults in brackets): ?trainLimit= [10000] digits,
// &epochs= [5], &hidden= [16] units.
import { createAutoencoder, loadMnist, pcaProject, project2d, scatterLayout, type Autoencoder, type Projection2d } from 'webgpu-autoencoders';

const size = new URLSearchParams(location.search);
const trainLimit = Number(size.get('trainLimit')) || 10_000;
const epochs = Number(size.get('epochs')) || 5;
const hiddenSize = Number(size.get('hidden')) || 16;
const testCount = 500;

const status = document.getElementById('status')!;
const result = document.getElementById('result')!;
const pad = document.getElementById('pad') as HTMLCanvasElement;
const scatter = document.getElementById('scatter') as HTMLCanvasElement;

interface Drawing {
  /** The 28×28 input the model saw, 0..1. */
  pixels: number[];
  code: number[];
  /** Labels of the 5 nearest test digits in code space, nearest first. */
  nearest: number[];
  /** Where the drawing lands in the scatter, in canvas pixels. */
  point: [number, number];
}
const state = { ready: false, trainCount: 0, drawings: [] as Drawing[] };
(window as unknown as { embedding: typeof state }).embedding = state;

async function main() {
  const mnist = await loadMnist({ trainLimit, testLimit: testCount });
  const model = await createAutoencoder({ inputSize: 784, hiddenSize, encoderActivation: 'relu' });
  const train = model.uploadDataset({ data: mnist.train.images, features: 784 });
  const test = model.uploadDataset({ data: mnist.test.images, features: 784, labels: mnist.test.labels });
  await model.createTrainer({ batchSize: 50, optimizer: { type: 'adam', learningRate: 3e-3 } }).fit(train, {
    epochs,
    onEpoch: (e) => (status.textContent = `training: epoch ${e.epoch}/${epochs}, loss ${e.trainLoss.toFixed(1)}`),
  });
  const codes = await model.encode(test);
  const projection = project2d(codes, testCount, hiddenSize, mnist.test.labels);
  drawScatter(projection);
  listenForDrawings(model, codes, mnist.test.labels, projection);
  state.trainCount = mnist.train.count;
  state.ready = true;
  status.textContent = `trained ${epochs} epochs on ${mnist.train.count} digits; ${testCount} test digits in the scatter`;
}

function drawScatter(p: Projection2d, drawn?: ArrayLike<number>) {
  const x = drawn ? Float32Array.from([...p.x, drawn[0]]) : p.x;
  const y = drawn ? Float32Array.from([...p.y, drawn[1]]) : p.y;
  // The drawing is laid out with the test digits (so they share one scale) and drawn as a cross.
  const labels = drawn && p.labels ? [...Array.from(p.labels), 0] : p.labels;
  const points = scatterLayout({ x, y, labels }, { width: scatter.width, height: scatter.height });
  const ctx = scatter.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, scatter.width, scatter.height);
  for (const pt of points.slice(0, p.x.length)) {
    ctx.fillStyle = pt.colour;
    ctx.fillRect(pt.px - 1.5, pt.py - 1.5, 3, 3);
  }
  if (!drawn) return undefined;
  const me = points[points.length - 1];
  ctx.strokeStyle = '#000';
  ctx.lineWidth = 3;
  ctx.beginPath();
  ctx.moveTo(me.px - 8, me.py - 8);
  ctx.lineTo(me.px + 8, me.py + 8);
  ctx.moveTo(me.px + 8, me.py - 8);
  ctx.lineTo(me.px - 8, me.py + 8);
  ctx.stroke();
  return [me.px, me.py] as [number, number];
}

function listenForDrawings(model: Autoencoder, codes: Float32Array, labels: Uint8Array, projection: Projection2d) {
  const ctx = pad.getContext('2d')!;
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();
  let drawing = false;
  const at = (e: MouseEvent): [number, number] => {
    const r = pad.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  pad.addEventListener('mousedown', (e) => {
    drawing = true;
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...at(e));
  });
  pad.addEventListener('mousemove', (e) => {
    if (!drawing) return;
    ctx.lineTo(...at(e));
    ctx.stroke();
  });
  window.addEventListener('mouseup', async () => {
    if (!drawing) return;
    drawing = false;
    const pixels = mnistLike(pad);
    if (!pixels) return;
    const code = await model.encodeBatch(pixels);
    const nearest = Array.from({ length: labels.length }, (_, k) => ({ k, d: code.reduce((s, v, j) => s + (v - codes[k * hiddenSize + j]) ** 2, 0) }))
      .sort((a, b) => a.d - b.d)
      .slice(0, 5)
      .map(({ k }) => labels[k]);
    const point = drawScatter(projection, pcaProject(projection.pca, code, 1))!;
    state.drawings.push({ pixels: Array.from(pixels), code: Array.from(code), nearest, point });
    result.textContent = `nearest test digits: ${nearest.join(', ')} · code ${Array.from(code, (v) => v.toFixed(2)).join(' ')}`;
  });
  document.getElementById('clear')!.addEventListener('click', () => {
    clear();
    drawScatter(projection);
    result.textContent = 'Draw a digit in the black square.';
  });
}

/** The drawing as MNIST prepares a digit: its ink's bounding box scaled into 20×20, centred in 28×28; null if blank. */
function mnistLike(source: HTMLCanvasElement): Float32Array | null {
  const { width, height } = source;
  const ink = source.getContext('2d')!.getImageData(0, 0, width, height).data;
  let [x0, y0, x1, y1] = [width, height, -1, -1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[(y * width + x) * 4] > 0) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  }
  if (x1 < 0) return null;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  const scale = 20 / Math.max(w, h);
  const small = document.createElement('canvas');
  small.width = small.height = 28;
  const sctx = small.getContext('2d')!;
  sctx.fillStyle = '#000';
  sctx.fillRect(0, 0, 28, 28);
  sctx.drawImage(source, x0, y0, w, h, 14 - (w * scale) / 2, 14 - (h * scale) / 2, w * scale, h * scale);
  const px = sctx.getImageData(0, 0, 28, 28).data;
  return Float32Array.from({ length: 784 }, (_, i) => px[i * 4] / 255);
}

main().catch((error: unknown) => {
  status.textContent = `error: ${String(error)}`;
  console.error(error);
});
