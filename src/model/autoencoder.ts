// The model: parameters on the GPU, datasets, inference and the device life
// cycle. Everything it allocates lives in its arena and is freed by dispose().
// Training lives in src/train/, which depends on this file and never the other
// way round: trainers register as ModelDependents to hear about rebuilds and
// disposal, and the parameter version tells them when the weights changed under
// them. The public class with createTrainer() is src/autoencoder.ts.
import { acquireGpu, DeviceLostError, lostWith, type Gpu, type GpuOptions } from '../gpu/device';
import { BufferArena, readFloats } from '../gpu/arena';
import { PipelineCache, type Dispatch } from '../gpu/kernel';
import type { KernelContext } from '../gpu/context';
import { stepValues } from '../gpu/step';
import { BatchRunner, batchesOf } from '../gpu/runner';
import { reuploadDataset, uploadDataset, type DatasetSource, type GpuDataset } from '../data/dataset';
import type { StreamReader } from '../data/stream';
import { resolveConfig, type AutoencoderConfig, type ResolvedConfig } from './config';
import { autoencoderLayout, type ParameterLayout } from './layout';
import { architecture, type Architecture } from './architecture';
import { initialParameters } from './init';
import { columnMoments } from '../analysis/statistics';
import { StepPlan } from './plan';
import { LOSS_LOG_STRIDE } from '../kernels/reduce';
import { OBJECTIVE, readComponents, type TermName } from './objective';
import { rngNormal, STREAM_PRIOR } from '../random/rng';
import { contractiveTermsDispatch, rowNormsSqDispatch } from '../kernels/contractive';
import { encoderJacobianDispatches, jacobianScratchFloats, type JacobianLayer } from '../kernels/jacobian';
import { gpuBufferInput, runToArray, runToBuffer, type ModelInput, type RowRange, type ToBufferOptions } from './embedding';

export interface CreateOptions extends GpuOptions {
  /** An acquired Gpu to share between models. */
  gpu?: Gpu;
  /** Batch size used by evaluate/encode/reconstruct. Default 256. */
  inferenceBatchSize?: number;
  /**
   * After a device loss, a trainer rebuilds the model on a new device. A model
   * on its own device acquires one itself; one given a host's `device` or a
   * shared `gpu` asks this callback (without it, training stops with a
   * DeviceLostError).
   */
  replaceDevice?: (info: { reason: string; message: string }) => Promise<GPUDevice | Gpu>;
}

/** Something that lives on a model's device: told when the model moves to a new one or is disposed. */
export interface ModelDependent {
  /** The model was rebuilt on a new device; `restore` is true for the one that asked (it restores its own state). */
  deviceReplaced(restore: boolean): void;
  modelDisposed(): void;
  /** The model's parameters at `version`, if this dependent holds a copy (a trainer's snapshot). */
  parametersAt?(version: number): Float32Array | undefined;
}

/** What a model is built from (see createAutoencoder in src/autoencoder.ts). */
export interface ModelInit {
  config: ResolvedConfig;
  gpu: Gpu;
  ownsGpu: boolean;
  inferenceRows: number;
  replaceDevice?: (info: { reason: string; message: string }) => Promise<Gpu>;
}

export class AutoencoderModel {
  readonly config: ResolvedConfig;
  readonly layout: ParameterLayout;
  /** The layers (encoder, VAE heads, decoder) derived from the config. */
  readonly arch: Architecture;
  // gpu, params, ctx and arena are replaced by rebuildOnDevice() after a device loss.
  gpu: Gpu;
  params: GPUBuffer;
  ctx: KernelContext;
  private arena: BufferArena;
  private readonly ownsGpu: boolean;
  /** How to get a new device after a loss (see CreateOptions.replaceDevice). */
  private replaceDevice?: (info: { reason: string; message: string }) => Promise<Gpu>;
  /** Datasets uploaded by this model, re-uploaded from their host copies by rebuildOnDevice(). */
  private readonly uploaded = new Set<GpuDataset>();
  private readonly inferenceRows: number;
  private inference?: Inference;
  /** Identity permutations, one per dataset, for in-order passes. */
  private readonly identity = new Map<GpuDataset, GPUBuffer>();
  private readonly identityReaders = new Map<GpuDataset, StreamReader>();
  /** A classifier's labels of each dataset on the GPU, as one-feature f32 datasets (uploaded on first use). */
  private readonly labelSets = new Map<GpuDataset, GpuDataset>();
  private readonly datasetIds = new WeakMap<GpuDataset, number>();
  private readonly dependents = new Set<ModelDependent>();
  private version = 0;
  /** The parameters on the host at some version: what an inference call recovers from after a device loss. */
  private host: { version: number; values: Float32Array };
  private disposed = false;
  /** A classifier that standardises its codes: its statistics were fitted (fitCodeStatistics) or set (setParameters, a model file). */
  private codeStatistics = false;

