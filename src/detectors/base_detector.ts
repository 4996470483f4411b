/**
 * {@linkcode BaseDetector}: the parts of the detector contract
 * (`detector.ts`) every detector of the toolkit shares, so that a new
 * detector only learns and scores.
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import { NotFittedError, ShapeError } from "../errors.ts";
import type { Detector, DetectorInput, DetectorOptions } from "./detector.ts";
import {
  type FeatureMatrix,
  isDataset,
  toFeatureMatrix,
} from "./feature_matrix.ts";
import type { FeatureExtractor } from "./features.ts";
import { quantile } from "./quantile.ts";

/**
 * Shared machinery of the toolkit's detectors: option validation, the
 * fitted-state getters, the threshold and `predict`. A subclass implements
 * `fitModel` (learn, return the training scores) and `scoreMatrix`.
 *
 * @example A constant detector
 * ```ts
 * import assert from "node:assert/strict";
 * import { BaseDetector } from "@hsvae/hsvae";
 * import type { FeatureMatrix } from "@hsvae/hsvae";
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
