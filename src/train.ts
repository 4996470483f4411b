/**
 * Training of the compressed VAE (METHOD.md §2) and its variants, with
 * seeded batches, a per-epoch JSON-lines log, progress, atomic per-epoch
 * checkpoints, exact resume and Ctrl-C handling.
 *
 * @module
 */
import { ensureBackend } from "./backend.ts";
import {
  lossOptions,
  type Net,
  reconstructionError,
  splitHead,
  trainStep,
} from "./_train_step.ts";
import { tf } from "./tf.ts";
import type { Tensor2D, Tensor4D } from "./tf.ts";
import type { Dataset } from "./data/dataset.ts";
import { assertDataset, subset } from "./data/dataset.ts";
import { mulberry32, shuffleInPlace } from "./random.ts";
import {
  authorsAnnealing,
  authorsBeta,
  betaSchedule,
  compressedLoss,
  type CompressedLossOptions,
  type LossPreset,
  type LossVariant,
  normaliseToSphere,
} from "./loss.ts";
import { type ModelConfig, resolveModelConfig } from "./model/resnet.ts";
import {
  loadLayersModel,
  saveLayersModel,
  writeFileAtomic,
} from "./model/io.ts";
import { type JsonObject, VaeModel } from "./model/vae_model.ts";
import { Progress, type ProgressMode } from "./progress.ts";
import {
  DEFAULT_EPOCHS,
  DEFAULT_LATENT_DIM,
  DEFAULT_PRESET,
  DEFAULT_VARIANT,
  isPreset,
  isVariant,
  PRESET_DEFAULTS,
  PRESETS,
  variantNormalisesZ,
  VARIANTS,
} from "./presets.ts";
import { DataFormatError, ShapeError } from "./errors.ts";

/** Options of {@linkcode trainVAE}. Defaults depend on `preset` where noted. */
export interface TrainOptions {
  /**
   * Loss preset: `"authors"` (the released code: two optimisers, auto-tuned
   * beta, per-class statistics) or `"paper"` (the clean reading).
   * @default {"authors"}
   */
  preset?: LossPreset;
  /**
   * `"compressed"`, `"vmf"`, `"vae"` (standard VAE) or `"ae"` (autoencoder).
   * @default {"compressed"}
   */
  variant?: LossVariant;
  /**
   * Ablation control: all angle gains 0, only the radius terms.
   * @default {false}
   */
  radiusOnly?: boolean;
  /**
   * Latent dimension n.
   * @default {128}
   */
  latentDim?: number;
  /**
   * Channel widths of the encoder stages (see `buildEncoder`).
   * @default {the model's default for the input size}
   */
  widths?: number[];
  /**
   * Epochs to train (total, including those done before a resume).
   * @default {10}
   */
  epochs?: number;
  /**
   * Mini-batch size.
   * @default {paper: 128, authors: 200}
   */
  batchSize?: number;
  /**
   * Adam learning rate (each optimiser's, for `authors`).
   * @default {paper: 1e-3, authors: 2e-4}
   */
  learningRate?: number;
  /**
   * Epochs at which the learning rate halves.
   * @default {paper: [], authors: [280, 450]}
   */
  lrMilestones?: number[];
  /**
   * `paper`: beta_max of `beta(t) = beta_max sqrt((t+1)/T)`. `authors`: a
   * fixed beta replacing the auto-tuned `2500 rec0 / KL0` (unset = auto).
   * @default {paper: 1, authors: auto}
   */
  beta?: number;
  /**
   * `paper` only: warm-up epochs W (`beta` grows for W epochs then holds).
   * @default {undefined (grow over all epochs)}
   */
  warmup?: number;
  /**
   * Use `dataset.labels` for the semi-supervised class roll.
   * @default {false}
   */
  semiSupervised?: boolean;
  /**
   * Further loss options (gains, priors, epsilons, spacing, G_sig...), merged
   * over the preset; see `CompressedLossOptions`.
   * @default {{}}
   */
  loss?: Omit<
    CompressedLossOptions,
    "preset" | "variant" | "labels" | "epoch" | "radiusOnly"
  >;
  /**
   * Reconstruction error: `"sum"` = squared error summed over pixels, mean
   * over the batch (the authors'); `"mean"` = mean over pixels too.
   * @default {"sum"}
   */
  reconstruction?: "sum" | "mean";
  /**
   * Seed of weights, batch order and noise: same seed + backend = same weights.
   * @default {0}
   */
  seed?: number;
  /**
   * Fraction of the data held out for a per-epoch validation loss.
   * @default {0}
   */
  validationSplit?: number;
  /**
   * Directory for `train.jsonl` and per-epoch checkpoints; none when unset.
   * @default {undefined}
   */
  outDir?: string;
  /**
   * Continue from the last checkpoint in `outDir`.
   * @default {false}
   */
  resume?: boolean;
  /**
   * Encode the training set after training and store its mus as the model's
   * latent bank (for k-NN scoring).
   * @default {true}
   */
  fitBank?: boolean;
  /**
   * Progress display on stderr.
   * @default {"auto"}
   */
  progress?: ProgressMode;
  /**
   * Called after each epoch with its log record.
   * @default {undefined}
   */
  onEpoch?: (log: EpochLog) => void;
  /**
   * Called after each batch with the 0-based epoch and batch index.
   * @default {undefined}
   */
  onStep?: (epoch: number, step: number) => void;
  /**
   * Stops training after the current batch (a checkpoint is written).
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Handle Ctrl-C (SIGINT): finish the batch, checkpoint, return. A second
   * Ctrl-C exits at once.
   * @default {true}
   */
  handleSigint?: boolean;
}

