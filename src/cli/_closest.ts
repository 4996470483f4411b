/**
 * "Did you mean ...?" for mistyped names: the closest candidate by edit
 * distance (optimal string alignment: insert, delete, substitute, swap two
 * neighbours), ignoring case, `_` and `-` first.
 *
 * @module
 */

/**
 * Edit distance of `a` and `b` with adjacent transpositions counted as one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { editDistance } from "./_closest.ts";
 *
 * assert.equal(editDistance("epochz", "epochs"), 1);
 * assert.equal(editDistance("epcohs", "epochs"), 1);
 * ```
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from(
    { length: a.length + 1 },
    (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : i),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(
        d[i - 1][j] + 1,
        d[i][j - 1] + 1,
        d[i - 1][j - 1] + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word`, or undefined when none is close (more
 * than a third of the word's length away, and more than 2).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { closest } from "./_closest.ts";
 *
 * assert.equal(closest("latent_dim", ["latentDim", "epochs"]), "latentDim");
 * assert.equal(closest("zzzz", ["latentDim", "epochs"]), undefined);
 * ```
 */
export function closest(
  word: string,
  candidates: readonly string[],
): string | undefined {
  const plain = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = plain(c) === plain(word) ? 0 : editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
