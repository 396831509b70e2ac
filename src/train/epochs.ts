// What fit() keeps per epoch: the steps' losses turned into progress events and
// the epoch's record (EpochMeter), and early stopping's best held-out loss so far
// with its parameters (BestEpoch).
import { meanComponents } from '../model/objective';
import type { EarlyStopping, EpochRecord, Progress, StepLoss } from './options';

export class EpochMeter {
  private losses: StepLoss[] = [];
  private start = performance.now();
  private since = this.start;

  constructor(private readonly progress: { epochs: number; stepsPerEpoch: number; onProgress?: (p: Progress) => void }) {}

  /** The losses of one sync: kept for the epoch, and reported as one progress event (mean loss and samples/s since the last). */
  add(batch: StepLoss[], at: { epoch: number; step: number; stepInEpoch: number }): void {
    this.losses.push(...batch);
    const now = performance.now();
    const rows = batch.reduce((a, l) => a + l.rows, 0);
    if (rows > 0 && this.progress.onProgress) {
      this.progress.onProgress({
        ...at,
        epochs: this.progress.epochs,
        stepsPerEpoch: this.progress.stepsPerEpoch,
        loss: batch.reduce((a, l) => a + l.total * l.rows, 0) / rows,
        samplesPerSecond: (rows * 1000) / Math.max(now - this.since, 1e-3),
      });
    }
    this.since = now;
  }

  /** Training went back to `step` (a device loss): forget the losses of the steps after it. */
  rewind(step: number): void {
    this.losses = this.losses.filter((l) => l.step <= step);
  }

  /** The finished epoch's record (held-out figures not yet filled in); the meter starts the next epoch. */
  finish(epoch: number): EpochRecord {
    const seconds = (performance.now() - this.start) / 1000;
    const rows = this.losses.reduce((a, l) => a + l.rows, 0);
    const record: EpochRecord = {
      epoch,
      trainLoss: this.losses.reduce((a, l) => a + l.total * l.rows, 0) / rows,
      components: meanComponents(this.losses),
      seconds,
      samplesPerSecond: rows / seconds,
    };
    this.losses = [];
    return record;
  }

  /** The next epoch's clock starts now (after evaluation and the epoch's callbacks). */
  restart(): void {
    this.start = this.since = performance.now();
  }
}

/** Early stopping: the best held-out loss, its epoch and (with restoreBest) its parameters. */
export class BestEpoch {
  loss = Infinity;
  epoch = 0;
  params?: Float32Array;

  /** `from`: the best epoch of earlier fit() calls, numbered from this call's start (≤ 0). */
  constructor(
    readonly rule: Required<EarlyStopping>,
    from?: { epoch: number; loss: number; params?: Float32Array },
  ) {
    if (from) {
      this.epoch = from.epoch;
      this.loss = from.loss;
      this.params = from.params;
    }
  }

  /** Whether `patience` epochs have passed without an improvement, after `epochs` epochs. */
  exhausted(epochs: number): boolean {
    return epochs - this.epoch >= this.rule.patience;
  }

  /** Record an epoch's held-out loss; `read` gives the parameters when it is the best so far (and they are to be restored). */
  async update(record: EpochRecord, read: () => Promise<Float32Array>): Promise<void> {
    if (record.evalLoss! < this.loss - this.rule.minDelta) {
      this.params = this.rule.restoreBest ? await read() : undefined;
      this.loss = record.evalLoss!;
      this.epoch = record.epoch;
    }
    record.bestEpoch = this.epoch;
  }
}
