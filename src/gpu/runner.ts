// The one place the library submits work to the GPU queue for a batch (and the
// read-backs that go with batches). A batch is: write the Step uniform → clear the
// batch's loss-log slot → record its dispatches (and any copies) into one command
// encoder → submit once. Training steps (src/train/trainer.ts), evaluation,
// encoding and decoding (src/model/embedding.ts, src/model/autoencoder.ts) and the
// linear probe (src/analysis/probe.ts) all go through submitBatch.
//
// Several batches in one submit (the trainer's stepsPerSubmit): their Step values
// go into a ring of Step-sized slots with one writeBuffer, and before each
// batch's dispatches the command buffer copies its slot into the Step uniform
// (commands in one command buffer run in order), so every batch still reads its
// own Step — the same results as one submit each, with one submit's overhead.
//
// queue.submit sites in src/ (3): this file (submitCommands, which submitBatch,
// the trainer's read-backs and snapshots and the profiler use); the read-back
// helper in src/gpu/arena.ts; runDispatches in src/gpu/kernel.ts (one-off
// dispatch lists: the kernel tests and computeGradientsWithDraws' draw probes).
import type { Dispatch, PipelineCache } from './kernel';
import { encodeDispatches } from './kernel';
import { packStep, STEP_BYTES, type StepValues } from './step';

/** A loss log of `slots` equal slots (LOSS_LOG_STRIDE f32 each, src/kernels/reduce.ts), one per batch in flight. */
export interface LossLog {
  buffer: GPUBuffer;
  slots: number;
}

export interface Batch {
  /** Names the command buffer and, in debug mode, a failure. */
  label: string;
  dispatches: readonly Dispatch[];
  /** Clear the Step's loss-log slot first (default true when the runner has a log). */
  clearSlot?: boolean;
  /** Copies recorded before the dispatches (e.g. loading the batch's rows). */
  before?: (enc: GPUCommandEncoder) => void;
  /** Copies recorded after them (e.g. the batch's outputs to their destination). */
  after?: (enc: GPUCommandEncoder) => void;
}

export class BatchRunner {
  private readonly scratch = new ArrayBuffer(STEP_BYTES);

  constructor(
    readonly device: GPUDevice,
    readonly cache: PipelineCache,
    /** The plan's Step uniform. */
    readonly step: GPUBuffer,
    readonly log?: LossLog,
    /** Step-sized slots (COPY_SRC | COPY_DST) for submitBatches: STEP_BYTES × the most batches per submit. */
    readonly ring?: GPUBuffer,
  ) {}

  /** Run one batch: its Step values, then (one submit) the slot clear, `before`, the dispatches and `after`. */
  submitBatch(values: StepValues, batch: Batch): void {
    this.device.queue.writeBuffer(this.step, 0, packStep(values, this.scratch));
    this.submitCommands(batch.label, (enc) => this.encodeBatch(enc, values, batch));
  }

  /** Run several batches in order in one submit, each with its own Step values (through the ring). */
  submitBatches(list: readonly { values: StepValues; batch: Batch }[]): void {
    if (list.length === 1) return this.submitBatch(list[0].values, list[0].batch);
    const ring = this.ring;
    if (!ring || ring.size < list.length * STEP_BYTES) throw new Error(`submitBatches: ${list.length} batches need a Step ring of ${list.length * STEP_BYTES} bytes (have ${ring?.size ?? 0})`);
    const packed = new Uint8Array(list.length * STEP_BYTES);
    list.forEach((b, i) => packed.set(new Uint8Array(packStep(b.values, this.scratch)), i * STEP_BYTES));
    this.device.queue.writeBuffer(ring, 0, packed);
    const label = `${list[0].batch.label} … ${list.at(-1)!.batch.label}`;
    this.submitCommands(label, (enc) => {
      list.forEach((b, i) => {
        enc.copyBufferToBuffer(ring, i * STEP_BYTES, this.step, 0, STEP_BYTES);
        this.encodeBatch(enc, b.values, b.batch);
      });
    });
  }

  private encodeBatch(enc: GPUCommandEncoder, values: StepValues, batch: Batch): void {
    const log = this.log;
    if (log && (batch.clearSlot ?? true)) {
      const slotBytes = log.buffer.size / log.slots;
      enc.clearBuffer(log.buffer, values.lossSlot * slotBytes, slotBytes);
    }
    batch.before?.(enc);
    encodeDispatches(enc, batch.dispatches, batch.label);
    batch.after?.(enc);
  }

  /** Record one command buffer with `record` and submit it (in debug mode inside error scopes named `label`). */
  submitCommands(label: string, record: (enc: GPUCommandEncoder) => void): void {
    const device = this.device;
    this.cache.guard(label, () => {
      const enc = device.createCommandEncoder({ label });
      record(enc);
      device.queue.submit([enc.finish()]);
    });
  }
}

/** Batches of at most `size` rows covering rows [0, count) in order. */
export function* batchesOf(count: number, size: number): Generator<{ row: number; rows: number; index: number }> {
  for (let row = 0, index = 0; row < count; row += size, index++) yield { row, rows: Math.min(size, count - row), index };
}
