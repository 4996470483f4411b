/**
 * Option resolution of {@linkcode evaluate}: every option checked and
 * defaulted in one place ({@linkcode resolve}), and the training options of
 * each model derived from them ({@linkcode trainOptionsFor}).
 *
 * @example The defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolve } from "./options.ts";
 *
 * const r = resolve({}, [28, 28, 1]);
 * assert.deepEqual(r.seeds, [0]);
 * assert.equal(r.k, 3);
 * assert.equal(r.sigmaAngleGain, 2.25e5);
 * ```
 *
 * @module
 */
import {
  authorsSigmaAngleGain,
  DEFAULT_BASELINE_PRESET,
  DEFAULT_PRESET,
  isPreset,
  PRESETS,
} from "../presets.ts";
import type { LossPreset } from "../loss.ts";
import type { ProgressMode } from "../progress.ts";
import { resolveTrainOptions, type TrainOptions } from "../train.ts";
import { type MethodSpec, type ModelId, selectMethods } from "./methods.ts";
import type { EvaluateOptions, EvaluationTrainOptions } from "./types.ts";

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
 * import { defaultSigmaAngleGain } from "@hsvae/hsvae";
 *
 * assert.equal(defaultSigmaAngleGain([28, 28, 1]), 2.25e5);
 * assert.equal(defaultSigmaAngleGain([32, 32, 3]), undefined);
 * ```
 */
export function defaultSigmaAngleGain(
  inputShape: readonly number[],
): number | undefined {
  return authorsSigmaAngleGain(inputShape);
}

/**
 * {@linkcode EvaluateOptions} checked and with every default applied, as
 * {@linkcode resolve} returns them.
 */
export interface Resolved {
  /** The seeds, in order. */
  seeds: number[];
  /** The selected rows, in table order. */
  specs: MethodSpec[];
  /** A copy of `options.train`. */
  train: EvaluationTrainOptions;
  /** Epochs of every model; unset: trainVAE's default. */
  epochs?: number;
  /** Latent dimension of every model. */
  latentDim: number;
  /** Encoder widths; unset: the model's default. */
  widths?: number[];
  /** Mini-batch size; unset: the preset's. */
  batchSize?: number;
  /** Loss preset of the Comp.VAE rows. */
  preset: LossPreset;
  /** Loss preset of the AE and VAE rows. */
  baselinePreset: LossPreset;
  /** G_sig of the Comp.VAE rows under `authors`; unset: the preset's. */
  sigmaAngleGain?: number;
  /** k-NN neighbours. */
  k: number;
  /** Isolation Forest trees. */
  nEstimators: number;
  /** Isolation Forest subsample size. */
  maxSamples: number;
  /** Whether to keep the sphere views. */
  sphere: boolean;
  /** The progress mode. */
  progress: ProgressMode;
  /** Trainings at once. */
  jobs: number;
  /** Where to write files, or `null` without `outDir`. */
  output: ResolvedOutput | null;
}

/** The checked `outDir` and `report` options. */
export interface ResolvedOutput {
  /** The folder, `outDir`. */
  dir: string;
  /** The report's title (unset: the protocol's name) and SVG switch, or `null` without `report`. */
  report: { title?: string; svg: boolean } | null;
}

function positiveInt(name: string, v: number): number {
  if (!(Number.isInteger(v) && v >= 1)) {
    throw new RangeError(
      `Cannot evaluate: "${name}" must be a positive integer, got "${v}"`,
    );
  }
  return v;
}

function resolveSeeds(given: readonly number[] | undefined): number[] {
  const seeds = given === undefined ? [0] : [...given];
  if (seeds.length === 0 || !seeds.every(Number.isInteger)) {
    throw new RangeError(
      `Cannot evaluate: "seeds" must be a non-empty list of integers, got "${
        JSON.stringify(given)
      }"`,
    );
  }
  return seeds;
}

