/**
 * The ablation table of the anomaly-detection paper (its Table 1) on one
 * protocol: raw-pixel baselines, AE and standard-VAE latents scored by k-NN,
 * Isolation Forest and reconstruction error, the two Comp.VAE variants with
 * k-NN, and two controls (an untrained encoder, a radius-only Comp.VAE).
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import type { Dataset } from "../data/dataset.ts";
import { assertDataset } from "../data/dataset.ts";
import type { FeatureMatrix } from "../detectors/detector.ts";
import { KnnDetector } from "../detectors/knn_detector.ts";
import { IsolationForest } from "../detectors/isolation_forest.ts";
import type { LossPreset } from "../loss.ts";
import { computeMetrics } from "../metrics.ts";
import type { JsonObject } from "../model/vae_model.ts";
import type { ProgressMode } from "../progress.ts";
import { ShapeError } from "../errors.ts";
import {
  type EpochLog,
  resolveTrainOptions,
  type TrainOptions,
} from "../train.ts";
import {
  type DetectorKind,
  type MethodId,
  type MethodSpec,
  type ModelId,
  selectMethods,
} from "./methods.ts";
import { tf } from "../tf.ts";
import {
  type JobScores,
  type ModelJob,
  type ModelJobResult,
  runModelJob,
  seconds,
} from "./model_job.ts";
import { ModelJobPool } from "./model_job_pool.ts";
import { sphereView } from "../report/sphere_view.ts";
import { writeEvaluation } from "./write_evaluation.ts";

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
   * Write `results.json`, `results.md` and `scores.csv` here.
   * @default {undefined}
   */
  outDir?: string;
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
}

/**
 * The authors' sigma-angle gain G_sig for an input shape: 2.25e5 for
 * 28x28x1 images (their Fashion-MNIST value; their MNIST runs used 5e4,
 * pass `sigmaAngleGain: 5e4` for MNIST), `undefined` otherwise (the
 * `authors` preset's 5e5, their CIFAR-10 / SVHN / CelebA / Galaxy Zoo
 * value).
 *
 * @param inputShape `[H, W, C]`.
 * @returns The gain, or `undefined` for the preset's default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultSigmaAngleGain } from "./evaluate.ts";
 *
 * assert.equal(defaultSigmaAngleGain([28, 28, 1]), 2.25e5);
 * assert.equal(defaultSigmaAngleGain([32, 32, 3]), undefined);
 * ```
 */
export function defaultSigmaAngleGain(
  inputShape: readonly number[],
): number | undefined {
  const [h, w, c] = inputShape;
  return h === 28 && w === 28 && c === 1 ? 2.25e5 : undefined;
}

const MODEL_ORDER: readonly ModelId[] = [
  "ae",
  "vae",
  "vmf",
  "compvae",
  "radius",
  "random",
];

interface Resolved {
  seeds: number[];
  specs: MethodSpec[];
  train: EvaluationTrainOptions;
  epochs?: number;
  latentDim: number;
  widths?: number[];
  batchSize?: number;
  preset: LossPreset;
  baselinePreset: LossPreset;
  sigmaAngleGain?: number;
  k: number;
  nEstimators: number;
  maxSamples: number;
  sphere: boolean;
  progress: ProgressMode;
  jobs: number;
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) {
    throw new RangeError(
      `Cannot evaluate: "${name}" must be a positive integer, got "${v}"`,
    );
  }
  return v;
}

