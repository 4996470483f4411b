/**
 * The detector contract every anomaly detector of the toolkit follows, in
 * the shape scikit-learn and PyOD users know: the constructor stores
 * hyperparameters only, `fit(x)` returns the detector, `score(x)` is
 * **higher = more anomalous** (PyOD's `decision_function` sign; the opposite
 * of scikit-learn's `score_samples`), `predict(x)` is 0/1 with 1 = anomaly,
 * and the threshold comes from `contamination`.
 *
 * Every detector takes either features (a {@linkcode FeatureMatrix}, a
 * rank-2 tensor or nested arrays) or a {@linkcode Dataset} of images, which
 * its `features` option turns into features: raw pixels (the default) or,
 * with a {@linkcode LatentFeatures} extractor, a model's latent means.
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import type { Dataset } from "../data/dataset.ts";
import { NotFittedError, ShapeError } from "../errors.ts";
import { type FeatureExtractor, pixelFeatures } from "./features.ts";

export type { FeatureExtractor } from "./features.ts";

/**
 * A row-major float32 matrix: `rows` samples of `cols` features, sample `i`
 * at `data[i * cols .. (i + 1) * cols)`. The toolkit's plain (tensor-free)
 * feature format.
 */
export interface FeatureMatrix {
  /** The values, row-major, length `rows * cols`. */
  data: Float32Array;
  /** Number of samples. */
  rows: number;
  /** Number of features per sample. */
  cols: number;
}

/**
 * What detectors accept as samples: a {@linkcode FeatureMatrix}, a rank-2
 * tensor `[N, D]` (never disposed by the detector), or nested arrays
 * `N x D`.
 */
export type FeatureInput = FeatureMatrix | Tensor2D | number[][];

/**
 * What `fit`, `score` and `predict` accept: features, or a
 * {@linkcode Dataset} of images that the detector's `features` option maps
 * to features (flattened pixels by default).
 */
export type DetectorInput = FeatureInput | Dataset;

/** Options every detector shares. */
export interface DetectorOptions {
  /**
   * Expected fraction of anomalies in the training set, in (0, 0.5]: the
   * threshold is the `1 - contamination` quantile (numpy's linear
   * interpolation) of the training scores. Ignored when
   * `thresholdQuantile` is given.
   * @default {0.1}
   */
  contamination?: number;
  /**
   * Set the threshold as this quantile of the training scores instead, in
   * (0, 1]; `0.95` flags about 5% of the training set.
   * @default {undefined}
   */
  thresholdQuantile?: number;
  /**
   * Seed of the detector's own random generator; equal seeds give equal
   * fits. Deterministic detectors ignore it.
   * @default {0}
   */
  seed?: number;
  /**
   * How a {@linkcode Dataset} input becomes features: `"pixels"` flattens
   * each image to its `H * W * C` values; a {@linkcode FeatureExtractor}
   * such as `new LatentFeatures(model)` maps it (e.g. to latent means).
   * Matrices, tensors and arrays are always taken as features already.
   * @default {"pixels"}
   */
  features?: "pixels" | FeatureExtractor;
}

/** An anomaly detector (see the module doc for the contract). */
export interface Detector {
  /**
   * Learns from normal (or mostly normal) samples and sets the threshold.
   * @param x Training samples.
   * @returns The detector itself.
   */
  fit(x: DetectorInput): Promise<this>;
  /**
   * Anomaly scores, higher = more anomalous (PyOD's sign; scikit-learn's
   * `score_samples` is the negation).
   * @param x Samples with as many features as the training set.
   * @returns One score per sample.
   */
  score(x: DetectorInput): Promise<Float32Array>;
  /**
   * `1` where `score(x) > threshold`, else `0`.
   * @param x Samples with as many features as the training set.
   * @returns One 0/1 label per sample.
   */
  predict(x: DetectorInput): Promise<Uint8Array>;
  /** The decision threshold on the score; throws NotFittedError before fit. */
  readonly threshold: number;
  /** The training samples' scores; throws NotFittedError before fit. */
  readonly trainingScores: Float32Array;
  /** Number of features seen in fit; throws NotFittedError before fit. */
  readonly nFeatures: number;
  /** Whether `fit` has completed. */
  readonly fitted: boolean;
}

