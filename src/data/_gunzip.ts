/**
 * Bounded, verified gzip inflation (RFC 1952) for the loaders.
 *
 * fflate's `gunzipSync` inflates everything before anyone can look at the
 * size, and checks neither the CRC-32 nor the length in the member
 * trailer, so a bomb fills memory and a corrupted file trains. Here the
 * data go through fflate's streaming `Gunzip` a chunk at a time:
 *
 * - the output is counted as it comes and inflation stops as soon as it
 *   passes `LIMITS.maxInflatedBytes`, the available memory, or the exact
 *   size the caller's `plan` reads from the first inflated bytes (an IDX
 *   header, say);
 * - every member's header is checked (method 8, no reserved flag bits,
 *   the header CRC-16 when `FHCRC` is set) and its trailer's CRC-32 and
 *   ISIZE are compared with the inflated bytes;
 * - concatenated members (what `cat a.gz b.gz` makes) are read as one
 *   stream, as `gzip -d` does, each member checked against its own trailer;
 * - with `plan.keep` only the first bytes are stored: the rest is still
 *   inflated, counted and checked, then dropped.
 *
 * @example A stream inflates and verifies; a flipped CRC is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { gzipSync } from "fflate";
 * import { gunzip } from "./_gunzip.ts";
 *
 * const gz = gzipSync(new TextEncoder().encode("hello"));
 * assert.equal(new TextDecoder().decode(gunzip(gz, "a.gz").data), "hello");
 * gz[gz.length - 8] ^= 1;
 * assert.throws(() => gunzip(gz, "a.gz"), /CRC-32/);
 * ```
 *
 * @module
 */
import { Gunzip } from "fflate";
import { DataFormatError } from "../errors.ts";
import { checkAllocation, LimitError, LIMITS } from "../limits.ts";
import { crc32 } from "./_crc32.ts";

/** Input bytes per push: each push inflates at most ~1032 times this (16 MiB). */
const INPUT_CHUNK = 1 << 14;
/**
 * Deflate's largest expansion: a 258-byte match coded in 2 bits is 1032
 * output bytes per input byte; a stream cannot inflate to more than this
 * times its length (plus a little for block headers).
 */
export const MAX_DEFLATE_RATIO = 1032;
/** How often (in stored bytes) the available memory is checked again. */
const MEMORY_CHECK_EVERY = 1 << 26;

/** What a caller's header says about the inflated stream. */
export interface GunzipPlan {
  /**
   * The exact inflated size the header declares; inflation stops with a
   * {@linkcode DataFormatError} as soon as the output passes it.
   * @default {undefined} (only `LIMITS.maxInflatedBytes` bounds it)
   */
  size?: number;
  /**
   * Store only the first `keep` bytes (the rest is inflated, counted and
   * checked, then dropped).
   * @default {undefined} (all)
   */
  keep?: number;
}

/** Options of {@linkcode gunzip}. */
export interface GunzipOptions {
  /**
   * Called once the first `headBytes` bytes are inflated (or with all of
   * them, when the stream is shorter); may throw to refuse the stream
   * early, or return its size and how much of it to keep.
   * @default {undefined}
   */
  plan?: (head: Uint8Array) => GunzipPlan;
  /**
   * How many inflated bytes `plan` needs to see.
   * @default {0}
   */
  headBytes?: number;
}

/** The result of {@linkcode gunzip}. */
export interface Gunzipped {
  /** The inflated bytes (the first `plan.keep` of them, when given). */
  data: Uint8Array;
  /** The size of the whole inflated stream. */
  size: number;
  /** How many gzip members the stream had. */
  members: number;
}

function fail(file: string, reason: string, offset?: number): never {
  throw new DataFormatError(`Cannot read "${file}": ${reason}`, {
    file,
    offset,
  });
}

const u32 = (b: Uint8Array, at: number) =>
  (b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24) >>> 0;

/**
 * Checks the gzip member header at `at`: magic, method 8 (deflate), no
 * reserved flag bits, the optional fields inside the data, the header
 * CRC-16 when `FHCRC` is set.
 */
