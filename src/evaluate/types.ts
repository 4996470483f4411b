/**
 * The types of {@linkcode evaluate}'s inputs and result: the protocol, the
 * options, progress events, and the plain-data result with its rows.
 *
 * @example A result's rows name both FPR95 conventions
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MethodMetrics } from "@hsvae/hsvae";
 *
 * const m: MethodMetrics = {
 *   auroc: 1,
 *   fpr95: 0,
 *   fpr95Id: 0,
 *   auprIn: 1,
 *   auprOut: 1,
 *   trainSeconds: 0,
 *   fitSeconds: 0,
 *   scoreSeconds: 0,
 * };
 * assert.equal(m.fpr95, m.fpr95Id);
 * ```
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { LossPreset } from "../loss.ts";
import type { JsonObject } from "../model/vae_model.ts";
import type { ProgressMode } from "../progress.ts";
import type { WrittenReport } from "../report/write_report.ts";
import type { EpochLog, TrainOptions } from "../train.ts";
import type { DetectorKind, MethodId, ModelId } from "./methods.ts";

/**
 * One evaluation protocol: what `oneClass` and `inVsOut` return, plus
 * whether the ID labels drive the Comp.VAE class roll.
 */
export interface EvaluationProtocol {
  /** Normal / in-distribution training images (labels needed when semi-supervised). */
  train: Dataset;
  /** Test images, normal and anomalous. */
  test: Dataset;
  /** 1 where test image `i` is an anomaly (OOD), else 0. */
  testIsAnomaly: ArrayLike<number>;
  /**
   * Train the Comp.VAE rows (`vmf-knn`, `compvae-knn`, `radius-knn`) with
   * the semi-supervised class roll on `train.labels` (METHOD.md §2); the
   * AE and VAE baselines never use labels.
   * @default {false}
   */
  semiSupervised?: boolean;
  /**
   * A name for tables and files, e.g. `"fashion-mnist one-class 1"`.
   * @default {undefined}
   */
  name?: string;
}

/**
 * Training options passed through to every trained model (see
 * `TrainOptions`); the ones `evaluate` sets per model are left out.
 */
export type EvaluationTrainOptions = Omit<
  TrainOptions,
  | "preset"
  | "variant"
  | "radiusOnly"
  | "semiSupervised"
  | "seed"
  | "outDir"
  | "resume"
  | "fitBank"
  | "signal"
>;

/** Options of {@linkcode evaluate}. */
export interface EvaluateOptions {
  /**
   * The rows to compute, by id (see `METHOD_IDS`); models are trained only
   * when a selected row needs them, once per seed, shared by their rows.
   * @default {every row}
   */
  methods?: readonly string[];
  /**
   * Run everything once per seed (weights, batch order, noise, Isolation
   * Forest) and report the mean and sample standard deviation.
   * @default {[0]}
   */
  seeds?: readonly number[];
  /**
   * Training epochs of every model (overrides `train.epochs`).
   * @default {trainVAE's default, 10}
   */
  epochs?: number;
  /**
   * Latent dimension of every model (overrides `train.latentDim`).
   * @default {128}
   */
  latentDim?: number;
  /**
   * Encoder stage widths of every model (overrides `train.widths`).
   * @default {the model's default for the input size}
   */
  widths?: readonly number[];
  /**
   * Mini-batch size of every model (overrides `train.batchSize`).
   * @default {the preset's: paper 128, authors 200}
   */
  batchSize?: number;
  /**
   * Loss preset of the Comp.VAE rows (`vmf`, `compvae`, `radius`).
   * @default {"authors"}
   */
  preset?: LossPreset;
  /**
   * Loss preset of the AE and VAE baselines. `"paper"` trains them with the
   * standard losses (a VAE with the KL summed over dimensions and
   * `beta(t) = sqrt((t+1)/T)`); `"authors"` reproduces the released code,
   * whose auto-tuned `beta = 2500 rec0 / KL0` with the dimension-averaged KL
   * collapses the VAE posterior.
   * @default {"paper"}
   */
  baselinePreset?: LossPreset;
  /**
   * The authors' sigma-angle gain G_sig for the Comp.VAE rows under the
   * `authors` preset (ignored under `paper`). Unset: `train.loss.termGains
   * .anglesSigma` if given, else {@linkcode defaultSigmaAngleGain} of the
   * input shape (2.25e5 for 28x28x1, the authors' Fashion-MNIST value; the
   * preset's 5e5 otherwise).
   * @default {undefined}
   */
  sigmaAngleGain?: number;
  /**
   * Further training options for every model.
   * @default {{}}
   */
  train?: EvaluationTrainOptions;
  /**
   * Neighbours averaged by the k-NN rows.
   * @default {3}
   */
  k?: number;
  /**
   * Isolation Forest trees and subsample size.
   * @default {{ nEstimators: 100, maxSamples: 256 }}
   */
  iforest?: { nEstimators?: number; maxSamples?: number };
  /**
   * Keep the first seed's test mus of the VAE and Comp.VAE models projected
   * on the unit sphere (METHOD.md §6) for the sphere view.
   * @default {true}
   */
  sphere?: boolean;
  /**
   * Write `results.json`, `results.md` and `scores.csv` into this folder
   * (created, with its parents, before anything is trained), plus the HTML
   * report when `report` is set. Nothing is written outside it; the paths
   * written are in the result's `files`.
   * @default {undefined}
   */
  outDir?: string;
  /**
   * Also write the HTML report into `outDir`, what `hsvae eval` writes:
   * `report.html` (self-contained, Plotly inlined) and its static SVG
   * figures `report-roc.svg`, `report-histograms.svg`, and
   * `report-training.svg` / `report-sphere.svg` when models were trained /
   * sphere views kept. `true` titles it with the protocol's name; an object
   * sets the title and whether to write the SVGs. Needs `outDir`.
   * @default {false}
   */
  report?: boolean | EvaluationReportOptions;
  /**
   * Progress on stderr: a line per trained model and per row (`"none"`
   * silences it; the mode is passed on to training).
   * @default {"auto"}
   */
  progress?: ProgressMode;
  /**
   * Model trainings (models x seeds) run at once. With `jobs > 1` on the
   * wasm or cpu backend each runs in its own worker with its share of the
   * cores as wasm threads (one each when jobs >= cores): on 2 cores two
   * one-thread trainings give about 1.3-1.8x the throughput of one
   * two-thread training. Results are the same as with `jobs: 1` (seeded, and
   * XNNPACK's results do not depend on its thread count). Training
   * progress then comes as one line per epoch, and `train.onEpoch` /
   * `onStep` are called from the workers' messages. On webgpu it is
   * ignored (one GPU, in-process).
   * @default {1}
   */
  jobs?: number;
  /**
   * Called after each trained model and after each row.
   * @default {undefined}
   */
  onProgress?: (event: EvaluationProgress) => void;
}

