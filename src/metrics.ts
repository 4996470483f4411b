/**
 * Out-of-distribution / anomaly detection metrics of METHOD.md §4, in plain
 * float64 TypeScript (no tensors, no Python).
 *
 * Conventions shared by every function here: `scores` are "higher = more
 * anomalous", `isAnomaly` marks anomaly / OOD samples with `1` (or `true`) and
 * normal / in-distribution (ID) samples with `0` (or `false`). AUROC and the
 * average precisions agree with scikit-learn to about 1e-12; the two FPR95
 * conventions are named separately ({@linkcode fpr95} is OOD positive, the
 * paper's own numbers; {@linkcode fpr95Id} is ID positive, the ODIN / KNN /
 * CIDER papers' numbers), and every table should say which one it shows.
 *
 * @module
 */
import { ShapeError } from "./errors.ts";

/** The points of a ROC curve, as scikit-learn's `roc_curve` returns them. */
export interface RocCurve {
  /** False positive rate (fraction of ID samples flagged) per point, nondecreasing. */
  fpr: Float64Array;
  /** True positive rate (fraction of OOD samples flagged) per point, nondecreasing. */
  tpr: Float64Array;
  /**
   * Threshold per point, descending: a sample is flagged when
   * `score >= threshold`. The first is `Infinity` (the (0, 0) point).
   */
  thresholds: Float64Array;
}

/** All metrics of {@linkcode computeMetrics} in one object. */
export interface OodMetrics {
  /** Area under the ROC curve, ties counting one half. */
  auroc: number;
  /** FPR at 95% TPR, OOD positive (interpolated on the ROC). */
  fpr95: number;
  /** FPR at 95% TPR, ID positive (rank rule). */
  fpr95Id: number;
  /** Average precision with OOD as the positive class, scored by `score`. */
  auprOut: number;
  /** Average precision with ID as the positive class, scored by `-score`. */
  auprIn: number;
  /** Number of ID (label 0) samples. */
  nId: number;
  /** Number of OOD (label 1) samples. */
  nOod: number;
}

interface Checked {
  s: Float64Array;
  y: Uint8Array;
  nPos: number;
  nNeg: number;
}

function check(
  fn: string,
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): Checked {
  if (scores == null || typeof scores.length !== "number") {
    throw new TypeError(
      `Cannot compute ${fn}: "scores" must be an array of numbers, got "${scores}"`,
    );
  }
  if (isAnomaly == null || typeof isAnomaly.length !== "number") {
    throw new TypeError(
      `Cannot compute ${fn}: "isAnomaly" must be an array of 0/1 or booleans, got "${isAnomaly}"`,
    );
  }
  if (scores.length !== isAnomaly.length) {
    throw new ShapeError(
      `Cannot compute ${fn}: "scores" has length "${scores.length}" but "isAnomaly" has length "${isAnomaly.length}"; pass one label per score`,
      `[${scores.length}]`,
      `[${isAnomaly.length}]`,
    );
  }
  const n = scores.length;
  const s = new Float64Array(n);
  const y = new Uint8Array(n);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (typeof v !== "number" || !Number.isFinite(v)) {
      throw new RangeError(
        `Cannot compute ${fn}: "scores" must be finite numbers, got "${v}" at index "${i}"`,
      );
    }
    s[i] = v;
    const l = isAnomaly[i];
    if (l === 1 || l === true) {
      y[i] = 1;
      nPos++;
    } else if (l !== 0 && l !== false) {
      throw new TypeError(
        `Cannot compute ${fn}: "isAnomaly" must hold 0/1 or booleans, got "${l}" at index "${i}"`,
      );
    }
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new RangeError(
      `Cannot compute ${fn}: "isAnomaly" needs at least one anomaly (1) and one normal (0) sample, got "${nPos}" anomalies and "${nNeg}" normals`,
    );
  }
  return { s, y, nPos, nNeg };
}

/** Indices sorting `s` by descending value (ties in any order). */
function orderDescending(s: Float64Array): Uint32Array {
  const idx = new Uint32Array(s.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => s[b] - s[a]);
  return idx;
}

/**
 * Cumulative true / false positive counts at each distinct threshold,
 * descending (scikit-learn's `_binary_clf_curve`).
 */
function binaryCurve(
  s: Float64Array,
  y: Uint8Array,
): { tps: Float64Array; fps: Float64Array; thresholds: Float64Array } {
  const order = orderDescending(s);
  const n = s.length;
  const tps: number[] = [];
  const fps: number[] = [];
  const thr: number[] = [];
  let tp = 0;
  for (let i = 0; i < n; i++) {
    const j = order[i];
    tp += y[j];
    if (i === n - 1 || s[order[i + 1]] !== s[j]) {
      tps.push(tp);
      fps.push(i + 1 - tp);
      thr.push(s[j]);
    }
  }
  return {
    tps: Float64Array.from(tps),
    fps: Float64Array.from(fps),
    thresholds: Float64Array.from(thr),
  };
}

