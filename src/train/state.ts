// Checks of a saved trainer state (TrainerState, from exportState() or a model
// file) against the trainer that is to continue from it.
import type { OptimizerConfig } from '../kernels/optimizer';
import type { TrainerState } from './options';
import type { ResolvedSchedule } from './schedule';

export function checkTrainerState(s: TrainerState, t: { optimizer: OptimizerConfig; schedule: ResolvedSchedule; stateBuffers: number; floats: number; seed: number; shuffle: boolean }): void {
  if (s.optimizer?.type !== t.optimizer.type) throw new RangeError(`saved optimizer is '${s.optimizer?.type}', this trainer's is '${t.optimizer.type}'`);
  if (s.state.length !== t.stateBuffers) throw new RangeError(`saved optimizer has ${s.state.length} state tensors, '${t.optimizer.type}' needs ${t.stateBuffers}`);
  s.state.forEach((a, i) => {
    if (a.length !== t.floats) throw new RangeError(`saved optimizer state ${i} has ${a.length} values, this model needs ${t.floats}`);
  });
  for (const [k, v] of [['step', s.step], ['epoch', s.epoch], ['row', s.row]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`saved ${k} must be a non-negative integer (got ${v})`);
  }
  if (s.seed !== t.seed || s.shuffle !== t.shuffle) {
    throw new RangeError(`saved run used seed ${s.seed}, shuffle ${s.shuffle}; this trainer has seed ${t.seed}, shuffle ${t.shuffle}`);
  }
  const saved = JSON.stringify(s.schedule ?? { type: 'constant', warmupSteps: 0 });
  if (saved !== JSON.stringify(t.schedule)) throw new RangeError(`saved run used the learning-rate schedule ${saved}; this trainer has ${JSON.stringify(t.schedule)}`);
}
