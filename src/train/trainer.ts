// The training loop. A Trainer owns a static TrainingPlan for its batch size;
// each step goes through the batch runner (src/gpu/runner.ts): the Step uniform,
// a cleared loss-log slot and every dispatch in one command buffer, one submit
// per step, no allocation per step. Losses accumulate in a GPU log that is read
// back only at sync points (every `syncEvery` steps and at the end of an epoch);
// snapshots ride on those read-backs (src/train/recovery.ts).
import { BufferArena, COPY_DST, COPY_SRC, readFloats } from '../gpu/arena';
import type { MatmulContext } from '../kernels/matmul';
import { MatmulTuner, type MatmulChoice, type MatmulKernelOption } from '../kernels/matmul-tuning';
import type { Dispatch } from '../gpu/kernel';
import { BatchRunner, type Batch } from '../gpu/runner';
import { STEP_BYTES, type StepValues } from '../gpu/step';
import { adamCorrector, type OptimizerConfig } from '../kernels/optimizer';
import { LOSS_LOG_STRIDE } from '../kernels/reduce';
import { GUARD_CLEAR } from '../kernels/finite';
import { shuffledIndices } from '../data/shuffle';
import type { StreamReader } from '../data/stream';
import type { GpuDataset } from '../data/dataset';
import { DeviceLostError } from '../gpu/device';
import { LossReadback } from './loss-readback';
import { TrainingPlan } from './training-plan';
import { recoverFromDeviceLoss, Snapshots, type DeviceLossEvent, type DeviceLossPolicy, type Snapshot } from './recovery';
import { profileStep, type StepProfile } from './profile';
import type { TrainableModel } from './trainable';
import { resolveEarlyStopping, resolveTrainerOptions, TrainingDivergedError, type EarlyStopping, type EarlyStoppingState, type EpochRecord, type FitOptions, type StepLoss, type TrainerOptions, type TrainerState } from './options';
import { BestEpoch, EpochMeter } from './epochs';
import { checkTrainerState } from './state';
import { scheduledLearningRate, type ResolvedSchedule } from './schedule';

interface Cursor {
  data: GpuDataset;
  indices: GPUBuffer;
  /** The step's dispatches in order, built once: with and without the optimizer update. */
  full: Dispatch[];
  gradients: Dispatch[];
  epoch: number;
  next: number; // next row of the permutation
  /** For a streamed data set: this pass's reader (the epoch's order), loading windows as steps reach them. */
  reader?: StreamReader;
}

export class Trainer {
  /** The static plan; replaced when the trainer is rebuilt on a new device. */
  plan!: TrainingPlan;
  readonly batchSize: number;
  readonly optimizer: OptimizerConfig;
  /** The learning-rate schedule, defaults applied. */
  readonly schedule: ResolvedSchedule;
  readonly seed: number;
  /** Device losses recovered from, for reports and tests. */
  readonly recoveries: DeviceLossEvent[] = [];
  private readonly corrections: (step: number) => { c1: number; c2: number };
  // GPU objects, rebuilt by build() on a new device after a loss.
  private arena!: BufferArena;
  /** The model's context with the trainer's arena and matmul tuner (every matmul of the plan asks it). */
  private ctx!: MatmulContext;
  private matmul!: MatmulTuner;
  private readonly matmulKernel: MatmulKernelOption;
  private runner!: BatchRunner;
  private losses!: LossReadback;
  private readonly shuffle: boolean;
  private readonly syncEvery: number;
  private readonly stepsPerSubmit: number;
  /** Steps recorded but not yet submitted (at most stepsPerSubmit; flushed by every sync and epoch change). */
  private pending: { values: StepValues; batch: Batch }[] = [];
  private readonly onDeviceLost: DeviceLossPolicy;
  private readonly indices = new Map<GpuDataset, GPUBuffer>();
  private readonly snapshots: Snapshots;
  private stateLost = false;
  private cursor?: Cursor;
  private resumeAt?: { epoch: number; row: number };
  private stepCount = 0;
  private diverged?: TrainingDivergedError;
  private disposed = false;
  private readonly dependent = {
    deviceReplaced: (restore: boolean) => this.rebuildOnDevice(restore),
    modelDisposed: () => this.dispose(),
    parametersAt: (version: number) => this.snapshots.parametersAt(version),
  };

