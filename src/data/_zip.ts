/**
 * A strict reader of zip archives (PKWARE APPNOTE 6.3), for `.npz` files.
 *
 * fflate's `unzipSync` trusts the sizes it finds, keeps the last of two
 * members with the same name, and checks no CRC. Here the central
 * directory is read first and checked: one disk, entries inside the file,
 * no two with the same name, stored (0) or deflated (8) members only, no
 * encryption. A member is then inflated only when asked for, its declared
 * size checked against `LIMITS.maxInflatedBytes` and the available memory
 * *before* inflating, the output bounded by that size, and its CRC-32
 * compared with the directory's. Zip64 sizes and offsets (NumPy writes
 * zip64 local headers) are read.
 *
 * @example Listing and reading a member
 * ```ts
 * import assert from "node:assert/strict";
 * import { zipSync } from "fflate";
 * import { readZip } from "./_zip.ts";
 *
 * const zip = readZip(zipSync({ "a.txt": new TextEncoder().encode("hi") }), "a.zip");
 * assert.deepEqual(zip.entries.map((e) => e.name), ["a.txt"]);
 * assert.equal(new TextDecoder().decode(zip.extract(zip.entries[0])), "hi");
 * ```
 *
 * @module
 */
import { Inflate } from "fflate";
import { DataFormatError } from "../errors.ts";
import { checkAllocation, checkSize } from "../limits.ts";
import { crc32 } from "./_crc32.ts";
import { MAX_DEFLATE_RATIO } from "./_gunzip.ts";

/** One member as the central directory describes it. */
export interface ZipEntry {
  /** The member's name (path inside the archive). */
  name: string;
  /** 0 (stored) or 8 (deflated). */
  method: number;
  /** The CRC-32 of the inflated bytes. */
  crc: number;
  /** Compressed size in bytes. */
  compressedSize: number;
  /** Inflated size in bytes. */
  size: number;
  /** Offset of the member's local header. */
  offset: number;
}

/** An archive read by {@linkcode readZip}. */
export interface ZipArchive {
  /** The members, in central-directory order, names unique. */
  entries: ZipEntry[];
  /**
   * Inflates one member (bounded by its declared size) and checks its
   * length and CRC-32.
   */
  extract(entry: ZipEntry): Uint8Array;
}

/** Input bytes per push when inflating (each inflates to at most ~16 MiB). */
const INPUT_CHUNK = 1 << 14;
/** The first output buffer of a deflated member; doubled as needed. */
const INITIAL_OUTPUT = 1 << 24;

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/**
 * Reads the central directory of a zip archive.
 *
 * @param bytes The archive.
 * @param file The file name for messages.
 * @param format The format's name for messages ("Cannot read NPZ ...").
 * @default format "zip"
 * @returns The entries and a bounded, checked `extract`.
 * @throws {DataFormatError} When the archive is damaged, spans disks,
 * holds two members of the same name, or a member is encrypted or uses a
 * method other than stored or deflate; `extract` throws one when a member
 * is corrupt, inflates to another size, or fails its CRC-32.
 * @throws {LimitError} When `extract` is asked for a member whose declared
 * size is beyond `LIMITS.maxInflatedBytes` or the memory available.
 *
 * @example Two members of the same name are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { zipSync } from "fflate";
 * import { readZip } from "./_zip.ts";
 *
 * const zip = zipSync({ "x.npy": new Uint8Array(1), "y.npy": new Uint8Array(1) });
 * // rename the directory's "y.npy" (the last one in the file) to "x.npy"
 * zip[new TextDecoder("latin1").decode(zip).lastIndexOf("y.npy")] = 0x78;
 * assert.throws(() => readZip(zip, "d.npz"), /two members named "x\.npy"/);
 * ```
 */
