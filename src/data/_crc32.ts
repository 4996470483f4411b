/**
 * CRC-32 (ISO 3309 / ITU-T V.42, the checksum of gzip and zip members):
 * reflected polynomial `0xEDB88320`, initial value and final XOR
 * `0xFFFFFFFF`. fflate computes it internally but does not export it, and
 * does not verify it when inflating, so the loaders check it here.
 *
 * Method: table-driven, one 256-entry table, one byte per step.
 *
 * @example The standard check value
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "./_crc32.ts";
 *
 * assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 *
 * @module
 */

function makeTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** `TABLE[b]`: the CRC register after shifting byte `b` through it. */
const TABLE: Uint32Array = makeTable();

/**
 * The CRC-32 of `bytes`, continuing from `previous` (the CRC of the bytes
 * before them) so that a stream can be checked chunk by chunk.
 *
 * @param bytes The bytes.
 * @param previous The CRC-32 of everything before `bytes`.
 * @default previous 0 (start of a stream)
 * @returns The CRC-32 as an unsigned 32-bit integer.
 *
 * @example Chunk by chunk equals all at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { crc32 } from "./_crc32.ts";
 *
 * const all = new TextEncoder().encode("hello world");
 * assert.equal(crc32(all.subarray(5), crc32(all.subarray(0, 5))), crc32(all));
 * assert.equal(crc32(new Uint8Array(0)), 0);
 * ```
 */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const t = TABLE;
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = t[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}