/** One epoch's record, also written as a line of `train.jsonl`. */
export interface EpochLog {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training objective per batch (rec + beta * KL * annealing). */
  loss: number;
  /** Mean reconstruction error per batch. */
  rec: number;
  /** Mean KL-like term per batch (before beta). */
  kl: number;
  /** Mean of each KL part per batch. */
  parts: Record<string, number>;
  /** beta used this epoch. */
  beta: number;
  /** Annealing factor a(t) (`authors`; 1 for `paper`). */
  annealing: number;
  /** Learning rate this epoch. */
  learningRate: number;
  /** Validation reconstruction error (z = mu), when a split is held out. */
  valRec?: number;
  /** Validation KL term, when a split is held out. */
  valKl?: number;
  /** Training images per second this epoch. */
  imagesPerSecond: number;
  /** Wall time of the epoch in seconds. */
  seconds: number;
}

/** Result of {@linkcode trainVAE}. */
export interface TrainResult {
  /** The trained model (dispose it when done). */
  model: VaeModel;
  /** One record per epoch, including epochs restored by a resume. */
  history: EpochLog[];
  /** Training stopped early (signal or Ctrl-C); a checkpoint was written. */
  interrupted: boolean;
}

/** The resolved options, as stored in checkpoints and in the model config. */
export interface ResolvedTrainOptions {
  /** Loss preset. */
  preset: LossPreset;
  /** Model variant. */
  variant: LossVariant;
  /** Radius-only ablation control. */
  radiusOnly: boolean;
  /** Latent dimension n. */
  latentDim: number;
  /** Total epochs. */
  epochs: number;
  /** Mini-batch size. */
  batchSize: number;
  /** Base learning rate. */
  learningRate: number;
  /** Epochs at which the learning rate halves. */
  lrMilestones: number[];
  /** `paper`: beta_max; `authors`: a fixed beta, or null for auto. */
  beta: number | null;
  /** `paper` warm-up epochs, or null. */
  warmup: number | null;
  /** Whether labels drive the class roll. */
  semiSupervised: boolean;
  /** Extra loss options. */
  loss: Record<string, unknown>;
  /** Reconstruction reduction. */
  reconstruction: "sum" | "mean";
  /** Seed of weights, batch order and noise. */
  seed: number;
  /** Held-out fraction. */
  validationSplit: number;
}

function nonNegativeInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(
      `Cannot train: "${name}" must be an integer >= 0, got ${v}`,
    );
  }
  return v;
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `Cannot train: "${name}" must be a positive integer, got ${v}`,
    );
  }
  return v;
}

