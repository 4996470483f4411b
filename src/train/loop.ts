/**
 * The generic training loop: any model that implements {@linkcode TrainStep}
 * gets epochs over a seeded batch order, a seeded validation split, a
 * halving learning-rate schedule, Adam (one per variable group), a
 * per-epoch JSON-lines log, progress, atomic checkpoints after every epoch
 * and on interruption, an exact resume (bit-identical to an uninterrupted
 * run on the same backend, Adam's beta powers included, refused when the
 * run's inputs changed), a divergence guard (a NaN or infinite loss or
 * weight stops the run with a {@linkcode DivergenceError} and is never
 * checkpointed), and graceful stops from an `AbortSignal` or Ctrl-C.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { Progress } from "../progress.ts";
import { holdsOutputFolder, openOutputFolder } from "../output_folder.ts";
import {
  assertSameRun,
  type Checkpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type PartialEpoch,
  readCheckpoint,
  restoreOptimizers,
  writeCheckpoint,
} from "./checkpoint.ts";
import { DivergenceError } from "./divergence_error.ts";
import { epochOrder } from "./epoch_order.ts";
import { compareFingerprints } from "./fingerprint.ts";
import { type InterruptWatch, watchInterrupt } from "./interrupt.ts";
import { learningRateAt, setLearningRate } from "./learning_rate.ts";
import {
  LOOP_RESUME_KEYS,
  type LoopOptions,
  loopSettings,
  type ResolvedLoopOptions,
  resolveLoopOptions,
} from "./loop_options.ts";
import {
  createOptimizers,
  type OptimizerGroup,
  optimizeStep,
} from "./optimize_step.ts";
import { splitIndices } from "./split_indices.ts";
import { appendTrainLog, writeTrainLog } from "./train_log.ts";
import type { EpochSummary, StepContext, TrainStep } from "./train_step.ts";
import { validationLosses } from "./validation.ts";

/** What {@linkcode trainLoop} returns. */
export interface LoopResult<Log> {
  /** One record per finished epoch, including those restored by a resume. */
  history: Log[];
  /** Training stopped early (signal or Ctrl-C); a checkpoint was written. */
  interrupted: boolean;
  /** The training indices (sorted). */
  trainIndices: number[];
  /** The held-out indices (sorted; empty without a split). */
  validationIndices: number[];
}

/**
 * Builds the model's step, from the checkpoint when resuming (its
 * `state.model` is what the step's `state()` returned, its `path` holds
 * what `save()` wrote), else fresh.
 */
export type StepFactory<B extends tf.TensorContainer, Log> = (
  checkpoint: Checkpoint<Log> | null,
) => TrainStep<B, Log> | Promise<TrainStep<B, Log>>;

/** The state of a run in progress. */
interface Run<B extends tf.TensorContainer, Log> {
  o: ResolvedLoopOptions<Log>;
  step: TrainStep<B, Log>;
  groups: OptimizerGroup[];
  history: Log[];
  /** The interrupted epoch to continue, until it is. */
  resumePartial: PartialEpoch | null;
  trainIdx: number[];
  valIdx: number[];
  stepsPerEpoch: number;
  watch: InterruptWatch;
  /** The newest checkpoint on disk (the last good state), if any. */
  lastCheckpoint: string | null;
}