  /** Validate the config and options, acquire the GPU and build a model of class `this`. */
  static async create<T extends AutoencoderModel>(this: new (init: ModelInit) => T, config: AutoencoderConfig, options: CreateOptions = {}): Promise<T> {
    const resolved = resolveConfig(config); // validate before touching the GPU
    const rows = options.inferenceBatchSize ?? 256;
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`inferenceBatchSize must be a positive integer (got ${rows})`);
    const gpu = options.gpu ?? (await acquireGpu(options));
    try {
      return new this({ config: resolved, gpu, ownsGpu: !options.gpu, inferenceRows: rows, replaceDevice: replacementFor(options) });
    } catch (e) {
      if (!options.gpu) gpu.destroy(); // nothing of a failed model stays on the GPU
      throw e;
    }
  }

  /** @internal Use createAutoencoder() (src/autoencoder.ts). */
  constructor(init: ModelInit) {
    const { config, gpu, inferenceRows } = init;
    this.config = config;
    this.gpu = gpu;
    this.ownsGpu = init.ownsGpu;
    this.inferenceRows = inferenceRows;
    this.replaceDevice = init.replaceDevice;
    this.layout = autoencoderLayout(config);
    this.arch = architecture(config);
    const maxBinding = gpu.limits.maxStorageBufferBindingSize;
    const biggest = Math.max(...this.layout.tensors.map((t) => t.size * 4), inferenceRows * Math.max(...this.arch.widths) * 4);
    if (biggest > maxBinding) {
      throw new RangeError(
        `a tensor of this model needs ${biggest} bytes, above this device's maxStorageBufferBindingSize (${maxBinding}); use smaller layers`,
      );
    }
    this.arena = new BufferArena(gpu.device, 'autoencoder');
    this.ctx = { device: gpu.device, cache: new PipelineCache(gpu.device, gpu.debug), arena: this.arena };
    const values = initialParameters(this.layout, config.seed);
    this.host = { version: 0, values };
    this.params = this.arena.storage('params', values);
  }

  /**
   * Run an inference call so that it survives a lost device: when the device is
   * gone before or during `run`, the model is rebuilt on a new one (its own, or
   * the host's replaceDevice) from a host copy of its parameters and `run` is
   * answered there, with the same numbers. `callerBuffers` are GPU buffers the
   * caller passed (they die with their device: then a DeviceLostError says so).
   */
  private async recovering<T>(what: string, callerBuffers: Array<GPUBuffer | undefined>, run: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      this.assertAlive();
      if (this.gpu.isLost()) await this.recoverDevice(what, callerBuffers);
      try {
        await this.keepHostCopy();
        return await run();
      } catch (e) {
        if (attempt > 0 || this.disposed || !(await lostWith(this.gpu, e))) throw e;
      }
    }
  }

  /**
   * Read the parameters back once per version, so a lost device can be replaced
   * without losing them — unless a host copy of this version exists already (a
   * trainer's snapshot, as at the end of every epoch of fit()).
   */
  private async keepHostCopy(): Promise<void> {
    const version = this.version;
    if (this.newestCopy()) return;
    const values = await readFloats(this.gpu.device, this.params, this.layout.totalFloats);
    if (this.version === version) this.host = { version, values };
  }

  /** A host copy of the current parameters: a dependent's (and which), or the model's own; none when training moved on since. */
  private newestCopy(): { params: Float32Array; holder?: ModelDependent } | undefined {
    for (const d of this.dependents) {
      const params = d.parametersAt?.(this.version);
      if (params) return { params, holder: d };
    }
    return this.host.version === this.version ? { params: this.host.values } : undefined;
  }

  /** The device is lost: rebuild on a new one from the newest copy of the parameters, or say why that is impossible. */
  private async recoverDevice(what: string, callerBuffers: Array<GPUBuffer | undefined>): Promise<void> {
    const info = await this.gpu.lost;
    const lost = `${what}: the GPU device was lost (${info.reason}: ${info.message})`;
    const given = callerBuffers.find((b) => b !== undefined);
    if (given) {
      throw new DeviceLostError(`${lost} and the GPUBuffer '${given.label}' passed to it lived on that device; the model moves to a new device (model.gpu.device) on its next call: create the buffer there and call again`);
    }
    const copy = this.newestCopy();
    if (!copy) {
      throw new DeviceLostError(`${lost} after the parameters changed on the GPU with no copy on the host (training since the last snapshot); reload them (setParameters or loadModel) and call again`);
    }
    const next = await this.replacementGpu({ reason: info.reason, message: info.message });
    this.rebuildOnDevice(next, copy.params, copy.holder);
  }

  /** Batch size of evaluate, encode, reconstruct and predict. */
  get inferenceBatchSize(): number {
    return this.inferenceRows;
  }

  /**
   * @internal Options for a model on this one's device (createClassifier): the
   * same Gpu, inference batch size and way of replacing a lost device.
   */
  sharedDeviceOptions(): CreateOptions {
    return { gpu: this.gpu, inferenceBatchSize: this.inferenceRows, replaceDevice: this.replaceDevice };
  }

  /** Upload samples to the GPU once; they stay there until the model is disposed. */
  uploadDataset(source: DatasetSource): GpuDataset {
    this.assertAlive();
    if (source.features !== this.config.inputSize) {
      throw new RangeError(`dataset has ${source.features} features per sample but the model's inputSize is ${this.config.inputSize}`);
    }
    // Cross-entropy treats each input as a probability: f32 inputs must lie in [0, 1] (u8 pixels always do).
    const range = this.config.loss === 'bce' ? { min: 0, max: 1, why: "the 'bce' loss reads inputs as probabilities; use loss 'mse' for other values" } : undefined;
    const data = uploadDataset(this.ctx, source, range);
    this.uploaded.add(data);
    return data;
  }

  /**
   * Free a dataset's GPU buffers now rather than with the model (e.g. a one-off
   * batch); using it afterwards throws. Only datasets this model uploaded.
   */
  releaseDataset(data: GpuDataset): void {
    this.assertAlive();
    if (!this.uploaded.has(data)) {
      throw new Error(`releaseDataset: ${data.released ? 'this dataset was released already' : 'this dataset was not uploaded by this model'}; only a dataset from this model's uploadDataset() can be released, once`);
    }
    this.uploaded.delete(data);
    for (const part of data.parts) this.arena.release(part);
    if (data.center) this.arena.release(data.center);
    const identity = this.identity.get(data);
    if (identity) this.arena.release(identity);
    this.identity.delete(data);
    this.identityReaders.delete(data);
    data.stream?.forget();
    const labels = this.labelSets.get(data);
    if (labels) this.arena.release(labels.buffer);
    this.labelSets.delete(data);
    Object.assign(data as { released?: boolean }, { released: true });
  }

  /** A small id for cache keys. */
  datasetKey(data: GpuDataset): string {
    let id = this.datasetIds.get(data);
    if (id === undefined) {
      id = nextDatasetId++;
      this.datasetIds.set(data, id);
    }
    return `dataset${id}`;
  }

  /** @internal A trainer (or anything else on this model's device) to tell about rebuilds and disposal. */
  addDependent(d: ModelDependent): void {
    this.dependents.add(d);
  }

  /** @internal */
  removeDependent(d: ModelDependent): void {
    this.dependents.delete(d);
  }

  /** Counts changes of the parameters: setParameters() and every training step. */
  get parameterVersion(): number {
    return this.version;
  }

  /** @internal The parameters changed (a training step); returns the new version. */
  touchParameters(): number {
    return ++this.version;
  }

  /**
   * 0..count−1 as a GPU buffer, for passes in dataset order (for a streamed data
   * set, each position's row in a window, written by loadRows).
   */
  identityIndices(data: GpuDataset): GPUBuffer {
    let b = this.identity.get(data);
    if (!b) {
      const label = `identity ${this.datasetKey(data)}`;
      b = data.stream ? this.arena.storage(label, data.count * 4) : this.arena.storage(label, Uint32Array.from({ length: data.count }, (_, i) => i));
      this.identity.set(data, b);
    }
    return b;
  }

  /**
   * Rows [from, to) of `data` in dataset order are readable through
   * identityIndices once this returns: a no-op unless the data set streams
   * (then they are loaded into a window). Call it before each batch's submit.
   */
  loadRows(data: GpuDataset, from: number, to: number): void {
    if (!data.stream) return;
    let reader = this.identityReaders.get(data);
    if (!reader) {
      reader = { indices: this.identityIndices(data), flush: () => {} }; // inference submits each batch as it goes
      this.identityReaders.set(data, reader);
    }
    data.stream.ensure(reader, from, to);
  }

  /**
   * @internal A classifier's labels of `data` on the GPU (checked against
   * classifier.classes and uploaded once, as f32), gathered with the batch's
   * indices by plan.gatherLabels. `what` names the caller in errors.
   */
  labelData(data: GpuDataset, what: string): GpuDataset {
    const head = this.config.classifier;
    if (!head) throw new Error(`${what}: this model has no classifier head (config.classifier)`);
    let set = this.labelSets.get(data);
    if (!set) {
      const labels = data.labels;
      if (!labels) throw new RangeError(`${what}: a classifier needs the dataset's labels; pass labels (integers 0..${head.classes - 1}) to uploadDataset`);
      const bad = labels.findIndex((v) => v >= head.classes);
      if (bad >= 0) throw new RangeError(`${what}: label ${labels[bad]} of sample ${bad} is not a class of this classifier (0..${head.classes - 1}, classifier.classes = ${head.classes})`);
      if (data.stream) {
        // The labels of the samples in the two windows, at their window rows, loaded with them.
        const rows = 2 * data.stream.windowRows;
        set = uploadDataset(this.ctx, { data: new Float32Array(rows), features: 1, count: rows, label: `labels ${this.datasetKey(data)} (windows)` });
        data.stream.labels = { buffer: set.buffer, values: labels };
        data.stream.forget(); // windows loaded before held no labels
      } else {
        set = uploadDataset(this.ctx, { data: Float32Array.from(labels), features: 1, count: data.count, label: `labels ${this.datasetKey(data)}` });
      }
      this.labelSets.set(data, set);
    }
    return set;
  }

  private inferencePlan(): Inference {
    if (!this.inference) {
      const logSlots = 64;
      const log = this.arena.storage('inference loss log', logSlots * LOSS_LOG_STRIDE * 4);
      const plan = new StepPlan(this.ctx, this, this.inferenceRows, this.arena, { log });
      const runner = new BatchRunner(this.gpu.device, this.ctx.cache, plan.batch.step, { buffer: log, slots: logSlots });
      this.inference = { plan, runner, log, logSlots, output: plan.outputActivation() };
    }
    return this.inference;
  }

  /**
   * Run the clean forward pass (no noise, no dropout) over rows [start, start+count)
   * of `data` in batches. `extra` dispatches follow the forward pass, `afterBatch`
   * records copies, and `flush` runs (GPU idle) whenever the loss-log slots are
   * about to wrap and at the end.
   */
  private async inOrder(
    data: GpuDataset,
    start: number,
    count: number,
    extra: Dispatch[],
    afterBatch: (enc: GPUCommandEncoder, plan: StepPlan, row: number, rows: number, slot: number) => void,
    flush: () => Promise<void> = async () => {},
    seed = 0,
  ): Promise<void> {
    this.checkRows(data, start, count);
    const { plan, runner, logSlots } = this.inferencePlan();
    const key = `identity ${this.datasetKey(data)}`;
    const gather = plan.gather(data, this.identityIndices(data), key);
    // A classifier's labels ride along when the dataset has them (evaluate needs them).
    const labels = this.config.classifier && data.labels ? plan.gatherLabels(this.labelData(data, 'evaluate'), this.identityIndices(data), key) : [];
    const device = this.gpu.device;
    let slot = 0;
    for (const { row, rows } of batchesOf(count, plan.rows)) {
      this.loadRows(data, start + row, start + row + rows);
      runner.submitBatch(stepValues({ seed, batchOffset: start + row, validRows: rows, lossSlot: slot, training: false }), {
        label: `inference batch at row ${start + row}`,
        dispatches: [gather, ...labels, ...plan.forward, ...extra],
        after: (enc) => afterBatch(enc, plan, row, rows, slot),
      });
      slot += 1;
      if (slot === logSlots) {
        await flush();
        slot = 0;
      }
    }
    await device.queue.onSubmittedWorkDone();
    await this.ctx.cache.checkErrors();
    await flush();
  }

  /**
   * Mean losses per sample over a dataset (clean inputs, no noise or dropout):
   * the objective's data terms (src/model/objective.ts) — the reconstruction
   * loss and, for a VAE, the KL term and the negative ELBO (their sum; z is
   * sampled once per sample, as in training, with `seed`) — and for a classifier
   * its cross-entropy, accuracy, per-class accuracy and confusion matrix against
   * the dataset's labels.
   */
  evaluate(data: GpuDataset, options: { seed?: number } = {}): Promise<Evaluation> {
    return this.recovering('evaluate', [], () => this.evaluateOnce(data, options));
  }

  private async evaluateOnce(data: GpuDataset, options: { seed?: number }): Promise<Evaluation> {
    const inf = this.inferencePlan();
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`evaluate: seed must be an integer in [0, 2^32) (got ${seed})`);
    const terms = OBJECTIVE.filter((t) => t.evaluated && t.enabled(this.config)).map((t) => t.name as TermName);
    const sums = Object.fromEntries(terms.map((t) => [t, 0])) as Record<TermName, number>;
    const pending: Array<{ slot: number; rows: number }> = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const values = await readFloats(this.gpu.device, inf.log, inf.logSlots * LOSS_LOG_STRIDE);
      for (const p of pending) {
        const c = readComponents(values, p.slot * LOSS_LOG_STRIDE);
        for (const t of terms) sums[t] += c[t] * p.rows;
      }
      pending.length = 0;
    };
    const head = this.config.classifier;
    if (head) this.labelData(data, 'evaluate'); // the labels are checked before anything runs
    const C = head?.classes ?? 0;
    const logits = head ? this.arena.storage('evaluate: classifier logits', data.count * C * 4) : undefined;
    try {
      await this.inOrder(
        data,
        0,
        data.count,
        [],
        (enc, plan, row, rows, slot) => {
          pending.push({ slot, rows });
          if (logits) enc.copyBufferToBuffer(plan.batch.classifier!.logits, 0, logits, row * C * 4, rows * C * 4);
        },
        flush,
        seed,
      );
      const reconstruction = sums.reconstruction / data.count;
      const out: Evaluation = { reconstruction };
      if (this.arch.heads) {
        out.vaeKl = sums.vaeKl / data.count;
        out.negativeElbo = reconstruction + out.vaeKl;
      }
      if (logits) out.classifier = classifierEvaluation(await readFloats(this.gpu.device, logits, data.count * C), data.labels!, C, sums.classifier / data.count);
      return out;
    } finally {
      if (logits) this.arena.release(logits);
    }
  }

  /**
   * A classifier's predictions for the input rows (a Float32Array of
   * [count, inputSize] values, a GPUBuffer of f32 rows or an uploaded dataset;
   * clean inputs, no dropout): the class of each row (the first of the largest
   * logits) and the softmax probabilities [count, classes].
   */
  predict(input: ModelInput, range?: RowRange): Promise<Prediction> {
    return this.recovering('predict', [gpuBufferInput(input)], async () => {
      if (!this.config.classifier) throw new Error('predict: this model has no classifier head (config.classifier); make one with createClassifier()');
      return predictionsFromLogits(await runToArray(this, 'classLogits', input, range), this.config.classifier.classes);
    });
  }

  /** Rows [start, start + count) of `data`, on this model's device. */
  private checkRows(data: GpuDataset, start: number, count: number): void {
    this.assertAlive();
    this.checkDataset(data);
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 1 || start + count > data.count) {
      throw new RangeError(`rows [${start}, ${start + count}) are outside the dataset's 0..${data.count}`);
    }
  }

  /** Codes of rows [start, start+count) by the encoder alone (μ for a VAE), row-major [count, hiddenSize]. */
  encode(data: GpuDataset, start = 0, count = data.count - start): Promise<Float32Array> {
    return this.recovering('encode', [], () => {
      this.checkRows(data, start, count);
      return runToArray(this, 'codes', data, { start, count });
    });
  }

  /** Reconstructions x̂ of rows [start, start+count) (clean inputs), [count, inputSize]. */
  reconstruct(data: GpuDataset, start = 0, count = data.count - start): Promise<Float32Array> {
    return this.recovering('reconstruct', [], () => {
      this.checkRows(data, start, count);
      return runToArray(this, 'reconstructions', data, { start, count });
    });
  }

  private async collect(
    data: GpuDataset,
    start: number,
    count: number,
    width: number,
    source: (plan: StepPlan) => GPUBuffer,
    extra: Dispatch[],
  ): Promise<Float32Array> {
    const out = this.arena.storage('collect', Math.max(1, count) * width * 4);
    try {
      await this.inOrder(data, start, count, extra, (enc, plan, row, rows) => {
        enc.copyBufferToBuffer(source(plan), 0, out, row * width * 4, rows * width * 4);
      });
      return await readFloats(this.gpu.device, out, count * width);
    } finally {
      this.arena.release(out);
    }
  }

  /**
   * How strongly the encoder contracts: the mean over samples of ‖J_x(h)‖_F and of
   * ‖J_x(h)‖²_F, J = ∂h/∂x the Jacobian of the code (μ for a VAE) with respect to
   * the clean input, computed exactly on the GPU: one layer in closed form
   * (‖J‖²_F = Σ_j g'(a_j)² Σ_i W_ji²), a deep encoder as the product
   * D_L W_L ⋯ D_1 W_1 per sample.
   */
  contraction(data: GpuDataset): Promise<{ meanJacobianNorm: number; meanJacobianNormSq: number }> {
    return this.recovering('contraction', [], () => this.contractionOnce(data));
  }

  private async contractionOnce(data: GpuDataset): Promise<{ meanJacobianNorm: number; meanJacobianNormSq: number }> {
    const jac = this.jacobianPlan();
    const perRow = await this.collect(data, 0, data.count, 1, () => jac.rowJacSq, jac.dispatches);
    let norm = 0;
    let sq = 0;
    for (const v of perRow) {
      norm += Math.sqrt(Math.max(v, 0));
      sq += v;
    }
    return { meanJacobianNorm: norm / data.count, meanJacobianNormSq: sq / data.count };
  }

  private jacobian?: { rowJacSq: GPUBuffer; dispatches: Dispatch[] };
  private jacobianPlan(): { rowJacSq: GPUBuffer; dispatches: Dispatch[] } {
    if (!this.jacobian) {
      const { plan } = this.inferencePlan();
      const B = plan.rows;
      const rowJacSq = this.arena.storage('jacobian: ‖J_r‖²_F', B * 4);
      if (this.arch.encoder.length === 1 && !this.arch.heads) {
        // One layer: the closed form ‖J_r‖²_F = Σ_j g'(a_rj)² Σ_i W_ji² (the contractive penalty's kernel).
        const H = this.config.hiddenSize;
        const s = this.arena.storage('jacobian: s = Σ_i W_ji²', H * 4);
        const u = this.arena.storage('jacobian: u (unused)', B * H * 4);
        const rowScale = this.arena.storage('jacobian: row scale (unused)', H * 4);
        const w = this.layout.slice(this.params, 'encoder.0.weight');
        this.jacobian = {
          rowJacSq,
          dispatches: [
            rowNormsSqDispatch(this.ctx, { w, s, hidden: H, inputs: this.config.inputSize }),
            contractiveTermsDispatch(this.ctx, { h: plan.batch.hidden, s, u, rowScale, rowJacSq, rows: B, hidden: H, activation: this.config.encoderActivation, lambda: 1, step: plan.batch.step }),
          ],
        };
      } else {
        // Deep (or to a VAE's μ): the product of the layer Jacobians, per sample.
        const layers: JacobianLayer[] = this.arch.encoder.map((l, i) => ({
          weight: this.layout.slice(this.params, l.weight),
          output: plan.batch.encoder[i].out,
          activation: l.activation,
          inputs: l.inputs,
          outputs: l.outputs,
        }));
        const mu = this.arch.heads?.mu;
        if (mu) layers.push({ weight: this.layout.slice(this.params, mu.weight), output: plan.batch.hidden, activation: 'linear', inputs: mu.inputs, outputs: mu.outputs });
        const floats = jacobianScratchFloats(layers, B);
        const limit = this.gpu.limits.maxStorageBufferBindingSize;
        if (floats * 4 > limit) {
          throw new RangeError(
            `contraction(): the Jacobian blocks need ${floats * 4} bytes (inferenceBatchSize ${B} × code ${this.arch.codeSize} × widest input), above maxStorageBufferBindingSize (${limit}); create the model with a smaller inferenceBatchSize`,
          );
        }
        const scratch: [GPUBuffer, GPUBuffer] = [this.arena.storage('jacobian blocks A', floats * 4), this.arena.storage('jacobian blocks B', floats * 4)];
        this.jacobian = { rowJacSq, dispatches: encoderJacobianDispatches(this.ctx, { layers, rows: B, scratch, norms: rowJacSq }) };
      }
    }
    return this.jacobian;
  }

  /**
   * Run the decoder alone: x̂ = f(decoder(z)) for `codes`, row-major [count, code size]
   * (the latent z of a VAE, the code h otherwise). Returns [count, inputSize].
   */
  async decode(codes: ArrayLike<number>): Promise<Float32Array> {
    this.assertAlive();
    const Z = this.arch.codeSize;
    if (!codes || typeof codes.length !== 'number' || codes.length === 0 || codes.length % Z !== 0) {
      throw new RangeError(`decode: codes must hold a whole number of ${Z}-value codes (got ${codes?.length} values)`);
    }
    const rows = codes instanceof Float32Array ? codes : Float32Array.from(codes);
    return this.recovering('decode', [], () => runToArray(this, 'decoded', rows));
  }

  /**
   * A VAE's samples from the prior: z ~ N(0, I) from the counter-based generator
   * (stream STREAM_PRIOR, keyed by `seed`), decoded. Returns the images
   * [count, inputSize] and the latents [count, Z].
   */
  async sample(count: number, seed = 0): Promise<{ images: Float32Array; latents: Float32Array }> {
    this.assertAlive();
    if (!this.arch.heads) throw new Error('sample() needs a variational autoencoder (config.variational); use decode() to decode chosen codes');
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`sample: count must be a positive integer (got ${count})`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`sample: seed must be an integer in [0, 2^32) (got ${seed})`);
    const latents = Float32Array.from({ length: count * this.arch.codeSize }, (_, k) => rngNormal(seed, STREAM_PRIOR, 0, k));
    return { images: await this.decode(latents), latents };
  }

  // Embedding in a host app (src/model/embedding.ts): inputs as a Float32Array,
  // a GPUBuffer of f32 rows or a GpuDataset; results read back or left on the GPU.

  /** Codes of the input rows, running the encoder alone: [count, hiddenSize]. */
  encodeBatch(input: ModelInput, range?: RowRange): Promise<Float32Array> {
    return this.recovering('encodeBatch', [gpuBufferInput(input)], () => runToArray(this, 'codes', input, range));
  }

  /** Reconstructions x̂ of the input rows: [count, inputSize]. */
  reconstructBatch(input: ModelInput, range?: RowRange): Promise<Float32Array> {
    return this.recovering('reconstructBatch', [gpuBufferInput(input)], () => runToArray(this, 'reconstructions', input, range));
  }

  /**
   * Codes of the input rows (encoder alone) in a GPU buffer, [count, hiddenSize]
   * f32: `options.output` or a new buffer. The buffer is the caller's to destroy;
   * the model never does, not even in dispose().
   */
  encodeToBuffer(input: ModelInput, options?: ToBufferOptions): Promise<GPUBuffer> {
    return this.recovering('encodeToBuffer', [gpuBufferInput(input), options?.output], () => runToBuffer(this, 'codes', input, options));
  }

  /** Reconstructions x̂ in a GPU buffer, [count, inputSize] f32; ownership as encodeToBuffer. */
  reconstructToBuffer(input: ModelInput, options?: ToBufferOptions): Promise<GPUBuffer> {
    return this.recovering('reconstructToBuffer', [gpuBufferInput(input), options?.output], () => runToBuffer(this, 'reconstructions', input, options));
  }

  /** @internal The inference plan, its runner and its x̂ = f(z) dispatch, for src/model/embedding.ts. */
  inferenceStep(): { plan: StepPlan; runner: BatchRunner; output: Dispatch } {
    const { plan, runner, output } = this.inferencePlan();
    return { plan, runner, output };
  }

  /** Every parameter tensor, by its state_dict name. */
  async getParameters(): Promise<Record<string, Float32Array>> {
    this.assertAlive();
    // recovering() keeps a host copy of this version (a trainer's snapshot or one read-back): that is the answer.
    const flat = await this.recovering('getParameters', [], async () => this.newestCopy()?.params ?? readFloats(this.gpu.device, this.params, this.layout.totalFloats));
    const out: Record<string, Float32Array> = {};
    for (const t of this.layout.tensors) out[t.name] = flat.slice(t.offset, t.offset + t.size);
    return out;
  }

  /** Overwrite parameter tensors (all or some) by name; shapes are checked. */
  setParameters(values: Record<string, ArrayLike<number>>): void {
    this.assertAlive();
    const checked = Object.entries(values).map(([name, v]) => {
      const t = this.layout.get(name);
      if (v.length !== t.size) throw new RangeError(`parameter ${name} has ${t.size} values (shape [${t.shape.join(', ')}]), got ${v.length}`);
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) throw new RangeError(`parameter ${name}[${k}] is ${v[k]}; parameters must be finite`);
      }
      return { t, v: Float32Array.from(v) };
    });
    // The host copy follows when it was current (so a lost device can be replaced without a read-back).
    const hostCurrent = this.host.version === this.version;
    this.version += 1; // trainers' snapshots no longer match
    for (const { t, v } of checked) {
      this.gpu.device.queue.writeBuffer(this.params, t.offset * 4, v);
      if (hostCurrent) this.host.values.set(v, t.offset);
    }
    if (hostCurrent) this.host.version = this.version;
    const norm = this.arch.codeNorm;
    if (norm && norm.mean in values && norm.variance in values) this.codeStatistics = true;
  }

  /** A classifier with classifier.standardiseCodes: whether its code statistics were fitted or set. */
  get codeStatisticsFitted(): boolean {
    return this.codeStatistics;
  }

  /**
   * Fit a classifier's code standardisation (classifier.standardiseCodes) to
   * `data`, its training set: the mean and population variance of each unit of
   * the codes (μ for a VAE), in float64 on the host, stored as
   * code_norm.running_mean and code_norm.running_var. Training such a classifier
   * needs them first.
   */
  async fitCodeStatistics(data: GpuDataset): Promise<{ mean: Float64Array; variance: Float64Array }> {
    this.assertAlive();
    const norm = this.arch.codeNorm;
    if (!norm) throw new Error('fitCodeStatistics: this model does not standardise its codes (a classifier with classifier.standardiseCodes does)');
    const moments = columnMoments(await this.encode(data), data.count, norm.size);
    this.setParameters({ [norm.mean]: moments.mean, [norm.variance]: moments.variance });
    return moments;
  }

  checkDataset(data: GpuDataset): void {
    if (data.features !== this.config.inputSize) {
      throw new RangeError(`dataset has ${data.features} features per sample but the model's inputSize is ${this.config.inputSize}`);
    }
    if (data.released) throw new Error('this dataset was freed by releaseDataset(); upload it again with model.uploadDataset()');
    if (data.owner.isDisposed) {
      throw new Error('this dataset was freed when the model that uploaded it was disposed; upload it again with model.uploadDataset()');
    }
    if (data.owner.device !== this.gpu.device) {
      throw new Error("this dataset lives on another GPUDevice than the model's; upload it with this model's uploadDataset()");
    }
  }

  /** @internal A device to continue on after a loss, or a DeviceLostError saying why there is none. */
  async replacementGpu(info: { reason: string; message: string }): Promise<Gpu> {
    if (!this.replaceDevice) {
      throw new DeviceLostError(
        `the GPU device was lost (${info.reason}: ${info.message}) and this model runs on a device it was given ({ device } or { gpu }); ` +
          'pass replaceDevice to createAutoencoder() to recover on a new one',
      );
    }
    return this.replaceDevice(info);
  }

  /**
   * Move the model to `gpu` after its device was lost: a new arena, pipelines and
   * parameter buffer (holding `params`), its datasets re-uploaded from their host
   * copies (the same GpuDataset objects stay valid), inference plans rebuilt on
   * demand, and every dependent (trainer) told; `restoring` restores itself from
   * its snapshot, the others are marked as having lost their state.
   */
  rebuildOnDevice(gpu: Gpu, params: Float32Array, restoring?: object): void {
    this.assertAlive();
    if (params.length !== this.layout.totalFloats) throw new RangeError(`rebuildOnDevice: params has ${params.length} floats, the layout needs ${this.layout.totalFloats}`);
    this.arena.dispose(); // the lost device's buffers: only the tally needs updating
    if (this.ownsGpu && this.gpu !== gpu) this.gpu.destroy();
    this.gpu = gpu;
    this.arena = new BufferArena(gpu.device, 'autoencoder');
    this.ctx = { device: gpu.device, cache: new PipelineCache(gpu.device, gpu.debug), arena: this.arena };
    this.params = this.arena.storage('params', params);
    this.identity.clear();
    this.identityReaders.clear();
    this.labelSets.clear();
    this.inference = undefined;
    this.jacobian = undefined;
    for (const d of this.uploaded) reuploadDataset(this.ctx, d);
    for (const d of this.dependents) d.deviceReplaced(d === restoring);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  assertAlive(): void {
    if (this.disposed) throw new Error('this Autoencoder was disposed; create a new one');
  }

  /** Free every GPU buffer of the model, its datasets and its trainers. */
  dispose(): void {
    if (this.disposed) return;
    for (const d of [...this.dependents]) d.modelDisposed();
    this.arena.dispose();
    this.identity.clear();
    this.identityReaders.clear();
    this.labelSets.clear();
    this.uploaded.clear();
    this.inference = undefined;
    this.jacobian = undefined;
    this.disposed = true;
    if (this.ownsGpu) this.gpu.destroy();
  }
}

