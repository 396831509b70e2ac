// The per-step uniform block (mirrors shaders/common/step.wgsl) and how to write it.

export interface StepValues {
  step: number;
  seed: number;
  batchOffset: number;
  validRows: number;
  lr: number;
  adamC1: number;
  adamC2: number;
  lossSlot: number;
  training: boolean;
}

export const STEP_BYTES = 48;

/** Pack step values into `out` (STEP_BYTES bytes) in the layout of `struct Step`. */
export function packStep(v: StepValues, out = new ArrayBuffer(STEP_BYTES)): ArrayBuffer {
  const u = new Uint32Array(out);
  const f = new Float32Array(out);
  u[0] = v.step >>> 0;
  u[1] = v.seed >>> 0;
  u[2] = v.batchOffset >>> 0;
  u[3] = v.validRows >>> 0;
  f[4] = v.lr;
  f[5] = v.validRows > 0 ? 1 / v.validRows : 0;
  f[6] = v.adamC1;
  f[7] = v.adamC2;
  u[8] = v.lossSlot >>> 0;
  u[9] = v.training ? 1 : 0;
  u[10] = 0;
  u[11] = 0;
  return out;
}

/** Defaults for a one-off step (tests, evaluation). */
export function stepValues(partial: Partial<StepValues> & { validRows: number }): StepValues {
  return {
    step: 1,
    seed: 0,
    batchOffset: 0,
    lr: 0,
    adamC1: 1,
    adamC2: 1,
    lossSlot: 0,
    training: false,
    ...partial,
  };
}