/**
 * Applies the defaults of {@linkcode TrainOptions} in one place and validates.
 * The per-preset values come from `PRESET_DEFAULTS` (`src/presets.ts`); this
 * is where a training run resolves its preset, variant and latent size, and
 * everything below it (model, loss) gets them explicitly.
 *
 * @param options Training options.
 * @returns The resolved options.
 * @throws {RangeError} For out-of-range options.
 *
 * @example Preset defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveTrainOptions } from "./train.ts";
 *
 * assert.equal(resolveTrainOptions({ preset: "authors" }).batchSize, 200);
 * assert.equal(resolveTrainOptions({ preset: "paper" }).learningRate, 1e-3);
 * ```
 */
export function resolveTrainOptions(
  options: TrainOptions = {},
): ResolvedTrainOptions {
  const preset = options.preset ?? DEFAULT_PRESET;
  if (!isPreset(preset)) {
    throw new RangeError(
      `Cannot train: unknown preset "${preset}"; use ${
        PRESETS.map((p) => `"${p}"`).join(" or ")
      }`,
    );
  }
  const variant = options.variant ?? DEFAULT_VARIANT;
  if (!isVariant(variant)) {
    throw new RangeError(
      `Cannot train: unknown variant "${variant}"; use one of ${
        VARIANTS.join(", ")
      }`,
    );
  }
  const d = PRESET_DEFAULTS[preset].train;
  const learningRate = options.learningRate ?? d.learningRate;
  if (!(learningRate > 0)) {
    throw new RangeError(
      `Cannot train: "learningRate" must be > 0, got ${learningRate}`,
    );
  }
  const validationSplit = options.validationSplit ?? 0;
  if (!(validationSplit >= 0 && validationSplit < 1)) {
    throw new RangeError(
      `Cannot train: "validationSplit" must be in [0, 1), got ${validationSplit}`,
    );
  }
  if (options.beta !== undefined && !(options.beta >= 0)) {
    throw new RangeError(
      `Cannot train: "beta" must be >= 0, got ${options.beta}`,
    );
  }
  return {
    preset,
    variant,
    radiusOnly: options.radiusOnly ?? false,
    latentDim: positiveInt(
      "latentDim",
      options.latentDim ?? DEFAULT_LATENT_DIM,
    ),
    epochs: positiveInt("epochs", options.epochs ?? DEFAULT_EPOCHS),
    batchSize: positiveInt("batchSize", options.batchSize ?? d.batchSize),
    learningRate,
    lrMilestones: options.lrMilestones ?? [...d.lrMilestones],
    beta: options.beta ?? null,
    warmup: options.warmup ?? null,
    semiSupervised: options.semiSupervised ?? false,
    loss: { ...(options.loss ?? {}) },
    reconstruction: options.reconstruction ?? d.reconstruction,
    seed: nonNegativeInt("seed", options.seed ?? 0),
    validationSplit,
  };
}

/** Splits indices into train / validation with a seeded permutation. */
function splitIndices(
  n: number,
  fraction: number,
  seed: number,
): [number[], number[]] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (fraction === 0) return [idx, []];
  shuffleInPlace(idx, mulberry32(seed ^ 0x5eed));
  const nVal = Math.max(1, Math.round(n * fraction));
  return [
    idx.slice(nVal).sort((a, b) => a - b),
    idx.slice(0, nVal).sort((a, b) => a - b),
  ];
}

/**
 * The batch order of one epoch: a seeded shuffle; with labels, classes are
 * interleaved round-robin so every batch holds every class it can.
 */
function epochOrder(
  indices: number[],
  epoch: number,
  seed: number,
  labels?: Int32Array,
): number[] {
  const rng = mulberry32((seed * 7919 + epoch * 104729 + 1) >>> 0);
  if (!labels) return shuffleInPlace(indices.slice(), rng);
  const byClass = new Map<number, number[]>();
  for (const i of indices) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const lists = [...byClass.keys()].sort((a, b) => a - b).map((c) =>
    shuffleInPlace(byClass.get(c)!, rng)
  );
  const out: number[] = [];
  for (let k = 0; out.length < indices.length; k++) {
    for (const l of lists) if (k < l.length) out.push(l[k]);
  }
  return out;
}

