/**
 * One model of an evaluation as a self-contained job: train (or build) the
 * model for one seed, encode the training bank and the test set, and score
 * reconstruction error, returning plain data only. {@linkcode evaluate}
 * runs jobs in-process, or several at once in workers
 * (`model_job_worker.ts`), each on a one-thread wasm backend.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { FeatureMatrix } from "../detectors/feature_matrix.ts";
import { ReconstructionDetector } from "../detectors/reconstruction_detector.ts";
import { VaeModel } from "../model/vae_model.ts";
import { type EpochLog, type TrainOptions, trainVAE } from "../train.ts";
import type { ModelId } from "./methods.ts";

/** What one model job needs besides the data (structured-cloneable). */
export interface ModelJob {
  /** The model. */
  model: ModelId;
  /** Its seed. */
  seed: number;
  /** Options of `trainVAE` (unused for `"random"`); no callbacks. */
  trainOptions: Omit<TrainOptions, "onEpoch" | "onStep" | "signal">;
  /** `[H, W, C]`. */
  inputShape: [number, number, number];
  /** Latent dimension (for `"random"`). */
  latentDim: number;
  /** Encoder widths (for `"random"`). */
  widths?: number[];
  /** Encode the bank and the test set (a latent detector uses them). */
  latent: boolean;
  /** Score reconstruction error. */
  mse: boolean;
}

/** Scores of one detector with their timings. */
export interface JobScores {
  /** One score per test image. */
  scores: Float32Array;
  /** Fitting seconds. */
  fitSeconds: number;
  /** Scoring seconds. */
  scoreSeconds: number;
}

/** What a model job returns: plain data, no tensors. */
export interface ModelJobResult {
  /** Training wall time (0 for `"random"`). */
  trainSeconds: number;
  /** The training history (absent for `"random"`). */
  history?: EpochLog[];
  /** Training-set mus, when `latent`. */
  bank?: FeatureMatrix;
  /** Seconds to obtain the bank. */
  bankSeconds: number;
  /** Test-set mus, when `latent`. */
  query?: FeatureMatrix;
  /** Seconds to encode the test set. */
  encodeSeconds: number;
  /** Reconstruction-error scores, when `mse`. */
  mse?: JobScores;
}

/** Callbacks a job forwards (from a worker: as messages). */
export interface ModelJobHooks {
  /** After each epoch. */
  onEpoch?: (log: EpochLog) => void;
  /** After each training step. */
  onStep?: (epoch: number, step: number) => void;
}

/**
 * Seconds since `t0`.
 *
 * @param t0 A `performance.now()` reading.
 * @returns The elapsed wall time in seconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seconds } from "./model_job.ts";
 *
 * const t0 = performance.now();
 * assert.ok(seconds(t0) >= 0);
 * assert.ok(Math.abs(seconds(t0 - 1500) - 1.5) < 0.5);
 * ```
 */
export function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/**
 * Runs one model job on the active backend.
 *
 * @param job The model, seed and options.
 * @param train Training images (the bank).
 * @param test Test images.
 * @param hooks Epoch and step callbacks.
 * @returns The bank and test encodings and the reconstruction scores the
 *   job asked for, with timings.
 * @throws {RangeError} When `trainVAE` rejects the options.
 *
 * @example The untrained-encoder control of a tiny evaluation
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { runModelJob } from "./model_job.ts";
 * await selectBackend("wasm");
 *
 * const data = { images: new Float32Array(4 * 8 * 8).map((_, i) => (i % 5) / 5), shape: [4, 8, 8, 1] as [number, number, number, number] };
 * const res = await runModelJob({
 *   model: "random", seed: 0, trainOptions: {}, inputShape: [8, 8, 1],
 *   latentDim: 4, widths: [2, 4], latent: true, mse: false,
 * }, data, data);
 * assert.equal(res.bank?.rows, 4);
 * assert.equal(res.query?.cols, 4);
 * assert.equal(res.trainSeconds, 0);
 * ```
 */
export async function runModelJob(
  job: ModelJob,
  train: Dataset,
  test: Dataset,
  hooks: ModelJobHooks = {},
): Promise<ModelJobResult> {
  let t = performance.now();
  let model: VaeModel;
  let history: EpochLog[] | undefined;
  if (job.model === "random") {
    model = VaeModel.create({
      inputShape: job.inputShape,
      latentDim: job.latentDim,
      widths: job.widths,
      seed: job.seed,
    });
  } else {
    const res = await trainVAE(train, {
      ...job.trainOptions,
      onEpoch: hooks.onEpoch,
      onStep: hooks.onStep,
    });
    model = res.model;
    history = res.history;
  }
  try {
    const out: ModelJobResult = {
      trainSeconds: job.model === "random" ? 0 : seconds(t),
      history,
      bankSeconds: 0,
      encodeSeconds: 0,
    };
    if (job.latent) {
      t = performance.now();
      // trainVAE stores the training mus as the bank; the untrained
      // control encodes them here
      const stored = model.bank;
      if (stored) {
        out.bank = {
          data: stored.data,
          rows: stored.shape[0],
          cols: stored.shape[1],
        };
      } else {
        const b = await model.encode(train.images, train.shape);
        out.bank = { data: b.mu, rows: b.shape[0], cols: b.shape[1] };
      }
      out.bankSeconds = seconds(t);
      t = performance.now();
      const e = await model.encode(test.images, test.shape);
      out.query = { data: e.mu, rows: e.shape[0], cols: e.shape[1] };
      out.encodeSeconds = seconds(t);
    }
    if (job.mse) {
      t = performance.now();
      // the metrics never use the threshold: reconstruct one training image
      // for it, not the whole training set
      const det = await new ReconstructionDetector({
        model,
        thresholdSample: 1,
      })
        .fit(train);
      const fitSeconds = seconds(t);
      t = performance.now();
      const scores = await det.score(test);
      out.mse = { scores, fitSeconds, scoreSeconds: seconds(t) };
    }
    return out;
  } finally {
    model.dispose();
  }
}