function checkPreset(name: string, p: LossPreset | undefined): void {
  if (p !== undefined && !isPreset(p)) {
    throw new RangeError(
      `Cannot evaluate: unknown ${name} "${p}"; use ${
        PRESETS.map((q) => `"${q}"`).join(" or ")
      }`,
    );
  }
}

/** Checks `outDir` and `report` (the folder itself is created later). */
function resolveOutput(options: EvaluateOptions): ResolvedOutput | null {
  const { outDir, report = false } = options;
  if (
    outDir !== undefined && (typeof outDir !== "string" || outDir === "")
  ) {
    throw new TypeError(
      `Cannot evaluate: "outDir" must be a folder path, got "${outDir}"`,
    );
  }
  if (
    typeof report !== "boolean" && (typeof report !== "object" || !report)
  ) {
    throw new TypeError(
      `Cannot evaluate: "report" must be true, false or { title, svg }, got "${report}"`,
    );
  }
  if (report !== false && outDir === undefined) {
    throw new TypeError(
      `Cannot evaluate: "report" needs "outDir", the folder to write report.html into; pass "outDir" too`,
    );
  }
  if (outDir === undefined) return null;
  if (report === false) return { dir: outDir, report: null };
  const o = report === true ? {} : report;
  if (o.title !== undefined && typeof o.title !== "string") {
    throw new TypeError(
      `Cannot evaluate: "report.title" must be a string, got "${o.title}"`,
    );
  }
  return { dir: outDir, report: { title: o.title, svg: o.svg ?? true } };
}

/**
 * Checks every option of {@linkcode evaluate} and applies its defaults, so
 * a bad option fails before anything is trained.
 *
 * @param options The caller's options.
 * @param inputShape `[H, W, C]` of the images (picks the default G_sig).
 * @returns The resolved options.
 * @throws {RangeError} For an unknown method id or preset, empty or
 *   non-integer seeds, or an out-of-range number.
 * @throws {TypeError} For an `outDir` that is not a folder path, or a
 *   `report` without `outDir`.
 *
 * @example Seeds and the report's folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolve } from "./options.ts";
 *
 * const r = resolve({ seeds: [1, 2], outDir: "out", report: true }, [32, 32, 3]);
 * assert.deepEqual(r.seeds, [1, 2]);
 * assert.deepEqual(r.output, { dir: "out", report: { title: undefined, svg: true } });
 * assert.throws(() => resolve({ report: true }, [32, 32, 3]), TypeError);
 * ```
 */
export function resolve(
  options: EvaluateOptions,
  inputShape: [number, number, number],
): Resolved {
  const specs = selectMethods(options.methods);
  const seeds = resolveSeeds(options.seeds);
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
  checkPreset("preset", options.preset);
  checkPreset("baselinePreset", options.baselinePreset);
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
    preset: options.preset ?? DEFAULT_PRESET,
    baselinePreset: options.baselinePreset ?? DEFAULT_BASELINE_PRESET,
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
    output: resolveOutput(options),
  };
}

/**
 * The training options of one model for one seed: the shared settings,
 * then the AE / VAE baselines on `baselinePreset`, the Comp.VAE models on
 * `preset` (with G_sig under `authors`, the radius-only switch, and the
 * class roll when `semiSupervised`).
 *
 * @param model The model (not the untrained `"random"` one).
 * @param r The resolved options.
 * @param seed The seed.
 * @param semiSupervised Whether the Comp.VAE models use the class roll.
 * @returns Options for `trainVAE`.
 *
 * @example The VAE baseline trains on the paper preset by default
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolve, trainOptionsFor } from "./options.ts";
 *
 * const r = resolve({}, [28, 28, 1]);
 * const vae = trainOptionsFor("vae", r, 0, false);
 * assert.deepEqual([vae.preset, vae.variant], ["paper", "vae"]);
 * const comp = trainOptionsFor("compvae", r, 0, true);
 * assert.equal(comp.loss?.termGains?.anglesSigma, 2.25e5);
 * ```
 */
export function trainOptionsFor(
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