/** Copies the images of `idx` into `buf` and returns an NHWC tensor. */
function batchTensor(ds: Dataset, idx: number[], buf: Float32Array): Tensor4D {
  const [, h, w, c] = ds.shape;
  const f = h * w * c;
  for (let j = 0; j < idx.length; j++) {
    buf.set(ds.images.subarray(idx[j] * f, (idx[j] + 1) * f), j * f);
  }
  return tf.tensor4d(buf.subarray(0, idx.length * f), [idx.length, h, w, c]);
}

/** Learning rate at `epoch` given halving milestones. */
function lrAt(opts: ResolvedTrainOptions, epoch: number): number {
  return opts.learningRate *
    0.5 ** opts.lrMilestones.filter((m) => epoch >= m).length;
}

function setLr(opt: tf.AdamOptimizer, lr: number): void {
  (opt as unknown as { learningRate: number }).learningRate = lr;
}

/** Running sums of an epoch in progress. */
interface Partial {
  epoch: number;
  /** Next batch index. */
  step: number;
  /** Batches that counted (two rows or more). */
  steps: number;
  seen: number;
  seconds: number;
  loss: number;
  rec: number;
  kl: number;
  parts: Record<string, number>;
}

interface CheckpointState {
  format: "hsvae-checkpoint";
  formatVersion: 1;
  /** Full epochs done. */
  epochsDone: number;
  /** The epoch in progress when interrupted mid-epoch. */
  partial: Partial | null;
  beta: number;
  epoch0: { rec: number; kl: number };
  options: ResolvedTrainOptions;
  modelConfig: ModelConfig;
  history: EpochLog[];
  optimizers: ({ name: string } & SavedOptimizer)[];
}

/** Adam's running powers of beta1 / beta2 (protected in tfjs). */
type AdamInternals = { accBeta1: tf.Variable; accBeta2: tf.Variable };

/** What a checkpoint keeps of one optimiser besides its weight file. */
interface SavedOptimizer {
  specs: tf.io.WeightsManifestEntry[];
  accBeta: [number, number];
}

/**
 * Saves Adam's moments and iteration count, plus its running powers of the
 * betas: tfjs's `setWeights` recomputes those as `pow(beta, t + 1)`, which
 * differs from the running product in the last bits, so a resume would not be
 * exact without them.
 */
async function saveOptimizer(
  opt: tf.AdamOptimizer,
  path: string,
): Promise<SavedOptimizer> {
  const named = await opt.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  await writeFileAtomic(path, new Uint8Array(data as ArrayBuffer));
  const internals = opt as unknown as AdamInternals;
  const accBeta: [number, number] = [
    (await internals.accBeta1.data())[0],
    (await internals.accBeta2.data())[0],
  ];
  return { specs, accBeta };
}

async function loadOptimizer(
  opt: tf.AdamOptimizer,
  path: string,
  saved: SavedOptimizer,
): Promise<void> {
  const bytes = await Deno.readFile(path);
  const map = tf.io.decodeWeights(bytes.slice().buffer, saved.specs);
  await opt.setWeights(
    saved.specs.map((s) => ({ name: s.name, tensor: map[s.name] })),
  );
  const internals = opt as unknown as AdamInternals;
  tf.tidy(() => {
    internals.accBeta1.assign(tf.scalar(saved.accBeta[0]));
    internals.accBeta2.assign(tf.scalar(saved.accBeta[1]));
  });
}

async function writeCheckpoint(
  dir: string,
  net: Net,
  opts: { enc: tf.AdamOptimizer; dec?: tf.AdamOptimizer },
  state: Omit<CheckpointState, "optimizers">,
): Promise<void> {
  const root = `${dir}/checkpoints`;
  const step = state.partial
    ? `-step${String(state.partial.step).padStart(5, "0")}`
    : "";
  // a fresh name every time, so a write never touches the checkpoint in use
  const name = `epoch-${String(state.epochsDone).padStart(4, "0")}${step}-${
    Date.now().toString(36)
  }`;
  const tmp = `${root}/${name}.tmp`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  await saveLayersModel(net.encoder, `${tmp}/encoder`);
  await saveLayersModel(net.decoder, `${tmp}/decoder`);
  const optimizers = [{
    name: "enc",
    ...(await saveOptimizer(opts.enc, `${tmp}/opt-enc.bin`)),
  }];
  if (opts.dec) {
    optimizers.push({
      name: "dec",
      ...(await saveOptimizer(opts.dec, `${tmp}/opt-dec.bin`)),
    });
  }
  const full: CheckpointState = { ...state, optimizers };
  await writeFileAtomic(`${tmp}/state.json`, JSON.stringify(full));
  await Deno.rename(tmp, `${root}/${name}`);
  // the pointer flips atomically; older checkpoints go only after it does
  await writeFileAtomic(
    `${root}/latest.json`,
    JSON.stringify({ checkpoint: name }),
  );
  for await (const e of Deno.readDir(root)) {
    if (
      e.isDirectory && e.name.startsWith("epoch-") && e.name !== name &&
      !e.name.endsWith(".tmp")
    ) {
      await Deno.remove(`${root}/${e.name}`, { recursive: true }).catch(
        () => {},
      );
    }
  }
}