/**
 * Trains the model `createStep` builds.
 *
 * Per epoch: the learning rate `learningRate * 0.5^k` (k milestones passed)
 * is set on every optimiser, `step.beginEpoch` runs, the training indices
 * are visited in a seeded order (`epochOrder`) in batches of `batchSize`
 * (smaller than `minBatchSize`: skipped), each batch one forward and one
 * backward pass (`optimizeStep`); then the validation losses, the step's
 * log record, `onEpoch`, a line of `train.jsonl` and a checkpoint. A stop
 * request ends the run after the current batch with a checkpoint of the
 * partial epoch; `resume` continues it exactly (`train.jsonl` is rewritten
 * from the checkpoint's history, so a crash between the log line and the
 * checkpoint leaves no duplicate line).
 *
 * Divergence: every batch's losses, every epoch's validation losses and,
 * before every checkpoint and at the end of every epoch, the weights are
 * checked; the first NaN or infinite value stops the run with a
 * {@linkcode DivergenceError}. The diverged step was already applied to
 * the in-memory weights, so the last good state is the newest checkpoint
 * (named in the error); no checkpoint, log line or `onEpoch` call is ever
 * made from a diverged state.
 *
 * @param options See {@linkcode LoopOptions}.
 * @param createStep Builds the step, fresh or from a checkpoint.
 * @returns The history, whether it was interrupted, and the split.
 * @throws {RangeError} For bad options, or a resume whose settings or
 *   fingerprint differ (naming what changed).
 * @throws {DivergenceError} When a loss or a weight becomes NaN or infinite.
 * @throws {DataFormatError} For an unreadable checkpoint or one of another
 *   format, version or kind.
 *
 * @example Linear regression y = 3x through the loop
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import type { Tensor1D } from "@hsvae/hsvae/tf";
 * import { trainLoop } from "./loop.ts";
 * import type { EpochSummary } from "./train_step.ts";
 * await selectBackend("wasm");
 *
 * const xs = Float32Array.from({ length: 64 }, (_, i) => i / 64);
 * const w = tf.variable(tf.scalar(0));
 * const { history } = await trainLoop<{ x: Tensor1D }, EpochSummary>(
 *   { kind: "demo", size: 64, epochs: 20, batchSize: 16, learningRate: 0.1, progress: "none" },
 *   () => ({
 *     variableGroups: [{ name: "w", variables: [w] }],
 *     batch: (idx) => ({ x: tf.tensor1d(idx.map((i) => xs[i])) }),
 *     losses: ({ x }) => {
 *       const mse = tf.mean(tf.square(tf.sub(tf.mul(w, x), tf.mul(x, 3)))) as tf.Scalar;
 *       return { objective: mse, losses: { mse } };
 *     },
 *     epochLog: (s) => s,
 *     state: () => ({}),
 *     save: async () => {},
 *   }),
 * );
 * assert.ok(history[19].losses.mse < history[0].losses.mse);
 * w.dispose();
 * ```
 */
export async function trainLoop<B extends tf.TensorContainer, Log>(
  options: LoopOptions<Log>,
  createStep: StepFactory<B, Log>,
): Promise<LoopResult<Log>> {
  const o = resolveLoopOptions(options);
  // one run per folder: lock it, unless the caller (`hsvae train`) holds it
  await using _folder = o.outDir && !(await holdsOutputFolder(o.outDir))
    ? await openOutputFolder(o.outDir, { kind: "train", mode: "resume" })
    : null;
  const checkpoint = o.resume
    ? await readCheckpoint<Log>(o.outDir!, o.kind)
    : null;
  if (checkpoint) {
    // the data first: other data explains a changed size best
    const changed = compareFingerprints(
      checkpoint.state.fingerprint,
      o.fingerprint,
    );
    if (changed) throw new RangeError(changed);
    assertSameRun(checkpoint.state.loop, loopSettings(o), LOOP_RESUME_KEYS);
  }
  const step = await createStep(checkpoint);
  const groups = createOptimizers(step, o.learningRate);
  try {
    if (checkpoint) await restoreOptimizers(checkpoint, groups);
    const [trainIdx, valIdx] = splitIndices(o.size, o.validationSplit, o.seed);
    using watch = watchInterrupt(o.signal, o.handleSigint);
    const run: Run<B, Log> = {
      o,
      step,
      groups,
      history: checkpoint?.state.history ?? [],
      resumePartial: checkpoint?.state.partial ?? null,
      trainIdx,
      valIdx,
      stepsPerEpoch: Math.ceil(trainIdx.length / o.batchSize),
      watch,
      lastCheckpoint: checkpoint?.path ?? null,
    };
    if (o.outDir) {
      await Deno.mkdir(o.outDir, { recursive: true });
      // the log holds exactly the epochs the checkpoint holds
      await writeTrainLog(o.outDir, run.history);
    }
    const interrupted = await runEpochs(
      run,
      checkpoint?.state.epochsDone ?? 0,
    );
    return {
      history: run.history,
      interrupted,
      trainIndices: trainIdx,
      validationIndices: valIdx,
    };
  } finally {
    for (const g of groups) g.optimizer.dispose();
  }
}

