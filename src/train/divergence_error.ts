/**
 * The error a training run throws when it diverges (a loss or a weight
 * became NaN or infinite).
 *
 * @module
 */

/** Where and how a run diverged (see {@linkcode DivergenceError}). */
export interface DivergenceDetails {
  /** 0-based epoch. */
  epoch: number;
  /** 0-based batch index within the epoch (the last one for end-of-epoch checks). */
  step: number;
  /**
   * The loss that became non-finite (e.g. `"kl"`), `"validation.<name>"`
   * for a validation loss, or `"weights"` when a weight did.
   */
  loss: string;
  /** Its value: `NaN`, `Infinity` or `-Infinity`. */
  value: number;
  /** The last good checkpoint's directory, or `null` when none was written. */
  checkpoint: string | null;
}

/**
 * Training stopped because a loss or a weight became NaN or infinite. The
 * diverged state is never checkpointed: `checkpoint` is the last good one
 * (the one a resume would start from).
 *
 * @example Fields of a divergence
 * ```ts
 * import assert from "node:assert/strict";
 * import { DivergenceError } from "@hsvae/hsvae";
 *
 * const err = new DivergenceError('Cannot train: loss "kl" became NaN at epoch 3/10, batch 17/40', {
 *   epoch: 2, step: 16, loss: "kl", value: NaN, checkpoint: null,
 * });
 * assert.ok(err instanceof Error);
 * assert.equal(err.name, "DivergenceError");
 * assert.equal(err.loss, "kl");
 * assert.ok(Number.isNaN(err.value));
 * ```
 */
export class DivergenceError extends Error {
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based batch index within the epoch. */
  readonly step: number;
  /** The loss that became non-finite, `"validation.<name>"` or `"weights"`. */
  readonly loss: string;
  /** Its value. */
  readonly value: number;
  /** The last good checkpoint's directory, or `null`. */
  readonly checkpoint: string | null;

  /**
   * Creates a divergence error.
   *
   * @param message Full message ("Cannot train: ...").
   * @param details Where and how the run diverged.
   */
  constructor(message: string, details: DivergenceDetails) {
    super(message);
    this.name = "DivergenceError";
    this.epoch = details.epoch;
    this.step = details.step;
    this.loss = details.loss;
    this.value = details.value;
    this.checkpoint = details.checkpoint;
  }
}