async function readCheckpoint(
  dir: string,
): Promise<{ path: string; state: CheckpointState } | null> {
  const root = `${dir}/checkpoints`;
  let pointer: { checkpoint?: string };
  try {
    pointer = JSON.parse(await Deno.readTextFile(`${root}/latest.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new DataFormatError(
      `Cannot resume: "${root}/latest.json" is not valid JSON (${
        (e as Error).message
      })`,
      { file: `${root}/latest.json` },
    );
  }
  const path = `${root}/${pointer.checkpoint}`;
  const file = `${path}/state.json`;
  let state: CheckpointState;
  try {
    state = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new DataFormatError(
      `Cannot resume: checkpoint "${file}" is unreadable (${
        (e as Error).message
      }); delete "${root}" to start over`,
      { file },
    );
  }
  if (state.format !== "hsvae-checkpoint" || state.formatVersion !== 1) {
    throw new DataFormatError(
      `Cannot resume: "${file}" is format "${state.format}" v${state.formatVersion}, this toolkit reads hsvae-checkpoint v1; start a new run`,
      { file },
    );
  }
  return { path, state };
}

/** Fields that must match for a resume to continue the same run. */
const RESUME_KEYS: (keyof ResolvedTrainOptions)[] = [
  "preset",
  "variant",
  "radiusOnly",
  "latentDim",
  "batchSize",
  "learningRate",
  "seed",
  "validationSplit",
  "semiSupervised",
  "reconstruction",
];

async function meanOver(values: tf.Scalar[]): Promise<number> {
  if (values.length === 0) return NaN;
  const s = tf.addN(values);
  const v = (await s.data())[0];
  s.dispose();
  return v / values.length;
}

/** Encodes `ds` in batches to mus `[N, n]` (inference mode). */
async function encodeMu(
  net: Net,
  ds: Dataset,
  n: number,
  batch = 256,
): Promise<Float32Array> {
  const [count, h, w, c] = ds.shape;
  const f = h * w * c;
  const out = new Float32Array(count * n);
  for (let s = 0; s < count; s += batch) {
    const e = Math.min(count, s + batch);
    const mu = tf.tidy(() => {
      const x = tf.tensor4d(ds.images.subarray(s * f, e * f), [e - s, h, w, c]);
      const o = net.encoder.apply(x, { training: false }) as Tensor2D;
      return tf.slice(o, [0, 0], [-1, n]);
    });
    out.set(await mu.data(), s * n);
    mu.dispose();
  }
  return out;
}

/**
 * Trains a VAE of the chosen variant and preset on an image dataset.
 *
 * `paper`: one Adam on `rec + beta(t) * KL`, `beta(t) = beta_max
 * sqrt((t+1)/T)` (or with a warm-up). `authors`: two Adams per step, (1) the
 * encoder on `0.001 (rec + beta KL a(t))`, (2) the decoder on
 * `0.001 rec(decode(stopGradient(z)))` (both gradients from one backward
 * pass: the KL does not depend on the decoder, so the values equal the
 * released code's second decoder pass); beta = 1 during epoch 0, then
 * `2500 rec0 / (KL0 + 1e-3)`; the learning rate halves at the milestones.
 * z is `mu + sigma * eps`, normalised to radius sqrt(n) for `compressed` /
 * `vmf`; `ae` uses z = mu.
 *
 * With `outDir`, each epoch appends a JSON line to `train.jsonl` and writes a
 * checkpoint atomically (weights, optimiser moments, beta, history); `resume`
 * continues from it with results identical to an uninterrupted run on the
 * same backend.
 *
 * @param dataset Images in [0, 1], NHWC (labels needed with `semiSupervised`).
 * @param options See {@linkcode TrainOptions}.
 * @returns The model, the per-epoch history and whether it was interrupted.
 * @throws {RangeError} For bad options (e.g. n too small for the classes).
 * @throws {ShapeError} For an empty dataset or one without labels when they are needed.
 *
 * @example Two epochs on 64 tiny random images
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainVAE } from "./train.ts";
 *
 * const images = new Float32Array(64 * 28 * 28).map((_, i) => (i * 7919 % 255) / 255);
 * const { model, history } = await trainVAE(
 *   { images, shape: [64, 28, 28, 1] },
 *   { epochs: 2, batchSize: 32, latentDim: 16, widths: [4, 8], preset: "paper", progress: "none" },
 * );
 * assert.equal(history.length, 2);
 * assert.ok(Number.isFinite(history[1].loss));
 * model.dispose();
 * ```
 */
export async function trainVAE(
  dataset: Dataset,
  options: TrainOptions = {},
): Promise<TrainResult> {
  assertDataset(dataset, "dataset");
  await ensureBackend();
  const opts = resolveTrainOptions(options);
  const [count, h, w, c] = dataset.shape;
  if (count < 2) {
    throw new ShapeError(
      `Cannot train: the dataset has ${count} image(s), need at least 2`,
      "N >= 2",
      String(count),
    );
  }
  if (opts.semiSupervised && !dataset.labels) {
    throw new ShapeError(
      "Cannot train semi-supervised: the dataset has no labels; drop semiSupervised or load labels",
      "labels",
      "none",
    );
  }
  const progressMode = options.progress ?? "auto";
  const authors = opts.preset === "authors";

  let resumed: { path: string; state: CheckpointState } | null = null;
  if (options.resume) {
    if (!options.outDir) {
      throw new RangeError('Cannot resume: "resume" needs "outDir"');
    }
    resumed = await readCheckpoint(options.outDir);
    if (resumed) {
      for (const k of RESUME_KEYS) {
        if (
          JSON.stringify(resumed.state.options[k]) !== JSON.stringify(opts[k])
        ) {
          throw new RangeError(
            `Cannot resume: option "${k}" was ${
              JSON.stringify(resumed.state.options[k])
            } in the checkpoint, now ${
              JSON.stringify(opts[k])
            }; use the same options or a new outDir`,
          );
        }
      }
    }
  }

  const modelConfig = resumed?.state.modelConfig ?? resolveModelConfig({
    inputShape: [h, w, c],
    latentDim: opts.latentDim,
    widths: options.widths,
    seed: opts.seed,
  });
  const net: Net = resumed
    ? {
      encoder: await loadLayersModel(`${resumed.path}/encoder`),
      decoder: await loadLayersModel(`${resumed.path}/decoder`),
      modelConfig,
    }
    : (() => {
      const m = VaeModel.create(modelConfig);
      return { encoder: m.encoder, decoder: m.decoder, modelConfig };
    })();

  const encOpt = tf.train.adam(opts.learningRate);
  const decOpt = authors ? tf.train.adam(opts.learningRate) : undefined;
  let history: EpochLog[] = [];
  let startEpoch = 0;
  let beta = authors ? (opts.beta ?? 1) : 0;
  let epoch0 = { rec: NaN, kl: NaN };
  let resumePartial: Partial | null = null;
  if (resumed) {
    const st = resumed.state;
    history = st.history;
    startEpoch = st.epochsDone;
    beta = st.beta;
    epoch0 = st.epoch0;
    resumePartial = st.partial;
    for (const o of st.optimizers) {
      await loadOptimizer(
        o.name === "enc" ? encOpt : decOpt!,
        `${resumed.path}/opt-${o.name}.bin`,
        o,
      );
    }
  }

  const [trainIdx, valIdx] = splitIndices(
    count,
    opts.validationSplit,
    opts.seed,
  );
  const f = h * w * c;
  const buf = new Float32Array(opts.batchSize * f);
  const labelBuf = new Int32Array(opts.batchSize);
  const stepsPerEpoch = Math.ceil(trainIdx.length / opts.batchSize);

  let stop = false;
  const onAbort = () => (stop = true);
  options.signal?.addEventListener("abort", onAbort);
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints > 1) Deno.exit(130);
    stop = true;
    console.error(
      "\ninterrupt: finishing this batch and writing a checkpoint (Ctrl-C again to quit now)",
    );
  };
  const sigint = (options.handleSigint ?? true) && Deno.build.os !== "windows";
  if (sigint) Deno.addSignalListener("SIGINT", onSigint);

  let interrupted = false;
  try {
    if (options.outDir) await Deno.mkdir(options.outDir, { recursive: true });
    for (let epoch = startEpoch; epoch < opts.epochs; epoch++) {
      if (stop || options.signal?.aborted) {
        interrupted = true;
        break;
      }
      const lr = lrAt(opts, epoch);
      setLr(encOpt, lr);
      if (decOpt) setLr(decOpt, lr);
      let annealing = 1;
      if (authors) {
        annealing = authorsAnnealing(epoch);
        if (epoch > 0 && opts.beta === null) {
          beta = authorsBeta(epoch0.rec, epoch0.kl);
        }
      } else {
        beta = betaSchedule(epoch, {
          betaMax: opts.beta ?? 1,
          epochs: opts.epochs,
          warmup: opts.warmup ?? undefined,
        });
      }
      const order = epochOrder(
        trainIdx,
        epoch,
        opts.seed,
        opts.semiSupervised ? dataset.labels : undefined,
      );
      const progress = new Progress(
        `epoch ${epoch + 1}/${opts.epochs}`,
        stepsPerEpoch,
        { mode: progressMode },
      );
      // running sums (restored when resuming mid-epoch)
      const acc: Partial = resumePartial && resumePartial.epoch === epoch
        ? resumePartial
        : {
          epoch,
          step: 0,
          steps: 0,
          seen: 0,
          seconds: 0,
          loss: 0,
          rec: 0,
          kl: 0,
          parts: {},
        };
      resumePartial = null;
      if (acc.step > 0) progress.tick(acc.step);
      const t0 = performance.now() - acc.seconds * 1000;
      for (let s = acc.step; s < stepsPerEpoch; s++) {
        const idx = order.slice(s * opts.batchSize, (s + 1) * opts.batchSize);
        acc.step = s + 1;
        if (idx.length < 2) continue; // batch statistics need two rows
        if (opts.semiSupervised) {
          idx.forEach((i, j) => (labelBuf[j] = dataset.labels![i]));
        }
        const labels = opts.semiSupervised
          ? labelBuf.slice(0, idx.length)
          : undefined;
        const x = batchTensor(dataset, idx, buf);
        const ctx = {
          epoch,
          beta,
          annealing,
          noiseSeed: opts.seed * 1_000_003 + epoch * 10_007 + s,
          labels,
        };
        const { names: partNames, stats } = trainStep(
          net,
          x,
          opts,
          ctx,
          encOpt,
          decOpt,
        );
        x.dispose();
        const v = await stats!.data();
        stats!.dispose();
        acc.loss += v[0];
        acc.rec += v[1];
        acc.kl += v[2];
        partNames.forEach((
          k,
          i,
        ) => (acc.parts[k] = (acc.parts[k] ?? 0) + v[3 + i]));
        acc.seen += idx.length;
        acc.steps++;
        progress.tick(1, `loss ${v[0].toPrecision(5)}`);
        options.onStep?.(epoch, s);
        if (stop || options.signal?.aborted) break;
      }
      acc.seconds = (performance.now() - t0) / 1000;
      if (acc.step < stepsPerEpoch) {
        // interrupted mid-epoch: checkpoint the partial epoch so resume loses nothing
        interrupted = true;
        progress.finish(`interrupted after batch ${acc.step}/${stepsPerEpoch}`);
        if (options.outDir) {
          await writeCheckpoint(options.outDir, net, {
            enc: encOpt,
            dec: decOpt,
          }, {
            format: "hsvae-checkpoint",
            formatVersion: 1,
            epochsDone: epoch,
            partial: acc,
            beta,
            epoch0,
            options: opts,
            modelConfig,
            history,
          });
        }
        break;
      }
      const steps = Math.max(1, acc.steps);
      const log: EpochLog = {
        epoch,
        loss: acc.loss / steps,
        rec: acc.rec / steps,
        kl: acc.kl / steps,
        parts: Object.fromEntries(
          Object.entries(acc.parts).map(([k, v]) => [k, v / steps]),
        ),
        beta,
        annealing,
        learningRate: lr,
        imagesPerSecond: acc.seen / acc.seconds,
        seconds: acc.seconds,
      };
      if (authors && epoch === 0 && startEpoch === 0) {
        epoch0 = { rec: log.rec, kl: log.kl };
      }
      if (valIdx.length > 0) {
        const v = await validate(net, dataset, valIdx, opts, epoch, buf);
        log.valRec = v.rec;
        log.valKl = v.kl;
      }
      history.push(log);
      progress.finish(
        `loss ${log.loss.toPrecision(5)} rec ${log.rec.toPrecision(5)} kl ${
          log.kl.toPrecision(5)
        } beta ${log.beta.toPrecision(4)} ${
          log.imagesPerSecond.toFixed(1)
        } img/s`,
      );
      options.onEpoch?.(log);
      if (options.outDir) {
        await Deno.writeTextFile(
          `${options.outDir}/train.jsonl`,
          JSON.stringify(log) + "\n",
          { append: true },
        );
        await writeCheckpoint(
          options.outDir,
          net,
          { enc: encOpt, dec: decOpt },
          {
            format: "hsvae-checkpoint",
            formatVersion: 1,
            epochsDone: epoch + 1,
            partial: null,
            beta,
            epoch0,
            options: opts,
            modelConfig,
            history,
          },
        );
      }
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    if (sigint) Deno.removeSignalListener("SIGINT", onSigint);
    encOpt.dispose();
    decOpt?.dispose();
  }

  const model = new VaeModel(
    net.encoder,
    net.decoder,
    modelConfig,
    {
      ...opts,
      beta,
      epochsDone: history.length,
      toolkit: "trainVAE",
      // inputs are expected in [0, 1] (NHWC); record what this model saw
      normalisation: {
        expected: "pixel values in [0, 1]",
        observed: pixelRange(dataset.images),
      },
    } as unknown as JsonObject,
  );
  if (options.fitBank ?? true) {
    const bank = await encodeMu(
      net,
      trainIdx.length === count ? dataset : subset(dataset, trainIdx),
      opts.latentDim,
    );
    model.bank = { data: bank, shape: [trainIdx.length, opts.latentDim] };
  }
  return { model, history, interrupted };
}

/** Smallest and largest pixel value. */
function pixelRange(images: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < images.length; i++) {
    const v = images[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

async function validate(
  net: Net,
  ds: Dataset,
  idx: number[],
  opts: ResolvedTrainOptions,
  epoch: number,
  buf: Float32Array,
): Promise<{ rec: number; kl: number }> {
  const recs: tf.Scalar[] = [];
  const kls: tf.Scalar[] = [];
  for (let s = 0; s < idx.length; s += opts.batchSize) {
    const part = idx.slice(s, s + opts.batchSize);
    if (part.length < 2) continue;
    const x = batchTensor(ds, part, buf);
    const [rec, kl] = tf.tidy(() => {
      const out = net.encoder.apply(x, { training: false }) as Tensor2D;
      const { mu, sigma } = splitHead(out, opts.latentDim);
      const z = variantNormalisesZ(opts.variant) ? normaliseToSphere(mu) : mu;
      const xHat = net.decoder.apply(z, { training: false }) as tf.Tensor;
      const labels = opts.semiSupervised
        ? Int32Array.from(part, (i) => ds.labels![i])
        : undefined;
      const { total } = compressedLoss(mu, sigma, {
        ...lossOptions(opts, epoch, labels),
        allowMissingClasses: true,
      });
      return [reconstructionError(x, xHat, opts.reconstruction), total];
    });
    x.dispose();
    recs.push(rec as tf.Scalar);
    kls.push(kl as tf.Scalar);
  }
  const out = { rec: await meanOver(recs), kl: await meanOver(kls) };
  tf.dispose([...recs, ...kls]);
  return out;
}
