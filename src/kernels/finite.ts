// The non-finite guard: the first non-finite value of a step sets a 16-byte
// guard buffer (step, code, kinds; src/kernels/guard.ts, shaders/common/guard.wgsl),
// and the optimizer then leaves parameters and state alone. The trainer reads the
// guard at its sync points, so there is no read-back per step. There is no pass
// of its own: the kernel that writes a gradient or a loss-log value last checks
// what it stores (the weight-gradient matmuls' epilogue, the guarded column sums,
// add_scaled_rows, weight decay, the guarded loss log and its rider). A code is 0
// for the loss and 1 + the value's flat index in the gradient buffer, so the
// smallest code of a step names the loss first, else the first bad gradient in
// layout order. Here: what a code and the guard's words mean.
import type { ParameterLayout } from '../model/layout';
import { NON_FINITE_KIND } from './guard';

export { GUARD_BYTES, GUARD_CLEAR, NON_FINITE_KIND } from './guard';

/** The guard code of a gradient tensor's first value, 1 + its offset in the flat gradient buffer (its value i records this + i); guardName reads it back. */
export function gradientGuardCode(layout: ParameterLayout, tensor: string): number {
  return 1 + layout.get(tensor).offset;
}

/** What a guard code stands for: 0 the loss, 1 + i the gradient tensor holding flat gradient value i. */
export function guardName(layout: ParameterLayout, code: number): string {
  if (code === 0) return 'loss';
  const i = code - 1;
  const t = layout.tensors.find((x) => i >= x.offset && i < x.offset + x.size);
  return t ? `gradient of ${t.name}` : `guard code ${code}`;
}

export interface GuardReport {
  step: number;
  code: number;
  kinds: Array<'NaN' | 'Infinity' | '-Infinity'>;
}

/** Decode the guard's words; null while everything was finite. */
export function decodeGuard(words: ArrayLike<number>): GuardReport | null {
  if (words[0] === 0) return null;
  const kinds: GuardReport['kinds'] = [];
  if (words[2] & NON_FINITE_KIND.nan) kinds.push('NaN');
  if (words[2] & NON_FINITE_KIND.posInf) kinds.push('Infinity');
  if (words[2] & NON_FINITE_KIND.negInf) kinds.push('-Infinity');
  return { step: words[0], code: words[1], kinds };
}