function checkHeader(bytes: Uint8Array, at: number, file: string): void {
  const where = at === 0 ? "" : ` of the member at byte ${at}`;
  if (bytes.length < at + 10) {
    fail(file, `gzip header${where} is truncated`, at);
  }
  if (bytes[at] !== 0x1f || bytes[at + 1] !== 0x8b) {
    fail(
      file,
      `expected the gzip magic "1f 8b"${where}, found "${
        Array.from(
          bytes.subarray(at, at + 2),
          (b) => b.toString(16).padStart(2, "0"),
        ).join(" ")
      }"`,
      at,
    );
  }
  if (bytes[at + 2] !== 8) {
    fail(
      file,
      `gzip compression method${where} is ${
        bytes[at + 2]
      }, expected 8 (deflate)`,
      at + 2,
    );
  }
  const flags = bytes[at + 3];
  if (flags & 0xe0) {
    fail(
      file,
      `gzip header${where} sets reserved flag bits (flags "0x${
        flags.toString(16).padStart(2, "0")
      }")`,
      at + 3,
    );
  }
  let end = at + 10;
  if (flags & 4) {
    if (bytes.length < end + 2) {
      fail(file, `gzip header${where} is truncated`, at);
    }
    end += 2 + (bytes[end] | bytes[end + 1] << 8);
  }
  for (const bit of [8, 16]) { // FNAME, FCOMMENT: zero-terminated
    if (!(flags & bit)) continue;
    while (end < bytes.length && bytes[end] !== 0) end++;
    end++;
  }
  if (flags & 2) {
    if (bytes.length < end + 2) {
      fail(file, `gzip header${where} is truncated`, at);
    }
    const want = bytes[end] | bytes[end + 1] << 8;
    const got = crc32(bytes.subarray(at, end)) & 0xffff;
    if (want !== got) {
      fail(
        file,
        `gzip header CRC-16${where} is "0x${
          want.toString(16).padStart(4, "0")
        }" but the header hashes to "0x${
          got.toString(16).padStart(4, "0")
        }" (corrupt header)`,
        end,
      );
    }
    end += 2;
  }
  if (end > bytes.length) fail(file, `gzip header${where} is truncated`, at);
}

/**
 * Inflates a gzip stream (one or more members) with bounded output and
 * verifies every member's CRC-32 and ISIZE.
 *
 * @param bytes The gzip bytes.
 * @param file The file name for messages.
 * @param options A `plan` that reads the first inflated bytes.
 * @returns The inflated bytes, the full inflated size and the member count.
 * @throws {DataFormatError} On a bad header, corrupt or truncated deflate
 * data, a CRC-32 or length that differs from a trailer, trailing bytes, or
 * output beyond `plan.size`.
 * @throws {LimitError} When the output passes `LIMITS.maxInflatedBytes` or
 * the memory available.
 *
 * @example Keeping only a prefix of a stream that is still fully checked
 * ```ts
 * import assert from "node:assert/strict";
 * import { gzipSync } from "fflate";
 * import { gunzip } from "./_gunzip.ts";
 *
 * const gz = gzipSync(new Uint8Array([3, 1, 2, 3]));
 * const out = gunzip(gz, "n.gz", {
 *   headBytes: 1,
 *   plan: (head) => ({ size: 1 + head[0], keep: 2 }),
 * });
 * assert.deepEqual(Array.from(out.data), [3, 1]);
 * assert.equal(out.size, 4);
 * ```
 */
