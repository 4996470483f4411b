/**
 * Isolation Forest (Liu, Ting and Zhou 2008) in plain TypeScript typed
 * arrays, seeded by its own generator.
 *
 * @module
 */
import { BaseDetector } from "./base_detector.ts";
import type { DetectorOptions } from "./detector.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { mulberry32 } from "../random.ts";

/** Options of {@linkcode IsolationForest}. */
export interface IsolationForestOptions extends DetectorOptions {
  /**
   * Number of isolation trees.
   * @default {100}
   */
  nEstimators?: number;
  /**
   * Subsample size `psi` drawn without replacement for each tree (capped at
   * the training set size).
   * @default {256}
   */
  maxSamples?: number;
}

const EULER_GAMMA = 0.5772156649015329;

/**
 * The average path length of an unsuccessful binary-search-tree search in a
 * tree of `n` samples, which normalises isolation depths:
 * `c(n) = 2 H(n - 1) - 2 (n - 1) / n` with `H(i) ~ ln(i) + 0.5772156649`
 * (Euler's constant).
 *
 * Special cases: `c(n) = 0` for `n <= 1`, `c(2) = 1` (as in scikit-learn).
 *
 * @param n Number of samples (>= 0).
 * @returns `c(n)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { averagePathLength } from "@hsvae/hsvae";
 *
 * assert.equal(averagePathLength(1), 0);
 * assert.equal(averagePathLength(2), 1);
 * const c256 = 2 * (Math.log(255) + 0.5772156649015329) - (2 * 255) / 256;
 * assert.equal(averagePathLength(256), c256);
 * ```
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/** One isolation tree in flat arrays; node 0 is the root. */
interface Tree {
  /** Split feature, -1 for a leaf. */
  feature: Int32Array;
  /** Split value: go left when `x[feature] < split`. */
  split: Float32Array;
  left: Int32Array;
  right: Int32Array;
  /** For a leaf: depth + c(size), the path length credited to samples ending here. */
  leafPath: Float64Array;
}

/**
 * Isolation Forest anomaly detector (Liu, Ting and Zhou 2008): anomalies are
 * isolated by fewer random splits. Score `s(x) = 2^{-E[h(x)] / c(psi)}` in
 * (0, 1], higher = more anomalous (PyOD's sign; scikit-learn's
 * `score_samples` returns `-s(x)`).
 *
 * Method: each of `nEstimators` trees is grown on `psi = min(maxSamples, N)`
 * rows drawn without replacement, to depth `ceil(log2(psi))`: a node picks a
 * random feature among those not constant in it and a split value uniform
 * between that feature's min and max; a node stops when it holds one sample,
 * all its features are constant, or the depth limit is reached. `h(x)` is
 * the depth of the leaf `x` falls into plus `c(size)` of that leaf
 * ({@linkcode averagePathLength}).
 *
 * Randomness comes from the detector's own seeded generator (mulberry32), so
 * equal seeds give equal forests; scores cannot equal scikit-learn's, whose
 * random stream differs, but the rankings agree closely (see the tests).
 *
 * @example An outlier inside the training set
 * ```ts
 * import assert from "node:assert/strict";
 * import { IsolationForest } from "@hsvae/hsvae";
 *
 * const x = Array.from({ length: 200 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
 * x.push([8, -8]);
 * const det = await new IsolationForest({ seed: 1, contamination: 0.01 }).fit(x);
 * const s = det.trainingScores;
 * assert.ok(s[200] > 0.7);
 * assert.equal(s.indexOf(Math.max(...s)), 200);
 * assert.equal((await det.predict([[8, -8]]))[0], 1);
 * ```
 */
export class IsolationForest extends BaseDetector {
  /** Number of trees. */
  readonly nEstimators: number;
  /** Requested subsample size per tree. */
  readonly maxSamples: number;
  #trees?: Tree[];
  #psi = 0;

  /**
   * Stores the hyperparameters only; nothing is computed until `fit`.
   *
   * @param options Detector options; hyperparameters only, nothing is
   *   computed until `fit`.
   * @throws {RangeError} When `nEstimators` or `maxSamples` is not a
   *   positive integer (`maxSamples >= 2`), or a shared option is out of
   *   range.
   */
  constructor(options: IsolationForestOptions = {}) {
    super(options);
    const { nEstimators = 100, maxSamples = 256 } = options;
    if (!(Number.isInteger(nEstimators) && nEstimators >= 1)) {
      throw new RangeError(
        `Cannot create IsolationForest: "nEstimators" must be a positive integer, got "${nEstimators}"`,
      );
    }
    if (!(Number.isInteger(maxSamples) && maxSamples >= 2)) {
      throw new RangeError(
        `Cannot create IsolationForest: "maxSamples" must be an integer >= 2, got "${maxSamples}"`,
      );
    }
    this.nEstimators = nEstimators;
    this.maxSamples = maxSamples;
  }

