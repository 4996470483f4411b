/**
 * The reconstruction-error baseline of METHOD.md §3: per-image mean squared
 * error of a trained autoencoder's deterministic reconstruction.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor1D, Tensor4D } from "../tf.ts";
import type { VaeModel } from "../model/vae_model.ts";
import { ShapeError } from "../errors.ts";
import { BaseDetector } from "./base_detector.ts";
import type { DetectorOptions } from "./detector.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";
import { gatherRows, sampleRows } from "./_rows.ts";

/** Options of {@linkcode ReconstructionDetector}. */
export interface ReconstructionDetectorOptions
  extends Omit<DetectorOptions, "features"> {
  /**
   * The trained model whose reconstructions are scored (borrowed: the
   * detector never disposes it).
   */
  model: VaeModel;
  /**
   * Images run through the model at a time (bounds memory).
   * @default {256}
   */
  batchSize?: number;
  /**
   * Number of training images whose errors set the threshold, drawn without
   * replacement with the detector's `seed` (see
   * {@linkcode ReconstructionDetector.thresholdRows}); `fit` then
   * reconstructs only those. Scoring needs no threshold, so a caller that
   * only ranks scores (as `evaluate` does) can pass 1.
   * @default {Infinity}
   */
  thresholdSample?: number;
}

/**
 * Reconstruction-error anomaly detector: the score of an image `x` is the
 * mean squared error of its reconstruction over its `H * W * C` values,
 * `A(x) = (1 / HWC) sum_j (x_j - x_hat_j)^2`, with
 * `x_hat = decode(mu(x))` (the model's `reconstructTensor`: z = mu, the
 * deterministic reconstruction, no sampling of `z`). Higher = more
 * anomalous (PyOD's sign).
 *
 * Input: a {@linkcode Dataset} of the model's image shape, or its pixels
 * flattened to `[N, H * W * C]` rows (NHWC order) as a matrix, tensor or
 * arrays. `fit` learns nothing but the threshold (the model is already
 * trained); training scores are the training images' errors. Computed on
 * the active backend in batches; float32.
 *
 * @example Images far from what the model reproduces score higher
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { VaeModel } from "@hsvae/hsvae";
 * import { ReconstructionDetector } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * using model = VaeModel.create({ inputShape: [8, 8, 1], latentDim: 4, widths: [4, 8], seed: 1 });
 * // the untrained decoder outputs about 0.5 everywhere
 * const grey = { images: new Float32Array(4 * 64).fill(0.5), shape: [4, 8, 8, 1] as [number, number, number, number] };
 * const det = await new ReconstructionDetector({ model }).fit(grey);
 * const [g, white] = await det.score([new Array(64).fill(0.5), new Array(64).fill(1)]);
 * assert.ok(white > g);
 * ```
 */
export class ReconstructionDetector extends BaseDetector {
  /** The model (borrowed). */
  readonly model: VaeModel;
  /** Images per batch. */
  readonly batchSize: number;
  /** Training images scored in `fit` for the threshold (`Infinity` = all). */
  readonly thresholdSample: number;
  #thresholdRows?: Int32Array;

  /**
   * Stores the model and hyperparameters; nothing is computed until `fit`.
   *
   * @param options See {@linkcode ReconstructionDetectorOptions}.
   * @throws {TypeError} When `model` is missing.
   * @throws {RangeError} When `batchSize` is not a positive integer, or a
   *   shared option is out of range.
   */
  constructor(options: ReconstructionDetectorOptions) {
    super({ ...options, features: "pixels" });
    const { model, batchSize = 256, thresholdSample = Infinity } = options ??
      {};
    if (!model || typeof model.reconstructTensor !== "function") {
      throw new TypeError(
        `Cannot create ReconstructionDetector: "model" must be a VaeModel, got "${model}"`,
      );
    }
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new RangeError(
        `Cannot create ReconstructionDetector: "batchSize" must be a positive integer, got "${batchSize}"`,
      );
    }
    if (
      thresholdSample !== Infinity &&
      !(Number.isInteger(thresholdSample) && thresholdSample >= 1)
    ) {
      throw new RangeError(
        `Cannot create ReconstructionDetector: "thresholdSample" must be a positive integer or Infinity, got "${thresholdSample}"`,
      );
    }
    this.model = model;
    this.batchSize = batchSize;
    this.thresholdSample = thresholdSample;
  }

  /**
   * The training rows (ascending) whose errors are `trainingScores`: all
   * rows when `N <= thresholdSample`, else a seeded sample.
   * @throws {NotFittedError} Before `fit`.
   */
  get thresholdRows(): Int32Array {
    if (!this.#thresholdRows) throw this.notFitted("read thresholdRows");
    return this.#thresholdRows;
  }

  /** Checks the matrix and returns the sampled training images' errors. */
  protected async fitModel(x: FeatureMatrix): Promise<Float32Array> {
    const rows = sampleRows(x.rows, this.thresholdSample, this.seed);
    const scores = await this.#mse(gatherRows(x, rows), "fit");
    this.#thresholdRows = rows;
    return scores;
  }

  /** Scores a matrix of flattened images (higher = more anomalous). */
  protected async scoreMatrix(x: FeatureMatrix): Promise<Float32Array> {
    return await this.#mse(x, "score with");
  }

  async #mse(x: FeatureMatrix, action: string): Promise<Float32Array> {
    const [h, w, c] = this.model.config.inputShape;
    const per = h * w * c;
    if (x.cols !== per) {
      throw new ShapeError(
        `Cannot ${action} ReconstructionDetector: images have "${x.cols}" values but the model takes [${h}, ${w}, ${c}] = "${per}"; pass a Dataset of that shape or flattened rows`,
        `[N, ${per}]`,
        `[${x.rows}, ${x.cols}]`,
      );
    }
    const out = new Float32Array(x.rows);
    for (let r0 = 0; r0 < x.rows; r0 += this.batchSize) {
      const n = Math.min(this.batchSize, x.rows - r0);
      const mse = tf.tidy((): Tensor1D => {
        const t: Tensor4D = tf.tensor4d(
          x.data.subarray(r0 * per, (r0 + n) * per),
          [n, h, w, c],
        );
        const rec = this.model.reconstructTensor(t);
        return tf.mean(tf.squaredDifference(t, rec), [1, 2, 3]);
      });
      try {
        out.set(await mse.data() as Float32Array, r0);
      } finally {
        mse.dispose();
      }
    }
    return out;
  }
}
