// The non-finite guard's buffer and its shared WGSL (shaders/common/guard.wgsl): the
// 16 bytes every kernel that finds a non-finite value records into — the checks of
// src/kernels/finite.ts, the matmuls' weight-gradient epilogue (src/kernels/matmul.ts)
// and the loss log's guarded entry point (src/kernels/reduce.ts) — and that the
// optimizer reads to leave the parameters alone.
import guardWgsl from '../../shaders/common/guard.wgsl?raw';

/** What a module that records into the guard prepends (after common/step.wgsl). */
export const GUARD_WGSL: string = guardWgsl;
export const GUARD_BYTES = 16;
/** The guard's value while everything is finite: step 0, code 0xffffffff, no kinds. */
export const GUARD_CLEAR = new Uint32Array([0, 0xffffffff, 0, 0]);
/** Bits of guard.kinds. */
export const NON_FINITE_KIND = { nan: 1, posInf: 2, negInf: 4 } as const;