/** Runs epochs `start..epochs-1`; returns whether it was interrupted. */
async function runEpochs<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  start: number,
): Promise<boolean> {
  for (let epoch = start; epoch < run.o.epochs; epoch++) {
    if (run.watch.stopped) return true;
    const lr = learningRateAt(run.o.learningRate, run.o.lrMilestones, epoch);
    for (const g of run.groups) setLearningRate(g.optimizer, lr);
    run.step.beginEpoch?.(epoch);
    const progress = new Progress(
      `epoch ${epoch + 1}/${run.o.epochs}`,
      run.stepsPerEpoch,
      { mode: run.o.progress },
    );
    try {
      const acc = await trainEpoch(run, epoch, progress);
      if (acc.step < run.stepsPerEpoch) {
        // interrupted mid-epoch: checkpoint the partial epoch so resume loses nothing
        progress.finish(
          `interrupted after batch ${acc.step}/${run.stepsPerEpoch}`,
        );
        if (run.o.outDir) await saveCheckpoint(run, epoch, acc);
        return true;
      }
      await finishEpoch(run, acc, lr, progress);
    } catch (e) {
      if (e instanceof DivergenceError) progress.finish("diverged");
      throw e;
    }
  }
  return false;
}

/** The training batches of one epoch, from where a resume left off. */
async function trainEpoch<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  epoch: number,
  progress: Progress,
): Promise<PartialEpoch> {
  const { o } = run;
  const order = epochOrder(run.trainIdx, epoch, o.seed, o.stratify);
  const acc: PartialEpoch = run.resumePartial?.epoch === epoch
    ? run.resumePartial
    : { epoch, step: 0, steps: 0, seen: 0, seconds: 0, sums: {} };
  run.resumePartial = null;
  if (acc.step > 0) progress.tick(acc.step);
  const t0 = performance.now() - acc.seconds * 1000;
  for (let s = acc.step; s < run.stepsPerEpoch; s++) {
    const idx = order.slice(s * o.batchSize, (s + 1) * o.batchSize);
    acc.step = s + 1;
    if (idx.length < o.minBatchSize) continue;
    const ctx = { epoch, step: s, training: true };
    progress.tick(1, await trainBatch(run, acc, idx, ctx));
    o.onStep?.(epoch, s);
    if (run.watch.stopped) break;
  }
  acc.seconds = (performance.now() - t0) / 1000;
  return acc;
}

/**
 * One optimisation step on the examples `idx`, added to the epoch's sums;
 * returns the progress note (the first loss).
 * @throws {DivergenceError} When a loss of the batch is NaN or infinite.
 */
async function trainBatch<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  acc: PartialEpoch,
  idx: number[],
  ctx: StepContext,
): Promise<string> {
  const batch = run.step.batch(idx, ctx);
  const { names, stats } = optimizeStep(run.step, batch, ctx, run.groups);
  tf.dispose(batch);
  const v = await stats.data();
  stats.dispose();
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) {
    throw diverged(run, { ...ctx, loss: names[bad], value: v[bad] }, {
      what: `loss "${names[bad]}" became ${v[bad]}`,
    });
  }
  names.forEach((k, i) => (acc.sums[k] = (acc.sums[k] ?? 0) + v[i]));
  acc.seen += idx.length;
  acc.steps++;
  return names.length > 0 ? `${names[0]} ${v[0].toPrecision(5)}` : "";
}

/**
 * Summarises a finished epoch, logs it and checkpoints.
 * @throws {DivergenceError} When a validation loss or a weight is NaN or
 *   infinite (before anything is logged).
 */
