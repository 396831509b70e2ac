// Deterministic test inputs, shared by the Node and the browser tests.

/** n pseudo-random values in [lo, hi) from a seed (mulberry32), as float64. */
export function randomValues(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  let s = seed >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = lo + ((hi - lo) * ((t ^ (t >>> 14)) >>> 0)) / 4294967296;
  }
  return out;
}
