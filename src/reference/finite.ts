// Reference of the non-finite guard (shaders/common/guard.wgsl): the guard words
// after one step's checks of the values its kernels stored, run in order.
// Bits of guard.kinds, as in the shader (and NON_FINITE_KIND in src/kernels/finite.ts).
const NON_FINITE_KIND = { nan: 1, posInf: 2, negInf: 4 } as const;

export interface FiniteCheckRef {
  code: number;
  values: ArrayLike<number>;
  /** Value i records code + i. */
  indexed?: boolean;
}

/** guard = [step, code, kinds, 0] after `checks` ran at `step`, starting from `before`. */
export function finiteGuardRef(before: ArrayLike<number>, step: number, checks: readonly FiniteCheckRef[]): Uint32Array {
  const g = Uint32Array.from(before);
  if (g[0] !== 0 && g[0] !== step) return g; // an earlier step already stopped the updates
  for (const c of checks) {
    let kinds = 0;
    let firstBad = -1;
    for (let i = 0; i < c.values.length; i++) {
      const v = Math.fround(c.values[i]);
      const kind = Number.isNaN(v) ? NON_FINITE_KIND.nan : v === Infinity ? NON_FINITE_KIND.posInf : v === -Infinity ? NON_FINITE_KIND.negInf : 0;
      if (kind !== 0 && firstBad < 0) firstBad = i;
      kinds |= kind;
    }
    if (kinds !== 0) {
      g[0] = step;
      g[1] = Math.min(g[1], c.code + (c.indexed ? firstBad : 0));
      g[2] |= kinds;
    }
  }
  return g;
}
