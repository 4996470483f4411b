/**
 * {@linkcode UsageError}: the one error the CLI turns into exit status 2.
 * Public (not `_`-prefixed) because `cli.ts`, outside this folder, catches
 * it.
 *
 * @module
 */

/**
 * A command-line mistake: exit status 2 and a one-line message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { UsageError } from "./usage_error.ts";
 *
 * const e = new UsageError('Cannot use --k "0": it must be >= 1');
 * assert.equal(e.name, "UsageError");
 * assert.ok(e instanceof Error);
 * ```
 */
export class UsageError extends Error {
  /** @param message "Cannot ...: ..." naming the flag and the fix. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