let nextDatasetId = 0;

/** How a model gets a new device after a loss: its own acquisition, or the host's callback. */
function replacementFor(options: CreateOptions): ((info: { reason: string; message: string }) => Promise<Gpu>) | undefined {
  const { device, gpu, replaceDevice, ...acquire } = options;
  const hostCallbacks = { debug: options.debug, onDeviceLost: options.onDeviceLost, onUncapturedError: options.onUncapturedError };
  if (replaceDevice) {
    return async (info) => {
      const got = await replaceDevice(info);
      return 'device' in got && 'isLost' in got ? got : acquireGpu({ ...hostCallbacks, device: got as GPUDevice });
    };
  }
  if (!device && !gpu) return () => acquireGpu(acquire);
  return undefined;
}

interface Inference {
  plan: StepPlan;
  runner: BatchRunner;
  log: GPUBuffer;
  logSlots: number;
  output: Dispatch;
}

/** Mean losses per sample over a dataset. */
export interface Evaluation {
  /** Reconstruction loss (summed over features, as in training). */
  reconstruction: number;
  /** A VAE's mean KL(q(z|x) ‖ N(0, I)). */
  vaeKl?: number;
  /** A VAE's reconstruction + KL: the negative ELBO, a bound on −log p(x) in nats. */
  negativeElbo?: number;
  /** A classifier's results against the dataset's labels. */
  classifier?: ClassifierEvaluation;
}