  constructor(
    readonly model: TrainableModel,
    options: TrainerOptions,
  ) {
    const o = resolveTrainerOptions(options, model);
    this.batchSize = o.batchSize;
    this.optimizer = o.optimizer;
    this.schedule = o.schedule;
    this.corrections = adamCorrector(this.optimizer);
    this.seed = o.seed;
    this.shuffle = o.shuffle;
    this.syncEvery = o.syncEvery;
    this.stepsPerSubmit = o.stepsPerSubmit;
    this.onDeviceLost = o.onDeviceLost;
    this.matmulKernel = o.matmulKernel;
    this.snapshots = new Snapshots(model, o.snapshotEvery);
    model.assertAlive();
    this.build();
    model.addDependent(this.dependent);
  }

  /** Every GPU object of the trainer, on the model's current device. */
  private build(): void {
    const model = this.model;
    this.arena = new BufferArena(model.gpu.device, 'trainer');
    this.matmul = new MatmulTuner(model.ctx.cache, this.matmulKernel);
    this.ctx = { ...model.ctx, arena: this.arena, matmul: this.matmul };
    try {
      this.losses = new LossReadback(this.arena, model.config);
      this.plan = new TrainingPlan(this.ctx, model, this.batchSize, this.arena, this.optimizer, this.losses.log.buffer);
      const ring = this.stepsPerSubmit > 1 ? this.arena.create('step ring', this.stepsPerSubmit * STEP_BYTES, COPY_SRC | COPY_DST) : undefined;
      this.runner = new BatchRunner(model.gpu.device, this.ctx.cache, this.plan.batch.step, this.losses.log, ring);
      this.pending = [];
      this.snapshots.build(this.arena, this.plan.optimizerState);
    } catch (e) {
      this.arena.dispose();
      throw e;
    }
  }

  /** The learning rate of the 1-based optimizer `step` under this trainer's schedule. */
  learningRateAt(step: number): number {
    return scheduledLearningRate(this.schedule, this.optimizer.learningRate, step);
  }

  /** Optimizer steps taken so far. */
  get stepsTaken(): number {
    return this.stepCount;
  }

  /**
   * The matmul kernel family of each shape the trainer's plan uses, and why (forced,
   * tuned with its timings, cached, default). Before the first step a shape being
   * tuned shows 'pending'.
   */
  matmulKernels(): MatmulChoice[] {
    return this.matmul.choices();
  }

  /**
   * Compute dispatches one training step on `data` records (gather, forward, backward,
   * guard, optimizer update), in order: each one's label and its pipeline (the kernel,
   * e.g. 'matmul_nt_aligned'). What metrics.json reports.
   */
  stepDispatches(data: GpuDataset): { label: string; kernel: string }[] {
    this.assertAlive();
    return this.cursorFor(data).full.map((d) => ({ label: d.label, kernel: d.pipeline.label }));
  }

  /** Time the kernel families on the plan's matmul shapes that still need it (matmulKernel 'tune', or 'auto' on a GPU). */
  private async tuneMatmuls(): Promise<void> {
    if (this.matmul.untuned > 0) await this.matmul.tune();
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
    if (this.model.arch.codeNorm && !this.model.codeStatisticsFitted) {
      throw new Error('this classifier standardises its codes (classifier.standardiseCodes) but their statistics were never fitted: call await model.fitCodeStatistics(trainData) before training');
    }
  }

