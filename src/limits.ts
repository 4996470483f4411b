/**
 * Resource bounds, in one place: every loader, model constructor and CLI
 * check reads its limit from {@linkcode LIMITS} and calls
 * {@linkcode checkSize} (or {@linkcode checkAllocation}) *before* it
 * allocates, so a hostile header (a PNG claiming 1e9 x 1e9 pixels, an NPY
 * shape of `(2**40,)`, `--latent 100000`) ends in a {@linkcode LimitError}
 * that names the limit instead of a hang or a fatal out-of-memory.
 *
 * The bounds are far above anything the papers use (the generation paper's
 * largest latent is in the hundreds; its largest images are 64 x 64 RGB),
 * so no real run meets them.
 *
 * @example A header asking for too much
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAllocation, LimitError } from "@hsvae/hsvae";
 *
 * checkAllocation("decode \"a.npy\"", 1024); // fine
 * assert.throws(
 *   () => checkAllocation("decode \"a.npy\"", 2 ** 45),
 *   (e: unknown) => e instanceof LimitError && e.limit === "maxArrayBytes",
 * );
 * ```
 *
 * @module
 */

/** The toolkit's resource bounds. Deep-frozen; read, never written. */
export const LIMITS: Readonly<{
  /** Largest latent size `n` a model may have. */
  maxLatentDim: number;
  /** Largest image side (height or width) a decoder or loader accepts. */
  maxImageSide: number;
  /** Largest pixel count (height x width) of one image. */
  maxImagePixels: number;
  /** Largest array (dataset, bank, decoded file) in bytes. */
  maxArrayBytes: number;
  /** Largest inflated size of a gzip or zip member, in bytes. */
  maxInflatedBytes: number;
  /** Largest number of files an image folder may list. */
  maxFolderFiles: number;
  /** Deepest folder nesting followed (symlinks included). */
  maxFolderDepth: number;
}> = Object.freeze({
  maxLatentDim: 8192,
  maxImageSide: 16384,
  maxImagePixels: 2 ** 28,
  maxArrayBytes: 2 ** 34,
  maxInflatedBytes: 2 ** 33,
  maxFolderFiles: 10_000_000,
  maxFolderDepth: 32,
});

/** The name of a limit in {@linkcode LIMITS}. */
export type LimitName = keyof typeof LIMITS;

/**
 * A size is beyond a resource bound of {@linkcode LIMITS}, or beyond the
 * memory available; the message names both numbers and the limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LimitError } from "@hsvae/hsvae";
 *
 * const e = new LimitError("Cannot read: too big", "maxImageSide", 1e9, 16384);
 * assert.ok(e instanceof RangeError);
 * assert.equal(e.requested, 1e9);
 * ```
 */
export class LimitError extends RangeError {
  /** Which bound was hit (`"memory"` for the machine's available memory). */
  readonly limit: LimitName | "memory";
  /** The size asked for. */
  readonly requested: number;
  /** The largest size allowed. */
  readonly allowed: number;
  /**
   * Creates a limit error.
   *
   * @param message Full message ("Cannot ...: ...").
   * @param limit The bound.
   * @param requested The size asked for.
   * @param allowed The largest size allowed.
   */
  constructor(
    message: string,
    limit: LimitName | "memory",
    requested: number,
    allowed: number,
  ) {
    super(message);
    this.name = "LimitError";
    this.limit = limit;
    this.requested = requested;
    this.allowed = allowed;
  }
}

/**
 * Throws a {@linkcode LimitError} unless `0 <= value <= LIMITS[limit]`
 * (and `value` is a finite number).
 *
 * @param action What is being done, for the message ("read \"x.png\"").
 * @param limit The bound.
 * @param value The size asked for.
 * @throws {LimitError} Naming the limit, the value and the bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSize } from "@hsvae/hsvae";
 *
 * checkSize("build the model", "maxLatentDim", 64);
 * assert.throws(() => checkSize("build the model", "maxLatentDim", 100000), /maxLatentDim/);
 * ```
 */
export function checkSize(
  action: string,
  limit: LimitName,
  value: number,
): void {
  const allowed = LIMITS[limit];
  if (!(Number.isFinite(value) && value >= 0 && value <= allowed)) {
    throw new LimitError(
      `Cannot ${action}: ${value} is beyond the limit ${limit} = ${allowed}`,
      limit,
      value,
      allowed,
    );
  }
}

/** Available memory in bytes, or `Infinity` when it cannot be read. */
export function availableMemory(): number {
  try {
    const info = Deno.systemMemoryInfo();
    return info.available > 0 ? info.available : Infinity;
  } catch {
    // no --allow-sys, or not in Deno: the fixed bounds still apply
    return Infinity;
  }
}

/**
 * Checks an allocation of `bytes` before it is made: against
 * `LIMITS.maxArrayBytes` and against the memory the machine has available.
 *
 * @param action What is being done, for the message.
 * @param bytes The bytes about to be allocated.
 * @throws {LimitError} With `limit` `"maxArrayBytes"` or `"memory"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAllocation } from "@hsvae/hsvae";
 *
 * assert.throws(() => checkAllocation("load", -1), /maxArrayBytes/);
 * ```
 */
export function checkAllocation(action: string, bytes: number): void {
  checkSize(action, "maxArrayBytes", bytes);
  const free = availableMemory();
  if (bytes > free) {
    throw new LimitError(
      `Cannot ${action}: it needs ${bytes} bytes, only ${free} are available; free memory or use --limit`,
      "memory",
      bytes,
      free,
    );
  }
}