export function readZip(
  bytes: Uint8Array,
  file: string,
  format = "zip",
): ZipArchive {
  const fail = (reason: string, offset?: number): never => {
    throw new DataFormatError(`Cannot read ${format} "${file}": ${reason}`, {
      file,
      offset,
    });
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, true);
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => {
    const v = view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      fail(`zip64 field at byte ${at} is ${v}, beyond 2^53`, at);
    }
    return Number(v);
  };
  const inside = (at: number, length: number) =>
    at >= 0 && length >= 0 && at + length <= bytes.length;

  // End of central directory: the last signature whose comment ends the file.
  let eocd = -1;
  for (
    let at = bytes.length - 22;
    at >= Math.max(0, bytes.length - 22 - 65535);
    at--
  ) {
    if (u32(at) === EOCD && at + 22 + u16(at + 20) === bytes.length) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) {
    fail(
      `no end-of-central-directory record (not a zip archive, or truncated)`,
      bytes.length,
    );
  }
  let disk = u16(eocd + 4);
  let cdDisk = u16(eocd + 6);
  let onDisk = u16(eocd + 8);
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  let cdEnd = eocd;
  if (
    count === 0xffff || onDisk === 0xffff || cdSize === 0xffffffff ||
    cdOffset === 0xffffffff
  ) {
    const loc = eocd - 20;
    if (loc < 0 || u32(loc) !== ZIP64_LOCATOR) {
      fail(`zip64 fields without a zip64 locator`, eocd);
    }
    const rec = u64(loc + 8);
    if (!inside(rec, 56) || u32(rec) !== ZIP64_EOCD || rec > loc - 56) {
      fail(`zip64 end record at byte ${rec} is missing or damaged`, loc + 8);
    }
    disk = u32(rec + 16);
    cdDisk = u32(rec + 20);
    onDisk = u64(rec + 24);
    count = u64(rec + 32);
    cdSize = u64(rec + 40);
    cdOffset = u64(rec + 48);
    cdEnd = rec;
  }
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count) {
    fail(`archives spanning several disks are not supported`, eocd + 4);
  }
  if (cdOffset + cdSize > cdEnd) {
    fail(
      `central directory (bytes ${cdOffset}..${
        cdOffset + cdSize
      }) runs past its end record at byte ${cdEnd} (truncated?)`,
      eocd + 16,
    );
  }
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  let at = cdOffset;
  for (let k = 0; k < count; k++) {
    if (at + 46 > cdOffset + cdSize || u32(at) !== CENTRAL) {
      fail(`central directory entry ${k} at byte ${at} is damaged`, at);
    }
    const flags = u16(at + 8);
    const method = u16(at + 10);
    const crc = u32(at + 16);
    let compressedSize = u32(at + 20);
    let size = u32(at + 24);
    const nameLen = u16(at + 28);
    const extraLen = u16(at + 30);
    const commentLen = u16(at + 32);
    let offset = u32(at + 42);
    const next = at + 46 + nameLen + extraLen + commentLen;
    if (next > cdOffset + cdSize) {
      fail(`central directory entry ${k} at byte ${at} is damaged`, at);
    }
    const raw = bytes.subarray(at + 46, at + 46 + nameLen);
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(
      raw,
    );
    // Zip64 extra field: the 32-bit fields set to 0xffffffff, in order.
    for (let e = at + 46 + nameLen; e + 4 <= at + 46 + nameLen + extraLen;) {
      const id = u16(e);
      const len = u16(e + 2);
      if (e + 4 + len > at + 46 + nameLen + extraLen) {
        fail(`extra field of member "${name}" is damaged`, e);
      }
      if (id === 1) {
        let p = e + 4;
        const take = () => {
          if (p + 8 > e + 4 + len) {
            fail(`zip64 extra field of member "${name}" is too short`, e);
          }
          const v = u64(p);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (offset === 0xffffffff) offset = take();
      }
      e += 4 + len;
    }
    if (flags & 1) fail(`member "${name}" is encrypted`, at + 8);
    if (method !== 0 && method !== 8) {
      fail(
        `member "${name}" uses compression method ${method}; only 0 (stored) and 8 (deflate) are supported`,
        at + 10,
      );
    }
    if (names.has(name)) {
      fail(
        `two members named "${name}" (which one is meant?); rebuild the archive with unique names`,
        at + 46,
      );
    }
    names.add(name);
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 65536) {
      fail(
        `member "${name}" declares ${size} inflated bytes, more than its ${compressedSize} compressed bytes can hold`,
        at + 24,
      );
    }
    if (method === 0 && compressedSize !== size) {
      fail(
        `stored member "${name}" has compressed size ${compressedSize} but size ${size}`,
        at + 20,
      );
    }
    entries.push({ name, method, crc, compressedSize, size, offset });
    at = next;
  }

  const extract = (entry: ZipEntry): Uint8Array => {
    const { name, offset } = entry;
    if (!inside(offset, 30) || u32(offset) !== LOCAL) {
      fail(
        `local header of member "${name}" at byte ${offset} is missing`,
        offset,
      );
    }
    const localFlags = u16(offset + 6);
    const nameEnd = offset + 30 + u16(offset + 26);
    const start = nameEnd + u16(offset + 28);
    const localName = inside(offset, start - offset)
      ? new TextDecoder(localFlags & 0x800 ? "utf-8" : "latin1").decode(
        bytes.subarray(offset + 30, nameEnd),
      )
      : undefined;
    if (
      localName !== name || !inside(start, entry.compressedSize) ||
      start + entry.compressedSize > cdOffset
    ) {
      fail(
        `member "${name}" (local header at byte ${offset}) does not match the central directory or runs past it`,
        offset,
      );
    }
    const action = `inflate "${file}:${name}"`;
    checkSize(action, "maxInflatedBytes", entry.size);
    checkAllocation(action, entry.size);
    const data = bytes.subarray(start, start + entry.compressedSize);
    let out: Uint8Array;
    if (entry.method === 0) {
      out = data.slice();
    } else {
      // Grown as the data really inflate (up to the declared size), so a
      // directory that lies about the size costs no memory.
      out = new Uint8Array(Math.min(entry.size, INITIAL_OUTPUT));
      let got = 0;
      const stream = new Inflate((chunk) => {
        if (got + chunk.length > entry.size) {
          fail(
            `member "${name}" inflates to more than its declared ${entry.size} bytes`,
            start,
          );
        }
        if (got + chunk.length > out.length) {
          const grown = new Uint8Array(
            Math.min(entry.size, Math.max(2 * out.length, got + chunk.length)),
          );
          grown.set(out.subarray(0, got));
          out = grown;
        }
        out.set(chunk, got);
        got += chunk.length;
      });
      try {
        if (data.length === 0) stream.push(data, true);
        for (let p = 0; p < data.length; p += INPUT_CHUNK) {
          const end = Math.min(data.length, p + INPUT_CHUNK);
          stream.push(data.subarray(p, end), end === data.length);
        }
      } catch (err) {
        if (err instanceof DataFormatError) throw err;
        fail(
          `member "${name}" has corrupt or truncated deflate data (${
            err instanceof Error ? err.message : String(err)
          })`,
          start,
        );
      }
      if (got !== entry.size) {
        fail(
          `member "${name}" inflates to ${got} bytes, the directory says ${entry.size}`,
          start,
        );
      }
    }
    const crc = crc32(out);
    if (crc !== entry.crc) {
      fail(
        `CRC-32 mismatch in member "${name}": the directory says "0x${
          entry.crc.toString(16).padStart(8, "0")
        }", the data hash to "0x${
          crc.toString(16).padStart(8, "0")
        }" (corrupt data)`,
        start,
      );
    }
    return out;
  };
  return { entries, extract };
}