  private cursorFor(data: GpuDataset): Cursor {
    if (this.cursor?.data === data && !data.released) return this.cursor;
    this.model.checkDataset(data);
    if (data.count < this.batchSize) {
      throw new RangeError(`batchSize ${this.batchSize} is larger than the dataset (${data.count} samples); use a batch of at most ${data.count}`);
    }
    if (data.stream && data.stream.windowRows < this.batchSize) {
      throw new RangeError(`batchSize ${this.batchSize} is larger than this streamed dataset's windows (${data.stream.windowRows} samples); use a batch of at most ${data.stream.windowRows}, or upload it with a maxGpuBytes of at least ${data.stream.bytesFor(this.batchSize)}`);
    }
    let indices = this.indices.get(data);
    if (!indices) {
      indices = this.arena.storage(`permutation ${this.model.datasetKey(data)}`, data.count * 4);
      this.indices.set(data, indices);
    }
    const key = `train ${this.model.datasetKey(data)}`;
    // A classifier's labels are gathered with the same permutation as the samples.
    const labels = this.model.config.classifier ? this.plan.gatherLabels(this.model.labelData(data, 'train'), indices, key) : [];
    const gather = [this.plan.gather(data, indices, key), ...labels];
    const at = this.resumeAt ?? { epoch: 0, row: 0 };
    if (at.row > data.count) throw new RangeError(`the saved position (row ${at.row}) is beyond this dataset's ${data.count} samples`);
    this.resumeAt = undefined;
    const gradients = [...gather, ...this.plan.forward, ...this.plan.backward];
    const reader = data.stream ? { indices, flush: () => this.flush() } : undefined;
    this.cursor = { data, indices, full: [...gradients, ...this.plan.update], gradients, epoch: at.epoch, next: at.row, reader };
    this.writePermutation(this.cursor);
    return this.cursor;
  }

  private writePermutation(c: Cursor): void {
    const perm = this.shuffle ? shuffledIndices(c.data.count, this.seed, c.epoch) : Uint32Array.from({ length: c.data.count }, (_, i) => i);
    // A streamed data set keeps the order on the host; its windows are loaded in it as steps reach them.
    if (c.reader) c.reader.order = perm;
    else this.model.gpu.device.queue.writeBuffer(c.indices, 0, perm as Uint32Array<ArrayBuffer>);
  }

  /** Submit one optimizer step on the next batch of `data` ('gradients': forward and backward only). */
  private submitStep(data: GpuDataset, dispatches: 'full' | 'gradients' = 'full'): { rows: number; epoch: number } {
    if (this.model.gpu.isLost()) throw new DeviceLostError('the GPU device was lost'); // no point submitting
    const c = this.cursorFor(data);
    if (c.next >= data.count) {
      this.flush(); // the new permutation must not reach the previous epoch's steps still waiting
      c.epoch += 1;
      c.next = 0;
      this.writePermutation(c);
    }
    const rows = Math.min(this.batchSize, data.count - c.next);
    if (c.reader) data.stream!.ensure(c.reader, c.next, c.next + rows); // may submit the steps recorded so far first
    const step = this.stepCount + 1;
    const { c1, c2 } = this.corrections(step);
    const slot = this.losses.slotOf(step);
    this.pending.push({
      values: { step, seed: this.seed, batchOffset: c.next, validRows: rows, lr: this.learningRateAt(step), adamC1: c1, adamC2: c2, lossSlot: slot, training: true },
      batch: { label: `train step ${step}`, dispatches: dispatches === 'full' ? c.full : c.gradients },
    });
    if (dispatches !== 'full' || this.pending.length >= this.stepsPerSubmit) this.flush();
    const epoch = c.epoch;
    c.next += rows;
    if (dispatches === 'full') {
      this.stepCount = step;
      this.losses.add(step, epoch, rows);
      this.snapshots.stepped();
    } else {
      this.snapshots.invalidate(); // the cursor moved without a step
    }
    return { rows, epoch };
  }

  /** Submit the steps recorded since the last submit, in one queue submit. */
  private flush(): void {
    if (this.pending.length === 0) return;
    const list = this.pending;
    this.pending = [];
    this.runner.submitBatches(list);
  }

  /** A sync is due: syncEvery steps since the last (at most as many as the loss log has slots), or a snapshot. */
  private syncDue(): boolean {
    return this.losses.count >= Math.min(this.syncEvery, this.losses.slots) || this.snapshots.due(this.stepCount);
  }