/**
 * Whether `x` is a {@linkcode Dataset} (has `images` and `shape`) rather
 * than a feature input.
 *
 * @param x A detector input.
 * @returns `true` for a dataset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDataset } from "./detector.ts";
 *
 * assert.equal(isDataset({ images: new Float32Array(4), shape: [1, 2, 2, 1] }), true);
 * assert.equal(isDataset([[1, 2]]), false);
 * ```
 */
export function isDataset(x: DetectorInput): x is Dataset {
  return typeof x === "object" && x !== null && "images" in x &&
    "shape" in x && !(x instanceof tf.Tensor);
}

/**
 * Converts any {@linkcode DetectorInput} to a {@linkcode FeatureMatrix}
 * (copying only when the input is not one already); a
 * {@linkcode Dataset} becomes its flattened pixels.
 *
 * @param x The samples.
 * @param what Names the action for error messages, e.g. `"fit KnnDetector"`.
 * @returns The samples as a row-major float32 matrix.
 * @throws {ShapeError} When `x` is not rank 2, is ragged, empty, or
 *   `data.length !== rows * cols`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toFeatureMatrix } from "./detector.ts";
 *
 * const m = await toFeatureMatrix([[1, 2], [3, 4], [5, 6]]);
 * assert.equal(m.rows, 3);
 * assert.equal(m.cols, 2);
 * assert.deepEqual([...m.data], [1, 2, 3, 4, 5, 6]);
 * ```
 */
export async function toFeatureMatrix(
  x: DetectorInput,
  what = "use samples",
): Promise<FeatureMatrix> {
  let m: FeatureMatrix;
  if (isDataset(x)) {
    m = pixelFeatures(x);
  } else if (x instanceof tf.Tensor) {
    if (x.rank !== 2) {
      throw new ShapeError(
        `Cannot ${what}: "x" must be a rank-2 tensor [N, D], got shape "[${x.shape}]"`,
        "[N, D]",
        `[${x.shape}]`,
      );
    }
    const data = await x.data();
    m = {
      data: data instanceof Float32Array
        ? data
        : Float32Array.from(data as ArrayLike<number>),
      rows: x.shape[0],
      cols: x.shape[1],
    };
  } else if (Array.isArray(x)) {
    const rows = x.length;
    const cols = rows > 0 && Array.isArray(x[0]) ? x[0].length : 0;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = x[i];
      if (!Array.isArray(row) || row.length !== cols) {
        throw new ShapeError(
          `Cannot ${what}: "x" must be N x D nested arrays, row "${i}" has length "${
            Array.isArray(row) ? row.length : "not an array"
          }" instead of "${cols}"`,
          `[${rows}, ${cols}]`,
          `row ${i}`,
        );
      }
      data.set(row, i * cols);
    }
    m = { data, rows, cols };
  } else if (x && x.data instanceof Float32Array) {
    if (x.data.length !== x.rows * x.cols || !(x.rows >= 0 && x.cols >= 0)) {
      throw new ShapeError(
        `Cannot ${what}: "x.data" has length "${x.data.length}" but rows * cols is "${
          x.rows * x.cols
        }"`,
        `${x.rows * x.cols}`,
        `${x.data.length}`,
      );
    }
    m = x;
  } else {
    throw new ShapeError(
      `Cannot ${what}: "x" must be a FeatureMatrix, a rank-2 tensor or number[][]`,
      "FeatureInput",
      typeof x,
    );
  }
  if (m.rows < 1 || m.cols < 1) {
    throw new ShapeError(
      `Cannot ${what}: "x" must have at least one row and one column, got shape "[${m.rows}, ${m.cols}]"`,
      "[N >= 1, D >= 1]",
      `[${m.rows}, ${m.cols}]`,
    );
  }
  return m;
}

