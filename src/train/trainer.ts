// The training loop. A Trainer owns a static TrainingPlan for its batch size;
// each step writes the 48-byte Step uniform, clears its loss-log slot and
// records every dispatch into one command encoder: one submit per step, no
// allocation per step. Losses accumulate in a GPU log that is read back only at
// sync points (every `syncEvery` steps and at the end of an epoch).
import { BufferArena, READBACK } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import { encodeDispatches, type Dispatch } from '../gpu/kernel';
import { packStep, STEP_BYTES } from '../gpu/step';
import { readFloats } from '../gpu/arena';
import { adamCorrector, validateOptimizer, type OptimizerConfig } from '../kernels/optimizer';
import { LOSS_COMPONENT, LOSS_LOG_STRIDE } from '../kernels/reduce';
import { decodeGuard, GUARD_BYTES, GUARD_CLEAR, guardName } from '../kernels/finite';
import { shuffledIndices } from '../data/shuffle';
import type { GpuDataset } from '../data/dataset';
import { TrainingPlan } from '../model/plan';
import { klWeight } from '../kernels/vae';
import type { Autoencoder, Evaluation } from '../model/autoencoder';
import { DeviceLostError } from '../gpu/device';

export interface TrainerOptions {
  /** Samples per step; the last batch of an epoch may be smaller. */
  batchSize: number;
  optimizer: OptimizerConfig;
  /** Seed of the shuffling and of the noise/dropout draws. Default: the model's seed. */
  seed?: number;
  /** Shuffle the samples every epoch. Default true. */
  shuffle?: boolean;
  /** Steps between loss read-backs and progress events. Default 20. */
  syncEvery?: number;
  /**
   * Steps between in-memory snapshots of the parameters, optimizer state and
   * counters (taken with a sync's read-back, so they cost no extra GPU wait).
   * After a device loss at most this many steps are redone. Default 50.
   */
  snapshotEvery?: number;
  /**
   * What to do when the GPU device is lost during fit() or steps(): 'recover'
   * (default: a new device, the model rebuilt, the last snapshot restored, the
   * lost steps redone) or 'stop' (throw a DeviceLostError). A function is told
   * what happened and returns the choice (nothing means 'recover').
   */
  onDeviceLost?: 'recover' | 'stop' | ((event: DeviceLossEvent) => 'recover' | 'stop' | void);
}

/** A device loss seen by a trainer. */
export interface DeviceLossEvent {
  reason: string;
  message: string;
  /** Steps submitted when the loss was noticed. */
  step: number;
  /** The step of the snapshot training continues from; step − snapshotStep steps are redone. */
  snapshotStep: number;
}

/** The state a trainer can be rewound to after a device loss. */
interface Snapshot {
  step: number;
  epoch: number;
  row: number;
  data?: GpuDataset;
  params: Float32Array;
  state: Float32Array[];
}

export type LossComponents = { [K in keyof typeof LOSS_COMPONENT]: number };

export interface StepLoss {
  step: number;
  epoch: number;
  rows: number;
  total: number;
  components: LossComponents;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  /** Mean total loss per sample over the steps since the last event. */
  loss: number;
  samplesPerSecond: number;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss per sample (all terms) over the epoch. */
  trainLoss: number;
  components: LossComponents;
  /** Mean loss per held-out sample, when evalData is given: the reconstruction loss, or a VAE's negative ELBO. */
  evalLoss?: number;
  /** Every held-out term (reconstruction, and a VAE's KL and negative ELBO). */
  evaluation?: Evaluation;
  seconds: number;
  samplesPerSecond: number;
}

export interface FitOptions {
  epochs: number;
  evalData?: GpuDataset;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  onEpoch?: (r: EpochRecord) => void;
}