  /** Wait for the GPU and read the losses of the steps since the last sync (with a snapshot when one is due). */
  private async sync(forceSnapshot = false): Promise<StepLoss[]> {
    const device = this.model.gpu.device;
    this.flush();
    await this.ctx.cache.checkErrors();
    if (this.losses.count === 0) {
      await device.queue.onSubmittedWorkDone();
      return [];
    }
    let snapshot: (() => Promise<Snapshot & { version: number }>) | undefined;
    this.runner.submitCommands('loss log and guard readback', (enc) => {
      this.losses.encode(enc, this.plan.guard);
      // A snapshot, when due, rides on the same submit and wait.
      if (forceSnapshot || this.snapshots.due(this.stepCount)) snapshot = this.snapshots.encode(enc, this.counters());
    });
    const [{ losses: out, guard }, snap] = await Promise.all([this.losses.read(), snapshot?.()]);
    if (guard) throw this.stop(guard.step, guard.code, guard.kinds, out, guard.step - 1);
    // The guard sees each term; only their sum overflowed, after that step's update.
    const bad = out.find((l) => !Number.isFinite(l.total));
    if (bad) throw this.stop(bad.step, 0, [String(bad.total)], out, bad.step);
    if (snap) this.snapshots.keep(snap); // only once the guard says its weights are finite
    return out;
  }

  /** The counters a snapshot taken now pairs with the buffers. */
  private counters(): Pick<Snapshot, 'step' | 'epoch' | 'row' | 'data'> {
    const at = this.cursor ? { epoch: this.cursor.epoch, row: this.cursor.next } : (this.resumeAt ?? { epoch: 0, row: 0 });
    return { step: this.stepCount, ...at, data: this.cursor?.data };
  }

  /** Take a snapshot now (the start of a run), waiting for the GPU. */
  private async takeSnapshot(): Promise<void> {
    await this.sync(); // nothing in flight: the counters match the buffers
    let read!: () => Promise<Snapshot & { version: number }>;
    this.runner.submitCommands('snapshot', (enc) => (read = this.snapshots.encode(enc, this.counters())));
    this.snapshots.keep(await read());
  }

  /** `err` interrupted training: recover on a new device from the last snapshot (see recovery.ts), or rethrow. */
  private async recoverOrThrow(err: unknown): Promise<void> {
    if (err instanceof TrainingDivergedError || this.disposed || this.model.isDisposed) throw err;
    const event = await recoverFromDeviceLoss(this.model, err, { snapshot: this.snapshots.current, step: this.stepCount, policy: this.onDeviceLost, trainer: this.dependent });
    this.recoveries.push(event);
  }

  /**
   * The model moved to a new device: rebuild every GPU object there. With
   * `restore`, the optimizer state and counters come back from the snapshot;
   * otherwise this trainer's state is gone and it refuses to train.
   */
  private rebuildOnDevice(restore: boolean): void {
    this.arena.dispose();
    this.indices.clear();
    this.cursor = undefined;
    this.build();
    const snap = this.snapshots.current;
    if (!restore || !snap) {
      this.stateLost = true;
      return;
    }
    snap.state.forEach((a, i) => this.model.gpu.device.queue.writeBuffer(this.plan.optimizerState[i], 0, a as Float32Array<ArrayBuffer>));
    this.snapshots.restored();
    this.stepCount = snap.step;
    this.resumeAt = { epoch: snap.epoch, row: snap.row };
  }

  /** Training diverged at `step`; the guard kept that and every later update from happening: the weights are those of `kept`. */
  private stop(step: number, code: number, kinds: string[], losses: StepLoss[], kept: number): TrainingDivergedError {
    this.stepCount = kept;
    this.diverged = TrainingDivergedError.at(this.model.layout, step, code, kinds, losses, kept);
    return this.diverged;
  }

