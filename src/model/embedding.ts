// Inference in batches through the model's inference plan: codes and
// reconstructions of rows given as a Float32Array, as f32 rows in a GPUBuffer, or
// as an uploaded GpuDataset, and decodings of given codes; either read back as a
// Float32Array or written into a GPU buffer the caller owns. Codes run the
// encoder alone, decodings the decoder alone. Inputs are clean (no noise, no dropout).
//
// Rows go through the model's inference plan in batches of its inferenceBatchSize:
// a batch is loaded into the plan's input (queue.writeBuffer for a Float32Array,
// a buffer copy for a GPUBuffer, the gather kernel for a dataset), the dispatches
// run, and the batch's output rows are copied to the destination. Every step is
// queue-ordered, so calls need not be awaited one after the other, and nothing is
// allocated per batch.
import type { GpuDataset } from '../data/dataset';
import { readFloats, STORAGE } from '../gpu/arena';
import type { KernelContext } from '../gpu/context';
import type { Gpu } from '../gpu/device';
import type { Dispatch } from '../gpu/kernel';
import { stepValues } from '../gpu/step';
import { batchesOf, type BatchRunner } from '../gpu/runner';
import type { StepPlan } from './plan';

/**
 * Rows to run the model on, each `inputSize` values:
 * - a `Float32Array` of `count × inputSize` values, row-major;
 * - a `GPUBuffer` of f32 rows on the model's device, with `COPY_SRC` usage (it is only copied from);
 * - a `GpuDataset` from `model.uploadDataset()`.
 */
export type ModelInput = Float32Array | GPUBuffer | GpuDataset;

export interface RowRange {
  /** First row of the input. Default 0. */
  start?: number;
  /**
   * Number of rows. Default: every row from `start` on (for a GPUBuffer, as many
   * whole rows as its size holds).
   */
  count?: number;
}

export interface ToBufferOptions extends RowRange {
  /**
   * Write into this buffer (it needs `COPY_DST` usage) instead of creating one;
   * it is returned. Only the bytes of the result are written.
   */
  output?: GPUBuffer;
  /** Byte offset of the result in `output`, a multiple of 4. Default 0. */
  outputOffset?: number;
}

/** codes: x → h (μ for a VAE); reconstructions: x → x̂; decoded: h (a VAE's z) → x̂; classLogits: x → a classifier's head logits z_c. */
export type OutputKind = 'codes' | 'reconstructions' | 'decoded' | 'classLogits';

/** What this module needs from an Autoencoder. */
export interface EmbeddingModel {
  readonly config: { readonly inputSize: number };
  readonly gpu: Gpu;
  readonly ctx: KernelContext;
  assertAlive(): void;
  checkDataset(data: GpuDataset): void;
  identityIndices(data: GpuDataset): GPUBuffer;
  loadRows(data: GpuDataset, from: number, to: number): void;
  datasetKey(data: GpuDataset): string;
  inferenceStep(): { plan: StepPlan; runner: BatchRunner; output: Dispatch };
}

// GPUBufferUsage flags (as literals: see src/gpu/arena.ts).
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;

/** Width of one output row: the code size or the input size. */
export function outputWidth(model: EmbeddingModel, kind: OutputKind): number {
  const arch = model.inferenceStep().plan.arch;
  if (kind === 'classLogits') {
    if (!arch.classifier) throw new Error('predict: this model has no classifier head (config.classifier); make one with createClassifier()');
    return arch.classifier.outputs;
  }
  return kind === 'codes' ? arch.codeSize : model.config.inputSize;
}

/** Width of one input row: the input size, or the code size for decoding. */
function inputWidth(model: EmbeddingModel, kind: OutputKind): number {
  return kind === 'decoded' ? model.inferenceStep().plan.arch.codeSize : model.config.inputSize;
}

/** The plan buffer a batch of input rows is loaded into: x, or the decoder's input. */
function inputBuffer(plan: StepPlan, kind: OutputKind): GPUBuffer {
  return kind === 'decoded' ? plan.code : plan.batch.clean;
}

