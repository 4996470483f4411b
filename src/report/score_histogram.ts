/**
 * Shared-bin histograms of anomaly scores, normal vs anomalous.
 *
 * @module
 */
import { ShapeError } from "../errors.ts";

/** Options of {@linkcode scoreHistogram}. */
export interface ScoreHistogramOptions {
  /**
   * Number of equal-width bins spanning the smallest to the largest score.
   *
   * @default {30}
   */
  bins?: number;
}

/** The result of {@linkcode scoreHistogram}. */
export interface ScoreHistogram {
  /** `bins + 1` bin edges, ascending. */
  edges: Float64Array;
  /** Count of normal / ID samples (label 0) per bin. */
  normal: Uint32Array;
  /** Count of anomaly / OOD samples (label 1) per bin. */
  anomalous: Uint32Array;
  /** Number of normal samples (the sum of `normal`). */
  nNormal: number;
  /** Number of anomalous samples (the sum of `anomalous`). */
  nAnomalous: number;
}

/**
 * Counts the scores of normal and anomalous samples in the same equal-width
 * bins, so the two histograms can be overlaid.
 *
 * Method: numpy's `histogram(scores, bins, range=(min, max))` on all scores,
 * split by label: bin `b` holds `edges[b] <= s < edges[b + 1]`, the last bin
 * also holds `s = max`. Edges are `min + b (max - min) / bins`.
 *
 * Special cases: when every score is equal to `v`, the range is
 * `(v - 0.5, v + 0.5)` (numpy's rule) and all samples fall in the middle bin.
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @param options Number of bins.
 * @returns Shared edges and per-class counts.
 * @throws {ShapeError} When the two arguments differ in length or are empty.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is not finite or `bins` is not a positive integer.
 *
 * @example Two bins over [0, 1]
 * ```ts
 * import assert from "node:assert/strict";
 * import { scoreHistogram } from "@hsvae/hsvae";
 *
 * const h = scoreHistogram([0, 0.2, 0.5, 1], [0, 0, 1, 1], { bins: 2 });
 * assert.deepEqual([...h.edges], [0, 0.5, 1]);
 * assert.deepEqual([...h.normal], [2, 0]);
 * assert.deepEqual([...h.anomalous], [0, 2]);
 * ```
 */
export function scoreHistogram(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
  options: ScoreHistogramOptions = {},
): ScoreHistogram {
  const bins = options.bins ?? 30;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new RangeError(
      `Cannot bin scores: "bins" must be a positive integer, got "${bins}"`,
    );
  }
  if (scores.length !== isAnomaly.length || scores.length === 0) {
    throw new ShapeError(
      `Cannot bin scores: "scores" has length "${scores.length}" and "isAnomaly" "${isAnomaly.length}"; pass one label per score, at least one`,
      `${scores.length}`,
      `${isAnomaly.length}`,
    );
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i];
    if (!Number.isFinite(s)) {
      throw new RangeError(
        `Cannot bin scores: "scores[${i}]" is "${s}"; scores must be finite`,
      );
    }
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = lo + (b * (hi - lo)) / bins;
  edges[bins] = hi;
  const normal = new Uint32Array(bins);
  const anomalous = new Uint32Array(bins);
  const width = (hi - lo) / bins;
  for (let i = 0; i < scores.length; i++) {
    const y = isAnomaly[i];
    if (y !== 0 && y !== 1 && y !== true && y !== false) {
      throw new TypeError(
        `Cannot bin scores: "isAnomaly[${i}]" is "${y}"; labels must be 0/1 or true/false`,
      );
    }
    const s = scores[i];
    let b = Math.min(bins - 1, Math.floor((s - lo) / width));
    // correct float rounding against the stored edges
    while (b > 0 && s < edges[b]) b--;
    while (b < bins - 1 && s >= edges[b + 1]) b++;
    if (y === 1 || y === true) anomalous[b]++;
    else normal[b]++;
  }
  let nAnomalous = 0;
  for (const c of anomalous) nAnomalous += c;
  return {
    edges,
    normal,
    anomalous,
    nNormal: scores.length - nAnomalous,
    nAnomalous,
  };
}
