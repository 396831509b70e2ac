// A data set resident on the GPU, read by the gather kernel (shaders/gather.wgsl).
// u8 data (pixels) is stored packed, 4 bytes per u32 word, little-endian, and
// stands for value = byte / 255; f32 data is stored as is.
import { STORAGE, type BufferArena } from '../gpu/arena';

export interface GpuDataset {
  readonly count: number;
  readonly features: number;
  readonly format: 'u8' | 'f32';
  readonly buffer: GPUBuffer;
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
}

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
  const bytes = Math.ceil(data.byteLength / 4) * 4; // u8: packed 4 per u32 word
  const limits = ctx.device.limits;
  if (bytes > limits.maxStorageBufferBindingSize) {
    throw new Error(
      `uploadDataset(${label}): ${bytes} bytes exceed the device's maxStorageBufferBindingSize (${limits.maxStorageBufferBindingSize}); ` +
        'use fewer samples or u8 data',
    );
  }
  if (bytes > limits.maxBufferSize) {
    throw new Error(`uploadDataset(${label}): ${bytes} bytes exceed the device's maxBufferSize (${limits.maxBufferSize})`);
  }
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
  const buffer = ctx.arena.create(label, bytes, STORAGE, data);
  const center = mean ? ctx.arena.storage(`${label} mean`, mean) : undefined;
  return {
    mean,
    center,
    count,
    features,
    format: data instanceof Uint8Array ? 'u8' : 'f32',
    buffer,
    labels: source.labels,
    host: data,
    owner: ctx.arena,
  };
}

/**
 * After a device loss: upload `data` again from its host copy into `ctx`'s
 * arena, in place, so the caller's GpuDataset object stays valid.
 */
export function reuploadDataset(ctx: { device: GPUDevice; arena: BufferArena }, data: GpuDataset): void {
  const label = data.buffer.label.slice(data.buffer.label.indexOf('/') + 1) || 'dataset';
  const fresh = uploadDataset(ctx, { data: data.host, features: data.features, count: data.count, labels: data.labels, label, center: data.mean });
  Object.assign(data as { buffer: GPUBuffer; owner: BufferArena; center?: GPUBuffer }, { buffer: fresh.buffer, owner: fresh.owner, center: fresh.center });
}
