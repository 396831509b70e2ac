// A data set resident on the GPU, read by the gather kernel (shaders/gather.wgsl).
// u8 data (pixels) is stored packed, 4 bytes per u32 word, little-endian, and
// stands for value = byte / 255; f32 data is stored as is. A data set larger than
// one binding may hold (maxStorageBufferBindingSize) is split by rows into up to
// MAX_DATASET_PARTS buffers, which the gather kernel binds side by side. One
// larger than that, or than the maxGpuBytes asked for, streams from its host copy
// through two windows (src/data/stream.ts).
import { STORAGE, type BufferArena } from '../gpu/arena';
import { createWindows, StreamWindows } from './stream';

export interface GpuDataset {
  readonly count: number;
  readonly features: number;
  readonly format: 'u8' | 'f32';
  /** The first (often the only) part. */
  readonly buffer: GPUBuffer;
  /** The samples, `rowsPerPart` per buffer in order (the last holds the rest). */
  readonly parts: readonly GPUBuffer[];
  readonly rowsPerPart: number;
  /** As asked for at upload (kept for a re-upload after a device loss). */
  readonly maxBindingBytes?: number;
  readonly maxGpuBytes?: number;
  /**
   * Set when the samples stream from `host`: then `parts` are its two windows of
   * `rowsPerPart` samples each, loaded as passes reach them.
   */
  readonly stream?: StreamWindows;
  readonly labels?: Uint8Array;
  /** The CPU copy (the array passed in, not copied): for references and analysis. */
  readonly host: Uint8Array | Float32Array;
  /** The arena that owns `buffer`: the buffer is gone once it is disposed. */
  readonly owner: BufferArena;
  /** The per-feature mean subtracted from every sample as it is read, when centred. */
  readonly mean?: Float32Array;
  /** `mean` on the GPU, read by the gather kernel. */
  readonly center?: GPUBuffer;
  /** Set by the model's releaseDataset(): the buffers are gone. */
  readonly released?: boolean;
}

export interface DatasetSource {
  data: Uint8Array | Float32Array;
  features: number;
  /** Default: data.length / features. */
  count?: number;
  labels?: Uint8Array;
  label?: string;
  /**
   * Centre the samples: true subtracts the data set's own per-feature mean, an
   * array subtracts that (e.g. the training set's mean from a test set).
   * Values are then value − mean (u8 values being byte/255). Default false.
   */
  center?: boolean | ArrayLike<number>;
  /**
   * The most bytes one buffer of the data set holds. Default (and most): the
   * device's maxStorageBufferBindingSize and maxBufferSize; a larger data set is
   * split by rows across up to MAX_DATASET_PARTS bindings. Smaller values force
   * the split (tests).
   */
  maxBindingBytes?: number;
  /**
   * The most GPU memory the samples may take. A data set larger than this, or
   * than MAX_DATASET_PARTS bindings, streams from the host copy (`data`, which
   * must then stay unchanged) through two windows of at most half as much each,
   * loaded as training and inference reach them, with the same results as a
   * resident copy. Default: no limit (streams only beyond MAX_DATASET_PARTS bindings).
   */
  maxGpuBytes?: number;
}

/** The most buffers a data set is split into: the gather kernel's storage bindings (8 per stage, the WebGPU minimum, in all) allow 3. */
export const MAX_DATASET_PARTS = 3;

/** Per-feature mean of the samples (u8 as byte/255), in float64 then rounded to f32. */
export function featureMean(data: Uint8Array | Float32Array, features: number, count: number): Float32Array {
  const sum = new Float64Array(features);
  for (let r = 0; r < count; r++) for (let i = 0; i < features; i++) sum[i] += data[r * features + i];
  const scale = data instanceof Uint8Array ? 1 / (255 * count) : 1 / count;
  return Float32Array.from(sum, (v) => v * scale);
}

/** Values a model accepts in f32 data, and why (e.g. cross-entropy targets must be in [0, 1]). */
export interface ValueRange {
  min: number;
  max: number;
  why: string;
}

