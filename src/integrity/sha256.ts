/**
 * The one SHA-256 of the toolkit (manifests, data fingerprints): Web
 * Crypto's digest as lower-case hex.
 *
 * @module
 */

/**
 * SHA-256 of bytes (any typed array, read as its bytes) or of a string's
 * UTF-8, as 64 lower-case hex digits.
 *
 * @param data The bytes, or a string.
 * @returns The digest in hex.
 *
 * @example The standard test vector
 * ```ts
 * import assert from "node:assert/strict";
 * import { sha256Hex } from "./sha256.ts";
 *
 * assert.equal(
 *   await sha256Hex("abc"),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * assert.equal(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63])), await sha256Hex("abc"));
 * ```
 */
export async function sha256Hex(
  data: ArrayBufferView | string,
): Promise<string> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
