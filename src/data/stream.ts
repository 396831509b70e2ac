// A data set that streams from its host copy: on the GPU it holds two windows of
// `windowRows` samples (its two parts, so the gather kernel reads window 0 as
// sample rows 0..W−1 and window 1 as W..2W−1), loaded in the order a pass reads
// them. A pass (a trainer's epoch, an inference sweep) is a *reader*: an order of
// samples (the epoch's permutation, or none for dataset order) and its own index
// buffer, one u32 per position, through which the gather finds each position's
// row in a window. Loading positions [from, from + W) of a reader's order copies
// those samples into the window loaded least recently and points the reader's
// index entries at them; the batch at `from` then reads the same values it would
// read from a resident copy, so results are bit-identical.
//
// Double-buffered: the window being loaded is never the one the latest batches
// read. Every batch recorded but not submitted is flushed (the readers' flush())
// before a window is written, since queue.writeBuffer lands before any later submit.
import { STORAGE, type BufferArena } from '../gpu/arena';

/** One pass over a streamed data set. */
export interface StreamReader {
  /** Sample id at each position (the epoch's permutation); undefined: position = sample. */
  order?: Uint32Array;
  /** count u32 entries: position → row of a window, written by StreamWindows.ensure. */
  indices: GPUBuffer;
  /** Submit whatever this reader recorded and has not submitted yet. */
  flush(): void;
}

interface Loaded {
  reader: StreamReader;
  order?: Uint32Array;
  from: number;
  to: number;
}

export class StreamWindows {
  /** What each window holds (undefined: nothing yet). */
  private loaded: (Loaded | undefined)[] = [undefined, undefined];
  /** The window the next load goes into (the one loaded least recently). */
  private next = 0;
  /** Windows loaded, for tests and the bench. */
  loads = 0;

  constructor(
    private readonly device: GPUDevice,
    readonly windows: readonly [GPUBuffer, GPUBuffer],
    readonly windowRows: number,
    private readonly host: Uint8Array | Float32Array,
    private readonly features: number,
    readonly count: number,
    /** [2·windowRows] f32: the loaded samples' labels, for a classifier (set by the model). */
    public labels?: { buffer: GPUBuffer; values: Uint8Array },
  ) {}

  /** The maxGpuBytes whose windows hold `rows` samples. */
  bytesFor(rows: number): number {
    return 2 * Math.ceil(rows / 4) * 4 * this.features * this.host.BYTES_PER_ELEMENT;
  }

  /** Positions [from, to) of `reader`'s order are in a window once this returns (to − from ≤ windowRows). */
  ensure(reader: StreamReader, from: number, to: number): void {
    if (to - from > this.windowRows) {
      throw new RangeError(
        `a batch of ${to - from} samples does not fit this streamed dataset's windows of ${this.windowRows} samples: ` +
          `use batches of at most ${this.windowRows} (batchSize, inferenceBatchSize), or upload it with a maxGpuBytes of at least ${this.bytesFor(to - from)}`,
      );
    }
    const held = this.loaded.some((l) => l && l.reader === reader && l.order === reader.order && l.from <= from && to <= l.to);
    if (held) return;
    // Everything recorded against either window goes to the queue before one is overwritten.
    for (const l of this.loaded) l?.reader.flush();
    reader.flush();
    this.load(this.next, reader, from);
    this.next = 1 - this.next;
  }

  /** The windows' contents are gone (a new device, or the data set was freed). */
  forget(): void {
    this.loaded = [undefined, undefined];
    this.next = 0;
  }

  private load(w: number, reader: StreamReader, from: number): void {
    const W = this.windowRows;
    const F = this.features;
    const n = Math.min(W, this.count - from);
    const sample = (p: number) => (reader.order ? reader.order[p] : p);
    const rows = this.host instanceof Uint8Array ? new Uint8Array(Math.ceil((n * F) / 4) * 4) : new Float32Array(n * F);
    for (let j = 0; j < n; j++) {
      const s = sample(from + j);
      rows.set(this.host.subarray(s * F, (s + 1) * F), j * F);
    }
    this.device.queue.writeBuffer(this.windows[w], 0, rows as Uint8Array<ArrayBuffer>);
    if (this.labels) {
      const labels = Float32Array.from({ length: n }, (_, j) => this.labels!.values[sample(from + j)]);
      this.device.queue.writeBuffer(this.labels.buffer, w * W * 4, labels as Float32Array<ArrayBuffer>);
    }
    const rowsOf = Uint32Array.from({ length: n }, (_, j) => w * W + j);
    this.device.queue.writeBuffer(reader.indices, from * 4, rowsOf as Uint32Array<ArrayBuffer>);
    this.loaded[w] = { reader, order: reader.order, from, to: from + n };
    this.loads += 1;
  }
}

/** The two windows' buffers of a streamed data set of `rowBytes` per sample. */
export function createWindows(arena: BufferArena, label: string, windowRows: number, rowBytes: number): [GPUBuffer, GPUBuffer] {
  const bytes = Math.ceil((windowRows * rowBytes) / 4) * 4;
  return [arena.create(`${label} window 1/2`, bytes, STORAGE), arena.create(`${label} window 2/2`, bytes, STORAGE)];
}
