/**
 * Input checks of {@linkcode evaluate}: the protocol's train and test sets
 * and its anomaly flags, checked before anything is trained.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProtocol } from "./check_inputs.ts";
 *
 * const c = checkProtocol({
 *   train: { images: new Float32Array(4), shape: [4, 1, 1, 1] },
 *   test: { images: new Float32Array(2), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * });
 * assert.deepEqual(c.inputShape, [1, 1, 1]);
 * ```
 *
 * @module
 */
import { assertDataset } from "../data/dataset.ts";
import { ShapeError } from "../errors.ts";
import type { EvaluationProtocol } from "./types.ts";

/** What {@linkcode checkProtocol} returns. */
export interface CheckedProtocol {
  /** `[H, W, C]` of both sets' images. */
  inputShape: [number, number, number];
  /** The flags as 0/1 bytes, one per test image. */
  testIsAnomaly: Uint8Array;
  /** The number of anomalous test images. */
  nAnomaly: number;
}

/**
 * Checks an evaluation protocol: both sets are valid datasets of the same
 * image size, and the test set has one anomaly flag per image, with at
 * least one normal and one anomalous image.
 *
 * @param protocol The protocol, e.g. from `oneClass` or `inVsOut`.
 * @returns The image shape and the flags as bytes (any truthy flag is 1).
 * @throws {ShapeError} When a set is malformed, the sets' image sizes
 *   differ, or `testIsAnomaly` does not have one flag per test image.
 * @throws {RangeError} When the test set lacks normals or anomalies.
 *
 * @example A test set needs both classes
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProtocol } from "./check_inputs.ts";
 *
 * const train = { images: new Float32Array(4), shape: [4, 1, 1, 1] as [number, number, number, number] };
 * const test = { images: new Float32Array(2), shape: [2, 1, 1, 1] as [number, number, number, number] };
 * assert.equal(checkProtocol({ train, test, testIsAnomaly: [0, 5] }).testIsAnomaly[1], 1);
 * assert.throws(
 *   () => checkProtocol({ train, test, testIsAnomaly: [1, 1] }),
 *   /needs normals and anomalies/,
 * );
 * ```
 */
export function checkProtocol(protocol: EvaluationProtocol): CheckedProtocol {
  const { train, test } = protocol;
  assertDataset(train, "train set");
  assertDataset(test, "test set");
  const inputShape: [number, number, number] = [
    train.shape[1],
    train.shape[2],
    train.shape[3],
  ];
  if (test.shape.slice(1).join("x") !== inputShape.join("x")) {
    throw new ShapeError(
      `Cannot evaluate: train images are "${
        inputShape.join("x")
      }" but test images are "${
        test.shape.slice(1).join("x")
      }"; resize one set to the other's size`,
      inputShape.join("x"),
      test.shape.slice(1).join("x"),
    );
  }
  const flags = protocol.testIsAnomaly;
  if (flags == null || flags.length !== test.shape[0]) {
    throw new ShapeError(
      `Cannot evaluate: "testIsAnomaly" has "${flags?.length}" flags for "${
        test.shape[0]
      }" test images; pass one 0/1 flag per test image`,
      `[${test.shape[0]}]`,
      `[${flags?.length}]`,
    );
  }
  const testIsAnomaly = Uint8Array.from(flags, (v) => (v ? 1 : 0));
  const nAnomaly = testIsAnomaly.reduce((a, b) => a + b, 0);
  if (nAnomaly === 0 || nAnomaly === testIsAnomaly.length) {
    throw new RangeError(
      `Cannot evaluate: the test set needs normals and anomalies, got "${
        testIsAnomaly.length - nAnomaly
      }" normals and "${nAnomaly}" anomalies`,
    );
  }
  return { inputShape, testIsAnomaly, nAnomaly };
}
