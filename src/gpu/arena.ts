// The buffer arena: every GPU buffer a model owns is created here when the model
// is built and destroyed by dispose(). A global tally of live buffers and bytes
// lets tests prove that nothing leaks.

/** A byte range of a buffer, as bound to a shader. */
export interface BufferSlice {
  buffer: GPUBuffer;
  offset: number; // bytes, a multiple of minStorageBufferOffsetAlignment when bound
  size: number; // bytes
}

const tally = { buffers: 0, bytes: 0 };

/** Buffers and bytes currently alive across all arenas. */
export function liveGpuMemory(): { buffers: number; bytes: number } {
  return { ...tally };
}

// GPUBufferUsage flag values from the WebGPU spec, as literals so this module also
// loads where the GPU globals do not exist (Node unit tests of the trainer's logic).
const MAP_READ = 0x0001;
export const COPY_SRC = 0x0004;
export const COPY_DST = 0x0008;
const UNIFORM_USAGE = 0x0040;
const STORAGE_USAGE = 0x0080;
export const STORAGE = STORAGE_USAGE | COPY_SRC | COPY_DST;
export const UNIFORM = UNIFORM_USAGE | COPY_DST;
export const READBACK = MAP_READ | COPY_DST;

export class BufferArena {
  private readonly buffers = new Set<GPUBuffer>();
  private disposed = false;

  constructor(
    readonly device: GPUDevice,
    readonly label: string,
  ) {}

  /** Create a buffer of `size` bytes (rounded up to 4), optionally filled with `data`. */
  create(label: string, size: number, usage: number, data?: ArrayBufferView): GPUBuffer {
    this.assertAlive();
    if (!Number.isFinite(size) || size < 0) throw new Error(`buffer ${label}: invalid size ${size}`);
    const bytes = Math.max(16, Math.ceil(size / 16) * 16);
    const buffer = this.device.createBuffer({
      label: `${this.label}/${label}`,
      size: bytes,
      usage,
      mappedAtCreation: data !== undefined,
    });
    if (data) {
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      buffer.unmap();
    }
    this.buffers.add(buffer);
    tally.buffers += 1;
    tally.bytes += bytes;
    return buffer;
  }

  /** A storage buffer (also copyable both ways). */
  storage(label: string, sizeOrData: number | ArrayBufferView): GPUBuffer {
    return typeof sizeOrData === 'number'
      ? this.create(label, sizeOrData, STORAGE)
      : this.create(label, sizeOrData.byteLength, STORAGE, sizeOrData);
  }

  /** A uniform buffer holding `data`. */
  uniform(label: string, data: ArrayBufferView): GPUBuffer {
    return this.create(label, data.byteLength, UNIFORM, data);
  }

  /** Destroy one buffer early (e.g. a staging buffer). */
  release(buffer: GPUBuffer): void {
    if (!this.buffers.delete(buffer)) return;
    tally.buffers -= 1;
    tally.bytes -= buffer.size;
    buffer.destroy();
  }

  get count(): number {
    return this.buffers.size;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Destroy every buffer this arena created. Safe to call twice. */
  dispose(): void {
    for (const b of [...this.buffers]) this.release(b);
    this.disposed = true;
  }

  private assertAlive(): void {
    if (this.disposed) throw new Error(`${this.label} was disposed: its buffers are gone; create a new one`);
  }
}

/** The whole of a buffer as a slice. */
export function whole(buffer: GPUBuffer): BufferSlice {
  return { buffer, offset: 0, size: buffer.size };
}

/** Read a slice back as a Float32Array (asynchronous; for tests, metrics and saving). */
export async function readFloats(device: GPUDevice, src: BufferSlice | GPUBuffer, count?: number): Promise<Float32Array<ArrayBuffer>> {
  const bytes = await readBytes(device, src, count === undefined ? undefined : count * 4);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

export async function readU32(device: GPUDevice, src: BufferSlice | GPUBuffer, count?: number): Promise<Uint32Array<ArrayBuffer>> {
  const bytes = await readBytes(device, src, count === undefined ? undefined : count * 4);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

async function readBytes(device: GPUDevice, src: BufferSlice | GPUBuffer, size?: number): Promise<Uint8Array<ArrayBuffer>> {
  const slice = 'buffer' in src ? src : whole(src);
  const n = size ?? slice.size;
  const padded = Math.ceil(n / 4) * 4;
  const staging = device.createBuffer({ label: `readback of ${slice.buffer.label}`, size: Math.max(padded, 4), usage: READBACK });
  try {
    const enc = device.createCommandEncoder({ label: `readback of ${slice.buffer.label}` });
    enc.copyBufferToBuffer(slice.buffer, slice.offset, staging, 0, padded);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return new Uint8Array(staging.getMappedRange(0, padded).slice(0, n));
  } finally {
    staging.destroy();
  }
}

/** Map a MAP_READ buffer, copy its bytes out and unmap it. */
export async function mapCopy(buffer: GPUBuffer): Promise<ArrayBuffer> {
  await buffer.mapAsync(GPUMapMode.READ);
  const bytes = buffer.getMappedRange().slice(0);
  buffer.unmap();
  return bytes;
}
