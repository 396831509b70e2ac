// Snapshots and device-loss recovery for a trainer.
//
// A snapshot is a copy of the parameters, the optimizer state and the counters
// (step, epoch, row), recorded into the same command buffer as a sync's loss
// read-back, so it costs no extra GPU wait. It is kept only once the non-finite
// guard says its weights are finite, and only while the model's parameters are
// the trainer's own (the model's parameter version says whether anything else —
// setParameters, another trainer — changed them since).
//
// When the device is lost, the model is rebuilt on a new one with the snapshot's
// parameters (src/model/autoencoder.ts rebuildOnDevice, which rebuilds every
// dependent trainer), the trainer restores its optimizer state and counters, and
// the lost steps are redone: the run ends bit-identical to an uninterrupted one.
import { mapCopy, READBACK, type BufferArena } from '../gpu/arena';
import { DeviceLostError, lostWith } from '../gpu/device';
import type { GpuDataset } from '../data/dataset';
import type { TrainableModel } from './trainable';

/** A device loss seen by a trainer. */
export interface DeviceLossEvent {
  reason: string;
  message: string;
  /** Steps submitted when the loss was noticed. */
  step: number;
  /** The step of the snapshot training continues from; step − snapshotStep steps are redone. */
  snapshotStep: number;
}

/** What to do after a device loss: see TrainerOptions.onDeviceLost. */
export type DeviceLossPolicy = 'recover' | 'stop' | ((event: DeviceLossEvent) => 'recover' | 'stop' | void);

/** The state a trainer can be rewound to. */
export interface Snapshot {
  step: number;
  epoch: number;
  row: number;
  data?: GpuDataset;
  params: Float32Array;
  state: Float32Array[];
}

export type SnapshotCounters = Pick<Snapshot, 'step' | 'epoch' | 'row' | 'data'>;

/** A trainer's latest snapshot and the read-back buffer it is taken through. */
export class Snapshots {
  private latest?: Snapshot & { version: number };
  /** The model's parameter version as the trainer's own steps (or its snapshot) left it. */
  private ownVersion: number;
  private staging!: GPUBuffer;
  private stateBuffers: GPUBuffer[] = [];

  constructor(
    private readonly model: TrainableModel,
    /** Steps between snapshots. */
    readonly every: number,
  ) {
    this.ownVersion = model.parameterVersion;
  }

  /** (Re)allocate the read-back buffer in `arena` for the parameters and `stateBuffers`. */
  build(arena: BufferArena, stateBuffers: GPUBuffer[]): void {
    this.stateBuffers = stateBuffers;
    const P = this.model.layout.totalFloats;
    this.staging = arena.create('snapshot readback', (1 + stateBuffers.length) * P * 4, READBACK);
  }

  /** The latest snapshot, unless the parameters changed outside the trainer's steps since. */
  get current(): Snapshot | undefined {
    if (this.latest && this.model.parameterVersion !== this.ownVersion) this.latest = undefined;
    return this.latest;
  }

  /** The trainer changed the parameters (one step). */
  stepped(): void {
    if (this.model.parameterVersion !== this.ownVersion) this.latest = undefined; // someone else's change came first
    this.ownVersion = this.model.touchParameters();
  }

  /** The model was rebuilt from the latest snapshot's parameters: it is the trainer's own state again. */
  restored(): void {
    this.ownVersion = this.model.parameterVersion;
  }

  invalidate(): void {
    this.latest = undefined;
  }

  /** A snapshot is due at `step`. */
  due(step: number): boolean {
    const s = this.current;
    return !s || step - s.step >= this.every;
  }

  /**
   * Record copies of the parameters and optimizer state into the staging buffer;
   * the returned function (called after the submit) maps it and pairs the values
   * with `counters` and the parameter version they belong to.
   */
  encode(enc: GPUCommandEncoder, counters: SnapshotCounters): () => Promise<Snapshot & { version: number }> {
    const P4 = this.model.layout.totalFloats * 4;
    const parts = [this.model.params, ...this.stateBuffers];
    parts.forEach((b, i) => enc.copyBufferToBuffer(b, 0, this.staging, i * P4, P4));
    const version = this.model.parameterVersion; // the queue orders the copies after every change made so far
    return async () => {
      const bytes = await mapCopy(this.staging);
      const arrays = parts.map((_, i) => new Float32Array(bytes, i * P4, P4 / 4));
      return { ...counters, params: arrays[0], state: arrays.slice(1), version };
    };
  }

  /** The snapshot's parameters when they are those of the model's parameter version `version` (for the model's own recovery). */
  parametersAt(version: number): Float32Array | undefined {
    const s = this.latest;
    return s && s.version === version && this.model.parameterVersion === version ? s.params : undefined;
  }

  /** Keep `s` to recover from (called once the guard said its weights are finite), unless the parameters moved on since. */
  keep(s: Snapshot & { version: number }): void {
    if (s.version !== this.model.parameterVersion) return;
    this.latest = s;
    this.ownVersion = s.version;
  }
}

/**
 * `err` interrupted training. If the device was lost, report it and either stop
 * (DeviceLostError) or rebuild the model on a new device from `snapshot` (which
 * rebuilds `trainer`, restoring it); returns the event. Other errors are rethrown.
 */
export async function recoverFromDeviceLoss(
  model: TrainableModel,
  err: unknown,
  o: { snapshot?: Snapshot; step: number; policy: DeviceLossPolicy; trainer: object },
): Promise<DeviceLossEvent> {
  const gpu = model.gpu;
  if (!(await lostWith(gpu, err))) throw err;
  const info = await gpu.lost;
  const snap = o.snapshot;
  if (!snap) throw new DeviceLostError(`the GPU device was lost (${info.reason}: ${info.message}) at step ${o.step}, before this trainer had a snapshot to continue from`);
  const event: DeviceLossEvent = { reason: info.reason, message: info.message, step: o.step, snapshotStep: snap.step };
  const action = (typeof o.policy === 'function' ? o.policy(event) : o.policy) ?? 'recover';
  if (action === 'stop') {
    throw new DeviceLostError(`the GPU device was lost (${info.reason}: ${info.message}) at step ${o.step}; stopped as asked (the last snapshot is of step ${snap.step})`);
  }
  const next = await model.replacementGpu({ reason: info.reason, message: info.message });
  model.rebuildOnDevice(next, snap.params, o.trainer);
  return event;
}
