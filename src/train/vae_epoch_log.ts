/**
 * The per-epoch record of {@linkcode trainVAE} (`train_vae.ts`): its
 * history entries, `onEpoch` argument and `train.jsonl` lines, built from
 * the loop's epoch summary.
 *
 * @module
 */
import type { EpochSummary } from "./train_step.ts";

/** Prefix of the KL parts among the VAE step's loss names. */
export const PART_PREFIX = "parts.";

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

/**
 * The VAE's epoch record from the loop's summary: the step logs the losses
 * `loss`, `rec`, `kl` and one `parts.<name>` per KL part; the validation
 * pass `rec` and `kl`. Fields are in the order `train.jsonl` has always
 * had them.
 *
 * @param s The loop's summary of the epoch.
 * @param schedule The beta and annealing factor used this epoch.
 * @returns The epoch's record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { vaeEpochLog } from "./vae_epoch_log.ts";
 *
 * const log = vaeEpochLog({
 *   epoch: 0, losses: { loss: 3, rec: 2, kl: 1, "parts.anglesMu": 1 },
 *   validation: { rec: 2.5, kl: 1.5 }, learningRate: 1e-3, seen: 100, seconds: 2,
 * }, { beta: 1, annealing: 1 });
 * assert.deepEqual(log.parts, { anglesMu: 1 });
 * assert.equal(log.imagesPerSecond, 50);
 * assert.equal(log.valRec, 2.5);
 * ```
 */
export function vaeEpochLog(
  s: EpochSummary,
  schedule: { beta: number; annealing: number },
): EpochLog {
  const parts = Object.entries(s.losses)
    .filter(([k]) => k.startsWith(PART_PREFIX))
    .map(([k, v]) => [k.slice(PART_PREFIX.length), v]);
  const log: EpochLog = {
    epoch: s.epoch,
    loss: s.losses.loss,
    rec: s.losses.rec,
    kl: s.losses.kl,
    parts: Object.fromEntries(parts),
    beta: schedule.beta,
    annealing: schedule.annealing,
    learningRate: s.learningRate,
    imagesPerSecond: s.seen / s.seconds,
    seconds: s.seconds,
  };
  if (s.validation) {
    // NaN when every validation batch was too small, as always
    log.valRec = s.validation.rec ?? NaN;
    log.valKl = s.validation.kl ?? NaN;
  }
  return log;
}

/**
 * The progress line of a finished epoch.
 *
 * @param log The epoch's record.
 * @returns `loss ... rec ... kl ... beta ... N img/s`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeVaeEpoch } from "./vae_epoch_log.ts";
 *
 * const line = describeVaeEpoch({
 *   epoch: 0, loss: 3, rec: 2, kl: 1, parts: {}, beta: 1, annealing: 1,
 *   learningRate: 1e-3, imagesPerSecond: 50, seconds: 2,
 * });
 * assert.equal(line, "loss 3.0000 rec 2.0000 kl 1.0000 beta 1.000 50.0 img/s");
 * ```
 */
export function describeVaeEpoch(log: EpochLog): string {
  return `loss ${log.loss.toPrecision(5)} rec ${log.rec.toPrecision(5)} kl ${
    log.kl.toPrecision(5)
  } beta ${log.beta.toPrecision(4)} ${log.imagesPerSecond.toFixed(1)} img/s`;
}