/** Everything needed to resume training exactly: optimizer state and counters. */
export interface TrainerState {
  optimizer: OptimizerConfig;
  /** Optimizer steps taken. */
  step: number;
  /** Epoch and next row of the permutation of the dataset being trained on. */
  epoch: number;
  row: number;
  seed: number;
  shuffle: boolean;
  /** Optimizer state buffers (momentum: [v]; Adam: [m, v]), each layout.totalFloats long. */
  state: Float32Array[];
}

/**
 * Training produced a NaN or an infinity. `step` is the first step where it
 * happened and `tensor` what held it ('loss (reconstruction)', 'gradient of
 * encoder.0.weight', …); the model keeps the weights of step − 1.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(
    message: string,
    readonly step: number,
    readonly tensor: string,
  ) {
    super(message);
  }
}

interface Cursor {
  data: GpuDataset;
  indices: GPUBuffer;
  gather: Dispatch;
  /** The step's dispatches in order, built once: with and without the optimizer update. */
  full: Dispatch[];
  gradients: Dispatch[];
  epoch: number;
  next: number; // next row of the permutation
}

export class Trainer {
  /** The static plan; replaced when the trainer is rebuilt on a new device. */
  plan!: TrainingPlan;
  readonly batchSize: number;
  readonly optimizer: OptimizerConfig;
  readonly seed: number;
  private readonly corrections: (step: number) => { c1: number; c2: number };
  // GPU objects, rebuilt by build() on a new device after a loss.
  private arena!: BufferArena;
  private ctx!: KernelContext;
  private log!: GPUBuffer;
  private staging!: GPUBuffer;
  private snapshotStaging!: GPUBuffer;
  private readonly shuffle: boolean;
  private readonly syncEvery: number;
  private readonly snapshotEvery: number;
  private readonly onDeviceLost: NonNullable<TrainerOptions['onDeviceLost']>;
  private readonly logSlots = 256;
  private readonly indices = new Map<GpuDataset, GPUBuffer>();
  private snapshot?: Snapshot;
  private stateLost = false;
  /** Device losses recovered from, for reports and tests. */
  readonly recoveries: DeviceLossEvent[] = [];
  private readonly stepScratch = new ArrayBuffer(STEP_BYTES);
  private cursor?: Cursor;
  private resumeAt?: { epoch: number; row: number };
  private pending: Array<{ slot: number; step: number; epoch: number; rows: number }> = [];
  private stepCount = 0;
  private diverged?: TrainingDivergedError;
  private disposed = false;

