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
 * This file holds the contract only: {@linkcode BaseDetector}
 * (`base_detector.ts`) implements its shared parts, `feature_matrix.ts` the
 * input conversions.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { FeatureInput } from "./feature_matrix.ts";
import type { FeatureExtractor } from "./features.ts";

/**
 * What `fit`, `score` and `predict` accept: features, or a
 * {@linkcode Dataset} of images that the detector's `features` option maps
 * to features (flattened pixels by default).
 *
 * @example Nested arrays and a dataset of two 2x2 images
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DetectorInput } from "@hsvae/hsvae";
 * import { toFeatureMatrix } from "@hsvae/hsvae";
 *
 * const rows: DetectorInput = [[0, 1, 0, 1], [1, 0, 1, 0]];
 * const images: DetectorInput = { images: new Float32Array(8), shape: [2, 2, 2, 1] };
 * assert.equal((await toFeatureMatrix(rows)).cols, 4);
 * assert.equal((await toFeatureMatrix(images)).cols, 4);
 * ```
 */
export type DetectorInput = FeatureInput | Dataset;

/**
 * Options every detector shares.
 *
 * @example Threshold at the training scores' 95th percentile
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DetectorOptions } from "@hsvae/hsvae";
 * import { KnnDetector } from "@hsvae/hsvae";
 *
 * const options: DetectorOptions = { thresholdQuantile: 0.95, seed: 1 };
 * using det = new KnnDetector(options);
 * assert.equal(det.thresholdQuantile, 0.95);
 * ```
 */
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

/**
 * An anomaly detector (see the module doc for the contract).
 *
 * @example Code written against the contract runs any detector
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "@hsvae/hsvae";
 * import type { Detector } from "@hsvae/hsvae";
 * import { IsolationForest } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * async function flagged(det: Detector, train: number[][], test: number[][]) {
 *   await det.fit(train);
 *   return [...(await det.predict(test))];
 * }
 * const train = Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i)]);
 * const det = new IsolationForest({ seed: 1 });
 * assert.deepEqual(await flagged(det, train, [[0, 1], [40, 40]]), [0, 1]);
 * ```
 */
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
