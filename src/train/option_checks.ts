/**
 * Checks of integer training options, shared by every trainer so a bad
 * `epochs` or `seed` reads the same whichever model is trained.
 *
 * @module
 */

/**
 * Returns `v` when it is an integer >= 0.
 *
 * @param name The option's name, quoted in the message.
 * @param v Its value.
 * @returns `v`.
 * @throws {RangeError} When `v` is not an integer >= 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nonNegativeInt } from "./option_checks.ts";
 *
 * assert.equal(nonNegativeInt("seed", 0), 0);
 * assert.throws(() => nonNegativeInt("seed", -1), /"seed" must be an integer >= 0/);
 * ```
 */
export function nonNegativeInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0) {
    throw new RangeError(
      `Cannot train: "${name}" must be an integer >= 0, got ${v}`,
    );
  }
  return v;
}

/**
 * Returns `v` when it is an integer >= 1.
 *
 * @param name The option's name, quoted in the message.
 * @param v Its value.
 * @returns `v`.
 * @throws {RangeError} When `v` is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { positiveInt } from "./option_checks.ts";
 *
 * assert.equal(positiveInt("epochs", 3), 3);
 * assert.throws(() => positiveInt("epochs", 0), /"epochs" must be a positive integer/);
 * ```
 */
export function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(
      `Cannot train: "${name}" must be a positive integer, got ${v}`,
    );
  }
  return v;
}