export function gunzip(
  bytes: Uint8Array,
  file: string,
  options: GunzipOptions = {},
): Gunzipped {
  const headBytes = options.headBytes ?? 0;
  const action = `inflate "${file}"`;
  let max = LIMITS.maxInflatedBytes;
  let declared: number | undefined;
  let keep = Infinity;
  let planned = options.plan === undefined;
  let buffer: Uint8Array | undefined; // fixed-size store once `keep` is known
  const chunks: Uint8Array[] = [];
  let stored = 0;
  let nextMemoryCheck = MEMORY_CHECK_EVERY;
  let total = 0;
  // The current member: where it starts, its running CRC and size.
  let memberStart = 0;
  let memberCrc = 0;
  let memberSize = 0;
  let members = 1;

  const store = (chunk: Uint8Array) => {
    if (buffer) {
      const n = Math.min(chunk.length, buffer.length - stored);
      if (n > 0) buffer.set(chunk.subarray(0, n), stored);
      stored += n;
      return;
    }
    const n = Math.min(chunk.length, keep - stored);
    if (n <= 0) return;
    chunks.push(n === chunk.length ? chunk : chunk.slice(0, n));
    stored += n;
    if (stored >= nextMemoryCheck) {
      checkAllocation(action, stored);
      nextMemoryCheck += MEMORY_CHECK_EVERY;
    }
  };
  const runPlan = () => {
    planned = true;
    const head = concat(chunks, stored);
    chunks.length = 0;
    stored = 0;
    const plan = options.plan!(head.subarray(0, headBytes));
    if (plan.size !== undefined) {
      // A size the data cannot reach is a damaged header, not a big file.
      if (plan.size > bytes.length * MAX_DEFLATE_RATIO + 65536) {
        fail(
          file,
          `its header declares ${plan.size} inflated bytes, more than ${bytes.length} bytes of gzip data can hold (truncated?)`,
        );
      }
      if (plan.size > LIMITS.maxInflatedBytes) {
        throw new LimitError(
          `Cannot ${action}: its header declares ${plan.size} inflated bytes, beyond the limit maxInflatedBytes = ${LIMITS.maxInflatedBytes}`,
          "maxInflatedBytes",
          plan.size,
          LIMITS.maxInflatedBytes,
        );
      }
      declared = plan.size;
      max = plan.size;
    }
    keep = Math.min(plan.keep ?? Infinity, declared ?? Infinity);
    if (Number.isFinite(keep)) {
      checkAllocation(action, keep);
      buffer = new Uint8Array(keep);
    }
    if (total > max) overflow();
    store(head);
  };
  const overflow = (): never => {
    if (declared !== undefined) {
      fail(
        file,
        `gzip data inflates to more than the ${declared} bytes the header declares (trailing bytes)`,
      );
    }
    throw new LimitError(
      `Cannot ${action}: it inflates to more than ${max} bytes, the limit maxInflatedBytes (a gzip bomb?)`,
      "maxInflatedBytes",
      total,
      max,
    );
  };
  const endMember = (trailerAt: number) => {
    if (trailerAt < memberStart + 10 || trailerAt + 8 > bytes.length) {
      fail(
        file,
        `gzip member at byte ${memberStart} has no trailer (truncated?)`,
        trailerAt,
      );
    }
    const crc = u32(bytes, trailerAt);
    const isize = u32(bytes, trailerAt + 4);
    if (crc !== memberCrc) {
      fail(
        file,
        `gzip CRC-32 mismatch: the trailer at byte ${trailerAt} says "0x${
          crc.toString(16).padStart(8, "0")
        }", the inflated data hash to "0x${
          memberCrc.toString(16).padStart(8, "0")
        }" (corrupt data)`,
        trailerAt,
      );
    }
    if (isize !== memberSize % 2 ** 32) {
      fail(
        file,
        `gzip length mismatch: the trailer at byte ${
          trailerAt + 4
        } says ${isize} bytes, the member inflated to ${memberSize} (corrupt data)`,
        trailerAt + 4,
      );
    }
  };

  checkHeader(bytes, 0, file);
  const stream = new Gunzip((chunk) => {
    if (chunk.length === 0) return;
    total += chunk.length;
    if (total > max) overflow();
    memberSize += chunk.length;
    memberCrc = crc32(chunk, memberCrc);
    store(chunk);
    if (!planned && stored >= headBytes) runPlan();
  });
  stream.onmember = (offset: number) => {
    endMember(offset - 8);
    checkHeader(bytes, offset, file);
    memberStart = offset;
    memberCrc = 0;
    memberSize = 0;
    members++;
  };
  try {
    for (let at = 0; at < bytes.length; at += INPUT_CHUNK) {
      const end = Math.min(bytes.length, at + INPUT_CHUNK);
      stream.push(bytes.subarray(at, end), end === bytes.length);
    }
  } catch (err) {
    if (err instanceof DataFormatError || err instanceof LimitError) throw err;
    fail(
      file,
      `gzip data is corrupt or truncated (${
        err instanceof Error ? err.message : String(err)
      })`,
    );
  }
  endMember(bytes.length - 8);
  if (!planned) runPlan();
  if (buffer) {
    return {
      data: stored === buffer.length ? buffer : buffer.subarray(0, stored),
      size: total,
      members,
    };
  }
  checkAllocation(action, stored);
  return { data: concat(chunks, stored), size: total, members };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === length) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
