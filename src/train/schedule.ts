// Learning-rate schedules: the learning rate of each optimizer step, computed on
// the CPU and written into that step's Step uniform (no new pipeline, no
// allocation per step). Optional linear warm-up, then one of constant, step
// decay or cosine decay. Steps are 1-based, as the trainer counts them.
//
//   warm-up  (step ≤ w):  lr · step / w
//   then u = step − w − 1 (steps since the warm-up), and
//   constant:             lr
//   step:                 lr · gamma^⌊u / stepSize⌋
//   cosine:               minLr + (lr − minLr) · (1 + cos(π · min(u, T) / T)) / 2,  T = totalSteps − w
//
// Adam's bias corrections depend on the step only, not on the learning rate.

export const SCHEDULE_TYPES = ['constant', 'step', 'cosine'] as const;

export interface LearningRateSchedule {
  /** 'constant' (default), 'step' (× gamma every stepSize steps) or 'cosine' (to minLearningRate after totalSteps). */
  type?: (typeof SCHEDULE_TYPES)[number];
  /** Steps of linear warm-up from lr/warmupSteps to lr before the schedule starts. Default 0. */
  warmupSteps?: number;
  /** 'step': steps between decays. */
  stepSize?: number;
  /** 'step': the factor of each decay, in (0, 1]. Default 0.1. */
  gamma?: number;
  /** 'cosine': steps (warm-up included) after which the learning rate has decayed to minLearningRate, where it stays. */
  totalSteps?: number;
  /** 'cosine': the final learning rate, in [0, lr]. Default 0. */
  minLearningRate?: number;
}

/** A schedule with its defaults applied (the fields its type does not use are absent). */
export type ResolvedSchedule =
  | { type: 'constant'; warmupSteps: number }
  | { type: 'step'; warmupSteps: number; stepSize: number; gamma: number }
  | { type: 'cosine'; warmupSteps: number; totalSteps: number; minLearningRate: number };

const ALLOWED: Record<ResolvedSchedule['type'], string[]> = {
  constant: ['type', 'warmupSteps'],
  step: ['type', 'warmupSteps', 'stepSize', 'gamma'],
  cosine: ['type', 'warmupSteps', 'totalSteps', 'minLearningRate'],
};

const show = (v: unknown) => JSON.stringify(v) ?? String(v);

function nonNegativeInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`schedule.${name} must be an integer ≥ 0 (got ${show(v)})`);
  return v;
}

/** Check a schedule (for an optimizer whose learningRate is `lr`) and apply its defaults; messages name the field. */
export function validateSchedule(schedule: unknown, lr: number): ResolvedSchedule {
  if (schedule === undefined) return { type: 'constant', warmupSteps: 0 };
  if (typeof schedule !== 'object' || schedule === null || Array.isArray(schedule)) {
    throw new RangeError(`schedule must be an object like { type: 'cosine', totalSteps: 1000, warmupSteps: 100 } (got ${show(schedule)})`);
  }
  const s = schedule as Record<string, unknown>;
  const type = s.type ?? 'constant';
  if (typeof type !== 'string' || !(SCHEDULE_TYPES as readonly string[]).includes(type)) {
    throw new RangeError(`schedule.type must be one of ${SCHEDULE_TYPES.join(', ')} (got ${show(type)})`);
  }
  const t = type as ResolvedSchedule['type'];
  const unknown = Object.keys(s).filter((k) => !ALLOWED[t].includes(k));
  if (unknown.length > 0) throw new RangeError(`schedule '${t}': unknown field(s) ${unknown.join(', ')}; allowed: ${ALLOWED[t].join(', ')}`);
  const warmupSteps = nonNegativeInt('warmupSteps', s.warmupSteps ?? 0);
  if (t === 'constant') return { type: t, warmupSteps };
  if (t === 'step') {
    if (s.stepSize === undefined) throw new RangeError("schedule 'step' needs stepSize (steps between decays)");
    const stepSize = nonNegativeInt('stepSize', s.stepSize);
    if (stepSize < 1) throw new RangeError(`schedule.stepSize must be a positive integer (got ${stepSize})`);
    const gamma = s.gamma ?? 0.1;
    if (typeof gamma !== 'number' || !(gamma > 0 && gamma <= 1)) throw new RangeError(`schedule.gamma must be a number in (0, 1] (got ${show(gamma)})`);
    return { type: t, warmupSteps, stepSize, gamma };
  }
  if (s.totalSteps === undefined) throw new RangeError("schedule 'cosine' needs totalSteps (the steps after which the decay ends)");
  const totalSteps = nonNegativeInt('totalSteps', s.totalSteps);
  if (totalSteps <= warmupSteps) throw new RangeError(`schedule.totalSteps (${totalSteps}) must be larger than warmupSteps (${warmupSteps})`);
  const minLearningRate = s.minLearningRate ?? 0;
  if (typeof minLearningRate !== 'number' || !Number.isFinite(minLearningRate) || minLearningRate < 0 || minLearningRate > lr) {
    throw new RangeError(`schedule.minLearningRate must be a number in [0, learningRate = ${lr}] (got ${show(minLearningRate)})`);
  }
  return { type: t, warmupSteps, totalSteps, minLearningRate };
}

/** The learning rate of the 1-based `step` under a resolved schedule, in float64. */
export function scheduledLearningRate(s: ResolvedSchedule, lr: number, step: number): number {
  if (!Number.isInteger(step) || step < 1) throw new RangeError(`scheduledLearningRate: step must be an integer ≥ 1 (1-based), got ${step}`);
  const w = s.warmupSteps;
  if (step <= w) return (lr * step) / w;
  const u = step - w - 1;
  switch (s.type) {
    case 'constant':
      return lr;
    case 'step':
      return lr * s.gamma ** Math.floor(u / s.stepSize);
    case 'cosine': {
      const T = s.totalSteps - w;
      return s.minLearningRate + ((lr - s.minLearningRate) * (1 + Math.cos((Math.PI * Math.min(u, T)) / T))) / 2;
    }
  }
}