/** A classifier on a labelled dataset. */
export interface ClassifierEvaluation {
  /** Mean softmax cross-entropy per sample (nats). */
  loss: number;
  /** Fraction of samples whose predicted class is their label. */
  accuracy: number;
  /** 1 − accuracy. */
  error: number;
  /** Accuracy within each true class; NaN for a class with no samples. */
  perClassAccuracy: number[];
  /** Samples of each true class. */
  perClassCount: number[];
  /** confusion[true class][predicted class]: sample counts. */
  confusion: number[][];
  count: number;
}

/** predict(): the class of each row and the softmax probabilities. */
export interface Prediction {
  /** Predicted class per row: the first index of the largest logit. */
  classes: Int32Array;
  /** Softmax probabilities, row-major [count, classes]. */
  probabilities: Float32Array;
}

/** Classes (argmax, first on ties, as shaders/softmax.wgsl) and softmax probabilities (float64, shifted) of logits [n, C]. */
export function predictionsFromLogits(logits: Float32Array, C: number): Prediction {
  const n = logits.length / C;
  const classes = new Int32Array(n);
  const probabilities = new Float32Array(n * C);
  for (let r = 0; r < n; r++) {
    const o = r * C;
    let best = 0;
    for (let j = 1; j < C; j++) if (logits[o + j] > logits[o + best]) best = j;
    classes[r] = best;
    let s = 0;
    for (let j = 0; j < C; j++) s += Math.exp(logits[o + j] - logits[o + best]);
    for (let j = 0; j < C; j++) probabilities[o + j] = Math.exp(logits[o + j] - logits[o + best]) / s;
  }
  return { classes, probabilities };
}

function classifierEvaluation(logits: Float32Array, labels: ArrayLike<number>, C: number, loss: number): ClassifierEvaluation {
  const { classes } = predictionsFromLogits(logits, C);
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  classes.forEach((p, r) => (confusion[labels[r]][p] += 1));
  const perClassCount = confusion.map((row) => row.reduce((a, b) => a + b, 0));
  const correct = confusion.reduce((a, row, c) => a + row[c], 0);
  const accuracy = correct / classes.length;
  return { loss, accuracy, error: 1 - accuracy, perClassAccuracy: confusion.map((row, c) => row[c] / perClassCount[c]), perClassCount, confusion, count: classes.length };
}