function resolve(
  options: EvaluateOptions,
  inputShape: [number, number, number],
): Resolved {
  const specs = selectMethods(options.methods);
  const seeds = options.seeds === undefined ? [0] : [...options.seeds];
  if (seeds.length === 0 || !seeds.every(Number.isInteger)) {
    throw new RangeError(
      `Cannot evaluate: "seeds" must be a non-empty list of integers, got "${
        JSON.stringify(options.seeds)
      }"`,
    );
  }
  const train = { ...(options.train ?? {}) };
  const epochs = options.epochs ?? train.epochs;
  const batchSize = options.batchSize ?? train.batchSize;
  const w = options.widths ?? train.widths;
  const widths = w === undefined ? undefined : [...w];
  // trainVAE validates and defaults these; resolving here fails fast
  const t = resolveTrainOptions({
    latentDim: options.latentDim ?? train.latentDim,
    epochs,
    batchSize,
  });
  for (
    const [name, p] of [["preset", options.preset], [
      "baselinePreset",
      options.baselinePreset,
    ]]
  ) {
    if (p !== undefined && p !== "authors" && p !== "paper") {
      throw new RangeError(
        `Cannot evaluate: unknown ${name} "${p}"; use "authors" or "paper"`,
      );
    }
  }
  const sigmaAngleGain = options.sigmaAngleGain ??
    train.loss?.termGains?.anglesSigma ?? defaultSigmaAngleGain(inputShape);
  if (sigmaAngleGain !== undefined && !(sigmaAngleGain >= 0)) {
    throw new RangeError(
      `Cannot evaluate: "sigmaAngleGain" must be >= 0, got "${sigmaAngleGain}"`,
    );
  }
  return {
    seeds,
    specs,
    train,
    epochs,
    latentDim: t.latentDim,
    widths,
    batchSize,
    preset: options.preset ?? "authors",
    baselinePreset: options.baselinePreset ?? "paper",
    sigmaAngleGain,
    k: positiveInt("k", options.k ?? 3),
    nEstimators: positiveInt(
      "iforest.nEstimators",
      options.iforest?.nEstimators ?? 100,
    ),
    maxSamples: positiveInt(
      "iforest.maxSamples",
      options.iforest?.maxSamples ?? 256,
    ),
    sphere: options.sphere ?? true,
    progress: options.progress ?? "auto",
    jobs: positiveInt("jobs", options.jobs ?? 1),
  };
}

/** The training options of one model for one seed. */
function trainOptionsFor(
  model: Exclude<ModelId, "random">,
  r: Resolved,
  seed: number,
  semiSupervised: boolean,
): TrainOptions {
  const base: TrainOptions = {
    ...r.train,
    epochs: r.epochs,
    latentDim: r.latentDim,
    widths: r.widths,
    batchSize: r.batchSize,
    seed,
    progress: r.train.progress ?? r.progress,
    handleSigint: r.train.handleSigint ?? false,
    fitBank: true,
  };
  if (model === "ae" || model === "vae") {
    return { ...base, preset: r.baselinePreset, variant: model };
  }
  const loss = { ...(r.train.loss ?? {}) };
  if (r.preset === "authors" && r.sigmaAngleGain !== undefined) {
    loss.termGains = { ...loss.termGains, anglesSigma: r.sigmaAngleGain };
  }
  return {
    ...base,
    preset: r.preset,
    variant: model === "vmf" ? "vmf" : "compressed",
    radiusOnly: model === "radius",
    semiSupervised,
    loss,
  };
}

function features(ds: Dataset): FeatureMatrix {
  const [n, h, w, c] = ds.shape;
  return { data: ds.images, rows: n, cols: h * w * c };
}

async function runDetector(
  kind: Exclude<DetectorKind, "mse">,
  train: FeatureMatrix,
  test: FeatureMatrix,
  r: Resolved,
  seed: number,
): Promise<JobScores> {
  let t = performance.now();
  if (kind === "knn") {
    // the metrics rank test scores and never use the threshold, so fit
    // scores one training row for it instead of up to 10,000 x N distances
    using det = await new KnnDetector({ k: r.k, thresholdSample: 1 }).fit(
      train,
    );
    const fitSeconds = seconds(t);
    t = performance.now();
    const scores = await det.score(test);
    return { scores, fitSeconds, scoreSeconds: seconds(t) };
  }
  const det = await new IsolationForest({
    nEstimators: r.nEstimators,
    maxSamples: r.maxSamples,
    seed,
  }).fit(train);
  const fitSeconds = seconds(t);
  t = performance.now();
  const scores = await det.score(test);
  return { scores, fitSeconds, scoreSeconds: seconds(t) };
}

const METRIC_KEYS: readonly (keyof MethodMetrics)[] = [
  "auroc",
  "fpr95",
  "fpr95Id",
  "auprIn",
  "auprOut",
  "trainSeconds",
  "fitSeconds",
  "scoreSeconds",
];

function meanStd(
  values: MethodMetrics[],
): { mean: MethodMetrics; std: MethodMetrics } {
  const mean = {} as MethodMetrics;
  const std = {} as MethodMetrics;
  for (const key of METRIC_KEYS) {
    const v = values.map((m) => m[key]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    mean[key] = mu;
    std[key] = v.length < 2 ? 0 : Math.sqrt(
      v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1),
    );
  }
  return { mean, std };
}

