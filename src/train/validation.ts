/**
 * Per-epoch validation losses of a {@linkcode TrainStep} on held-out
 * examples.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar } from "../tf.ts";
import type { TrainStep } from "./train_step.ts";

async function meanOver(values: Scalar[]): Promise<number> {
  if (values.length === 0) return NaN;
  const s = tf.addN(values);
  const v = (await s.data())[0];
  s.dispose();
  return v / values.length;
}

/**
 * Runs the step's `validationLosses` over `indices` in batches of
 * `batchSize` (in index order; batches under `minBatchSize` rows are
 * skipped) and returns each named loss's mean over the batches: the
 * float32 sum of the batch values, divided by their count.
 *
 * @param step The model's step (its `validationLosses` must exist).
 * @param indices Held-out example indices.
 * @param options The epoch, batch size and smallest batch that counts.
 * @returns The mean of each named loss; `{}` when no batch counted.
 *
 * @example The mean of a per-batch mean
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { validationLosses } from "./validation.ts";
 * await selectBackend("wasm");
 *
 * const step = {
 *   batch: (idx: number[]) => tf.tensor1d(idx),
 *   validationLosses: (x: tf.Tensor1D) => ({ mean: tf.mean(x) as tf.Scalar }),
 * };
 * const v = await validationLosses(step, [0, 1, 2, 3], { epoch: 0, batchSize: 2, minBatchSize: 1 });
 * assert.equal(v.mean, (0.5 + 2.5) / 2);
 * ```
 */
export async function validationLosses<B extends tf.TensorContainer>(
  step: Pick<TrainStep<B, unknown>, "batch" | "validationLosses">,
  indices: readonly number[],
  options: { epoch: number; batchSize: number; minBatchSize: number },
): Promise<Record<string, number>> {
  const perName = new Map<string, Scalar[]>();
  for (let s = 0; s < indices.length; s += options.batchSize) {
    const part = indices.slice(s, s + options.batchSize);
    if (part.length < options.minBatchSize) continue;
    const ctx = {
      epoch: options.epoch,
      step: s / options.batchSize,
      training: false,
    };
    const batch = step.batch(part, ctx);
    const losses = tf.tidy(() => step.validationLosses!(batch, ctx));
    tf.dispose(batch);
    for (const [name, v] of Object.entries(losses)) {
      if (!perName.has(name)) perName.set(name, []);
      perName.get(name)!.push(v);
    }
  }
  const out: Record<string, number> = {};
  for (const [name, values] of perName) out[name] = await meanOver(values);
  tf.dispose([...perName.values()].flat());
  return out;
}
