/**
 * The one place tests get their assertions from. JSR's `@std/assert` cannot be
 * reached from our machines, so this re-exports Node's built-in
 * `node:assert/strict` plus a few numeric helpers; switching to `@std/assert`
 * later is a change to this file only.
 *
 * @module
 */
import assert from "node:assert/strict";

export { assert };
/** Strict equality (`node:assert/strict` `equal`). */
export const equal: typeof assert.equal = assert.equal;
/** Deep strict equality. */
export const deepEqual: typeof assert.deepEqual = assert.deepEqual;
/** Strict inequality. */
export const notEqual: typeof assert.notEqual = assert.notEqual;
/** Truthiness. */
export const ok: typeof assert.ok = assert.ok;
/** Expects a function to throw (class, regexp or validator). */
export const throws: typeof assert.throws = assert.throws;
/** Expects a promise to reject. */
export const rejects: typeof assert.rejects = assert.rejects;

/**
 * Asserts `|actual - expected| <= atol + rtol * |expected|` for a number or
 * element-wise for arrays; the message names the first failing index.
 */
export function assertClose(
  actual: number | ArrayLike<number>,
  expected: number | ArrayLike<number>,
  tol: { atol?: number; rtol?: number } = {},
  msg = "",
): void {
  const atol = tol.atol ?? 0;
  const rtol = tol.rtol ?? 0;
  const a = typeof actual === "number" ? [actual] : actual;
  const e = typeof expected === "number" ? [expected] : expected;
  assert.equal(a.length, e.length, `${msg} length ${a.length} != ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= atol + rtol * Math.abs(e[i]))) {
      assert.fail(
        `${msg} index ${i}: actual ${a[i]} vs expected ${
          e[i]
        } (|diff| ${d} > atol ${atol} + rtol ${rtol})`,
      );
    }
  }
}

/** Asserts every element is finite (no NaN, no Infinity). */
export function assertFinite(values: ArrayLike<number>, msg = ""): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      assert.fail(`${msg} index ${i} is ${values[i]}`);
    }
  }
}
