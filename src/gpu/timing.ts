// How long a dispatch takes on the GPU, for choosing between kernels.
//
// With the device's 'timestamp-query' feature the time is the span between the
// compute pass's begin and end timestamps (GPU time only); without it, the wall
// time from submit to onSubmittedWorkDone (GPU time plus one submit's overhead).
// One warm-up run first (it also waits for the pipeline), then the median of `reps`
// timed runs: on a shared machine the median ignores the neighbours' spikes.
import { encodeDispatches, type Dispatch } from './kernel';

export type TimingMethod = 'timestamp-query' | 'submit';

export interface DispatchTiming {
  /** Median milliseconds of one run of the dispatches. */
  ms: number;
  method: TimingMethod;
}

export function timingMethod(device: GPUDevice): TimingMethod {
  return device.features.has('timestamp-query') ? 'timestamp-query' : 'submit';
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median time of `dispatches` (one compute pass, one submit) over `reps` runs after a warm-up. */
export async function timeDispatches(device: GPUDevice, dispatches: readonly Dispatch[], reps: number, label = 'timing'): Promise<DispatchTiming> {
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`timeDispatches(${label}): reps must be a positive integer, got ${reps}`);
  if (timingMethod(device) === 'timestamp-query') {
    const t = await timeWithTimestamps(device, dispatches, reps, label);
    // Timestamps may be quantised (Chromium rounds them to 100 µs by default): a zero span says nothing.
    if (t.ms > 0) return t;
  }
  const runs: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const t0 = performance.now();
    const enc = device.createCommandEncoder({ label });
    encodeDispatches(enc, dispatches, label);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    if (i > 0) runs.push(performance.now() - t0);
  }
  return { ms: median(runs), method: 'submit' };
}

async function timeWithTimestamps(device: GPUDevice, dispatches: readonly Dispatch[], reps: number, label: string): Promise<DispatchTiming> {
  const runs: number[] = [];
  const querySet = device.createQuerySet({ label: `${label} timestamps`, type: 'timestamp', count: 2 });
  const resolved = device.createBuffer({ label: `${label} timestamps (resolved)`, size: 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const readback = device.createBuffer({ label: `${label} timestamps (read back)`, size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  try {
    for (let i = 0; i <= reps; i++) {
      const enc = device.createCommandEncoder({ label });
      const pass = enc.beginComputePass({ label, timestampWrites: { querySet, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
      for (const d of dispatches) {
        pass.setPipeline(d.pipeline);
        pass.setBindGroup(0, d.bindGroup);
        pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
      }
      pass.end();
      enc.resolveQuerySet(querySet, 0, 2, resolved, 0);
      enc.copyBufferToBuffer(resolved, 0, readback, 0, 16);
      device.queue.submit([enc.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      const [t0, t1] = new BigInt64Array(readback.getMappedRange());
      readback.unmap();
      if (i > 0) runs.push(Number(t1 - t0) / 1e6);
    }
    return { ms: median(runs), method: 'timestamp-query' };
  } finally {
    querySet.destroy();
    resolved.destroy();
    readback.destroy();
  }
}
