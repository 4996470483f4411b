/**
 * The encoder's output head `[N, 2n]` read as the posterior's mean and
 * log-variance, in one place for training and for encoding.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";

/**
 * The range the log-variance is clipped to, `[-30, 20]`: sigma stays in
 * about `[3e-7, 2e4]`, so `exp` neither underflows to 0 nor overflows in
 * float32 when an untrained or diverging encoder emits extreme values.
 */
export const LOG_VAR_RANGE: readonly [number, number] = [-30, 20];

/**
 * Splits an encoder output `[N, 2n]` into the mean (first n columns) and the
 * log-variance (last n columns), the latter clipped to
 * {@linkcode LOG_VAR_RANGE}. Training and `VaeModel.encodeTensor` both read
 * the head through this function, so encodings see the same log-variance the
 * loss saw (inside the range, clipping changes nothing).
 *
 * @param out Encoder output `[N, 2n]`.
 * @param n Latent dimension.
 * @returns `{ mu, logVar }`, `[N, n]` each (new tensors; call inside
 *   `tf.tidy` or dispose them).
 *
 * @example The log-variance is clipped, the mean is not
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { splitEncoderHead } from "./encoder_head.ts";
 * await selectBackend("wasm");
 *
 * const out = tf.tensor2d([[100, -2, 50, -40]]);
 * const { mu, logVar } = splitEncoderHead(out, 2);
 * assert.deepEqual([...await mu.data()], [100, -2]);
 * assert.deepEqual([...await logVar.data()], [20, -30]);
 * tf.dispose([out, mu, logVar]);
 * ```
 */
export function splitEncoderHead(
  out: Tensor2D,
  n: number,
): { mu: Tensor2D; logVar: Tensor2D } {
  const mu = tf.slice(out, [0, 0], [-1, n]) as Tensor2D;
  const logVar = tf.clipByValue(
    tf.slice(out, [0, n], [-1, n]),
    LOG_VAR_RANGE[0],
    LOG_VAR_RANGE[1],
  ) as Tensor2D;
  return { mu, logVar };
}
