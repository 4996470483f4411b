/**
 * Private byte helpers shared by the loaders: gzip detection and bounded,
 * verified inflation, and the one `limit` rule every loader applies.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { gunzip, type GunzipOptions, type Gunzipped } from "./_gunzip.ts";

/**
 * True when `bytes` start with the gzip magic `1f 8b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isGzip } from "./_bytes.ts";
 *
 * assert.equal(isGzip(new Uint8Array([0x1f, 0x8b, 8])), true);
 * assert.equal(isGzip(new Uint8Array([0, 0, 8])), false);
 * ```
 */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates `bytes` when they are gzip data (by magic, not by name), with
 * the bounds and checks of {@linkcode gunzip}; other bytes come back
 * unchanged, as one whole stream (`size` = their length).
 *
 * @param bytes The file's bytes.
 * @param file The file name for messages.
 * @param options The caller's `plan` for the inflated stream (gzip only).
 * @returns The (inflated) bytes and the stream's full size.
 * @throws {DataFormatError} When the name ends in `.gz` but the magic is
 * missing, or the gzip stream is corrupt, truncated or fails its CRC.
 * @throws {LimitError} When it inflates beyond `LIMITS.maxInflatedBytes`.
 *
 * @example Raw bytes pass through
 * ```ts
 * import assert from "node:assert/strict";
 * import { gzipSync } from "fflate";
 * import { maybeGunzip } from "./_bytes.ts";
 *
 * const raw = new Uint8Array([1, 2, 3]);
 * assert.equal(maybeGunzip(raw, "x").data, raw);
 * assert.deepEqual(Array.from(maybeGunzip(gzipSync(raw), "x.gz").data), [1, 2, 3]);
 * ```
 */
export function maybeGunzip(
  bytes: Uint8Array,
  file: string,
  options: GunzipOptions = {},
): Gunzipped {
  if (!isGzip(bytes)) {
    if (file.endsWith(".gz")) {
      throw new DataFormatError(
        `Cannot read "${file}": name ends in ".gz" but the gzip magic "1f 8b" is missing`,
        { file, offset: 0 },
      );
    }
    return { data: bytes, size: bytes.length, members: 0 };
  }
  return gunzip(bytes, file, options);
}

/**
 * Checks an optional `limit` option: a non-negative integer or undefined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLimit } from "./_bytes.ts";
 *
 * checkLimit(3, "load");
 * assert.throws(() => checkLimit(-1, "load"), RangeError);
 * ```
 */
export function checkLimit(limit: number | undefined, fn: string): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(
      `Cannot ${fn}: "limit" must be a non-negative integer, found "${limit}"`,
    );
  }
}

/**
 * The one `limit` rule of the loaders: how many of the `available`
 * records (images) to keep, the first ones. Every loader calls it once it
 * knows `available` (from a header or a file size) and before it
 * allocates the copy it returns.
 *
 * @param available Records the source holds.
 * @param limit The caller's `limit` option.
 * @param fn What is being done, for the message ("read IDX").
 * @returns `min(available, limit)`, or `available` without a limit.
 * @throws {RangeError} When `limit` is not a non-negative integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { takeFirst } from "./_bytes.ts";
 *
 * assert.equal(takeFirst(60000, 100, "read IDX"), 100);
 * assert.equal(takeFirst(5, 100, "read IDX"), 5);
 * assert.equal(takeFirst(5, undefined, "read IDX"), 5);
 * ```
 */
export function takeFirst(
  available: number,
  limit: number | undefined,
  fn: string,
): number {
  checkLimit(limit, fn);
  return limit === undefined ? available : Math.min(available, limit);
}
