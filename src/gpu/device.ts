// Device acquisition and the errors a device can raise.
//
// A `Gpu` wraps one GPUDevice: either one we requested or one the host app
// passed in (then we never destroy it). Loss and uncaptured errors are surfaced
// to the caller through callbacks; they are never swallowed.

export interface GpuOptions {
  /** Use this device (e.g. the host app's). The library will not destroy it. */
  device?: GPUDevice;
  powerPreference?: GPUPowerPreference;
  /** Wrap pipeline creation and submits in error scopes so failures name the kernel. */
  debug?: boolean;
  /** Called once if the device is lost (not called for our own destroy()). */
  onDeviceLost?: (info: GPUDeviceLostInfo) => void;
  /** Called for every uncaptured WebGPU error. Default: console.error. */
  onUncapturedError?: (error: GPUError) => void;
}

export class WebGpuUnavailableError extends Error {
  override name = 'WebGpuUnavailableError';
}

/** The device was lost and training could not (or was told not to) continue on a new one. */
export class DeviceLostError extends Error {
  override name = 'DeviceLostError';
}

/**
 * Whether `err` came from the loss of `gpu`'s device. WebGPU reports a lost device
 * as rejected promises (DOMExceptions) before device.lost settles: give it a
 * moment. Other errors answer false at once.
 */
export async function lostWith(gpu: Gpu, err: unknown): Promise<boolean> {
  if (gpu.isLost()) return true;
  if (!(err instanceof DOMException || err instanceof DeviceLostError)) return false;
  return Promise.race([gpu.lost.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
}

export interface Gpu {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly debug: boolean;
  /** Resolves when the device is lost, for any reason. */
  readonly lost: Promise<GPUDeviceLostInfo>;
  /** True once the device has been lost or destroyed. */
  isLost(): boolean;
  /** Destroys the device if we created it; a host app's device is left alone. */
  destroy(): void;
}

/** Acquire a WebGPU device, or adopt the one in `options.device`. */
export async function acquireGpu(options: GpuOptions = {}): Promise<Gpu> {
  let device = options.device;
  const owns = !device;
  if (!device) {
    if (typeof navigator === 'undefined' || !navigator.gpu) {
      throw new WebGpuUnavailableError(
        'WebGPU is not available: navigator.gpu is undefined. Use a browser with WebGPU ' +
          '(Chrome/Edge 113+, or Chromium with --enable-unsafe-webgpu) on a secure (https or localhost) page.',
      );
    }
    const adapter = await navigator.gpu.requestAdapter({ powerPreference: options.powerPreference });
    if (!adapter) {
      throw new WebGpuUnavailableError('WebGPU is present but no GPU adapter was found (requestAdapter returned null).');
    }
    // Ask for the adapter's storage limits: weight matrices of wide layers exceed the defaults.
    const want = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage'] as const;
    const requiredLimits: Record<string, number> = {};
    for (const k of want) requiredLimits[k] = adapter.limits[k];
    // Timestamp queries, when the adapter has them, let the matmul tuner time kernels on the GPU alone;
    // subgroups allow the 'subgroup' matmul family (src/kernels/matmul.ts).
    const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
    device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'webgpu-autoencoders' });
  }
  const dev = device;
  let lost = false;
  let destroyedByUs = false;
  const lostPromise = dev.lost.then((info) => {
    lost = true;
    if (!destroyedByUs) options.onDeviceLost?.(info);
    return info;
  });
  const onError = options.onUncapturedError ?? ((e: GPUError) => console.error(`WebGPU error: ${e.message}`));
  dev.addEventListener('uncapturederror', (ev) => onError((ev as GPUUncapturedErrorEvent).error));
  return {
    device: dev,
    limits: dev.limits,
    debug: options.debug ?? false,
    lost: lostPromise,
    isLost: () => lost,
    destroy() {
      if (owns && !lost) {
        destroyedByUs = true;
        dev.destroy();
      }
    },
  };
}

/**
 * Run `fn` inside validation + out-of-memory error scopes and throw an Error that
 * names `what` if either scope caught something.
 */
export async function withErrorScope<T>(device: GPUDevice, what: string, fn: () => T): Promise<T> {
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  const result = fn();
  const validation = await device.popErrorScope();
  const oom = await device.popErrorScope();
  const err = validation ?? oom;
  if (err) throw new Error(`WebGPU ${validation ? 'validation' : 'out-of-memory'} error in ${what}: ${err.message}`);
  return result;
}
