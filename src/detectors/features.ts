/**
 * Feature extractors: how a detector turns a {@linkcode Dataset} of images
 * into the feature matrix it works on beyond raw pixels (those are
 * `pixelFeatures` in `feature_matrix.ts`), e.g. the latent means of a
 * trained {@linkcode VaeModel}.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { assertDataset } from "../data/dataset.ts";
import type { VaeModel } from "../model/vae_model.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";

/**
 * Maps a {@linkcode Dataset} to a feature matrix (one row per image). Pass
 * one as a detector's `features` option.
 *
 * @example A one-feature extractor: each image's mean intensity
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "@hsvae/hsvae";
 * import type { Dataset } from "@hsvae/hsvae";
 * import type { FeatureExtractor } from "@hsvae/hsvae";
 * import { KnnDetector } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * const meanIntensity: FeatureExtractor = {
 *   name: "mean intensity",
 *   extract(ds: Dataset) {
 *     const [n] = ds.shape;
 *     const size = ds.images.length / n;
 *     const data = new Float32Array(n);
 *     for (let i = 0; i < ds.images.length; i++) data[Math.floor(i / size)] += ds.images[i] / size;
 *     return Promise.resolve({ data, rows: n, cols: 1 });
 *   },
 * };
 * const images = Float32Array.from({ length: 8 * 4 }, (_, i) => (i % 5) / 5);
 * const ds: Dataset = { images, shape: [8, 2, 2, 1] };
 * using det = await new KnnDetector({ k: 2, features: meanIntensity }).fit(ds);
 * assert.equal(det.nFeatures, 1);
 * ```
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
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { VaeModel } from "@hsvae/hsvae";
 * import { KnnDetector } from "@hsvae/hsvae";
 * import { LatentFeatures } from "@hsvae/hsvae";
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
