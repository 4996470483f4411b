/**
 * Private byte helpers shared by the loaders: gzip detection and inflation,
 * option checks.
 *
 * @module
 */
import { gunzipSync } from "fflate";
import { DataFormatError } from "../errors.ts";

/** True when `bytes` start with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates `bytes` when they are gzip data (by magic, not by name), else
 * returns them unchanged.
 *
 * @throws {DataFormatError} When the gzip stream is corrupt or truncated.
 */
export function maybeGunzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) {
    if (file.endsWith(".gz")) {
      throw new DataFormatError(
        `Cannot read "${file}": name ends in ".gz" but the gzip magic "1f 8b" is missing`,
        { file, offset: 0 },
      );
    }
    return bytes;
  }
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new DataFormatError(
      `Cannot read "${file}": gzip data is corrupt or truncated (${
        err instanceof Error ? err.message : String(err)
      })`,
      { file },
    );
  }
}

/** Checks an optional `limit` option: a positive integer or undefined. */
export function checkLimit(limit: number | undefined, fn: string): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new RangeError(
      `Cannot ${fn}: "limit" must be a non-negative integer, found "${limit}"`,
    );
  }
}
