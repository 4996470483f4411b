/**
 * Weight schedules of the KL term: the `paper` beta schedule, and the
 * `authors` annealing factor and data-driven beta.
 *
 * @module
 */

import { PRESET_DEFAULTS } from "../presets.ts";

/** Options of {@linkcode betaSchedule}. */
export interface BetaScheduleOptions {
  /**
   * The largest beta, reached at the last epoch (or at the end of the warm-up).
   * @default {1}
   */
  betaMax?: number;
  /**
   * Total epochs T; required unless `warmup` is given.
   * @default {undefined}
   */
  epochs?: number;
  /**
   * Warm-up epochs W: beta grows with sqrt(epoch) for W epochs, then holds
   * (the generation paper). Unset: it grows over all `epochs`.
   * @default {undefined}
   */
  warmup?: number;
}

/**
 * The `paper` preset's KL weight at epoch `t` (0-based), METHOD.md §2.
 *
 * **Method**: `beta(t) = betaMax * sqrt((t + 1) / T)` (anomaly-detection
 * paper), or with a warm-up W `beta(t) = betaMax * sqrt(min(t + 1, W) / W)`.
 *
 * **Special cases**: `t = T - 1` (or `t >= W - 1`) gives `betaMax`; epochs past
 * T keep growing as the formula says.
 *
 * @param t Epoch, 0-based, integer >= 0.
 * @param options See {@linkcode BetaScheduleOptions}.
 * @returns beta(t).
 * @throws {RangeError} When `t` is negative or not an integer, neither
 *   `epochs` nor `warmup` is a positive integer, or `betaMax` is negative.
 *
 * @example Growing with sqrt(epoch) over 4 epochs
 * ```ts
 * import assert from "node:assert/strict";
 * import { betaSchedule } from "@hsvae/hsvae";
 *
 * assert.equal(betaSchedule(0, { betaMax: 2, epochs: 4 }), 1);
 * assert.equal(betaSchedule(3, { betaMax: 2, epochs: 4 }), 2);
 * assert.equal(betaSchedule(9, { betaMax: 2, warmup: 4 }), 2);
 * ```
 */
export function betaSchedule(
  t: number,
  options: BetaScheduleOptions = {},
): number {
  const betaMax = options.betaMax ?? PRESET_DEFAULTS.paper.train.beta.betaMax;
  const { epochs, warmup } = options;
  if (!Number.isInteger(t) || t < 0) {
    throw new RangeError(
      `Cannot compute betaSchedule: epoch "t" must be an integer >= 0, got ${t}`,
    );
  }
  if (!(betaMax >= 0) || !Number.isFinite(betaMax)) {
    throw new RangeError(
      `Cannot compute betaSchedule: "betaMax" must be a finite number >= 0, got ${betaMax}`,
    );
  }
  if (warmup !== undefined) {
    if (!Number.isInteger(warmup) || warmup < 1) {
      throw new RangeError(
        `Cannot compute betaSchedule: "warmup" must be an integer >= 1, got ${warmup}`,
      );
    }
    return betaMax * Math.sqrt(Math.min(t + 1, warmup) / warmup);
  }
  if (epochs === undefined || !Number.isInteger(epochs) || epochs < 1) {
    throw new RangeError(
      `Cannot compute betaSchedule: "epochs" must be an integer >= 1 (or give "warmup"), got ${epochs}`,
    );
  }
  return betaMax * Math.sqrt((t + 1) / epochs);
}

/**
 * The `authors` preset's annealing factor `a(t)` multiplying the KL term at
 * epoch `t` (0-based), as the released code computes it.
 *
 * **Method** (piecewise, from the authors' code):
 *
 *     a(t) = sqrt(t) + 1          t <= 100
 *            1                    101 <= t <= 300
 *            sqrt(t - 301) + 1    301 <= t <= 500
 *            1                    501 <= t <= 700
 *            sqrt(t - 701) + 1    701 <= t <= 900
 *            1                    t > 900
 *
 * **Notes**: METHOD.md describes the tail as "the same pattern repeats every
 * 400 epochs"; the code's later ramps last 200 epochs (not 101) and the
 * pattern stops after epoch 900. This function follows the code.
 *
 * @param t Epoch, 0-based, integer >= 0.
 * @returns a(t) >= 1.
 * @throws {RangeError} When `t` is negative or not an integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorsAnnealing } from "@hsvae/hsvae";
 *
 * assert.equal(authorsAnnealing(0), 1);
 * assert.equal(authorsAnnealing(100), 11);
 * assert.equal(authorsAnnealing(200), 1);
 * assert.equal(authorsAnnealing(310), 4);
 * ```
 */
export function authorsAnnealing(t: number): number {
  if (!Number.isInteger(t) || t < 0) {
    throw new RangeError(
      `Cannot compute authorsAnnealing: epoch "t" must be an integer >= 0, got ${t}`,
    );
  }
  if (t <= 100) return Math.sqrt(t) + 1;
  if (t <= 300) return 1;
  if (t <= 500) return Math.sqrt(t - 301) + 1;
  if (t <= 700) return 1;
  if (t <= 900) return Math.sqrt(t - 701) + 1;
  return 1;
}

/** Options of {@linkcode authorsBeta}. */
export interface AuthorsBetaOptions {
  /**
   * The target ratio of the weighted KL to the reconstruction error.
   * @default {2500}
   */
  target?: number;
}

/**
 * The `authors` preset's beta, fixed after epoch 0 from that epoch's means:
 * `beta = target * meanRec / (meanKl + 1e-3)` (beta is 1 during epoch 0).
 *
 * @param meanRecEpoch0 Mean reconstruction loss over epoch 0's batches.
 * @param meanKlEpoch0 Mean compressed KL over epoch 0's batches, before the
 *   annealing factor (the authors log the bare KL).
 * @param options See {@linkcode AuthorsBetaOptions}.
 * @returns The beta used from epoch 1 on.
 * @throws {RangeError} When an input is not finite, or `meanKlEpoch0 + 1e-3 <= 0`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { authorsBeta } from "@hsvae/hsvae";
 *
 * assert.ok(Math.abs(authorsBeta(40, 99.999) - 1000) < 1e-9);
 * ```
 */
export function authorsBeta(
  meanRecEpoch0: number,
  meanKlEpoch0: number,
  options: AuthorsBetaOptions = {},
): number {
  const { target: defaultTarget, klEpsilon } =
    PRESET_DEFAULTS.authors.train.beta;
  const target = options.target ?? defaultTarget;
  for (
    const [name, v] of [
      ["meanRecEpoch0", meanRecEpoch0],
      ["meanKlEpoch0", meanKlEpoch0],
      ["target", target],
    ] as const
  ) {
    if (!Number.isFinite(v)) {
      throw new RangeError(
        `Cannot compute authorsBeta: "${name}" must be finite, got ${v}`,
      );
    }
  }
  if (!(meanKlEpoch0 + klEpsilon > 0)) {
    throw new RangeError(
      `Cannot compute authorsBeta: "meanKlEpoch0" + 1e-3 must be > 0, got ${meanKlEpoch0}`,
    );
  }
  return target * meanRecEpoch0 / (meanKlEpoch0 + klEpsilon);
}