async function finishEpoch<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  acc: PartialEpoch,
  lr: number,
  progress: Progress,
): Promise<void> {
  const { o, step } = run;
  const steps = Math.max(1, acc.steps);
  const summary: EpochSummary = {
    epoch: acc.epoch,
    losses: Object.fromEntries(
      Object.entries(acc.sums).map(([k, v]) => [k, v / steps]),
    ),
    learningRate: lr,
    seen: acc.seen,
    seconds: acc.seconds,
  };
  if (run.valIdx.length > 0 && step.validationLosses) {
    summary.validation = await validationLosses(step, run.valIdx, {
      epoch: acc.epoch,
      batchSize: o.batchSize,
      minBatchSize: o.minBatchSize,
    });
    const last = { epoch: acc.epoch, step: run.stepsPerEpoch - 1 };
    for (const [k, v] of Object.entries(summary.validation)) {
      if (Number.isFinite(v)) continue;
      throw diverged(run, { ...last, loss: `validation.${k}`, value: v }, {
        what: `validation loss "${k}" became ${v}`,
        where: `after epoch ${acc.epoch + 1}/${o.epochs}`,
      });
    }
  }
  await assertFiniteWeights(run, acc.epoch, run.stepsPerEpoch - 1);
  const log = step.epochLog(summary);
  run.history.push(log);
  progress.finish(step.describe?.(log) ?? describeSummary(summary));
  o.onEpoch?.(log);
  if (o.outDir) {
    await appendTrainLog(o.outDir, log);
    await saveCheckpoint(run, acc.epoch + 1, null);
  }
}

/** The default progress summary: every loss and the throughput. */
function describeSummary(s: EpochSummary): string {
  const losses = Object.entries(s.losses).map(([k, v]) =>
    `${k} ${v.toPrecision(5)}`
  );
  return [...losses, `${(s.seen / s.seconds).toFixed(1)} ex/s`].join(" ");
}

/**
 * The error of a diverged run: what became non-finite, where (`epoch e/E,
 * batch b/B` unless `where` says otherwise), and the last good checkpoint.
 */
function diverged<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  at: { epoch: number; step: number; loss: string; value: number },
  text: { what: string; where?: string },
): DivergenceError {
  const where = text.where ??
    `at epoch ${at.epoch + 1}/${run.o.epochs}, batch ${
      at.step + 1
    }/${run.stepsPerEpoch}`;
  const last = run.lastCheckpoint === null
    ? "no good checkpoint was written"
    : `the last good checkpoint is "${run.lastCheckpoint}"`;
  return new DivergenceError(
    `Cannot train: ${text.what} ${where}; ${last}; try a lower learning rate (now ${run.o.learningRate})`,
    { ...at, checkpoint: run.lastCheckpoint },
  );
}

/**
 * Throws a {@linkcode DivergenceError} unless every trainable weight is
 * finite (`sum(w * 0)` is 0, or NaN when a weight is NaN or infinite).
 */
async function assertFiniteWeights<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  epoch: number,
  step: number,
): Promise<void> {
  const vars = run.groups.flatMap((g) => g.variables);
  if (vars.length === 0) return;
  const probe = tf.tidy(() =>
    tf.addN(vars.map((v) => tf.sum(tf.mul(v, 0)))) as tf.Scalar
  );
  const value = (await probe.data())[0];
  probe.dispose();
  if (value === 0) return;
  throw diverged(run, { epoch, step, loss: "weights", value: NaN }, {
    what: "a weight became NaN or infinite",
  });
}

/**
 * Writes a checkpoint of the run after `epochsDone` epochs (+ `partial`),
 * after checking that the weights are finite.
 */
async function saveCheckpoint<B extends tf.TensorContainer, Log>(
  run: Run<B, Log>,
  epochsDone: number,
  partial: PartialEpoch | null,
): Promise<void> {
  const epoch = partial?.epoch ?? epochsDone - 1;
  await assertFiniteWeights(
    run,
    epoch,
    partial ? partial.step - 1 : run.stepsPerEpoch - 1,
  );
  run.lastCheckpoint = await writeCheckpoint<Log>(
    run.o.outDir!,
    {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_VERSION,
      kind: run.o.kind,
      epochsDone,
      partial,
      loop: loopSettings(run.o),
      fingerprint: run.o.fingerprint,
      history: run.history,
      model: run.step.state(),
    },
    run.groups,
    (dir) => run.step.save(dir),
  );
}