  constructor(
    readonly model: Autoencoder,
    options: TrainerOptions,
  ) {
    const B = options?.batchSize;
    if (!Number.isInteger(B) || B < 1) throw new RangeError(`batchSize must be a positive integer (got ${B})`);
    this.optimizer = validateOptimizer(options.optimizer);
    this.corrections = adamCorrector(this.optimizer);
    const seed = options.seed ?? model.config.seed;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32) (got ${seed})`);
    const syncEvery = options.syncEvery ?? 20;
    if (!Number.isInteger(syncEvery) || syncEvery < 1) throw new RangeError(`syncEvery must be a positive integer (got ${syncEvery})`);
    const maxBinding = model.gpu.limits.maxStorageBufferBindingSize;
    const widest = B * Math.max(...model.arch.widths) * 4;
    if (widest > maxBinding) {
      throw new RangeError(`batchSize ${B} needs ${widest}-byte batch buffers, above maxStorageBufferBindingSize (${maxBinding}); use a batch of at most ${Math.floor(maxBinding / (widest / B))}`);
    }
    const snapshotEvery = options.snapshotEvery ?? 50;
    if (!Number.isInteger(snapshotEvery) || snapshotEvery < 1) throw new RangeError(`snapshotEvery must be a positive integer (got ${snapshotEvery})`);
    const onLost = options.onDeviceLost ?? 'recover';
    if (onLost !== 'recover' && onLost !== 'stop' && typeof onLost !== 'function') {
      throw new RangeError(`onDeviceLost must be 'recover', 'stop' or a function (got ${JSON.stringify(onLost)})`);
    }
    this.batchSize = B;
    this.seed = seed;
    this.shuffle = options.shuffle ?? true;
    this.syncEvery = syncEvery;
    this.snapshotEvery = snapshotEvery;
    this.onDeviceLost = onLost;
    this.build();
  }

  /** Every GPU object of the trainer, on the model's current device. */
  private build(): void {
    const model = this.model;
    this.arena = new BufferArena(model.gpu.device, 'trainer');
    this.ctx = { ...model.ctx, arena: this.arena };
    try {
      this.log = this.arena.storage('loss log', this.logSlots * LOSS_LOG_STRIDE * 4);
      // The loss log, then the non-finite guard.
      this.staging = this.arena.create('loss log and guard readback', this.logSlots * LOSS_LOG_STRIDE * 4 + GUARD_BYTES, READBACK);
      this.plan = new TrainingPlan(this.ctx, model, this.batchSize, this.arena, this.optimizer, this.log);
      // Parameters, then each optimizer state buffer.
      const P = model.layout.totalFloats;
      this.snapshotStaging = this.arena.create('snapshot readback', (1 + this.plan.optimizerState.length) * P * 4, READBACK);
    } catch (e) {
      this.arena.dispose();
      throw e;
    }
  }

  /** Optimizer steps taken so far. */
  get stepsTaken(): number {
    return this.stepCount;
  }

  /** Epoch and position of the current pass over the training data. */
  get position(): { epoch: number; row: number } {
    return { epoch: this.cursor?.epoch ?? 0, row: this.cursor?.next ?? 0 };
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error('this Trainer was disposed');
    this.model.assertAlive();
  }

  private assertTrainable(): void {
    this.assertAlive();
    if (this.stateLost) {
      throw new Error('this Trainer lost its optimizer state with the GPU device (another trainer restored the model); create a new trainer');
    }
    if (this.diverged) {
      throw new Error(`this Trainer stopped when training diverged at step ${this.diverged.step} (${this.diverged.tensor}); the model holds the weights of step ${this.stepCount}: create a new trainer (e.g. with a lower learning rate)`);
    }
  }

  private cursorFor(data: GpuDataset): Cursor {
    if (this.cursor?.data === data) return this.cursor;
    this.model.checkDataset(data);
    if (data.count < this.batchSize) {
      throw new RangeError(`batchSize ${this.batchSize} is larger than the dataset (${data.count} samples); use a batch of at most ${data.count}`);
    }
    let indices = this.indices.get(data);
    if (!indices) {
      indices = this.arena.storage(`permutation ${this.model.datasetKey(data)}`, data.count * 4);
      this.indices.set(data, indices);
    }
    const gather = this.plan.gather(data, indices, `train ${this.model.datasetKey(data)}`);
    const at = this.resumeAt ?? { epoch: 0, row: 0 };
    if (at.row > data.count) throw new RangeError(`the saved position (row ${at.row}) is beyond this dataset's ${data.count} samples`);
    this.resumeAt = undefined;
    const gradients = [gather, ...this.plan.forward, ...this.plan.backward];
    this.cursor = { data, indices, gather, full: [...gradients, ...this.plan.update], gradients, epoch: at.epoch, next: at.row };
    this.writePermutation(this.cursor);
    return this.cursor;
  }

  private writePermutation(c: Cursor): void {
    const perm = this.shuffle ? shuffledIndices(c.data.count, this.seed, c.epoch) : Uint32Array.from({ length: c.data.count }, (_, i) => i);
    this.model.gpu.device.queue.writeBuffer(c.indices, 0, perm as Uint32Array<ArrayBuffer>);
  }

  /** Encode and submit one optimizer step on the next batch of `data`. */
  private submitStep(data: GpuDataset, dispatches: 'full' | 'gradients' = 'full'): { rows: number; epoch: number } {
    if (this.model.gpu.isLost()) throw new DeviceLostError('the GPU device was lost'); // no point submitting
    const c = this.cursorFor(data);
    if (c.next >= data.count) {
      c.epoch += 1;
      c.next = 0;
      this.writePermutation(c);
    }
    const rows = Math.min(this.batchSize, data.count - c.next);
    const step = this.stepCount + 1;
    const { c1, c2 } = this.corrections(step);
    const slot = (step - 1) % this.logSlots;
    const device = this.model.gpu.device;
    device.queue.writeBuffer(
      this.plan.batch.step,
      0,
      packStep(
        { step, seed: this.seed, batchOffset: c.next, validRows: rows, lr: this.optimizer.learningRate, adamC1: c1, adamC2: c2, lossSlot: slot, training: true },
        this.stepScratch,
      ),
    );
    const list = dispatches === 'full' ? c.full : c.gradients;
    this.ctx.cache.guard(`train step ${step}`, () => {
      const enc = device.createCommandEncoder({ label: `train step ${step}` });
      enc.clearBuffer(this.log, slot * LOSS_LOG_STRIDE * 4, LOSS_LOG_STRIDE * 4);
      encodeDispatches(enc, list, `train step ${step}`);
      device.queue.submit([enc.finish()]);
    });
    const epoch = c.epoch;
    c.next += rows;
    if (dispatches === 'full') {
      this.stepCount = step;
      this.pending.push({ slot, step, epoch, rows });
      this.model.parametersChanged(this);
    } else {
      this.invalidateSnapshot(); // the cursor moved without a step
    }
    return { rows, epoch };
  }

  /** Wait for the GPU and read the losses of the steps since the last sync. */
  private async sync(forceSnapshot = false): Promise<StepLoss[]> {
    const device = this.model.gpu.device;
    await this.ctx.cache.checkErrors();
    if (this.pending.length === 0) {
      await device.queue.onSubmittedWorkDone();
      return [];
    }
    const enc = device.createCommandEncoder({ label: 'loss log and guard readback' });
    enc.copyBufferToBuffer(this.log, 0, this.staging, 0, this.log.size);
    enc.copyBufferToBuffer(this.plan.guard, 0, this.staging, this.log.size, GUARD_BYTES);
    // A snapshot, when due, rides on the same submit and wait.
    const snapshot = forceSnapshot || this.snapshotDue() ? this.encodeSnapshot(enc) : undefined;
    device.queue.submit([enc.finish()]);
    const [bytes, snap] = await Promise.all([mapCopy(this.staging), snapshot?.()]);
    const values = new Float32Array(bytes, 0, this.log.size / 4);
    const guard = decodeGuard(new Uint32Array(bytes, this.log.size, GUARD_BYTES / 4));
    const out = this.pending.map((p) => this.stepLoss(values, p.slot * LOSS_LOG_STRIDE, p.step, p.epoch, p.rows));
    this.pending = [];
    if (guard) throw this.stop(guard.step, guard.code, guard.kinds, out, guard.step - 1);
    // The guard sees each term; only their sum overflowed, after that step's update.
    const bad = out.find((l) => !Number.isFinite(l.total));
    if (bad) throw this.stop(bad.step, 0, [String(bad.total)], out, bad.step);
    if (snap) this.snapshot = snap; // only once the guard says its weights are finite
    return out;
  }

  private snapshotDue(): boolean {
    return !this.snapshot || this.stepCount - this.snapshot.step >= this.snapshotEvery;
  }

  /** @internal The parameters changed outside this trainer's steps: the snapshot no longer matches. */
  invalidateSnapshot(): void {
    this.snapshot = undefined;
  }

  /**
   * Record copies of the parameters and optimizer state into the snapshot
   * staging buffer; the returned function (called after the submit) maps it and
   * pairs the values with the counters as they are now.
   */
  private encodeSnapshot(enc: GPUCommandEncoder): () => Promise<Snapshot> {
    const P4 = this.model.layout.totalFloats * 4;
    [this.model.params, ...this.plan.optimizerState].forEach((b, i) => enc.copyBufferToBuffer(b, 0, this.snapshotStaging, i * P4, P4));
    const counters = { step: this.stepCount, ...(this.cursor ? { epoch: this.cursor.epoch, row: this.cursor.next } : (this.resumeAt ?? { epoch: 0, row: 0 })), data: this.cursor?.data };
    return async () => {
      const bytes = await mapCopy(this.snapshotStaging);
      const parts = Array.from({ length: 1 + this.plan.optimizerState.length }, (_, i) => new Float32Array(bytes, i * P4, P4 / 4));
      return { ...counters, params: parts[0], state: parts.slice(1) };
    };
  }

  /** Take a snapshot now (the start of a run), waiting for the GPU. */
  private async takeSnapshot(): Promise<void> {
    await this.sync(); // nothing in flight: the counters match the buffers
    const device = this.model.gpu.device;
    const enc = device.createCommandEncoder({ label: 'snapshot' });
    const read = this.encodeSnapshot(enc);
    device.queue.submit([enc.finish()]);
    this.snapshot = await read();
  }

  /**
   * `err` interrupted training. If the device was lost, report it and either stop
   * (DeviceLostError) or continue on a new device from the last snapshot: the
   * step count and data position go back to the snapshot's. Other errors are rethrown.
   */
  private async recoverOrThrow(err: unknown): Promise<void> {
    const gpu = this.model.gpu;
    if (err instanceof TrainingDivergedError || this.disposed || this.model.isDisposed) throw err;
    // WebGPU reports a lost device as rejected promises (DOMExceptions) before
    // device.lost settles: give it a moment. Our own errors are rethrown at once.
    const maybeLost = err instanceof DOMException || err instanceof DeviceLostError;
    const lost = gpu.isLost() || (maybeLost && (await Promise.race([gpu.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))])));
    if (!lost) throw err;
    const info = await gpu.lost;
    const snap = this.snapshot;
    if (!snap) throw new DeviceLostError(`the GPU device was lost (${info.reason}: ${info.message}) at step ${this.stepCount}, before this trainer had a snapshot to continue from`);
    const event: DeviceLossEvent = { reason: info.reason, message: info.message, step: this.stepCount, snapshotStep: snap.step };
    const action = (typeof this.onDeviceLost === 'function' ? this.onDeviceLost(event) : this.onDeviceLost) ?? 'recover';
    if (action === 'stop') {
      throw new DeviceLostError(`the GPU device was lost (${info.reason}: ${info.message}) at step ${this.stepCount}; stopped as asked (the last snapshot is of step ${snap.step})`);
    }
    const next = await this.model.replacementGpu({ reason: info.reason, message: info.message });
    this.model.rebuildOnDevice(next, snap.params, this);
    this.recoveries.push(event);
  }

  /**
   * @internal Rebuild every GPU object on the model's new device. With
   * `restore`, the optimizer state and counters come back from the snapshot;
   * otherwise this trainer's state is gone and it refuses to train.
   */
  rebuildOnDevice(restore: boolean): void {
    this.arena.dispose();
    this.indices.clear();
    this.cursor = undefined;
    this.pending = [];
    this.build();
    const snap = this.snapshot;
    if (!restore || !snap) {
      this.stateLost = true;
      return;
    }
    snap.state.forEach((a, i) => this.model.gpu.device.queue.writeBuffer(this.plan.optimizerState[i], 0, a as Float32Array<ArrayBuffer>));
    this.stepCount = snap.step;
    this.resumeAt = { epoch: snap.epoch, row: snap.row };
  }

  /**
   * Training diverged at `step`; the guard kept that and every later update
   * from happening, so the weights and optimizer state are those of `kept`.
   */
  private stop(step: number, code: number, kinds: string[], losses: StepLoss[], kept: number): TrainingDivergedError {
    let what = guardName(this.model.layout, code);
    const loss = losses.find((l) => l.step === step);
    if (code === 0 && loss) {
      const terms = Object.entries(loss.components).filter(([, v]) => !Number.isFinite(v));
      what = `loss (${terms.length ? terms.map(([k, v]) => `${k} = ${v}`).join(', ') : `total = ${loss.total}`})`;
    }
    this.stepCount = kept;
    this.diverged = new TrainingDivergedError(
      `training diverged at step ${step}: the ${what} became non-finite (${kinds.join(', ')}); the model keeps the weights of step ${kept}. Lower the learning rate or check the data`,
      step,
      what,
    );
    return this.diverged;
  }

  /** Run `n` optimizer steps on `data` (continuing its epochs); resolves when the GPU has finished them. */
  async steps(data: GpuDataset, n: number): Promise<StepLoss[]> {
    this.assertTrainable();
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`steps: n must be a non-negative integer (got ${n})`);
    this.cursorFor(data);
    const first = this.stepCount;
    const target = first + n;
    let losses: StepLoss[] = [];
    for (;;) {
      try {
        // Steps of an earlier call on the same data can be redone from an older snapshot; on other data they cannot.
        if (!this.snapshot || this.snapshot.data !== data) await this.takeSnapshot();
        while (this.stepCount < target) {
          this.submitStep(data);
          if (this.pending.length >= Math.min(this.syncEvery, this.logSlots) || this.snapshotDue()) losses.push(...(await this.sync()));
        }
        losses.push(...(await this.sync()));
        return losses.filter((l) => l.step > first);
      } catch (err) {
        await this.recoverOrThrow(err); // back at the snapshot's step: redo from there
        losses = losses.filter((l) => l.step <= this.stepCount);
      }
    }
  }

  /**
   * Forward and backward on the next batch without updating the weights; the
   * gradients are left in plan.grads (for checks). Does not advance the step count.
   */
  async computeGradients(data: GpuDataset): Promise<{ rows: number; loss: StepLoss }> {
    this.assertAlive();
    const { rows, epoch } = this.submitStep(data, 'gradients');
    const step = this.stepCount + 1;
    const slot = (step - 1) % this.logSlots;
    const values = await readFloats(this.model.gpu.device, { buffer: this.log, offset: slot * LOSS_LOG_STRIDE * 4, size: LOSS_LOG_STRIDE * 4 });
    await this.ctx.cache.checkErrors();
    return { rows, loss: this.stepLoss(values, 0, step, epoch, rows) };
  }

  private stepLoss(values: Float32Array, base: number, step: number, epoch: number, rows: number): StepLoss {
    const components = Object.fromEntries(Object.entries(LOSS_COMPONENT).map(([k, i]) => [k, values[base + i]])) as LossComponents;
    // The objective: every logged term, the VAE's (unweighted) KL weighted by β_t.
    const v = this.model.config.variational;
    const klScale = v ? klWeight(v, step) : 1;
    const total = Object.entries(components).reduce((a, [k, x]) => a + (k === 'vaeKl' ? klScale * x : x), 0);
    return { step, epoch, rows, total, components };
  }

  /** The gradient tensors left by the last step, by parameter name. */
  async readGradients(): Promise<Record<string, Float32Array>> {
    const flat = await readFloats(this.model.gpu.device, this.plan.grads, this.model.layout.totalFloats);
    const out: Record<string, Float32Array> = {};
    for (const t of this.model.layout.tensors) out[t.name] = flat.slice(t.offset, t.offset + t.size);
    return out;
  }

  /** Train for whole epochs, with progress events, held-out evaluation and cancellation. */
  async fit(data: GpuDataset, options: FitOptions): Promise<EpochRecord[]> {
    this.assertTrainable();
    const epochs = options?.epochs;
    if (!Number.isInteger(epochs) || epochs < 1) throw new RangeError(`epochs must be a positive integer (got ${epochs})`);
    if (options.evalData) this.model.checkDataset(options.evalData);
    const c = this.cursorFor(data);
    if (c.next > 0) {
      c.next = data.count; // finish a partial epoch left by steps(): start afresh
      this.invalidateSnapshot(); // the position moved without a step
    }
    const stepsPerEpoch = Math.ceil(data.count / this.batchSize);
    const history: EpochRecord[] = [];
    const fitStart = this.stepCount;
    if (this.snapshot?.step !== fitStart) this.invalidateSnapshot(); // recovery must not go back before fit's start
    let losses: StepLoss[] = [];
    let t0 = performance.now();
    let since = t0;
    let samplesSince = 0;
    const report = (batch: StepLoss[], stepInEpoch: number) => {
      losses.push(...batch);
      const now = performance.now();
      const rows = batch.reduce((a, l) => a + l.rows, 0);
      samplesSince += rows;
      if (rows > 0 && options.onProgress) {
        options.onProgress({
          epoch: history.length + 1,
          epochs,
          step: this.stepCount,
          stepInEpoch,
          stepsPerEpoch,
          loss: batch.reduce((a, l) => a + l.total * l.rows, 0) / rows,
          samplesPerSecond: (samplesSince * 1000) / Math.max(now - since, 1e-3),
        });
      }
      since = now;
      samplesSince = 0;
    };
    // One epoch per pass of the loop. After a device loss the step count is back
    // at the last snapshot, which is never before the current epoch's start (a
    // snapshot is taken at fit's start and at every epoch's last sync).
    while (history.length < epochs) {
      try {
        if (!this.snapshot) await this.takeSnapshot();
        const epochStart = fitStart + history.length * stepsPerEpoch;
        for (let s = this.stepCount - epochStart; s < stepsPerEpoch; s++) {
          if (options.signal?.aborted) {
            await this.sync().catch(() => []);
            throw options.signal.reason ?? new DOMException('training was aborted', 'AbortError');
          }
          this.submitStep(data);
          const last = s === stepsPerEpoch - 1;
          if (this.pending.length >= this.syncEvery || last || this.snapshotDue()) report(await this.sync(last), s + 1); // every epoch ends with a snapshot
        }
        const seconds = (performance.now() - t0) / 1000;
        const rows = losses.reduce((a, l) => a + l.rows, 0);
        const components = Object.fromEntries(
          Object.keys(LOSS_COMPONENT).map((k) => [k, losses.reduce((a, l) => a + l.components[k as keyof LossComponents] * l.rows, 0) / rows]),
        ) as LossComponents;
        const record: EpochRecord = {
          epoch: history.length + 1,
          trainLoss: losses.reduce((a, l) => a + l.total * l.rows, 0) / rows,
          components,
          seconds,
          samplesPerSecond: rows / seconds,
        };
        if (options.evalData) {
          const ev = await this.model.evaluate(options.evalData);
          record.evalLoss = ev.negativeElbo ?? ev.reconstruction;
          record.evaluation = ev;
        }
        history.push(record);
        options.onEpoch?.(record);
        losses = [];
        t0 = since = performance.now();
      } catch (err) {
        if (options.signal?.aborted) throw err;
        await this.recoverOrThrow(err); // back at the snapshot's step, within this epoch
        losses = losses.filter((l) => l.step <= this.stepCount);
      }
    }
    return history;
  }

  /**
   * Where a step's time goes: milliseconds of a full step, and of the same step's
   * matmul dispatches alone (the fastest of `n` runs each, after one warm-up).
   */
  async profile(data: GpuDataset, n = 5): Promise<{ stepMs: number; matmulMs: number; otherMs: number }> {
    this.assertAlive();
    const c = this.cursorFor(data);
    const full = c.full;
    const matmuls = full.filter((d) => d.pipeline.label.startsWith('matmul'));
    const device = this.model.gpu.device;
    const time = async (list: Dispatch[]) => {
      const run = () => {
        const enc = device.createCommandEncoder({ label: 'profile' });
        encodeDispatches(enc, list, 'profile');
        device.queue.submit([enc.finish()]);
      };
      run();
      await device.queue.onSubmittedWorkDone();
      // The fastest of n timed runs: on a shared machine the mean mostly measures the neighbours.
      let best = Infinity;
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        run();
        await device.queue.onSubmittedWorkDone();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    // Profiling re-runs the current step's batch; the weights it changes are restored.
    const saved = await readFloats(device, this.model.params, this.model.layout.totalFloats);
    const savedState = await Promise.all(this.plan.optimizerState.map((b) => readFloats(device, b)));
    const stepMs = await time(full);
    const matmulMs = await time(matmuls);
    device.queue.writeBuffer(this.model.params, 0, saved);
    this.plan.optimizerState.forEach((b, i) => device.queue.writeBuffer(b, 0, savedState[i]));
    return { stepMs, matmulMs, otherMs: stepMs - matmulMs };
  }

  /** The optimizer state and counters, for saving and resuming (waits for the GPU). */
  async exportState(): Promise<TrainerState> {
    this.assertAlive();
    await this.sync();
    const device = this.model.gpu.device;
    const state = await Promise.all(this.plan.optimizerState.map((b) => readFloats(device, b, this.model.layout.totalFloats)));
    const { epoch, row } = this.resumeAt ?? this.position;
    return { optimizer: this.optimizer, step: this.stepCount, epoch, row, seed: this.seed, shuffle: this.shuffle, state };
  }

  /**
   * Restore state from exportState() (of a trainer with the same optimizer, seed
   * and shuffling); the next step continues exactly where that trainer stopped,
   * on the dataset passed to the next steps() or fit().
   */
  importState(s: TrainerState): void {
    this.assertAlive();
    const P = this.model.layout.totalFloats;
    if (s.optimizer?.type !== this.optimizer.type) throw new RangeError(`saved optimizer is '${s.optimizer?.type}', this trainer's is '${this.optimizer.type}'`);
    if (s.state.length !== this.plan.optimizerState.length) throw new RangeError(`saved optimizer has ${s.state.length} state tensors, '${this.optimizer.type}' needs ${this.plan.optimizerState.length}`);
    s.state.forEach((a, i) => {
      if (a.length !== P) throw new RangeError(`saved optimizer state ${i} has ${a.length} values, this model needs ${P}`);
    });
    for (const [k, v] of [['step', s.step], ['epoch', s.epoch], ['row', s.row]] as const) {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`saved ${k} must be a non-negative integer (got ${v})`);
    }
    if (s.seed !== this.seed || s.shuffle !== this.shuffle) {
      throw new RangeError(`saved run used seed ${s.seed}, shuffle ${s.shuffle}; this trainer has seed ${this.seed}, shuffle ${this.shuffle}`);
    }
    const device = this.model.gpu.device;
    s.state.forEach((a, i) => device.queue.writeBuffer(this.plan.optimizerState[i], 0, a as Float32Array<ArrayBuffer>));
    device.queue.writeBuffer(this.plan.guard, 0, GUARD_CLEAR);
    this.diverged = undefined;
    this.invalidateSnapshot();
    this.stepCount = s.step;
    this.cursor = undefined;
    this.resumeAt = { epoch: s.epoch, row: s.row };
  }

  /** Free the trainer's buffers (gradients, optimizer state, batch tensors). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.arena.dispose();
    this.model.forgetTrainer(this);
  }
}

/** Map a read-back buffer and copy its bytes out. */
async function mapCopy(buffer: GPUBuffer): Promise<ArrayBuffer> {
  await buffer.mapAsync(GPUMapMode.READ);
  const bytes = buffer.getMappedRange().slice(0);
  buffer.unmap();
  return bytes;
}
