// The public model object: parameters on the GPU, datasets, inference, and the
// trainer factory. Everything it allocates lives in its arena and is freed by
// dispose().
import { acquireGpu, type Gpu, type GpuOptions } from '../gpu/device';
import { BufferArena, readFloats } from '../gpu/arena';
import { PipelineCache, encodeDispatches, type Dispatch } from '../gpu/kernel';
import type { KernelContext } from '../gpu/context';
import { packStep, stepValues } from '../gpu/step';
import { uploadDataset, type DatasetSource, type GpuDataset } from '../data/dataset';
import { resolveConfig, type AutoencoderConfig, type ResolvedConfig } from './config';
import { autoencoderLayout, type ParameterLayout } from './layout';
import { initialParameters } from './init';
import { StepPlan } from './plan';
import { Trainer, type TrainerOptions } from '../train/trainer';
import { LOSS_LOG_STRIDE } from '../kernels/reduce';
import { contractiveTermsDispatch, rowNormsSqDispatch } from '../kernels/contractive';
import { runToArray, runToBuffer, type ModelInput, type RowRange, type ToBufferOptions } from './embedding';

export interface CreateOptions extends GpuOptions {
  /** An acquired Gpu to share between models. */
  gpu?: Gpu;
  /** Batch size used by evaluate/encode/reconstruct. Default 256. */
  inferenceBatchSize?: number;
}

export class Autoencoder {
  readonly config: ResolvedConfig;
  readonly layout: ParameterLayout;
  readonly gpu: Gpu;
  readonly params: GPUBuffer;
  readonly ctx: KernelContext;
  private readonly arena: BufferArena;
  private readonly ownsGpu: boolean;
  private readonly inferenceRows: number;
  private inference?: Inference;
  /** Identity permutations, one per dataset, for in-order passes. */
  private readonly identity = new Map<GpuDataset, GPUBuffer>();
  private readonly datasetIds = new WeakMap<GpuDataset, number>();
  private readonly trainers = new Set<Trainer>();
  private disposed = false;

