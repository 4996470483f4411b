/**
 * The seeded train / validation split of a training run.
 *
 * @module
 */
import { mulberry32, shuffleInPlace } from "../random.ts";

/**
 * Splits the indices `0..n-1` into training and validation indices with a
 * seeded permutation (the generator is seeded with `seed ^ 0x5eed`, so the
 * split does not share a stream with the batch order). With a fraction > 0
 * at least one index is held out; both lists come back sorted.
 *
 * @param n Number of examples.
 * @param fraction Held-out fraction in `[0, 1)`; 0 keeps everything.
 * @param seed The run's seed.
 * @returns `[train, validation]` indices.
 *
 * @example A fifth held out
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitIndices } from "./split_indices.ts";
 *
 * const [train, val] = splitIndices(10, 0.2, 1);
 * assert.equal(train.length, 8);
 * assert.equal(val.length, 2);
 * assert.deepEqual([...train, ...val].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
 * assert.deepEqual(splitIndices(3, 0, 1), [[0, 1, 2], []]);
 * ```
 */
export function splitIndices(
  n: number,
  fraction: number,
  seed: number,
): [number[], number[]] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (fraction === 0) return [idx, []];
  shuffleInPlace(idx, mulberry32(seed ^ 0x5eed));
  const nVal = Math.max(1, Math.round(n * fraction));
  return [
    idx.slice(nVal).sort((a, b) => a - b),
    idx.slice(0, nVal).sort((a, b) => a - b),
  ];
}
