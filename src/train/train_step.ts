/**
 * What a model provides to be trained by `trainLoop` (`loop.ts`): the
 * variables to optimise, a batch builder, a forward pass returning named
 * scalar losses, an optional validation pass, its epoch log record, and its
 * state for checkpoints. The loop owns everything else (epochs, seeded batch
 * order, validation split, learning-rate schedule, Adam, checkpoints and
 * exact resume, interruption, progress, the JSON-lines log).
 *
 * @module
 */
import type { Scalar, tf } from "../tf.ts";

/** Where the loop is when it calls the step. */
export interface StepContext {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch (training or validation). */
  step: number;
  /** `true` for a training batch, `false` for a validation batch. */
  training: boolean;
}

/** Variables that one Adam optimiser updates. */
export interface VariableGroup {
  /**
   * Names the optimiser in checkpoints (`opt-<name>.bin`); letters, digits,
   * `-` and `_`, unique within a step.
   */
  name: string;
  /** The trainable variables of the group. */
  variables: tf.Variable[];
}

/**
 * What a step's forward pass returns (tensors inside the loop's tape); a
 * type, not an interface, so it is a `tf.TensorContainer`.
 */
export type StepLosses = {
  /**
   * The scalar minimised: each group's optimiser applies the gradient of it
   * with respect to its own variables (one backward pass for all groups).
   */
  objective: Scalar;
  /**
   * Named scalar losses logged per batch and averaged per epoch, in a fixed
   * order (the first is the one shown in the progress line).
   */
  losses: Record<string, Scalar>;
};

/** One finished epoch, summarised by the loop for the step's log record. */
export interface EpochSummary {
  /** 0-based epoch. */
  epoch: number;
  /** Mean of each named loss over the batches that counted. */
  losses: Record<string, number>;
  /**
   * Mean of each validation loss over the validation batches; absent
   * without a held-out split or without `validationLosses`. A name whose
   * every batch was skipped (too small) is absent.
   */
  validation?: Record<string, number>;
  /** The learning rate of the epoch. */
  learningRate: number;
  /** Training examples seen (in batches that counted). */
  seen: number;
  /** Wall time of the training batches in seconds (across a resume). */
  seconds: number;
}

/**
 * A model plugged into `trainLoop` (`loop.ts`). The loop calls, per epoch,
 * `beginEpoch`, then for every batch `batch` (it disposes the result) and
 * `losses` under a gradient tape, then `validationLosses` under `tf.tidy`
 * for each validation batch, `epochLog` once, and at checkpoints `state` and
 * `save`. Batches are lists of example indices in `0..size-1`; the step
 * reads its own data.
 *
 * @typeParam B The batch: tensors (and typed arrays) `tf.dispose` can free.
 * @typeParam Log The step's epoch log record (JSON-serialisable).
 *
 * @example A one-weight regression (see `trainLoop` for a full run)
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import type { Tensor1D } from "@hsvae/hsvae/tf";
 * import type { EpochSummary, TrainStep } from "./train_step.ts";
 * await selectBackend("wasm");
 *
 * const w = tf.variable(tf.scalar(0));
 * const step: TrainStep<{ x: Tensor1D }, EpochSummary> = {
 *   variableGroups: [{ name: "w", variables: [w] }],
 *   batch: (idx) => ({ x: tf.tensor1d(idx) }),
 *   losses: ({ x }) => {
 *     const mse = tf.mean(tf.square(tf.sub(tf.mul(w, x), tf.mul(x, 2)))) as tf.Scalar;
 *     return { objective: mse, losses: { mse } };
 *   },
 *   epochLog: (s) => s,
 *   state: () => ({}),
 *   save: async () => {},
 * };
 * const ctx = { epoch: 0, step: 0, training: true };
 * const b = step.batch([1, 2], ctx);
 * const mse = tf.tidy(() => step.losses(b, ctx).losses.mse);
 * assert.equal((await mse.data())[0], 10);
 * tf.dispose([b.x, mse, w]);
 * ```
 */
export interface TrainStep<B extends tf.TensorContainer, Log> {
  /** The variables to optimise, one Adam per group (usually one group). */
  readonly variableGroups: readonly VariableGroup[];
  /**
   * Called before each epoch (schedules such as a KL weight).
   * @default {undefined}
   */
  beginEpoch?(epoch: number): void;
  /** Builds the batch of the example indices `indices`. */
  batch(indices: number[], ctx: StepContext): B;
  /** The forward pass of a training batch: objective and named losses. */
  losses(batch: B, ctx: StepContext): StepLosses;
  /**
   * Named scalar validation losses of a held-out batch (inference mode).
   * @default {undefined (no validation)}
   */
  validationLosses?(batch: B, ctx: StepContext): Record<string, Scalar>;
  /** The epoch's log record (history, `train.jsonl`, `onEpoch`). */
  epochLog(summary: EpochSummary): Log;
  /**
   * One-line summary of an epoch for the progress display.
   * @default {the first loss}
   */
  describe?(log: Log): string;
  /** The step's own state for checkpoints (JSON-serialisable). */
  state(): unknown;
  /** Writes the step's weights into a checkpoint directory. */
  save(dir: string): Promise<void>;
}