/**
 * Computes the rows of the paper's ablation table on one protocol.
 *
 * Rows (ids of `METHOD_IDS`): `knn-pixels`, `iforest-pixels` (raw pixels);
 * `ae-knn`, `ae-iforest`, `ae-mse` (a plain autoencoder's mus, or its
 * reconstruction MSE); `vae-knn`, `vae-iforest`, `vae-mse` (a standard
 * VAE); `vmf-knn` (Comp.VAE, first angle only); `compvae-knn` (Comp.VAE);
 * and two controls, `random-knn` (the same encoder untrained: random
 * features) and `radius-knn` (a Comp.VAE trained with the radius terms
 * only). k-NN is the mean distance to the `k` nearest training mus
 * (METHOD.md §3); the Isolation Forest is Liu et al.'s; MSE is the mean
 * squared reconstruction error through the posterior mean. Higher scores
 * are more anomalous throughout.
 *
 * Models: per seed, each model a selected row needs is trained once (with
 * that seed) on `protocol.train` and shared by its rows, then disposed. The
 * AE and VAE baselines use `baselinePreset` (default `"paper"`, the
 * standard losses); the Comp.VAE rows use `preset` (default `"authors"`),
 * with G_sig from `sigmaAngleGain` / the input shape, and the class roll
 * when `protocol.semiSupervised`. Models are evaluated in inference mode
 * (BatchNorm with its moving statistics).
 *
 * Metrics per row and seed: AUROC, `fpr95` (OOD positive, the paper's),
 * `fpr95Id` (ID positive), AUPR-In and AUPR-Out (`computeMetrics`), and
 * wall times; `rows[i].mean` / `.std` summarise the seeds. A row whose
 * scores are not all finite (a diverged model) gets NaN metrics and a
 * warning instead of stopping the run.
 *
 * @param protocol Train and test sets with anomaly flags (e.g. from
 *   `oneClass` or `inVsOut`).
 * @param options See {@linkcode EvaluateOptions}.
 * @returns The table, per-sample scores, histories and sphere points.
 * @throws {RangeError} For an unknown method id (the message lists the valid
 *   ones), empty seeds, out-of-range options, or a test set lacking normals
 *   or anomalies.
 * @throws {ShapeError} When train and test images differ in size or
 *   `testIsAnomaly` does not have one flag per test image.
 *
 * @example Pixel baselines on a toy protocol
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate } from "./evaluate.ts";
 *
 * // normals are dark 2x2 images, anomalies bright
 * const img = (v: number[]) => Float32Array.from(v);
 * const train = {
 *   images: img([0, 0.1, 0, 0.1, 0.1, 0, 0.1, 0, 0, 0, 0.1, 0.1, 0.1, 0.1, 0, 0]),
 *   shape: [4, 2, 2, 1] as [number, number, number, number],
 * };
 * const test = {
 *   images: img([0, 0.1, 0.1, 0, 1, 0.9, 1, 0.9]),
 *   shape: [2, 2, 2, 1] as [number, number, number, number],
 * };
 * const result = await evaluate(
 *   { train, test, testIsAnomaly: Uint8Array.from([0, 1]) },
 *   { methods: ["knn-pixels", "iforest-pixels"], k: 2, progress: "none" },
 * );
 * assert.deepEqual(result.rows.map((r) => r.method), ["knn-pixels", "iforest-pixels"]);
 * assert.equal(result.rows[0].mean.auroc, 1);
 * const iforest = result.rows[1].mean.auroc; // 4 training images: too few to rely on
 * assert.ok(iforest >= 0 && iforest <= 1);
 * ```
 */