/**
 * numpy's default (`linear`) quantile of `values` at `q` in [0, 1].
 *
 * @param values The sample, not modified.
 * @param q The quantile level.
 * @returns `numpy.quantile(values, q)`.
 * @throws {RangeError} When `values` is empty or `q` is outside [0, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantile } from "./detector.ts";
 *
 * assert.equal(quantile([4, 1, 3, 2], 0.5), 2.5);
 * assert.equal(quantile([1, 2, 3, 4, 5], 0.9), 4.6);
 * ```
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) {
    throw new RangeError(`Cannot compute quantile: "values" is empty`);
  }
  if (!(q >= 0 && q <= 1)) {
    throw new RangeError(
      `Cannot compute quantile: "q" must be in [0, 1], got "${q}"`,
    );
  }
  const s = Float64Array.from(values).sort();
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (pos - lo) * (s[hi] - s[lo]);
}

/**
 * Shared machinery of the toolkit's detectors: option validation, the
 * fitted-state getters, the threshold and `predict`. A subclass implements
 * `fitModel` (learn, return the training scores) and `scoreMatrix`.
 *
 * @example A constant detector
 * ```ts
 * import assert from "node:assert/strict";
 * import { BaseDetector, type FeatureMatrix } from "./detector.ts";
 *
 * class RowSum extends BaseDetector {
 *   protected fitModel(x: FeatureMatrix): Promise<Float32Array> {
 *     return this.scoreMatrix(x);
 *   }
 *   protected scoreMatrix(x: FeatureMatrix): Promise<Float32Array> {
 *     const out = new Float32Array(x.rows);
 *     for (let i = 0; i < x.data.length; i++) out[Math.floor(i / x.cols)] += x.data[i];
 *     return Promise.resolve(out);
 *   }
 * }
 * const det = await new RowSum({ contamination: 0.5 }).fit([[0], [1], [2], [3]]);
 * assert.equal(det.threshold, 1.5);
 * assert.deepEqual([...(await det.predict([[1], [9]]))], [0, 1]);
 * ```
 */
export abstract class BaseDetector implements Detector {
  /** The contamination in use (0.1 unless given). */
  readonly contamination: number;
  /** The quantile of the training scores used as threshold. */
  readonly thresholdQuantile: number;
  /** The seed of the detector's random generator. */
  readonly seed: number;
  /** How a {@linkcode Dataset} input becomes features. */
  readonly features: "pixels" | FeatureExtractor;
  #threshold?: number;
  #trainingScores?: Float32Array;
  #nFeatures?: number;

  /**
   * Stores the hyperparameters only; nothing is computed until `fit`.
   *
   * @param options Shared detector options.
   * @throws {RangeError} When `contamination` is outside (0, 0.5],
   *   `thresholdQuantile` outside (0, 1], or `seed` is not a finite number.
   * @throws {TypeError} When `features` is neither `"pixels"` nor an
   *   object with an `extract` method.
   */
  constructor(options: DetectorOptions = {}) {
    const name = new.target.name;
    const c = options.contamination ?? 0.1;
    if (!(c > 0 && c <= 0.5)) {
      throw new RangeError(
        `Cannot create ${name}: "contamination" must be in (0, 0.5], got "${c}"`,
      );
    }
    const q = options.thresholdQuantile ?? 1 - c;
    if (!(q > 0 && q <= 1)) {
      throw new RangeError(
        `Cannot create ${name}: "thresholdQuantile" must be in (0, 1], got "${q}"`,
      );
    }
    const seed = options.seed ?? 0;
    if (!Number.isFinite(seed)) {
      throw new RangeError(
        `Cannot create ${name}: "seed" must be a finite number, got "${seed}"`,
      );
    }
    const features = options.features ?? "pixels";
    if (
      features !== "pixels" &&
      !(typeof features === "object" && typeof features.extract === "function")
    ) {
      throw new TypeError(
        `Cannot create ${name}: "features" must be "pixels" or a FeatureExtractor such as new LatentFeatures(model), got "${features}"`,
      );
    }
    this.contamination = c;
    this.thresholdQuantile = q;
    this.seed = seed;
    this.features = features;
  }

