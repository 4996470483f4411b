/**
 * Options of the generic training loop and their defaults, applied in one
 * place.
 *
 * @module
 */
import type { ProgressMode } from "../progress.ts";
import { nonNegativeInt, positiveInt } from "./option_checks.ts";

/** Options of `trainLoop` (`loop.ts`). */
export interface LoopOptions<Log> {
  /**
   * Names the model in checkpoints; resuming a checkpoint of another kind is
   * refused.
   */
  kind: string;
  /** Number of examples: batches are index lists into `0..size-1`. */
  size: number;
  /**
   * Epochs to train (total, including those done before a resume).
   * @default {10}
   */
  epochs?: number;
  /**
   * Mini-batch size.
   * @default {32}
   */
  batchSize?: number;
  /**
   * Adam's base learning rate.
   * @default {1e-3}
   */
  learningRate?: number;
  /**
   * Epochs at which the learning rate halves.
   * @default {[]}
   */
  lrMilestones?: number[];
  /**
   * Seed of the validation split and of the batch order.
   * @default {0}
   */
  seed?: number;
  /**
   * Fraction of the examples held out for per-epoch validation losses.
   * @default {0}
   */
  validationSplit?: number;
  /**
   * Batches with fewer rows are skipped (e.g. 2 when the loss needs batch
   * statistics); they still count as steps of the epoch.
   * @default {1}
   */
  minBatchSize?: number;
  /**
   * Class of every example: each epoch interleaves the classes round-robin
   * so every batch holds every class it can.
   * @default {undefined (a plain shuffle)}
   */
  stratify?: Int32Array;
  /**
   * Directory for `train.jsonl` and per-epoch checkpoints; none when unset.
   * @default {undefined}
   */
  outDir?: string;
  /**
   * Continue from the last checkpoint in `outDir` (a fresh start when there
   * is none). The resumed run ends exactly as an uninterrupted one would,
   * so everything that shapes it must be unchanged: every loop setting but
   * `epochs` (which may be raised to train longer) and the `fingerprint`;
   * a resume whose inputs differ is refused, naming what changed. Progress,
   * callbacks, `signal` and `handleSigint` may change.
   * @default {false}
   */
  resume?: boolean;
  /**
   * The run's inputs besides the loop settings (any JSON value: usually
   * `{ data: DataFingerprint, options: {...} }`, see `fingerprint.ts`),
   * stored in every checkpoint and compared on resume by
   * `compareFingerprints`.
   * @default {null}
   */
  fingerprint?: unknown;
  /**
   * Progress display on stderr.
   * @default {"auto"}
   */
  progress?: ProgressMode;
  /**
   * Called after each epoch with its log record.
   * @default {undefined}
   */
  onEpoch?: (log: Log) => void;
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

/** The loop's settings as stored in a checkpoint. */
export interface LoopSettings {
  /** Number of examples. */
  size: number;
  /** Total epochs. */
  epochs: number;
  /** Mini-batch size. */
  batchSize: number;
  /** Base learning rate. */
  learningRate: number;
  /** Epochs at which the learning rate halves. */
  lrMilestones: number[];
  /** Seed of the split and the batch order. */
  seed: number;
  /** Held-out fraction. */
  validationSplit: number;
  /** Smallest batch that counts. */
  minBatchSize: number;
  /** Whether batches are stratified by class. */
  stratified: boolean;
}

/**
 * Settings that must match for a resume to continue the same run: all but
 * `epochs`.
 */
export const LOOP_RESUME_KEYS: readonly (keyof LoopSettings)[] = [
  "size",
  "batchSize",
  "learningRate",
  "lrMilestones",
  "seed",
  "validationSplit",
  "minBatchSize",
  "stratified",
];

/** {@linkcode LoopOptions} with every default applied. */
export interface ResolvedLoopOptions<Log> extends
  LoopSettings,
  Pick<
    LoopOptions<Log>,
    "outDir" | "stratify" | "onEpoch" | "onStep" | "signal"
  > {
  /** Names the model in checkpoints. */
  kind: string;
  /** Continue from the last checkpoint. */
  resume: boolean;
  /** Progress display. */
  progress: ProgressMode;
  /** Handle Ctrl-C. */
  handleSigint: boolean;
  /** The run's fingerprint (`null` for none). */
  fingerprint: unknown;
}

/**
 * Applies the defaults of {@linkcode LoopOptions} and validates them.
 *
 * @param options Loop options.
 * @returns The resolved options.
 * @throws {RangeError} For out-of-range options, or `resume` without
 *   `outDir`.
 *
 * @example Defaults
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveLoopOptions } from "./loop_options.ts";
 *
 * const o = resolveLoopOptions({ kind: "demo", size: 100 });
 * assert.equal(o.batchSize, 32);
 * assert.equal(o.epochs, 10);
 * assert.throws(() => resolveLoopOptions({ kind: "demo", size: 100, resume: true }), /needs "outDir"/);
 * ```
 */
export function resolveLoopOptions<Log>(
  options: LoopOptions<Log>,
): ResolvedLoopOptions<Log> {
  const learningRate = options.learningRate ?? 1e-3;
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
  if (options.resume && !options.outDir) {
    throw new RangeError('Cannot resume: "resume" needs "outDir"');
  }
  return {
    kind: options.kind,
    size: positiveInt("size", options.size),
    epochs: positiveInt("epochs", options.epochs ?? 10),
    batchSize: positiveInt("batchSize", options.batchSize ?? 32),
    learningRate,
    lrMilestones: [...(options.lrMilestones ?? [])],
    seed: nonNegativeInt("seed", options.seed ?? 0),
    validationSplit,
    minBatchSize: positiveInt("minBatchSize", options.minBatchSize ?? 1),
    stratified: options.stratify !== undefined,
    stratify: options.stratify,
    outDir: options.outDir,
    resume: options.resume ?? false,
    progress: options.progress ?? "auto",
    onEpoch: options.onEpoch,
    onStep: options.onStep,
    signal: options.signal,
    handleSigint: options.handleSigint ?? true,
    fingerprint: options.fingerprint ?? null,
  };
}

/**
 * The part of resolved options a checkpoint stores.
 *
 * @param o Resolved loop options.
 * @returns The settings (plain JSON).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loopSettings, resolveLoopOptions } from "./loop_options.ts";
 *
 * const s = loopSettings(resolveLoopOptions({ kind: "demo", size: 10, seed: 4 }));
 * assert.equal(s.seed, 4);
 * assert.equal("onEpoch" in s, false);
 * ```
 */
export function loopSettings<Log>(o: ResolvedLoopOptions<Log>): LoopSettings {
  return {
    size: o.size,
    epochs: o.epochs,
    batchSize: o.batchSize,
    learningRate: o.learningRate,
    lrMilestones: o.lrMilestones,
    seed: o.seed,
    validationSplit: o.validationSplit,
    minBatchSize: o.minBatchSize,
    stratified: o.stratified,
  };
}
