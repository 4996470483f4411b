/**
 * The ablation table of the anomaly-detection paper (its Table 1) on one
 * protocol: raw-pixel baselines, AE and standard-VAE latents scored by k-NN,
 * Isolation Forest and reconstruction error, the two Comp.VAE variants with
 * k-NN, and two controls (an untrained encoder, a radius-only Comp.VAE).
 *
 * The run lives here; the input checks are in `check_inputs.ts`, the
 * option defaults in `options.ts`, the metrics bookkeeping in `tally.ts`
 * and the types in `types.ts`.
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import type { Dataset } from "../data/dataset.ts";
import type { FeatureMatrix } from "../detectors/feature_matrix.ts";
import { IsolationForest } from "../detectors/isolation_forest.ts";
import { KnnDetector } from "../detectors/knn_detector.ts";
import { sphereView } from "../report/sphere_view.ts";
import { writeReport } from "../report/write_report.ts";
import { tf } from "../tf.ts";
import { type EpochLog, resolveTrainOptions } from "../train.ts";
import { type CheckedProtocol, checkProtocol } from "./check_inputs.ts";
import { evaluationReport } from "./evaluation_report.ts";
import type { DetectorKind, MethodSpec, ModelId } from "./methods.ts";
import {
  type JobScores,
  type ModelJob,
  type ModelJobHooks,
  type ModelJobResult,
  runModelJob,
  seconds,
} from "./model_job.ts";
import { ModelJobPool } from "./model_job_pool.ts";
import {
  resolve,
  type Resolved,
  type ResolvedOutput,
  trainOptionsFor,
} from "./options.ts";
import { Tally } from "./tally.ts";
import type {
  EvaluateOptions,
  EvaluationFiles,
  EvaluationProtocol,
  EvaluationResult,
} from "./types.ts";
import { writeEvaluation } from "./write_evaluation.ts";

export type {
  EvaluateOptions,
  EvaluationFiles,
  EvaluationProgress,
  EvaluationProtocol,
  EvaluationReportOptions,
  EvaluationResult,
  EvaluationRow,
  EvaluationTrainOptions,
  MethodMetrics,
} from "./types.ts";
export { defaultSigmaAngleGain } from "./options.ts";

const MODEL_ORDER: readonly ModelId[] = [
  "ae",
  "vae",
  "vmf",
  "compvae",
  "radius",
  "random",
];

/** The state of one evaluation, shared by the steps of the run. */
interface Run {
  protocol: EvaluationProtocol;
  checked: CheckedProtocol;
  r: Resolved;
  options: EvaluateOptions;
  semiSupervised: boolean;
  say: (line: string) => void;
  tally: Tally;
  /** The models the selected rows need, in training order. */
  models: ModelId[];
  pool: ModelJobPool | null;
  hooks: ModelJobHooks;
  trainFeatures: FeatureMatrix;
  testFeatures: FeatureMatrix;
  /** Trainings queued on the pool, by `seed/model`. */
  queued: Map<string, Promise<ModelJobResult>>;
  /** Exact pixel k-NN scores, the same for every seed. */
  pixelKnn?: JobScores;
  histories: Partial<Record<ModelId, EpochLog[][]>>;
  sphere: Partial<Record<ModelId, Float32Array>>;
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

/** Creates `outDir`; a failure keeps its class and names the option. */
async function createOutDir(dir: string): Promise<void> {
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    const ErrorClass = e.constructor as new (
      message: string,
      options?: ErrorOptions,
    ) => Error;
    throw new ErrorClass(
      `Cannot evaluate: cannot create "outDir" "${dir}" (${e.message}); pass a folder path you can write to`,
      { cause: e },
    );
  }
}

/** Sets up a run: its bookkeeping and, for `jobs > 1`, the worker pool. */
function startRun(
  protocol: EvaluationProtocol,
  checked: CheckedProtocol,
  r: Resolved,
  options: EvaluateOptions,
): Run {
  const say = (line: string) => {
    if (r.progress !== "none") console.error(`[evaluate] ${line}`);
  };
  const models = MODEL_ORDER.filter((m) => r.specs.some((s) => s.model === m));
  const backendName = tf.getBackend();
  // workers beyond the number of trainings would only idle
  const workers = Math.min(r.jobs, models.length * r.seeds.length);
  const pool = workers > 1 && (backendName === "wasm" || backendName === "cpu")
    ? new ModelJobPool(workers, protocol.train, protocol.test, backendName)
    : null;
  if (workers > 1 && !pool) {
    say(
      `"jobs" ${r.jobs} ignored on ${backendName}: trainings run one at a time`,
    );
  }
  return {
    protocol,
    checked,
    r,
    options,
    semiSupervised: protocol.semiSupervised ?? false,
    say,
    tally: new Tally(r.specs, r.seeds.length, checked.testIsAnomaly),
    models,
    pool,
    hooks: r.train.onEpoch || r.train.onStep
      ? { onEpoch: r.train.onEpoch, onStep: r.train.onStep }
      : {},
    trainFeatures: features(protocol.train),
    testFeatures: features(protocol.test),
    queued: new Map(),
    histories: {},
    sphere: {},
  };
}

