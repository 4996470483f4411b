/**
 * One optimisation step of a {@linkcode TrainStep}: one forward and one
 * backward pass, then each variable group's Adam applies its gradients.
 * `trainLoop` and the benchmarks both call it, so they time the same work.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar } from "../tf.ts";
import type { StepContext, TrainStep } from "./train_step.ts";

/** An optimiser with the variables it updates. */
export interface OptimizerGroup {
  /** The group's name (`opt-<name>.bin` in checkpoints). */
  name: string;
  /** The optimiser. */
  optimizer: tf.AdamOptimizer;
  /** Its variables. */
  variables: tf.Variable[];
}

/** The named losses of one step. */
export interface StepStats {
  /** The loss names, in the step's order. */
  names: string[];
  /** `[names.length]` values, kept: the caller reads and disposes it. */
  stats: tf.Tensor1D;
}

/**
 * Creates one Adam per variable group of `step`.
 *
 * @param step The model's step.
 * @param learningRate The initial learning rate.
 * @returns The groups with their optimisers (dispose the optimisers).
 *
 * @example
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { createOptimizers } from "./optimize_step.ts";
 * await selectBackend("wasm");
 *
 * const w = tf.variable(tf.scalar(1));
 * const groups = createOptimizers({ variableGroups: [{ name: "w", variables: [w] }] }, 0.1);
 * assert.equal(groups[0].name, "w");
 * groups.forEach((g) => g.optimizer.dispose());
 * w.dispose();
 * ```
 */
export function createOptimizers(
  step: Pick<TrainStep<tf.TensorContainer, unknown>, "variableGroups">,
  learningRate: number,
): OptimizerGroup[] {
  return step.variableGroups.map((g) => ({
    name: g.name,
    optimizer: tf.train.adam(learningRate),
    variables: g.variables,
  }));
}

/**
 * Runs one step on `batch`: the gradient of the step's objective with
 * respect to every group's variables in one backward pass, then each
 * group's optimiser applies the gradients of its own variables (in group
 * order). With one group this is `optimizer.minimize(objective)`.
 *
 * @param step The model's step.
 * @param batch The batch (the caller disposes it).
 * @param ctx Epoch and batch index.
 * @param groups The optimisers (see {@linkcode createOptimizers}).
 * @returns The loss names and a kept tensor of their values.
 *
 * @example One Adam step on a quadratic
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { createOptimizers, optimizeStep } from "./optimize_step.ts";
 * await selectBackend("wasm");
 *
 * const w = tf.variable(tf.scalar(1));
 * const step = {
 *   variableGroups: [{ name: "w", variables: [w] }],
 *   losses: () => {
 *     const sq = tf.square(w) as tf.Scalar;
 *     return { objective: sq, losses: { sq } };
 *   },
 * };
 * const groups = createOptimizers(step, 0.1);
 * const { names, stats } = optimizeStep(step, undefined, { epoch: 0, step: 0, training: true }, groups);
 * assert.deepEqual(names, ["sq"]);
 * assert.equal((await stats.data())[0], 1);
 * assert.ok((await w.data())[0] < 1);
 * stats.dispose();
 * groups.forEach((g) => g.optimizer.dispose());
 * w.dispose();
 * ```
 */
export function optimizeStep<B extends tf.TensorContainer>(
  step: Pick<TrainStep<B, unknown>, "losses">,
  batch: B,
  ctx: StepContext,
  groups: readonly OptimizerGroup[],
): StepStats {
  let names: string[] = [];
  let stats: tf.Tensor1D | undefined;
  const objective = (): Scalar => {
    const { objective, losses } = step.losses(batch, ctx);
    names = Object.keys(losses);
    stats = tf.keep(tf.stack(Object.values(losses)) as tf.Tensor1D);
    return objective;
  };
  const all = groups.flatMap((g) => g.variables);
  const { value, grads } = tf.variableGrads(objective, all);
  value.dispose();
  for (const g of groups) {
    // as a list: Adam keys its moments by position, so the order is fixed
    g.optimizer.applyGradients(
      g.variables.map((v) => ({ name: v.name, tensor: grads[v.name] })),
    );
  }
  tf.dispose(Object.values(grads));
  return { names, stats: stats! };
}