  static async create(config: AutoencoderConfig, options: CreateOptions = {}): Promise<Autoencoder> {
    const resolved = resolveConfig(config); // validate before touching the GPU
    const rows = options.inferenceBatchSize ?? 256;
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`inferenceBatchSize must be a positive integer (got ${rows})`);
    const gpu = options.gpu ?? (await acquireGpu(options));
    try {
      return new Autoencoder(resolved, gpu, !options.gpu, rows);
    } catch (e) {
      if (!options.gpu) gpu.destroy(); // nothing of a failed model stays on the GPU
      throw e;
    }
  }

  private constructor(config: ResolvedConfig, gpu: Gpu, ownsGpu: boolean, inferenceRows: number) {
    this.config = config;
    this.gpu = gpu;
    this.ownsGpu = ownsGpu;
    this.inferenceRows = inferenceRows;
    this.layout = autoencoderLayout(config);
    const maxBinding = gpu.limits.maxStorageBufferBindingSize;
    const biggest = Math.max(...this.layout.tensors.map((t) => t.size * 4), inferenceRows * config.inputSize * 4);
    if (biggest > maxBinding) {
      throw new RangeError(
        `a tensor of this model needs ${biggest} bytes, above this device's maxStorageBufferBindingSize (${maxBinding}); use smaller layers`,
      );
    }
    this.arena = new BufferArena(gpu.device, 'autoencoder');
    this.ctx = { device: gpu.device, cache: new PipelineCache(gpu.device, gpu.debug), arena: this.arena };
    this.params = this.arena.storage('params', initialParameters(this.layout, config.seed));
  }

  /** Upload samples to the GPU once; they stay there until the model is disposed. */
  uploadDataset(source: DatasetSource): GpuDataset {
    this.assertAlive();
    if (source.features !== this.config.inputSize) {
      throw new RangeError(`dataset has ${source.features} features per sample but the model's inputSize is ${this.config.inputSize}`);
    }
    return uploadDataset(this.ctx, source);
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

  createTrainer(options: TrainerOptions): Trainer {
    this.assertAlive();
    const t = new Trainer(this, options);
    this.trainers.add(t);
    return t;
  }

  /** @internal */
  forgetTrainer(t: Trainer): void {
    this.trainers.delete(t);
  }

  /** 0..count−1 as a GPU buffer, for passes in dataset order. */
  identityIndices(data: GpuDataset): GPUBuffer {
    let b = this.identity.get(data);
    if (!b) {
      b = this.arena.storage(`identity ${this.datasetKey(data)}`, Uint32Array.from({ length: data.count }, (_, i) => i));
      this.identity.set(data, b);
    }
    return b;
  }

  private inferencePlan(): Inference {
    if (!this.inference) {
      const plan = new StepPlan(this.ctx, this, this.inferenceRows, this.arena);
      const logSlots = 64;
      const log = this.arena.storage('inference loss log', logSlots * LOSS_LOG_STRIDE * 4);
      this.inference = { plan, log, logSlots, logLoss: plan.logReconstruction(log), output: plan.outputActivation() };
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
  ): Promise<void> {
    this.assertAlive();
    this.checkDataset(data);
    if (!Number.isInteger(start) || start < 0 || !Number.isInteger(count) || count < 1 || start + count > data.count) {
      throw new RangeError(`rows [${start}, ${start + count}) are outside the dataset's 0..${data.count}`);
    }
    const { plan, logSlots } = this.inferencePlan();
    const gather = plan.gather(data, this.identityIndices(data), `identity ${this.datasetKey(data)}`);
    const device = this.gpu.device;
    const scratch = new ArrayBuffer(48);
    let slot = 0;
    for (let row = start; row < start + count; row += plan.rows) {
      const rows = Math.min(plan.rows, start + count - row);
      device.queue.writeBuffer(plan.batch.step, 0, packStep(stepValues({ batchOffset: row, validRows: rows, lossSlot: slot, training: false }), scratch));
      this.ctx.cache.guard(`inference batch at row ${row}`, () => {
        const enc = device.createCommandEncoder({ label: 'inference' });
        enc.clearBuffer(this.inferencePlan().log, slot * LOSS_LOG_STRIDE * 4, LOSS_LOG_STRIDE * 4);
        encodeDispatches(enc, [gather, ...plan.forward, ...extra], 'inference');
        afterBatch(enc, plan, row - start, rows, slot);
        device.queue.submit([enc.finish()]);
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

  /** Mean reconstruction loss per sample over a dataset (clean inputs). */
  async evaluate(data: GpuDataset): Promise<{ reconstruction: number }> {
    const inf = this.inferencePlan();
    let total = 0;
    const pending: Array<{ slot: number; rows: number }> = [];
    const flush = async () => {
      if (pending.length === 0) return;
      const values = await readFloats(this.gpu.device, inf.log, inf.logSlots * LOSS_LOG_STRIDE);
      for (const p of pending) total += values[p.slot * LOSS_LOG_STRIDE] * p.rows;
      pending.length = 0;
    };
    await this.inOrder(data, 0, data.count, [inf.logLoss], (_enc, _plan, _row, rows, slot) => pending.push({ slot, rows }), flush);
    return { reconstruction: total / data.count };
  }

  /** Codes h = g(x·Wᵀ + b) of rows [start, start+count), row-major [count, hiddenSize]. */
  encode(data: GpuDataset, start = 0, count = data.count - start): Promise<Float32Array> {
    return this.collect(data, start, count, this.config.hiddenSize, (plan) => plan.batch.hidden, []);
  }

  /** Reconstructions x̂ of rows [start, start+count) (clean inputs), [count, inputSize]. */
  reconstruct(data: GpuDataset, start = 0, count = data.count - start): Promise<Float32Array> {
    return this.collect(data, start, count, this.config.inputSize, (plan) => plan.batch.output, [this.inferencePlan().output]);
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
   * ‖J_x(h)‖²_F, J = ∂h/∂x = diag(g'(a))·W, computed exactly on the GPU
   * (‖J‖²_F = Σ_j g'(a_j)² Σ_i W_ji²), with clean inputs.
   */
  async contraction(data: GpuDataset): Promise<{ meanJacobianNorm: number; meanJacobianNormSq: number }> {
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
      const H = this.config.hiddenSize;
      const B = plan.rows;
      const s = this.arena.storage('jacobian: s = Σ_i W_ji²', H * 4);
      const u = this.arena.storage('jacobian: u (unused)', B * H * 4);
      const rowScale = this.arena.storage('jacobian: row scale (unused)', H * 4);
      const rowJacSq = this.arena.storage('jacobian: ‖J_r‖²_F', B * 4);
      const w = this.layout.slice(this.params, 'encoder.0.weight');
      this.jacobian = {
        rowJacSq,
        dispatches: [
          rowNormsSqDispatch(this.ctx, { w, s, hidden: H, inputs: this.config.inputSize }),
          contractiveTermsDispatch(this.ctx, { h: plan.batch.hidden, s, u, rowScale, rowJacSq, rows: B, hidden: H, activation: this.config.encoderActivation, lambda: 1, step: plan.batch.step }),
        ],
      };
    }
    return this.jacobian;
  }

  // Embedding in a host app (src/model/embedding.ts): inputs as a Float32Array,
  // a GPUBuffer of f32 rows or a GpuDataset; results read back or left on the GPU.

  /** Codes of the input rows, running the encoder alone: [count, hiddenSize]. */
  encodeBatch(input: ModelInput, range?: RowRange): Promise<Float32Array> {
    return runToArray(this, 'codes', input, range);
  }

  /** Reconstructions x̂ of the input rows: [count, inputSize]. */
  reconstructBatch(input: ModelInput, range?: RowRange): Promise<Float32Array> {
    return runToArray(this, 'reconstructions', input, range);
  }

  /**
   * Codes of the input rows (encoder alone) in a GPU buffer, [count, hiddenSize]
   * f32: `options.output` or a new buffer. The buffer is the caller's to destroy;
   * the model never does, not even in dispose().
   */
  encodeToBuffer(input: ModelInput, options?: ToBufferOptions): Promise<GPUBuffer> {
    return runToBuffer(this, 'codes', input, options);
  }

  /** Reconstructions x̂ in a GPU buffer, [count, inputSize] f32; ownership as encodeToBuffer. */
  reconstructToBuffer(input: ModelInput, options?: ToBufferOptions): Promise<GPUBuffer> {
    return runToBuffer(this, 'reconstructions', input, options);
  }

  /** @internal The inference plan and its x̂ = f(z) dispatch, for src/model/embedding.ts. */
  inferenceStep(): { plan: StepPlan; output: Dispatch } {
    const { plan, output } = this.inferencePlan();
    return { plan, output };
  }

  /** Every parameter tensor, by its state_dict name. */
  async getParameters(): Promise<Record<string, Float32Array>> {
    this.assertAlive();
    const flat = await readFloats(this.gpu.device, this.params, this.layout.totalFloats);
    const out: Record<string, Float32Array> = {};
    for (const t of this.layout.tensors) out[t.name] = flat.slice(t.offset, t.offset + t.size);
    return out;
  }

  /** Overwrite parameter tensors (all or some) by name; shapes are checked. */
  setParameters(values: Record<string, ArrayLike<number>>): void {
    this.assertAlive();
    for (const [name, v] of Object.entries(values)) {
      const t = this.layout.get(name);
      if (v.length !== t.size) throw new RangeError(`parameter ${name} has ${t.size} values (shape [${t.shape.join(', ')}]), got ${v.length}`);
      for (let k = 0; k < v.length; k++) {
        if (!Number.isFinite(v[k])) throw new RangeError(`parameter ${name}[${k}] is ${v[k]}; parameters must be finite`);
      }
      this.gpu.device.queue.writeBuffer(this.params, t.offset * 4, Float32Array.from(v));
    }
  }

  checkDataset(data: GpuDataset): void {
    if (data.features !== this.config.inputSize) {
      throw new RangeError(`dataset has ${data.features} features per sample but the model's inputSize is ${this.config.inputSize}`);
    }
    if (data.owner.isDisposed) {
      throw new Error('this dataset was freed when the model that uploaded it was disposed; upload it again with model.uploadDataset()');
    }
    if (data.owner.device !== this.gpu.device) {
      throw new Error("this dataset lives on another GPUDevice than the model's; upload it with this model's uploadDataset()");
    }
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
    for (const t of [...this.trainers]) t.dispose();
    this.arena.dispose();
    this.identity.clear();
    this.inference = undefined;
    this.jacobian = undefined;
    this.disposed = true;
    if (this.ownsGpu) this.gpu.destroy();
  }
}

let nextDatasetId = 0;

interface Inference {
  plan: StepPlan;
  log: GPUBuffer;
  logSlots: number;
  logLoss: Dispatch;
  output: Dispatch;
}

/** Build an autoencoder on a new or given GPU device. */
export function createAutoencoder(config: AutoencoderConfig, options?: CreateOptions): Promise<Autoencoder> {
  return Autoencoder.create(config, options);
}