/** Records one row for one seed, then reports it. */
function recordRow(
  run: Run,
  spec: MethodSpec,
  seed: number,
  s: JobScores,
  trainSeconds: number,
): void {
  const metrics = run.tally.record(spec, seed, s, trainSeconds);
  const { done, total } = run.tally;
  run.say(
    `seed ${seed} ${spec.id} (${done}/${total}): AUROC ${
      metrics.auroc.toFixed(4)
    }, FPR95 ${metrics.fpr95.toFixed(4)} (OOD+) ${
      metrics.fpr95Id.toFixed(4)
    } (ID+), fit ${metrics.fitSeconds.toFixed(2)}s, score ${
      metrics.scoreSeconds.toFixed(2)
    }s`,
  );
  run.options.onProgress?.({
    kind: "method",
    seed,
    method: spec.id,
    metrics,
    done,
    total,
  });
}

/** The job that trains (or builds) one model for one seed and encodes the sets. */
function jobFor(run: Run, modelId: ModelId, seed: number): ModelJob {
  const { r } = run;
  const rows = r.specs.filter((s) => s.model === modelId);
  const trainOptions = modelId === "random"
    ? {}
    : trainOptionsFor(modelId, r, seed, run.semiSupervised);
  const { onEpoch: _e, onStep: _s, ...plain } = trainOptions;
  return {
    model: modelId,
    seed,
    trainOptions: run.pool ? { ...plain, progress: "none" } : plain,
    inputShape: run.checked.inputShape,
    latentDim: r.latentDim,
    widths: r.widths,
    latent: rows.some((s) => s.detector !== "mse"),
    mse: rows.some((s) => s.detector === "mse"),
  };
}

function describe(job: ModelJob): string {
  if (job.model === "random") {
    return `seed ${job.seed}: building the untrained encoder`;
  }
  const o = job.trainOptions;
  return `seed ${job.seed}: training ${job.model} (${o.preset}, ${o.variant}${
    o.radiusOnly ? ", radius only" : ""
  }${o.semiSupervised ? ", class roll" : ""})`;
}

/**
 * With a pool, queues every training now; they are awaited in table order,
 * so rows are recorded in the same order as without one.
 */
function queueJobs(run: Run): void {
  const { pool, r, say, hooks } = run;
  if (!pool) return;
  const epochs = r.epochs ?? resolveTrainOptions({}).epochs;
  for (const seed of r.seeds) {
    for (const modelId of run.models) {
      const job = jobFor(run, modelId, seed);
      const p = pool.run(job, {
        onStart: () => say(`${describe(job)} in a worker`),
        onEpoch: (log) => {
          say(
            `seed ${seed} ${modelId}: epoch ${log.epoch + 1}/${epochs}, loss ${
              log.loss.toPrecision(5)
            }, ${log.imagesPerSecond.toFixed(0)} images/s`,
          );
          hooks.onEpoch?.(log);
        },
        onStep: hooks.onStep,
      });
      p.catch(() => {}); // awaited (and its error thrown) in order
      run.queued.set(`${seed}/${modelId}`, p);
    }
  }
}

/** Scores the raw-pixel rows for one seed. */
async function runPixelRows(run: Run, seed: number): Promise<void> {
  for (const spec of run.r.specs.filter((s) => s.model === null)) {
    const kind = spec.detector as Exclude<DetectorKind, "mse">;
    const detect = () =>
      runDetector(kind, run.trainFeatures, run.testFeatures, run.r, seed);
    // exact k-NN on pixels does not depend on the seed: search once and
    // record the same scores (and timings) for every seed
    const s = kind === "knn"
      ? (run.pixelKnn ??= await detect())
      : await detect();
    recordRow(run, spec, seed, { ...s, scores: s.scores.slice() }, 0);
  }
}

/** Trains (or collects the queued training of) one model for one seed. */
async function trainModel(
  run: Run,
  modelId: ModelId,
  seed: number,
): Promise<ModelJobResult> {
  const queued = run.queued.get(`${seed}/${modelId}`);
  if (queued) return await queued;
  const job = jobFor(run, modelId, seed);
  run.say(describe(job));
  return await runModelJob(
    job,
    run.protocol.train,
    run.protocol.test,
    run.hooks,
  );
}