/** Run the model on `input` and read the result back: [count, width] row-major. */
export async function runToArray(model: EmbeddingModel, kind: OutputKind, input: ModelInput, range: RowRange = {}): Promise<Float32Array> {
  model.assertAlive();
  const source = rowSource(model, input, range, kind);
  const width = outputWidth(model, kind);
  const out = model.ctx.arena.storage(`${kind} (read back)`, source.count * width * 4);
  try {
    await run(model, kind, source, out, 0);
    return await readFloats(model.gpu.device, out, source.count * width);
  } finally {
    model.ctx.arena.release(out);
  }
}

/**
 * Run the model on `input` and leave the result on the GPU: in `options.output`
 * at `options.outputOffset`, or in a new buffer (STORAGE | COPY_SRC | COPY_DST,
 * exactly count × width × 4 bytes rounded up to 4). Either way the buffer belongs
 * to the caller: the model never destroys it, not even in dispose().
 */
export async function runToBuffer(model: EmbeddingModel, kind: OutputKind, input: ModelInput, options: ToBufferOptions = {}): Promise<GPUBuffer> {
  model.assertAlive();
  const source = rowSource(model, input, options, kind);
  const bytes = source.count * outputWidth(model, kind) * 4;
  const offset = options.outputOffset ?? 0;
  let out = options.output;
  if (out) {
    if (!Number.isInteger(offset) || offset < 0 || offset % 4 !== 0) {
      throw new RangeError(`${kind}: outputOffset must be a non-negative multiple of 4 bytes (got ${offset})`);
    }
    if ((out.usage & COPY_DST) === 0) throw new RangeError(`${kind}: the output buffer '${out.label}' needs GPUBufferUsage.COPY_DST`);
    if (offset + bytes > out.size) {
      throw new RangeError(`${kind}: the output buffer '${out.label}' holds ${out.size} bytes; ${source.count} rows need ${bytes} bytes from offset ${offset}`);
    }
  } else {
    if (options.outputOffset !== undefined) throw new RangeError(`${kind}: outputOffset needs an output buffer`);
    out = model.gpu.device.createBuffer({ label: `webgpu-autoencoders/${kind} (caller-owned)`, size: bytes, usage: STORAGE });
  }
  try {
    await run(model, kind, source, out, offset);
  } catch (e) {
    if (!options.output) out.destroy();
    throw e;
  }
  return out;
}

/** Rows to load into the plan, one batch at a time. */
interface RowSource {
  count: number;
  /** Load rows [row, row + rows) of the source into the plan's input: dispatches (a gather), or copies to record first. */
  load(plan: StepPlan, row: number, rows: number): { dispatches: Dispatch[]; copies?: (enc: GPUCommandEncoder) => void };
  /** batch_offset of the Step uniform for the batch starting at `row`. */
  batchOffset(row: number): number;
}

/** The input when it is a GPUBuffer (the caller's, on the model's device), else undefined. */
export function gpuBufferInput(input: ModelInput): GPUBuffer | undefined {
  return typeof GPUBuffer !== 'undefined' && input instanceof GPUBuffer ? input : undefined;
}

function isDataset(input: ModelInput): input is GpuDataset {
  return typeof input === 'object' && input !== null && 'owner' in input && 'features' in input && 'format' in input;
}

function checkRange(what: string, total: number, range: RowRange): { start: number; count: number } {
  const start = range.start ?? 0;
  if (!Number.isInteger(start) || start < 0 || start >= total) {
    throw new RangeError(`${what}: start must be an integer in [0, ${total}) (the input has ${total} rows), got ${start}`);
  }
  const count = range.count ?? total - start;
  if (!Number.isInteger(count) || count < 1 || start + count > total) {
    throw new RangeError(`${what}: count must be an integer in [1, ${total - start}] (rows from ${start} of ${total}), got ${count}`);
  }
  return { start, count };
}