/** The object form of {@linkcode EvaluateOptions.report}. */
export interface EvaluationReportOptions {
  /**
   * The report's title.
   * @default {the protocol's name, else "evaluation"}
   */
  title?: string;
  /**
   * Whether to write the static SVG figures next to `report.html`.
   * @default {true}
   */
  svg?: boolean;
}

/** The files {@linkcode evaluate} wrote into `outDir`. */
export interface EvaluationFiles {
  /** The folder, `outDir` as given. */
  dir: string;
  /** `results.json`, `results.md` and `scores.csv`, in that order. */
  results: string[];
  /** The HTML page and its SVG figures, or `null` without `report`. */
  report: WrittenReport | null;
}

/** What {@linkcode EvaluateOptions.onProgress} receives. */
export type EvaluationProgress =
  | {
    /** A model finished training. */
    kind: "model";
    /** The seed. */
    seed: number;
    /** The model. */
    model: ModelId;
    /** Training wall time in seconds. */
    seconds: number;
  }
  | {
    /** A row finished for one seed. */
    kind: "method";
    /** The seed. */
    seed: number;
    /** The row. */
    method: MethodId;
    /** Its metrics for this seed. */
    metrics: MethodMetrics;
    /** Rows finished so far, over all seeds. */
    done: number;
    /** Rows to run, over all seeds. */
    total: number;
  };

/** The metrics and timings of one row (one seed, or their mean or std). */
export interface MethodMetrics {
  /** Area under the ROC curve. */
  auroc: number;
  /** FPR at 95% TPR, OOD positive (the paper's convention). */
  fpr95: number;
  /** FPR at 95% TPR, ID positive (the ODIN / KNN / CIDER convention). */
  fpr95Id: number;
  /** Average precision, ID positive, scored by `-score`. */
  auprIn: number;
  /** Average precision, OOD positive. */
  auprOut: number;
  /** Training the row's model (shared with its other rows; 0 for pixels). */
  trainSeconds: number;
  /** Fitting the detector (0 for reconstruction error). */
  fitSeconds: number;
  /** Encoding the test set (shared by the model's rows) plus scoring it. */
  scoreSeconds: number;
}

/** One row of the table. */
export interface EvaluationRow {
  /** The row's id. */
  method: MethodId;
  /** Its display name. */
  label: string;
  /** The model it scores with, or `null` for raw pixels. */
  model: ModelId | null;
  /** Its detector. */
  detector: DetectorKind;
  /** Mean over seeds (NaN where a seed's scores were not finite). */
  mean: MethodMetrics;
  /** Sample standard deviation over seeds (0 with one seed). */
  std: MethodMetrics;
  /** One entry per seed, in `seeds` order. */
  perSeed: MethodMetrics[];
}

/** The output of {@linkcode evaluate}: plain data, no tensors. */
export interface EvaluationResult {
  /** Always `"hsvae-evaluation"`. */
  format: "hsvae-evaluation";
  /** Layout version, 1. */
  formatVersion: 1;
  /** The protocol's name, sizes and mode. */
  protocol: {
    /** Its name, or `null`. */
    name: string | null;
    /** Whether the Comp.VAE rows used the class roll. */
    semiSupervised: boolean;
    /** `[H, W, C]`. */
    inputShape: [number, number, number];
    /** Training images. */
    nTrain: number;
    /** Normal test images. */
    nTestNormal: number;
    /** Anomalous test images. */
    nTestAnomaly: number;
  };
  /** The seeds run. */
  seeds: number[];
  /** The settings every model and detector used. */
  settings: JsonObject;
  /** One row per selected method, in table order. */
  rows: EvaluationRow[];
  /** Per-sample test scores (higher = more anomalous): `scores[method][seedIndex]`. */
  scores: Partial<Record<MethodId, Float32Array[]>>;
  /** 1 = anomaly (OOD), per test image. */
  testIsAnomaly: Uint8Array;
  /** The test images' class labels, when the dataset has them. */
  testLabels: Int32Array | null;
  /** The test images' ids (their indices when the dataset has none). */
  testIds: string[];
  /** Training histories: `histories[model][seedIndex]`. */
  histories: Partial<Record<ModelId, EpochLog[][]>>;
  /** First seed's test mus on the unit sphere, `N * 3` row-major, for `vae`, `vmf`, `compvae`. */
  sphere: Partial<Record<ModelId, Float32Array>>;
  /** Wall time of the whole evaluation in seconds. */
  seconds: number;
  /**
   * Where the files went, when `outDir` was given (left out of
   * `results.json`).
   */
  files?: EvaluationFiles;
}