export async function evaluate(
  protocol: EvaluationProtocol,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  await ensureBackend();
  const tStart = performance.now();
  const { train, test } = protocol;
  assertDataset(train, "train set");
  assertDataset(test, "test set");
  const inputShape: [number, number, number] = [
    train.shape[1],
    train.shape[2],
    train.shape[3],
  ];
  if (test.shape.slice(1).join("x") !== inputShape.join("x")) {
    throw new ShapeError(
      `Cannot evaluate: train images are "${
        inputShape.join("x")
      }" but test images are "${
        test.shape.slice(1).join("x")
      }"; resize one set to the other's size`,
      inputShape.join("x"),
      test.shape.slice(1).join("x"),
    );
  }
  const flags = protocol.testIsAnomaly;
  if (flags == null || flags.length !== test.shape[0]) {
    throw new ShapeError(
      `Cannot evaluate: "testIsAnomaly" has "${flags?.length}" flags for "${
        test.shape[0]
      }" test images; pass one 0/1 flag per test image`,
      `[${test.shape[0]}]`,
      `[${flags?.length}]`,
    );
  }
  const testIsAnomaly = Uint8Array.from(flags, (v) => (v ? 1 : 0));
  const nAnomaly = testIsAnomaly.reduce((a, b) => a + b, 0);
  if (nAnomaly === 0 || nAnomaly === testIsAnomaly.length) {
    throw new RangeError(
      `Cannot evaluate: the test set needs normals and anomalies, got "${
        testIsAnomaly.length - nAnomaly
      }" normals and "${nAnomaly}" anomalies`,
    );
  }
  const r = resolve(options, inputShape);
  const semiSupervised = protocol.semiSupervised ?? false;
  const say = (line: string) => {
    if (r.progress !== "none") console.error(`[evaluate] ${line}`);
  };

  const perSeed = new Map<MethodId, MethodMetrics[]>();
  const scores: Partial<Record<MethodId, Float32Array[]>> = {};
  const histories: Partial<Record<ModelId, EpochLog[][]>> = {};
  const sphere: Partial<Record<ModelId, Float32Array>> = {};
  for (const s of r.specs) {
    perSeed.set(s.id, []);
    scores[s.id] = [];
  }
  const models = MODEL_ORDER.filter((m) => r.specs.some((s) => s.model === m));
  const total = r.specs.length * r.seeds.length;
  let done = 0;

  const record = (
    spec: MethodSpec,
    seed: number,
    s: JobScores,
    trainSeconds: number,
  ) => {
    let m: Omit<MethodMetrics, "trainSeconds" | "fitSeconds" | "scoreSeconds">;
    if (s.scores.every(Number.isFinite)) {
      m = computeMetrics(s.scores, testIsAnomaly);
    } else {
      m = { auroc: NaN, fpr95: NaN, fpr95Id: NaN, auprIn: NaN, auprOut: NaN };
      console.error(
        `[evaluate] warning: seed ${seed} "${spec.id}" has non-finite scores (a diverged model?); its metrics are NaN`,
      );
    }
    const metrics: MethodMetrics = {
      auroc: m.auroc,
      fpr95: m.fpr95,
      fpr95Id: m.fpr95Id,
      auprIn: m.auprIn,
      auprOut: m.auprOut,
      trainSeconds,
      fitSeconds: s.fitSeconds,
      scoreSeconds: s.scoreSeconds,
    };
    perSeed.get(spec.id)!.push(metrics);
    scores[spec.id]!.push(s.scores);
    done++;
    say(
      `seed ${seed} ${spec.id} (${done}/${total}): AUROC ${
        metrics.auroc.toFixed(4)
      }, FPR95 ${metrics.fpr95.toFixed(4)} (OOD+) ${
        metrics.fpr95Id.toFixed(4)
      } (ID+), fit ${metrics.fitSeconds.toFixed(2)}s, score ${
        metrics.scoreSeconds.toFixed(2)
      }s`,
    );
    options.onProgress?.({
      kind: "method",
      seed,
      method: spec.id,
      metrics,
      done,
      total,
    });
  };

  const trainFeatures = features(train);
  const testFeatures = features(test);
  const nLatent = r.latentDim;
  const backendName = tf.getBackend();
  // workers beyond the number of trainings would only idle
  const workers = Math.min(r.jobs, models.length * r.seeds.length);
  const pool = workers > 1 && (backendName === "wasm" || backendName === "cpu")
    ? new ModelJobPool(workers, train, test, backendName)
    : null;
  if (workers > 1 && !pool) {
    say(
      `"jobs" ${r.jobs} ignored on ${backendName}: trainings run one at a time`,
    );
  }
  const jobFor = (modelId: ModelId, seed: number): ModelJob => {
    const rows = r.specs.filter((s) => s.model === modelId);
    const trainOptions = modelId === "random"
      ? {}
      : trainOptionsFor(modelId, r, seed, semiSupervised);
    const { onEpoch: _e, onStep: _s, ...plain } = trainOptions;
    return {
      model: modelId,
      seed,
      trainOptions: pool ? { ...plain, progress: "none" } : plain,
      inputShape,
      latentDim: nLatent,
      widths: r.widths,
      latent: rows.some((s) => s.detector !== "mse"),
      mse: rows.some((s) => s.detector === "mse"),
    };
  };
  const describe = (job: ModelJob): string => {
    if (job.model === "random") {
      return `seed ${job.seed}: building the untrained encoder`;
    }
    const o = job.trainOptions;
    return `seed ${job.seed}: training ${job.model} (${o.preset}, ${o.variant}${
      o.radiusOnly ? ", radius only" : ""
    }${o.semiSupervised ? ", class roll" : ""})`;
  };
  const hooks = r.train.onEpoch || r.train.onStep
    ? { onEpoch: r.train.onEpoch, onStep: r.train.onStep }
    : {};
  // with a pool every job is queued now and awaited below in table order,
  // so rows are recorded in the same order as without one
  const started = new Map<string, Promise<ModelJobResult>>();
  if (pool) {
    const epochs = r.epochs ?? resolveTrainOptions({}).epochs;
    for (const seed of r.seeds) {
      for (const modelId of models) {
        const job = jobFor(modelId, seed);
        const p = pool.run(job, {
          onStart: () => say(`${describe(job)} in a worker`),
          onEpoch: (log) => {
            say(
              `seed ${seed} ${modelId}: epoch ${
                log.epoch + 1
              }/${epochs}, loss ${log.loss.toPrecision(5)}, ${
                log.imagesPerSecond.toFixed(0)
              } images/s`,
            );
            hooks.onEpoch?.(log);
          },
          onStep: hooks.onStep,
        });
        p.catch(() => {}); // awaited (and its error thrown) in order below
        started.set(`${seed}/${modelId}`, p);
      }
    }
  }
  let pixelKnn: JobScores | undefined;
  try {
    for (const [seedIndex, seed] of r.seeds.entries()) {
      for (const spec of r.specs.filter((s) => s.model === null)) {
        const kind = spec.detector as Exclude<DetectorKind, "mse">;
        // exact k-NN on pixels does not depend on the seed: search once and
        // record the same scores (and timings) for every seed
        const s = kind === "knn"
          ? (pixelKnn ??= await runDetector(
            kind,
            trainFeatures,
            testFeatures,
            r,
            seed,
          ))
          : await runDetector(kind, trainFeatures, testFeatures, r, seed);
        record(spec, seed, { ...s, scores: s.scores.slice() }, 0);
      }
      for (const modelId of models) {
        let res: ModelJobResult;
        const queued = started.get(`${seed}/${modelId}`);
        if (queued) {
          res = await queued;
        } else {
          const job = jobFor(modelId, seed);
          say(describe(job));
          res = await runModelJob(job, train, test, hooks);
        }
        if (res.history) (histories[modelId] ??= []).push(res.history);
        const trainSeconds = res.trainSeconds;
        options.onProgress?.({
          kind: "model",
          seed,
          model: modelId,
          seconds: trainSeconds,
        });
        if (
          res.query && r.sphere && seedIndex === 0 && nLatent >= 3 &&
          (modelId === "vae" || modelId === "vmf" || modelId === "compvae")
        ) {
          sphere[modelId] = sphereView(res.query.data, nLatent);
        }
        for (const spec of r.specs.filter((s) => s.model === modelId)) {
          if (spec.detector === "mse") {
            record(spec, seed, res.mse!, trainSeconds);
          } else {
            const s = await runDetector(
              spec.detector,
              res.bank!,
              res.query!,
              r,
              seed,
            );
            record(spec, seed, {
              scores: s.scores,
              fitSeconds: s.fitSeconds + res.bankSeconds,
              scoreSeconds: s.scoreSeconds + res.encodeSeconds,
            }, trainSeconds);
          }
        }
      }
    }
  } finally {
    pool?.close();
  }

  const rows: EvaluationRow[] = r.specs.map((spec) => {
    const values = perSeed.get(spec.id)!;
    return {
      method: spec.id,
      label: spec.label,
      model: spec.model,
      detector: spec.detector,
      ...meanStd(values),
      perSeed: values,
    };
  });
  const nTest = test.shape[0];
  const result: EvaluationResult = {
    format: "hsvae-evaluation",
    formatVersion: 1,
    protocol: {
      name: protocol.name ?? null,
      semiSupervised,
      inputShape,
      nTrain: train.shape[0],
      nTestNormal: nTest - nAnomaly,
      nTestAnomaly: nAnomaly,
    },
    seeds: r.seeds,
    settings: {
      methods: r.specs.map((s) => s.id),
      epochs: r.epochs ?? resolveTrainOptions({}).epochs,
      latentDim: r.latentDim,
      widths: r.widths ?? null,
      batchSize: r.batchSize ?? null,
      preset: r.preset,
      baselinePreset: r.baselinePreset,
      sigmaAngleGain: r.sigmaAngleGain ?? null,
      k: r.k,
      iforest: { nEstimators: r.nEstimators, maxSamples: r.maxSamples },
    },
    rows,
    scores,
    testIsAnomaly,
    testLabels: test.labels ? test.labels.slice() : null,
    testIds: test.ids
      ? test.ids.slice()
      : Array.from({ length: nTest }, (_, i) => String(i)),
    histories,
    sphere,
    seconds: seconds(tStart),
  };
  if (options.outDir !== undefined) {
    await writeEvaluation(result, options.outDir);
    say(`wrote results.json, results.md, scores.csv to ${options.outDir}`);
  }
  return result;
}