  /**
   * The feature matrix of `x`: a {@linkcode Dataset} goes through
   * `features`, anything else is taken as features.
   *
   * @param x Detector input.
   * @param what The action, for error messages.
   * @returns The features.
   */
  protected async toFeatures(
    x: DetectorInput,
    what: string,
  ): Promise<FeatureMatrix> {
    if (isDataset(x) && this.features !== "pixels") {
      return await toFeatureMatrix(await this.features.extract(x), what);
    }
    return await toFeatureMatrix(x, what);
  }

  /** Learns the model from `x`; returns the training samples' scores. */
  protected abstract fitModel(x: FeatureMatrix): Promise<Float32Array>;
  /** Scores `x` (already checked to have `nFeatures` columns). */
  protected abstract scoreMatrix(x: FeatureMatrix): Promise<Float32Array>;

  /**
   * Fits the detector on `x` and sets `threshold` from the training scores.
   * @param x Training samples `[N, D]`, or a {@linkcode Dataset} mapped by
   *   `features`.
   * @returns This detector.
   * @throws {ShapeError} When `x` is not a valid `[N, D]` input.
   */
  async fit(x: DetectorInput): Promise<this> {
    await ensureBackend();
    const m = await this.toFeatures(x, `fit ${this.constructor.name}`);
    const scores = await this.fitModel(m);
    this.#nFeatures = m.cols;
    this.#trainingScores = scores;
    this.#threshold = quantile(scores, this.thresholdQuantile);
    return this;
  }

  /**
   * Anomaly scores, higher = more anomalous (PyOD's sign; scikit-learn's
   * `score_samples` is the negation).
   * @param x Samples `[N, D]` with `D = nFeatures`, or a
   *   {@linkcode Dataset} mapped by `features`.
   * @returns One score per row.
   * @throws {NotFittedError} Before `fit`.
   * @throws {ShapeError} When `x` is invalid or has the wrong `D`.
   */
  async score(x: DetectorInput): Promise<Float32Array> {
    await ensureBackend();
    const d = this.nFeatures;
    const m = await this.toFeatures(
      x,
      `score with ${this.constructor.name}`,
    );
    if (m.cols !== d) {
      throw new ShapeError(
        `Cannot score with ${this.constructor.name}: "x" has "${m.cols}" features but the detector was fitted on "${d}"`,
        `[N, ${d}]`,
        `[${m.rows}, ${m.cols}]`,
      );
    }
    return await this.scoreMatrix(m);
  }

  /**
   * `1` where `score(x) > threshold` (anomaly), else `0`.
   * @param x Samples `[N, D]` with `D = nFeatures`, or a
   *   {@linkcode Dataset} mapped by `features`.
   * @returns One 0/1 label per row.
   * @throws {NotFittedError} Before `fit`.
   * @throws {ShapeError} When `x` is invalid or has the wrong `D`.
   */
  async predict(x: DetectorInput): Promise<Uint8Array> {
    const t = this.threshold;
    const s = await this.score(x);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s[i] > t ? 1 : 0;
    return out;
  }

  /** Whether `fit` has completed. */
  get fitted(): boolean {
    return this.#threshold !== undefined;
  }

  /**
   * The decision threshold: the `thresholdQuantile` quantile of the
   * training scores.
   * @throws {NotFittedError} Before `fit`.
   */
  get threshold(): number {
    if (this.#threshold === undefined) throw this.notFitted("read threshold");
    return this.#threshold;
  }

  /**
   * The training samples' scores (PyOD's `decision_scores_`).
   * @throws {NotFittedError} Before `fit`.
   */
  get trainingScores(): Float32Array {
    if (this.#trainingScores === undefined) {
      throw this.notFitted("read trainingScores");
    }
    return this.#trainingScores;
  }

  /**
   * Number of features seen in `fit`.
   * @throws {NotFittedError} Before `fit`.
   */
  get nFeatures(): number {
    if (this.#nFeatures === undefined) throw this.notFitted("score");
    return this.#nFeatures;
  }

  /** A NotFittedError for `action` naming this detector. */
  protected notFitted(action: string): NotFittedError {
    return new NotFittedError(
      `Cannot ${action}: ${this.constructor.name} is not fitted; call fit() first`,
    );
  }
}