function rocPoints(c: Checked): RocCurve {
  const { tps, fps, thresholds } = binaryCurve(c.s, c.y);
  const m = tps.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const th = new Float64Array(m);
  th[0] = Infinity;
  const lastT = tps[tps.length - 1];
  const lastF = fps[fps.length - 1];
  for (let i = 1; i < m; i++) {
    tpr[i] = tps[i - 1] / lastT;
    fpr[i] = fps[i - 1] / lastF;
    th[i] = thresholds[i - 1];
  }
  return { fpr, tpr, thresholds: th };
}

/** numpy's `interp(x, xp, fp)` for nondecreasing `xp`. */
function interp(x: number, xp: Float64Array, fp: Float64Array): number {
  const n = xp.length;
  if (x < xp[0]) return fp[0];
  if (x >= xp[n - 1]) return fp[n - 1];
  // j = the last index with xp[j] <= x, as numpy's binary search finds it,
  // so repeated xp values equal to x give the last (largest) fp
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (xp[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  if (xp[lo] === x) return fp[lo];
  const slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo]);
  return slope * (x - xp[lo]) + fp[lo];
}

function averagePrecision(s: Float64Array, y: Uint8Array): number {
  const { tps, fps } = binaryCurve(s, y);
  const total = tps[tps.length - 1];
  let ap = 0;
  let prevRecall = 0;
  for (let i = 0; i < tps.length; i++) {
    const recall = tps[i] / total;
    const precision = tps[i] / (tps[i] + fps[i]);
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
  }
  return Math.max(0, ap);
}

/**
 * The ROC curve: one point per distinct score, thresholds descending,
 * starting at (0, 0).
 *
 * Method: sort by descending score, count true positives (anomalies) and
 * false positives (normals) at or above each distinct score, divide by the
 * totals. These are exactly scikit-learn's `roc_curve(isAnomaly, scores,
 * drop_intermediate=False)` points; scikit-learn's default
 * `drop_intermediate=True` only removes collinear points, which changes
 * neither the area nor any interpolated value. The first threshold is
 * `Infinity` as in scikit-learn >= 1.3 (older versions wrote `max + 1`).
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns The curve's `fpr`, `tpr` and `thresholds` (float64, same length).
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example Three samples, one tie
 * ```ts
 * import assert from "node:assert/strict";
 * import { rocCurve } from "@hsvae/hsvae";
 *
 * const { fpr, tpr, thresholds } = rocCurve([0.9, 0.5, 0.5], [1, 0, 1]);
 * assert.deepEqual([...fpr], [0, 0, 1]);
 * assert.deepEqual([...tpr], [0, 0.5, 1]);
 * assert.deepEqual([...thresholds], [Infinity, 0.9, 0.5]);
 * ```
 */
export function rocCurve(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): RocCurve {
  return rocPoints(check("rocCurve", scores, isAnomaly));
}

function aurocOf(c: Checked): number {
  const { s, y, nPos, nNeg } = c;
  const n = s.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => s[a] - s[b]);
  // sum of the (1-based, tie-averaged) ranks of the anomalies
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    let pos = 0;
    while (j < n && s[order[j]] === s[order[i]]) pos += y[order[j++]];
    rankSum += pos * ((i + 1 + j) / 2);
    i = j;
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/**
 * Area under the ROC curve: the probability that a random anomaly scores
 * higher than a random normal sample, ties counting one half.
 *
 * Method: the Mann-Whitney statistic from tie-averaged ranks,
 * `(R_pos - P (P + 1) / 2) / (P N)`, O(n log n). Symmetric in the two
 * conventions (ID positive with `-score` gives the same value). Matches
 * scikit-learn's `roc_auc_score` to about 1e-12.
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns The AUROC in [0, 1].
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example A tie counts one half
 * ```ts
 * import assert from "node:assert/strict";
 * import { auroc } from "@hsvae/hsvae";
 *
 * assert.equal(auroc([3, 2, 1], [1, 0, 0]), 1);
 * assert.equal(auroc([1, 1], [1, 0]), 0.5);
 * ```
 */
export function auroc(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): number {
  return aurocOf(check("auroc", scores, isAnomaly));
}

function fpr95Of(c: Checked): number {
  const { fpr, tpr } = rocPoints(c);
  return interp(0.95, tpr, fpr);
}

/**
 * FPR at 95% TPR, **OOD positive** (the paper's own numbers, the authors'
 * code, OpenOOD v1.5): the fraction of ID samples flagged as anomalous at the
 * threshold that detects 95% of the anomalies.
 *
 * Method: numpy's `interp(0.95, tpr, fpr)` on the {@linkcode rocCurve}
 * points: linear interpolation between the neighbouring points, and where
 * several points have `tpr` exactly `0.95`, the largest `fpr` among them
 * (numpy's behaviour on repeated x values).
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns The FPR95 in [0, 1], lower is better.
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example Interpolating between two ROC points
 * ```ts
 * import assert from "node:assert/strict";
 * import { fpr95 } from "@hsvae/hsvae";
 *
 * // ROC points (fpr, tpr): (0,0) (0,0.5) (0.5,0.5) (0.5,1) (1,1)
 * const v = fpr95([4, 3, 2, 1], [1, 0, 1, 0]);
 * assert.equal(v, 0.5);
 * ```
 */