  /** Run `n` optimizer steps on `data` (continuing its epochs); resolves when the GPU has finished them. */
  async steps(data: GpuDataset, n: number): Promise<StepLoss[]> {
    this.assertTrainable();
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`steps: n must be a non-negative integer (got ${n})`);
    this.cursorFor(data);
    await this.tuneMatmuls();
    const first = this.stepCount;
    const target = first + n;
    let losses: StepLoss[] = [];
    for (;;) {
      try {
        // Steps of an earlier call on the same data can be redone from an older snapshot; on other data they cannot.
        if (this.snapshots.current?.data !== data) await this.takeSnapshot();
        while (this.stepCount < target) {
          this.submitStep(data);
          if (this.syncDue()) losses.push(...(await this.sync()));
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
    await this.tuneMatmuls();
    const { rows, epoch } = this.submitStep(data, 'gradients');
    const step = this.stepCount + 1;
    const slot = this.losses.slotOf(step);
    const values = await readFloats(this.model.gpu.device, { buffer: this.losses.log.buffer, offset: slot * LOSS_LOG_STRIDE * 4, size: LOSS_LOG_STRIDE * 4 });
    await this.ctx.cache.checkErrors();
    return { rows, loss: this.losses.stepLoss(values, 0, step, epoch, rows) };
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
    const early = resolveEarlyStopping(options.earlyStopping, options.evalData !== undefined);
    await this.tuneMatmuls(); // before the epochs' clocks start
    const c = this.cursorFor(data);
    if (c.next > 0 && c.next < data.count) {
      c.next = data.count; // finish a partial epoch left by steps(): start afresh
      this.snapshots.invalidate(); // the position moved without a step
    }
    const stepsPerEpoch = Math.ceil(data.count / this.batchSize);
    const history: EpochRecord[] = [];
    const fitStart = this.stepCount;
    if (this.snapshots.current?.step !== fitStart) this.snapshots.invalidate(); // recovery must not go back before fit's start
    const meter = new EpochMeter({ epochs, stepsPerEpoch, onProgress: options.onProgress });
    const best = early && new BestEpoch(early, early && this.carriedBest(options.earlyStoppingFrom, early));
    // One epoch per pass of the loop. After a device loss the step count is back
    // at the last snapshot, which is never before the current epoch's start (a
    // snapshot is taken at fit's start and at every epoch's last sync).
    while (history.length < epochs && !best?.exhausted(history.length)) {
      try {
        if (!this.snapshots.current) await this.takeSnapshot();
        const epochStart = fitStart + history.length * stepsPerEpoch;
        for (let s = this.stepCount - epochStart; s < stepsPerEpoch; s++) {
          if (options.signal?.aborted) {
            await this.sync().catch(() => []);
            throw options.signal.reason ?? new DOMException('training was aborted', 'AbortError');
          }
          this.submitStep(data);
          const last = s === stepsPerEpoch - 1;
          // Every epoch ends with a snapshot.
          if (last || this.syncDue()) meter.add(await this.sync(last), { epoch: history.length + 1, step: this.stepCount, stepInEpoch: s + 1 });
        }
        const record = meter.finish(history.length + 1);
        if (options.evalData) {
          const ev = await this.model.evaluate(options.evalData);
          record.evalLoss = ev.classifier?.loss ?? ev.negativeElbo ?? ev.reconstruction;
          record.evaluation = ev;
        }
        // The epoch ended with a snapshot: its parameters are the best epoch's, no second read-back.
        await best?.update(record, async () => this.snapshots.parametersAt(this.model.parameterVersion) ?? readFloats(this.model.gpu.device, this.model.params, this.model.layout.totalFloats));
        history.push(record);
        await options.onEpoch?.(record);
        meter.restart();
      } catch (err) {
        if (options.signal?.aborted) throw err;
        await this.recoverOrThrow(err); // back at the snapshot's step, within this epoch
        meter.rewind(this.stepCount);
      }
    }
    if (best?.params && best.epoch !== history.length) this.restoreParameters(best.params);
    return history;
  }

  /** The best epoch of earlier fit() calls (FitOptions.earlyStoppingFrom), checked, numbered from this call's start. */
  private carriedBest(from: EarlyStoppingState | undefined, rule: Required<EarlyStopping>): { epoch: number; loss: number; params?: Float32Array } | undefined {
    if (from === undefined) return undefined;
    const where = 'earlyStoppingFrom';
    if (!Number.isSafeInteger(from.epochsBefore) || from.epochsBefore < 1) throw new RangeError(`${where}.epochsBefore must be a positive integer (got ${from.epochsBefore})`);
    if (!Number.isSafeInteger(from.bestEpoch) || from.bestEpoch < 1 || from.bestEpoch > from.epochsBefore) {
      throw new RangeError(`${where}.bestEpoch must be an integer in [1, epochsBefore = ${from.epochsBefore}] (got ${from.bestEpoch})`);
    }
    if (typeof from.bestLoss !== 'number' || !Number.isFinite(from.bestLoss)) throw new RangeError(`${where}.bestLoss must be a finite number (got ${from.bestLoss})`);
    let params: Float32Array | undefined;
    if (rule.restoreBest) {
      if (!from.bestParameters) throw new RangeError(`${where}.bestParameters is needed to restore the best epoch's weights (or set earlyStopping.restoreBest to false)`);
      params = new Float32Array(this.model.layout.totalFloats);
      for (const t of this.model.layout.tensors) {
        const v = from.bestParameters[t.name];
        if (!(v instanceof Float32Array) || v.length !== t.size) throw new RangeError(`${where}.bestParameters["${t.name}"] must be a Float32Array of ${t.size} values (got ${v instanceof Float32Array ? v.length : typeof v})`);
        params.set(v, t.offset);
      }
    }
    return { epoch: from.bestEpoch - from.epochsBefore, loss: from.bestLoss, params };
  }

  /** Put back parameters saved during fit() (early stopping's best epoch); the optimizer state and counters stay. */
  private restoreParameters(params: Float32Array): void {
    this.model.gpu.device.queue.writeBuffer(this.model.params, 0, params as Float32Array<ArrayBuffer>);
    this.model.touchParameters();
    this.snapshots.invalidate(); // the snapshot's parameters are no longer the model's
  }

  /** Where a step's time goes (src/train/profile.ts); the weights and optimizer state are restored afterwards. */
  async profile(data: GpuDataset, n = 5): Promise<StepProfile> {
    this.assertAlive();
    await this.tuneMatmuls();
    const profile = await profileStep({ device: this.model.gpu.device, runner: this.runner, dispatches: this.cursorFor(data).full, saved: [this.model.params, ...this.plan.optimizerState] }, n);
    return { ...profile, matmulChoices: this.matmulKernels() };
  }

  /** The optimizer state and counters, for saving and resuming (waits for the GPU). */
  async exportState(): Promise<TrainerState> {
    this.assertAlive();
    await this.sync();
    // A snapshot of this very step (as at the end of every epoch) has the state already: no read-back.
    const snap = this.snapshots.current;
    const device = this.model.gpu.device;
    const state =
      snap && snap.step === this.stepCount
        ? snap.state.map((a) => a.slice())
        : await Promise.all(this.plan.optimizerState.map((b) => readFloats(device, b, this.model.layout.totalFloats)));
    const { epoch, row } = this.resumeAt ?? this.position;
    return { optimizer: this.optimizer, schedule: this.schedule, step: this.stepCount, epoch, row, seed: this.seed, shuffle: this.shuffle, state };
  }

  /**
   * Restore state from exportState() (of a trainer with the same optimizer, seed
   * and shuffling); the next step continues exactly where that trainer stopped,
   * on the dataset passed to the next steps() or fit().
   */
  importState(s: TrainerState): void {
    this.assertAlive();
    checkTrainerState(s, { optimizer: this.optimizer, schedule: this.schedule, stateBuffers: this.plan.optimizerState.length, floats: this.model.layout.totalFloats, seed: this.seed, shuffle: this.shuffle });
    const device = this.model.gpu.device;
    s.state.forEach((a, i) => device.queue.writeBuffer(this.plan.optimizerState[i], 0, a as Float32Array<ArrayBuffer>));
    device.queue.writeBuffer(this.plan.guard, 0, GUARD_CLEAR);
    this.diverged = undefined;
    this.snapshots.invalidate();
    this.stepCount = s.step;
    this.cursor = undefined;
    this.resumeAt = { epoch: s.epoch, row: s.row };
  }

  /** Free the trainer's buffers (gradients, optimizer state, batch tensors). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.arena.dispose();
    this.model.removeDependent(this.dependent);
  }
}