function rowSource(model: EmbeddingModel, input: ModelInput, range: RowRange, what: OutputKind): RowSource {
  const D = inputWidth(model, what);
  const width = what === 'decoded' ? 'the code size' : 'inputSize';
  const device = model.gpu.device;

  if (input instanceof Float32Array) {
    if (input.length === 0 || input.length % D !== 0) {
      throw new RangeError(`${what}: the Float32Array input has ${input.length} values, not a positive multiple of ${width} ${D}`);
    }
    const { start, count } = checkRange(what, input.length / D, range);
    for (let k = start * D; k < (start + count) * D; k++) {
      if (!Number.isFinite(input[k])) throw new RangeError(`${what}: input value ${input[k]} at row ${Math.floor(k / D)}, feature ${k % D} is not finite`);
    }
    return {
      count,
      batchOffset: () => 0,
      load: (plan, row, rows) => {
        // writeBuffer counts a typed array's offset and size in elements.
        device.queue.writeBuffer(inputBuffer(plan, what), 0, input as Float32Array<ArrayBuffer>, (start + row) * D, rows * D);
        return { dispatches: [] };
      },
    };
  }

  if (isDataset(input)) {
    if (what === 'decoded') throw new TypeError('decoded: codes must be a Float32Array or a GPUBuffer of f32 codes, not a dataset');
    model.checkDataset(input);
    const { start, count } = checkRange(what, input.count, range);
    return {
      count,
      batchOffset: (row) => start + row,
      load: (plan, row, rows) => {
        model.loadRows(input, start + row, start + row + rows);
        return { dispatches: [plan.gather(input, model.identityIndices(input), `identity ${model.datasetKey(input)}`)] };
      },
    };
  }

  if (!gpuBufferInput(input)) {
    throw new TypeError(`${what}: input must be a Float32Array, a GPUBuffer or a GpuDataset from uploadDataset()`);
  }
  if ((input.usage & COPY_SRC) === 0) throw new RangeError(`${what}: the input buffer '${input.label}' needs GPUBufferUsage.COPY_SRC`);
  const rowsInBuffer = Math.floor(input.size / (D * 4));
  if (rowsInBuffer < 1) throw new RangeError(`${what}: the input buffer '${input.label}' holds ${input.size} bytes, less than one row of ${D} f32`);
  const { start, count } = checkRange(what, rowsInBuffer, range);
  return {
    count,
    batchOffset: () => 0,
    load: (plan, row, rows) => ({
      dispatches: [],
      copies: (enc) => enc.copyBufferToBuffer(input, (start + row) * D * 4, inputBuffer(plan, what), 0, rows * D * 4),
    }),
  };
}

async function run(model: EmbeddingModel, kind: OutputKind, source: RowSource, dst: GPUBuffer, dstOffset: number): Promise<void> {
  const { plan, runner, output } = model.inferenceStep();
  const width = outputWidth(model, kind);
  const result = kind === 'codes' ? plan.batch.hidden : kind === 'classLogits' ? plan.batch.classifier!.logits : plan.batch.output;
  // No loss here: codes need the encoder alone, reconstructions the model up to x̂, decodings the decoder, class logits the encoder and the head.
  const dispatches = {
    codes: plan.encoderPass,
    reconstructions: [...plan.encoderPass, ...plan.latentPass, ...plan.decoderPass, output],
    decoded: [...plan.decoderPass, output],
    classLogits: [...plan.encoderPass, ...plan.headPass],
  }[kind];
  for (const { row, rows } of batchesOf(source.count, plan.rows)) {
    const load = source.load(plan, row, rows);
    runner.submitBatch(stepValues({ batchOffset: source.batchOffset(row), validRows: rows, training: false }), {
      label: `${kind} of rows ${row}..${row + rows}`,
      clearSlot: false, // nothing here writes the loss log
      dispatches: [...load.dispatches, ...dispatches],
      before: (enc) => {
        load.copies?.(enc);
        // A model that corrupts its input reads x̃: with clean inputs x̃ = x (the gather writes both).
        if (plan.batch.noisy && load.dispatches.length === 0 && kind !== 'decoded') enc.copyBufferToBuffer(plan.batch.clean, 0, plan.batch.noisy, 0, rows * model.config.inputSize * 4);
      },
      after: (enc) => enc.copyBufferToBuffer(result, 0, dst, dstOffset + row * width * 4, rows * width * 4),
    });
  }
  await model.ctx.cache.checkErrors();
}
