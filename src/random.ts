/**
 * A small seeded PRNG (mulberry32) and the draws built on it, so every split
 * and subsample (data splits, detector subsamples, training batch order)
 * is reproducible from one integer seed.
 *
 * @module
 */

/**
 * Returns a mulberry32 generator: 32-bit state, uniform floats in `[0, 1)`.
 *
 * @param seed Any integer; only its low 32 bits are used.
 * @returns A function returning the next uniform float in `[0, 1)`.
 *
 * @example Same seed, same stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32 } from "./random.ts";
 *
 * const a = mulberry32(7), b = mulberry32(7);
 * assert.equal(a(), b());
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Shuffles `values` in place (Fisher-Yates, from the end) with `rng`.
 *
 * @param values The array to shuffle.
 * @param rng A uniform generator in `[0, 1)`.
 * @returns `values`, shuffled.
 *
 * @example A seeded permutation
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32, shuffleInPlace } from "./random.ts";
 *
 * const p = shuffleInPlace([0, 1, 2, 3], mulberry32(1));
 * assert.deepEqual([...p].sort(), [0, 1, 2, 3]);
 * ```
 */
export function shuffleInPlace<T>(values: T[], rng: () => number): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const tmp = values[i];
    values[i] = values[j];
    values[j] = tmp;
  }
  return values;
}

/**
 * Draws `k` distinct items of `values` without replacement, seeded, and
 * returns them in their original order.
 *
 * @param values Candidate items (numbers, e.g. indices).
 * @param k How many to draw; all when `k >= values.length`.
 * @param rng A uniform generator in `[0, 1)`.
 * @returns The chosen items, sorted ascending.
 *
 * @example Three of ten indices
 * ```ts
 * import assert from "node:assert/strict";
 * import { mulberry32, sampleSorted } from "./random.ts";
 *
 * const s = sampleSorted([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 3, mulberry32(2));
 * assert.equal(s.length, 3);
 * assert.ok(s[0] < s[1] && s[1] < s[2]);
 * ```
 */
export function sampleSorted(
  values: readonly number[],
  k: number,
  rng: () => number,
): number[] {
  const copy = values.slice();
  shuffleInPlace(copy, rng);
  return copy.slice(0, Math.min(k, copy.length)).sort((a, b) => a - b);
}
