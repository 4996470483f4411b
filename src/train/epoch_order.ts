/**
 * The seeded batch order of one epoch.
 *
 * @module
 */
import { mulberry32, shuffleInPlace } from "../random.ts";

/**
 * The order in which one epoch visits `indices`: a shuffle seeded by the
 * run's seed and the epoch (`mulberry32((seed * 7919 + epoch * 104729 + 1)
 * >>> 0)`), so every epoch differs and a resumed run repeats it exactly.
 * With `labels`, each class is shuffled on its own and the classes are
 * interleaved round-robin (ascending class id), so every batch holds every
 * class it can.
 *
 * @param indices The training indices.
 * @param epoch 0-based epoch.
 * @param seed The run's seed.
 * @param labels Class of every example (indexed like the dataset), to
 *   stratify batches.
 * @returns A new array: `indices` in this epoch's order.
 *
 * @example Same epoch, same order; classes interleaved
 * ```ts
 * import assert from "node:assert/strict";
 * import { epochOrder } from "./epoch_order.ts";
 *
 * const idx = [0, 1, 2, 3, 4, 5];
 * assert.deepEqual(epochOrder(idx, 2, 7), epochOrder(idx, 2, 7));
 * const labels = Int32Array.from([0, 0, 0, 1, 1, 1]);
 * const order = epochOrder(idx, 0, 7, labels);
 * assert.deepEqual([...order].map((i) => labels[i]), [0, 1, 0, 1, 0, 1]);
 * ```
 */
export function epochOrder(
  indices: number[],
  epoch: number,
  seed: number,
  labels?: Int32Array,
): number[] {
  const rng = mulberry32((seed * 7919 + epoch * 104729 + 1) >>> 0);
  if (!labels) return shuffleInPlace(indices.slice(), rng);
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const lists = [...byClass.keys()].sort((a, b) => a - b).map((c) =>
    shuffleInPlace(byClass.get(c)!, rng)
  );
  const out: number[] = [];
  for (let k = 0; out.length < indices.length; k++) {
    for (const l of lists) if (k < l.length) out.push(l[k]);
  }
  return out;
}
