/**
 * Error classes shared by every part of the toolkit.
 *
 * Messages follow one rule: "Cannot <action>: <reason>", values quoted, no
 * trailing period.
 *
 * @module
 */

/**
 * A tensor or array has the wrong type or shape.
 *
 * @example Catching a shape error
 * ```ts
 * import assert from "node:assert/strict";
 * import { ShapeError } from "@hsvae/hsvae";
 *
 * const err = new ShapeError("Cannot transform \"x\": expected rank 2", "[N, n]", "[3]");
 * assert.ok(err instanceof TypeError);
 * assert.equal(err.expected, "[N, n]");
 * ```
 */
export class ShapeError extends TypeError {
  /** What was expected, e.g. `"[N, n] with n >= 2"`. */
  readonly expected: string;
  /** What was found, e.g. `"[4]"`. */
  readonly actual: string;
  /**
   * Creates a shape error.
   *
   * @param message Full message ("Cannot ...: ...").
   * @param expected What was expected.
   * @param actual What was found.
   */
  constructor(message: string, expected: string, actual: string) {
    super(message);
    this.name = "ShapeError";
    this.expected = expected;
    this.actual = actual;
  }
}

/**
 * A file could not be parsed: wrong magic number, truncated, inconsistent
 * header, unsupported dtype, NaN in float data, missing labels.
 *
 * @example Naming the file and the byte offset
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataFormatError } from "@hsvae/hsvae";
 *
 * const err = new DataFormatError("Cannot read IDX: bad magic", { file: "x.idx", offset: 0 });
 * assert.equal(err.file, "x.idx");
 * assert.equal(err.offset, 0);
 * ```
 */
export class DataFormatError extends SyntaxError {
  /** The file that failed to parse, when there is one. */
  readonly file?: string;
  /** The byte offset where the problem was found, when known. */
  readonly offset?: number;
  /**
   * Creates a data format error.
   *
   * @param message Full message ("Cannot ...: ...").
   * @param where The file and byte offset, when known.
   */
  constructor(message: string, where: { file?: string; offset?: number } = {}) {
    super(message);
    this.name = "DataFormatError";
    this.file = where.file;
    this.offset = where.offset;
  }
}

/**
 * A detector or model was used before `fit`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { NotFittedError } from "@hsvae/hsvae";
 *
 * assert.ok(new NotFittedError("Cannot score: call fit() first") instanceof Error);
 * ```
 */
export class NotFittedError extends Error {
  /**
   * Creates a not-fitted error.
   *
   * @param message Full message ("Cannot ...: ...").
   */
  constructor(message: string) {
    super(message);
    this.name = "NotFittedError";
  }
}

/**
 * A compute backend could not be started or does not support an operation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BackendError } from "@hsvae/hsvae";
 *
 * const err = new BackendError("Cannot start \"webgpu\": no adapter", "webgpu");
 * assert.equal(err.backend, "webgpu");
 * ```
 */
export class BackendError extends Error {
  /** The backend that failed. */
  readonly backend: string;
  /**
   * Creates a backend error.
   *
   * @param message Full message ("Cannot ...: ...").
   * @param backend The backend's name.
   */
  constructor(message: string, backend: string) {
    super(message);
    this.name = "BackendError";
    this.backend = backend;
  }
}
