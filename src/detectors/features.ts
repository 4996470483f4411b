/**
 * Feature extractors: how a detector turns a {@linkcode Dataset} of images
 * into the feature matrix it works on, raw pixels or the latent means of a
 * trained {@linkcode VaeModel}.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { assertDataset } from "../data/dataset.ts";
import type { VaeModel } from "../model/vae_model.ts";
import type { FeatureMatrix } from "./detector.ts";

/**
 * Maps a {@linkcode Dataset} to a feature matrix (one row per image). Pass
 * one as a detector's `features` option.
 */
export interface FeatureExtractor {
  /** What the features are, for messages, e.g. `"latent mu (n = 128)"`. */
  readonly name: string;
  /**
   * Computes the features of every image of `ds`.
   * @param ds The images.
   * @returns One row per image.
   */
  extract(ds: Dataset): Promise<FeatureMatrix>;
}

/**
 * Raw-pixel features: each image flattened to its `H * W * C` values (NHWC
 * order), without copying.
 *
 * @param ds The images.
 * @returns `{ data: ds.images, rows: N, cols: H * W * C }`.
 * @throws {ShapeError} When the dataset's arrays disagree with its shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pixelFeatures } from "./features.ts";
 *
 * const m = pixelFeatures({ images: new Float32Array(12), shape: [3, 2, 2, 1] });
 * assert.equal(m.rows, 3);
 * assert.equal(m.cols, 4);
 * ```
 */
export function pixelFeatures(ds: Dataset): FeatureMatrix {
  assertDataset(ds);
  const [n, h, w, c] = ds.shape;
  return { data: ds.images, rows: n, cols: h * w * c };
}

/** Options of {@linkcode LatentFeatures}. */
export interface LatentFeaturesOptions {
  /**
   * Images run through the encoder at a time (bounds memory).
   * @default {256}
   */
  batchSize?: number;
}

/**
 * Latent features: the encoder's posterior means `mu` (METHOD.md §3, the
 * "latent bank"), `[N, n]`, computed with `model.encode`. The model is
 * borrowed, not owned: the extractor never disposes it.
 *
 * @example k-NN on the latent means of a (here untrained) model
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { VaeModel } from "../model/vae_model.ts";
 * import { KnnDetector } from "./knn_detector.ts";
 * import { LatentFeatures } from "./features.ts";
 * await selectBackend("wasm");
 *
 * using model = VaeModel.create({ inputShape: [8, 8, 1], latentDim: 4, widths: [4, 8], seed: 1 });
 * const images = Float32Array.from({ length: 6 * 64 }, (_, i) => (i % 7) / 7);
 * const ds = { images, shape: [6, 8, 8, 1] as [number, number, number, number] };
 * using det = await new KnnDetector({ k: 2, features: new LatentFeatures(model) }).fit(ds);
 * assert.equal(det.nFeatures, 4);
 * assert.equal((await det.score(ds)).length, 6);
 * ```
 */
export class LatentFeatures implements FeatureExtractor {
  /** The encoder's model (borrowed). */
  readonly model: VaeModel;
  /** Images per encoder batch. */
  readonly batchSize: number;

  /**
   * Wraps a model; computes nothing yet.
   *
   * @param model A trained model (not disposed by the extractor).
   * @param options See {@linkcode LatentFeaturesOptions}.
   * @throws {RangeError} When `batchSize` is not a positive integer.
   */
  constructor(model: VaeModel, options: LatentFeaturesOptions = {}) {
    const { batchSize = 256 } = options;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new RangeError(
        `Cannot create LatentFeatures: "batchSize" must be a positive integer, got "${batchSize}"`,
      );
    }
    this.model = model;
    this.batchSize = batchSize;
  }

  /** `"latent mu (n = <latentDim>)"`. */
  get name(): string {
    return `latent mu (n = ${this.model.config.latentDim})`;
  }

  /**
   * Encodes every image to its posterior mean.
   *
   * @param ds Images of the model's input shape.
   * @returns The means, `[N, n]`.
   * @throws {ShapeError} When the images do not fit the model.
   */
  async extract(ds: Dataset): Promise<FeatureMatrix> {
    assertDataset(ds);
    const e = await this.model.encode(ds.images, ds.shape, {
      batchSize: this.batchSize,
    });
    return { data: e.mu, rows: e.shape[0], cols: e.shape[1] };
  }
}