/** One model's rows for one seed: train it, keep its sphere view, score. */
async function runModelRows(
  run: Run,
  modelId: ModelId,
  seed: number,
  seedIndex: number,
): Promise<void> {
  const { r } = run;
  const res = await trainModel(run, modelId, seed);
  if (res.history) (run.histories[modelId] ??= []).push(res.history);
  const trainSeconds = res.trainSeconds;
  run.options.onProgress?.({
    kind: "model",
    seed,
    model: modelId,
    seconds: trainSeconds,
  });
  if (
    res.query && r.sphere && seedIndex === 0 && r.latentDim >= 3 &&
    (modelId === "vae" || modelId === "vmf" || modelId === "compvae")
  ) {
    run.sphere[modelId] = sphereView(res.query.data, r.latentDim);
  }
  for (const spec of r.specs.filter((s) => s.model === modelId)) {
    if (spec.detector === "mse") {
      recordRow(run, spec, seed, res.mse!, trainSeconds);
      continue;
    }
    const s = await runDetector(spec.detector, res.bank!, res.query!, r, seed);
    recordRow(run, spec, seed, {
      scores: s.scores,
      fitSeconds: s.fitSeconds + res.bankSeconds,
      scoreSeconds: s.scoreSeconds + res.encodeSeconds,
    }, trainSeconds);
  }
}

/** Every seed's rows, in table order; the pool is closed at the end. */
async function runAll(run: Run): Promise<void> {
  try {
    queueJobs(run);
    for (const [seedIndex, seed] of run.r.seeds.entries()) {
      await runPixelRows(run, seed);
      for (const modelId of run.models) {
        await runModelRows(run, modelId, seed, seedIndex);
      }
    }
  } finally {
    run.pool?.close();
  }
}

/** The plain-data result of a finished run. */
function resultOf(run: Run, tStart: number): EvaluationResult {
  const { protocol, r, checked } = run;
  const { test } = protocol;
  const nTest = test.shape[0];
  return {
    format: "hsvae-evaluation",
    formatVersion: 1,
    protocol: {
      name: protocol.name ?? null,
      semiSupervised: run.semiSupervised,
      inputShape: checked.inputShape,
      nTrain: protocol.train.shape[0],
      nTestNormal: nTest - checked.nAnomaly,
      nTestAnomaly: checked.nAnomaly,
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
    rows: run.tally.rows(),
    scores: run.tally.scores,
    testIsAnomaly: checked.testIsAnomaly,
    testLabels: test.labels ? test.labels.slice() : null,
    testIds: test.ids
      ? test.ids.slice()
      : Array.from({ length: nTest }, (_, i) => String(i)),
    histories: run.histories,
    sphere: run.sphere,
    seconds: seconds(tStart),
  };
}

/** Writes the result's files (and the report, when asked) into `outDir`. */
async function writeFiles(
  result: EvaluationResult,
  output: ResolvedOutput,
  say: (line: string) => void,
): Promise<EvaluationFiles> {
  const results = await writeEvaluation(result, output.dir);
  say(`wrote results.json, results.md, scores.csv to ${output.dir}`);
  if (!output.report) return { dir: output.dir, results, report: null };
  const report = await writeReport(
    evaluationReport(result, { title: output.report.title }),
    { dir: output.dir, svg: output.report.svg },
  );
  say(`wrote the report ${report.html}`);
  return { dir: output.dir, results, report };
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
 * Files: with `outDir`, writes `results.json`, `results.md` and
 * `scores.csv` there; with `report` as well, the HTML report
 * (`report.html`) and its SVG figures, what `hsvae eval` writes. The
 * folder is created before anything is trained; the paths are in the
 * result's `files`.
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
 * @throws {TypeError} When `outDir` is not a folder path, or `report` is
 *   set without `outDir`.
 * @throws {Deno.errors.PermissionDenied} (or another `Deno.errors` class)
 *   When `outDir` cannot be created; the message names `outDir`.
 *
 * @example Pixel baselines on a toy protocol
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate } from "@hsvae/hsvae";
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
 *
 * @example The HTML report, as the CLI writes it
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 *   name: "toy",
 * }, {
 *   methods: ["knn-pixels"],
 *   k: 1,
 *   progress: "none",
 *   outDir: dir,
 *   report: { svg: false },
 * });
 * assert.equal(result.files?.report?.html, `${dir}/report.html`);
 * assert.match(await Deno.readTextFile(`${dir}/report.html`), /<title>toy<\/title>/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function evaluate(
  protocol: EvaluationProtocol,
  options: EvaluateOptions = {},
): Promise<EvaluationResult> {
  await ensureBackend();
  const tStart = performance.now();
  const checked = checkProtocol(protocol);
  const r = resolve(options, checked.inputShape);
  if (r.output) await createOutDir(r.output.dir);
  const run = startRun(protocol, checked, r, options);
  await runAll(run);
  const result = resultOf(run, tStart);
  if (r.output) result.files = await writeFiles(result, r.output, run.say);
  return result;
}
