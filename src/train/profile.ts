// Where a training step's time goes, for the benchmark: milliseconds of a full
// step, and of the same step's matmul dispatches alone (the fastest of `n` runs
// each, after one warm-up), with how many compute dispatches the step records and
// which matmul kernel (form and path, src/kernels/matmul.ts) each of its matmuls runs.
// Profiling re-runs the current step's batch, so the buffers in `saved` (the
// weights and optimizer state) are restored afterwards.
import { readFloats } from '../gpu/arena';
import { encodeDispatches, type Dispatch } from '../gpu/kernel';
import type { BatchRunner } from '../gpu/runner';
import type { MatmulChoice } from '../kernels/matmul-tuning';

export interface StepProfile {
  stepMs: number;
  matmulMs: number;
  otherMs: number;
  /** Compute dispatches one training step records (gather, forward, backward, guard, optimizer). */
  dispatchesPerStep: number;
  /** The step's matmuls in order: the dispatch's label and its kernel, e.g. 'matmul_nt_aligned'. */
  matmuls: { label: string; kernel: string }[];
  /** The kernel family of each matmul shape and why it was chosen (Trainer.matmulKernels()); set by Trainer.profile(). */
  matmulChoices?: MatmulChoice[];
}

export async function profileStep(o: { device: GPUDevice; runner: BatchRunner; dispatches: Dispatch[]; saved: GPUBuffer[] }, n: number): Promise<StepProfile> {
  const { device, runner } = o;
  const matmuls = o.dispatches.filter((d) => d.pipeline.label.startsWith('matmul'));
  const time = async (list: Dispatch[]) => {
    const run = () => runner.submitCommands('profile', (enc) => encodeDispatches(enc, list, 'profile'));
    run();
    await device.queue.onSubmittedWorkDone();
    // The fastest of n timed runs: on a shared machine the mean mostly measures the neighbours.
    let best = Infinity;
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      run();
      await device.queue.onSubmittedWorkDone();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const saved = await Promise.all(o.saved.map((b) => readFloats(device, b)));
  const stepMs = await time(o.dispatches);
  const matmulMs = await time(matmuls);
  o.saved.forEach((b, i) => device.queue.writeBuffer(b, 0, saved[i]));
  return {
    stepMs,
    matmulMs,
    otherMs: stepMs - matmulMs,
    dispatchesPerStep: o.dispatches.length,
    matmuls: matmuls.map((d) => ({ label: d.label, kernel: d.pipeline.label })),
  };
}