  /**
   * The subsample size actually used, `min(maxSamples, N)`.
   * @throws {NotFittedError} Before `fit`.
   */
  get subsampleSize(): number {
    if (!this.#trees) throw this.notFitted("read subsampleSize");
    return this.#psi;
  }

  /** Fits on the training matrix and returns the training scores (higher = more anomalous). */
  protected fitModel(x: FeatureMatrix): Promise<Float32Array> {
    const rand = mulberry32(this.seed);
    const psi = Math.min(this.maxSamples, x.rows);
    if (psi < 2) {
      throw new RangeError(
        `Cannot fit IsolationForest: needs at least 2 training rows, got "${x.rows}"`,
      );
    }
    const maxDepth = Math.ceil(Math.log2(psi));
    const perm = new Int32Array(x.rows);
    const trees: Tree[] = [];
    for (let t = 0; t < this.nEstimators; t++) {
      // partial Fisher-Yates: the first psi entries are the subsample
      for (let i = 0; i < x.rows; i++) perm[i] = i;
      for (let i = 0; i < psi; i++) {
        const j = i + Math.floor(rand() * (x.rows - i));
        const tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
      }
      trees.push(growTree(x, perm.slice(0, psi), maxDepth, rand));
    }
    this.#trees = trees;
    this.#psi = psi;
    return this.scoreMatrix(x);
  }

  /** Scores a query matrix (higher = more anomalous). */
  protected scoreMatrix(x: FeatureMatrix): Promise<Float32Array> {
    const trees = this.#trees;
    if (!trees) throw this.notFitted("score");
    const cPsi = averagePathLength(this.#psi);
    const out = new Float32Array(x.rows);
    const { data, cols } = x;
    for (let r = 0; r < x.rows; r++) {
      const base = r * cols;
      let total = 0;
      for (const tree of trees) {
        let node = 0;
        while (tree.feature[node] >= 0) {
          node = data[base + tree.feature[node]] < tree.split[node]
            ? tree.left[node]
            : tree.right[node];
        }
        total += tree.leafPath[node];
      }
      out[r] = Math.pow(2, -(total / trees.length) / cPsi);
    }
    return Promise.resolve(out);
  }
}

function growTree(
  x: FeatureMatrix,
  rows: Int32Array,
  maxDepth: number,
  rand: () => number,
): Tree {
  const maxNodes = 2 * rows.length - 1;
  const tree: Tree = {
    feature: new Int32Array(maxNodes).fill(-1),
    split: new Float32Array(maxNodes),
    left: new Int32Array(maxNodes),
    right: new Int32Array(maxNodes),
    leafPath: new Float64Array(maxNodes),
  };
  const { data, cols } = x;
  const features = new Int32Array(cols);
  let nNodes = 1;
  // explicit stack of [node, start, end, depth] over `rows`, partitioned in place
  const stack: number[] = [0, 0, rows.length, 0];
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    const node = stack.pop()!;
    const size = end - start;
    if (size <= 1 || depth >= maxDepth) {
      tree.leafPath[node] = depth + averagePathLength(size);
      continue;
    }
    // try features in random order until one is not constant in this node
    for (let f = 0; f < cols; f++) features[f] = f;
    let chosen = -1;
    let lo = 0;
    let hi = 0;
    for (let tried = 0; tried < cols && chosen < 0; tried++) {
      const j = tried + Math.floor(rand() * (cols - tried));
      const f = features[j];
      features[j] = features[tried];
      features[tried] = f;
      lo = Infinity;
      hi = -Infinity;
      for (let i = start; i < end; i++) {
        const v = data[rows[i] * cols + f];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi > lo) chosen = f;
    }
    if (chosen < 0) {
      tree.leafPath[node] = depth + averagePathLength(size);
      continue;
    }
    // uniform in [lo, hi); rounding to float32 can land on lo, where the
    // left side would be empty, so fall back to the midpoint then
    let split = Math.fround(lo + rand() * (hi - lo));
    if (!(split > lo)) split = Math.fround(lo + (hi - lo) / 2);
    if (!(split > lo)) split = hi;
    // partition: x < split to the front
    let mid = start;
    for (let i = start; i < end; i++) {
      if (data[rows[i] * cols + chosen] < split) {
        const tmp = rows[i];
        rows[i] = rows[mid];
        rows[mid] = tmp;
        mid++;
      }
    }
    const l = nNodes++;
    const r = nNodes++;
    tree.feature[node] = chosen;
    tree.split[node] = split;
    tree.left[node] = l;
    tree.right[node] = r;
    stack.push(l, start, mid, depth + 1, r, mid, end, depth + 1);
  }
  return tree;
}
