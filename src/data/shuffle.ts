// Seeded, reproducible permutations for epoch shuffling.
import { rngSecond, rngU32, STREAM_SHUFFLE } from '../random/rng';

const TWO_32 = 4294967296;

/**
 * A permutation of 0..count-1 by Fisher–Yates. Swap i (from count−1 down to 1)
 * takes j uniform in [0, i] from the word rng(seed, STREAM_SHUFFLE, epoch, i);
 * words at or above the largest multiple of i+1 below 2^32 are rejected (and
 * re-mixed) so every j is exactly equally likely. The same (count, seed, epoch)
 * always gives the same permutation.
 */
export function shuffledIndices(count: number, seed: number, epoch: number): Uint32Array {
  if (!Number.isInteger(count) || count < 0 || count > 0xffffffff) {
    throw new Error(`shuffledIndices: count must be an integer in 0..2^32-1, got ${count}`);
  }
  for (const [name, v] of [['seed', seed], ['epoch', epoch]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new Error(`shuffledIndices: ${name} must be a u32 (integer in 0..2^32-1), got ${v}`);
    }
  }
  const perm = new Uint32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  for (let i = count - 1; i >= 1; i--) {
    const n = i + 1;
    const limit = TWO_32 - (TWO_32 % n); // a multiple of n
    let h = rngU32(seed, STREAM_SHUFFLE, epoch, i);
    while (h >= limit) h = rngSecond(h);
    const j = h % n;
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}
