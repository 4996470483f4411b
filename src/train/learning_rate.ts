/**
 * The step learning-rate schedule of the training loop: a base rate halved
 * at each milestone epoch.
 *
 * @module
 */
import type { tf } from "../tf.ts";

/**
 * The learning rate at `epoch`: `base * 0.5^k`, k the number of milestones
 * `<= epoch`.
 *
 * @param base The base learning rate.
 * @param milestones Epochs at which the rate halves.
 * @param epoch 0-based epoch.
 * @returns The learning rate of that epoch.
 *
 * @example Halving at epochs 2 and 4
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningRateAt } from "./learning_rate.ts";
 *
 * assert.deepEqual([0, 2, 3, 4].map((e) => learningRateAt(1, [2, 4], e)), [1, 0.5, 0.5, 0.25]);
 * ```
 */
export function learningRateAt(
  base: number,
  milestones: readonly number[],
  epoch: number,
): number {
  return base * 0.5 ** milestones.filter((m) => epoch >= m).length;
}

/**
 * Sets an Adam optimiser's learning rate in place (tfjs keeps it in a
 * protected field and has no setter), keeping its moments.
 *
 * @param optimizer The optimiser.
 * @param lr The new learning rate.
 *
 * @example
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { setLearningRate } from "./learning_rate.ts";
 * await selectBackend("wasm");
 *
 * const adam = tf.train.adam(0.1);
 * setLearningRate(adam, 0.05);
 * assert.equal(adam.getConfig().learningRate, 0.05);
 * adam.dispose();
 * ```
 */
export function setLearningRate(optimizer: tf.AdamOptimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