export function uploadDataset(ctx: { device: GPUDevice; arena: BufferArena }, source: DatasetSource, range?: ValueRange): GpuDataset {
  const label = source.label ?? 'dataset';
  const { data, features } = source;
  if (!(data instanceof Uint8Array) && !(data instanceof Float32Array)) {
    throw new Error(`uploadDataset(${label}): data must be a Uint8Array (pixels 0..255) or a Float32Array`);
  }
  if (!Number.isInteger(features) || features < 1) {
    throw new Error(`uploadDataset(${label}): features must be a positive integer, got ${features}`);
  }
  const count = source.count ?? data.length / features;
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(
      `uploadDataset(${label}): count must be a positive integer, got ${count}` +
        (source.count === undefined ? ` (data.length ${data.length} / features ${features})` : ''),
    );
  }
  if (data.length !== count * features) {
    throw new Error(
      `uploadDataset(${label}): data has ${data.length} values but count×features = ${count}×${features} = ${count * features}`,
    );
  }
  if (data instanceof Float32Array) {
    let outside = -1; // a non-finite value anywhere is reported before an out-of-range one
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new Error(`uploadDataset(${label}): value ${data[i]} at sample ${Math.floor(i / features)}, feature ${i % features} is not finite`);
      }
      if (outside < 0 && range && !(data[i] >= range.min && data[i] <= range.max)) outside = i;
    }
    if (range && outside >= 0) {
      throw new RangeError(
        `uploadDataset(${label}): value ${data[outside]} at sample ${Math.floor(outside / features)}, feature ${outside % features} is outside [${range.min}, ${range.max}] (${range.why})`,
      );
    }
  }
  if (source.labels !== undefined && source.labels.length !== count) {
    throw new Error(`uploadDataset(${label}): ${source.labels.length} labels for ${count} samples`);
  }
  const layout = partLayout(label, data, features, count, ctx.device.limits, source.maxBindingBytes, source.maxGpuBytes);
  let mean: Float32Array | undefined;
  if (source.center !== undefined && source.center !== false) {
    if (source.center === true) mean = featureMean(data, features, count);
    else {
      const m = source.center;
      if (typeof m !== 'object' || m === null || typeof m.length !== 'number' || m.length !== features) {
        throw new Error(`uploadDataset(${label}): center must be true, false or ${features} numbers (one per feature)`);
      }
      mean = Float32Array.from(m);
      if (!mean.every(Number.isFinite)) throw new Error(`uploadDataset(${label}): center values must be finite`);
    }
  }
  let parts: GPUBuffer[];
  let stream: StreamWindows | undefined;
  if ('windowRows' in layout) {
    parts = createWindows(ctx.arena, label, layout.windowRows, features * data.BYTES_PER_ELEMENT);
    stream = new StreamWindows(ctx.device, [parts[0], parts[1]], layout.windowRows, data, features, count);
  } else {
    parts = layout.parts.map(({ start, end }, k) => {
      const slice = data.subarray(start * features, end * features);
      return ctx.arena.create(layout.parts.length > 1 ? `${label} part ${k + 1}/${layout.parts.length}` : label, Math.ceil(slice.byteLength / 4) * 4, STORAGE, slice);
    });
  }
  const center = mean ? ctx.arena.storage(`${label} mean`, mean) : undefined;
  return {
    mean,
    center,
    count,
    features,
    format: data instanceof Uint8Array ? 'u8' : 'f32',
    buffer: parts[0],
    parts,
    rowsPerPart: 'windowRows' in layout ? layout.windowRows : layout.rowsPerPart,
    maxBindingBytes: source.maxBindingBytes,
    maxGpuBytes: source.maxGpuBytes,
    stream,
    labels: source.labels,
    host: data,
    owner: ctx.arena,
  };
}

/**
 * Where the rows go: as many rows per buffer as one binding holds (a multiple of
 * 4, so that every part of packed u8 data starts on a word), in at most
 * MAX_DATASET_PARTS buffers; beyond that, or beyond maxGpuBytes, two windows of
 * a multiple of 4 rows that the samples stream through.
 */
function partLayout(
  label: string,
  data: Uint8Array | Float32Array,
  features: number,
  count: number,
  limits: GPUSupportedLimits,
  asked?: number,
  budget?: number,
): { rowsPerPart: number; parts: { start: number; end: number }[] } | { windowRows: number } {
  const deviceMost = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 16)) throw new Error(`uploadDataset(${label}): maxBindingBytes must be an integer of at least 16 (got ${asked})`);
  if (budget !== undefined && !(Number.isInteger(budget) && budget >= 16)) throw new Error(`uploadDataset(${label}): maxGpuBytes must be an integer of at least 16 (got ${budget})`);
  const most = Math.min(deviceMost, asked ?? deviceMost);
  const rowBytes = features * data.BYTES_PER_ELEMENT;
  const whole = Math.ceil(data.byteLength / 4) * 4;
  const withinBudget = budget === undefined || whole <= budget;
  if (whole <= most && withinBudget) return { rowsPerPart: count, parts: [{ start: 0, end: count }] };
  const rowsPerPart = Math.floor(most / rowBytes / 4) * 4;
  if (rowsPerPart === 0) {
    throw new Error(`uploadDataset(${label}): one buffer of at most ${most} bytes (the device's maxStorageBufferBindingSize ${limits.maxStorageBufferBindingSize}${asked !== undefined ? `, or maxBindingBytes ${asked}` : ''}) holds fewer than 4 samples of ${rowBytes} bytes (a part holds a multiple of 4)`);
  }
  const needed = Math.ceil(count / rowsPerPart);
  if (withinBudget && needed <= MAX_DATASET_PARTS) {
    return { rowsPerPart, parts: Array.from({ length: needed }, (_, k) => ({ start: k * rowsPerPart, end: Math.min(count, (k + 1) * rowsPerPart) })) };
  }
  const windowRows = Math.min(rowsPerPart, budget === undefined ? Infinity : Math.floor(budget / 2 / rowBytes / 4) * 4);
  if (windowRows === 0) {
    throw new Error(`uploadDataset(${label}): maxGpuBytes ${budget} holds fewer than two windows of 4 samples of ${rowBytes} bytes (${8 * rowBytes} bytes); a streamed data set needs at least that`);
  }
  return { windowRows };
}

/**
 * After a device loss: upload `data` again from its host copy into `ctx`'s
 * arena, in place, so the caller's GpuDataset object stays valid.
 */
export function reuploadDataset(ctx: { device: GPUDevice; arena: BufferArena }, data: GpuDataset): void {
  const label = data.buffer.label.slice(data.buffer.label.indexOf('/') + 1).replace(/ (part 1\/\d+|window 1\/2)$/, '') || 'dataset';
  const fresh = uploadDataset(ctx, { data: data.host, features: data.features, count: data.count, labels: data.labels, label, center: data.mean, maxBindingBytes: data.maxBindingBytes, maxGpuBytes: data.maxGpuBytes });
  Object.assign(data as { buffer: GPUBuffer; parts: readonly GPUBuffer[]; owner: BufferArena; center?: GPUBuffer; stream?: StreamWindows }, { buffer: fresh.buffer, parts: fresh.parts, owner: fresh.owner, center: fresh.center, stream: fresh.stream });
}