export function fpr95(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): number {
  return fpr95Of(check("fpr95", scores, isAnomaly));
}

function fpr95IdOf(c: Checked): number {
  const { s, y, nNeg, nPos } = c;
  const id = new Float64Array(nNeg);
  let k = 0;
  for (let i = 0; i < s.length; i++) if (y[i] === 0) id[k++] = s[i];
  id.sort();
  const t = id[Math.ceil(0.95 * nNeg) - 1];
  let accepted = 0;
  for (let i = 0; i < s.length; i++) if (y[i] === 1 && s[i] <= t) accepted++;
  return accepted / nPos;
}

/**
 * FPR at 95% TPR, **ID positive** (ODIN / KNN / CIDER papers): the fraction
 * of anomalies accepted as in-distribution at the threshold that accepts 95%
 * of the ID samples.
 *
 * Method: `t` = the ID score at 0-based rank `ceil(0.95 * N_id) - 1` of the
 * ID scores sorted ascending; an anomaly with `score <= t` counts as
 * accepted. `ceil(0.95 * N_id)` is evaluated in float64 exactly as
 * `math.ceil(0.95 * n)` in Python.
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns The fraction of anomalies accepted, in [0, 1], lower is better.
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example Twenty ID scores 1..20, threshold = the 19th
 * ```ts
 * import assert from "node:assert/strict";
 * import { fpr95Id } from "@hsvae/hsvae";
 *
 * const id = Array.from({ length: 20 }, (_, i) => i + 1);
 * const ood = [10, 19, 19.5, 30];
 * const v = fpr95Id([...id, ...ood], [...id.map(() => 0), 1, 1, 1, 1]);
 * assert.equal(v, 0.5); // 10 and 19 are <= 19
 * ```
 */
export function fpr95Id(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): number {
  return fpr95IdOf(check("fpr95Id", scores, isAnomaly));
}

function auprOutOf(c: Checked): number {
  return averagePrecision(c.s, c.y);
}

function auprInOf(c: Checked): number {
  const neg = new Float64Array(c.s.length);
  const yIn = new Uint8Array(c.s.length);
  for (let i = 0; i < neg.length; i++) {
    neg[i] = -c.s[i];
    yIn[i] = 1 - c.y[i];
  }
  return averagePrecision(neg, yIn);
}

/**
 * Area under the precision-recall curve with the anomalies (OOD) as the
 * positive class, scored by `score` ("AUPR-Out").
 *
 * Method: scikit-learn's `average_precision_score`,
 * `AP = sum_k (R_k - R_{k-1}) P_k` over the distinct thresholds in
 * descending order (a step function, no interpolation).
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns The average precision in [0, 1].
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auprOut } from "@hsvae/hsvae";
 *
 * // ranking 1, 0, 1: precision 1 at recall 0.5, 2/3 at recall 1
 * assert.equal(auprOut([3, 2, 1], [1, 0, 1]), 0.5 * 1 + 0.5 * (2 / 3));
 * ```
 */
export function auprOut(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): number {
  return auprOutOf(check("auprOut", scores, isAnomaly));
}

/**
 * Area under the precision-recall curve with the normal / ID samples as the
 * positive class, scored by `-score` ("AUPR-In").
 *
 * Method: scikit-learn's `average_precision_score(1 - isAnomaly, -scores)`.
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns The average precision in [0, 1].
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { auprIn } from "@hsvae/hsvae";
 *
 * // by -score the order is 1, 2, 3: ID at ranks 2 and 3 -> P 1/2, 2/3
 * assert.equal(auprIn([1, 2, 3], [1, 0, 0]), 0.5 * 0.5 + 0.5 * (2 / 3));
 * ```
 */
export function auprIn(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): number {
  return auprInOf(check("auprIn", scores, isAnomaly));
}

/**
 * Every metric of this module in one pass over validated input.
 *
 * @param scores Anomaly scores, higher = more anomalous (finite).
 * @param isAnomaly `1`/`true` for anomaly / OOD, `0`/`false` for normal / ID.
 * @returns AUROC, both FPR95 conventions, both average precisions and the
 *   class counts.
 * @throws {ShapeError} When the two arguments differ in length.
 * @throws {TypeError} When a label is not 0/1/true/false.
 * @throws {RangeError} When a score is NaN or infinite, or a class is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeMetrics } from "@hsvae/hsvae";
 *
 * const m = computeMetrics([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]);
 * assert.equal(m.auroc, 1);
 * assert.equal(m.fpr95, 0);
 * assert.equal(m.fpr95Id, 0);
 * assert.equal(m.auprOut, 1);
 * assert.equal(m.nOod, 2);
 * ```
 */
export function computeMetrics(
  scores: ArrayLike<number>,
  isAnomaly: ArrayLike<number | boolean>,
): OodMetrics {
  const c = check("computeMetrics", scores, isAnomaly);
  return {
    auroc: aurocOf(c),
    fpr95: fpr95Of(c),
    fpr95Id: fpr95IdOf(c),
    auprOut: auprOutOf(c),
    auprIn: auprInOf(c),
    nId: c.nNeg,
    nOod: c.nPos,
  };
}
