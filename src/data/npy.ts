/**
 * A byte-level reader for NumPy's `.npy` format (versions 1.0, 2.0 and 3.0).
 *
 * Layout: the magic `\x93NUMPY`, a major and a minor version byte, the header
 * length (2 bytes little-endian for version 1.0, 4 bytes for 2.0 and 3.0),
 * then an ASCII (UTF-8 for 3.0) Python dict literal such as
 * `{'descr': '<f8', 'fortran_order': False, 'shape': (20000,), }`, padded
 * with spaces and a newline; the raw C-order data follows.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";

/** The typed arrays {@linkcode parseNpy} returns. */
export type NpyData =
  | Float32Array
  | Float64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array;

/** A parsed `.npy` array: flat C-order data, its NumPy dtype and its shape. */
export interface NpyArray {
  /**
   * The values in C (row-major) order, in the file's own type: `<f4` ->
   * `Float32Array`, `<f8` -> `Float64Array`, `|u1` and `|b1` ->
   * `Uint8Array`, `|i1` -> `Int8Array`, `<u2` -> `Uint16Array`, `<i2` ->
   * `Int16Array`, `<u4` -> `Uint32Array`, `<i4` -> `Int32Array`. 64-bit
   * integers (`<i8`, `<u8`) become a `Float64Array` (exact for
   * `|x| <= 2^53`; larger values are rejected).
   */
  data: NpyData;
  /** The dtype as written in the header, e.g. `"<f8"` or `">i4"`. */
  dtype: string;
  /** The shape; `[]` for a 0-d array (one value). */
  shape: number[];
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

interface DtypeInfo {
  kind: "f" | "u" | "i" | "b";
  size: number;
}

const SUPPORTED: Record<string, DtypeInfo> = {
  f4: { kind: "f", size: 4 },
  f8: { kind: "f", size: 8 },
  u1: { kind: "u", size: 1 },
  i1: { kind: "i", size: 1 },
  b1: { kind: "b", size: 1 },
  u2: { kind: "u", size: 2 },
  i2: { kind: "i", size: 2 },
  u4: { kind: "u", size: 4 },
  i4: { kind: "i", size: 4 },
  u8: { kind: "u", size: 8 },
  i8: { kind: "i", size: 8 },
};

function fail(file: string, reason: string, offset?: number): never {
  throw new DataFormatError(`Cannot read NPY "${file}": ${reason}`, {
    file,
    offset,
  });
}

/** Parses the header dict literal into its three fields. */
function parseHeader(
  text: string,
  file: string,
  offset: number,
): { descr: string; fortran: boolean; shape: number[] } {
  const t = text.trim();
  if (!t.startsWith("{") || !t.endsWith("}")) {
    fail(
      file,
      `expected a header dict "{...}", found "${t.slice(0, 60)}"`,
      offset,
    );
  }
  if (/['"]descr['"]\s*:\s*\[/.test(t)) {
    fail(
      file,
      `structured dtypes are not supported; found header "${t.slice(0, 120)}"`,
      offset,
    );
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(t);
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(t);
  const shape = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(t);
  if (!descr || !fortran || !shape) {
    const missing = [
      descr ? "" : "descr",
      fortran ? "" : "fortran_order",
      shape ? "" : "shape",
    ].filter((s) => s !== "").join(", ");
    fail(file, `header lacks "${missing}": found "${t.slice(0, 120)}"`, offset);
  }
  const dims: number[] = [];
  const parts = shape[1].split(",").map((s) => s.trim());
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (p === "" && i === parts.length - 1) continue; // trailing comma
    if (!/^\d+L?$/.test(p)) {
      fail(
        file,
        `expected non-negative integer dims in "shape", found "(${shape[1]})"`,
        offset,
      );
    }
    const d = Number.parseInt(p, 10);
    if (!Number.isSafeInteger(d)) fail(file, `dim "${p}" is too large`, offset);
    dims.push(d);
  }
  return { descr: descr[1], fortran: fortran[1] === "True", shape: dims };
}

/**
 * Parses the bytes of a `.npy` file.
 *
 * Big-endian dtypes (`>f8`, `>i4`, ...) are byte-swapped to the host order
 * (the `dtype` field keeps the file's spelling). The data are copied, so the
 * result does not alias `bytes`.
 *
 * @param bytes The whole file.
 * @param file The file name used in error messages.
 * @returns The data (in the file's own type, see {@linkcode NpyArray}),
 * dtype and shape.
 * @throws {DataFormatError} On a bad magic, unknown version, malformed
 * header, `fortran_order: True`, an unsupported dtype (structured, complex,
 * strings, objects, `f2`), a 64-bit integer beyond `2^53`, or a data section
 * whose length differs from `prod(shape) * itemsize`.
 *
 * @example Reading a small float64 vector
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNpy } from "@hsvae/hsvae";
 *
 * const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
 * const pad = 128 - 10 - header.length - 1;
 * const head = new TextEncoder().encode(header + " ".repeat(pad) + "\n");
 * const bytes = new Uint8Array(128 + 16);
 * bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
 * bytes.set(head, 10);
 * new DataView(bytes.buffer).setFloat64(128, 1.5, true);
 * new DataView(bytes.buffer).setFloat64(136, -2, true);
 * const arr = parseNpy(bytes, "x.npy");
 * assert.equal(arr.dtype, "<f8");
 * assert.deepEqual(arr.shape, [2]);
 * assert.deepEqual(Array.from(arr.data), [1.5, -2]);
 * ```
 */
export function parseNpy(bytes: Uint8Array, file = "<bytes>"): NpyArray {
  if (bytes.length < 10) {
    fail(
      file,
      `file is ${bytes.length} bytes, shorter than the 10-byte preamble`,
      0,
    );
  }
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) {
      const found = Array.from(
        bytes.subarray(0, 6),
        (b) => b.toString(16).padStart(2, "0"),
      )
        .join(" ");
      fail(
        file,
        `expected magic "93 4e 55 4d 50 59" (\\x93NUMPY), found "${found}"`,
        i,
      );
    }
  }
  const major = bytes[6];
  const minor = bytes[7];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) {
      fail(
        file,
        `file is ${bytes.length} bytes, shorter than the 12-byte preamble of version ${major}.0`,
        0,
      );
    }
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    fail(
      file,
      `expected format version "1.0", "2.0" or "3.0", found "${major}.${minor}"`,
      6,
    );
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) {
    fail(
      file,
      `header claims ${headerLen} bytes but the file ends at byte ${bytes.length} (truncated?)`,
      8,
    );
  }
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? "utf-8" : "latin1", { fatal: true })
      .decode(bytes.subarray(headerStart, dataStart));
  } catch {
    fail(file, "header is not valid UTF-8", headerStart);
  }
  const { descr, fortran, shape } = parseHeader(text, file, headerStart);
  if (fortran) {
    fail(
      file,
      `"fortran_order: True" is not supported; save with np.ascontiguousarray(x)`,
      headerStart,
    );
  }
  const m = /^([<>|=])([a-zA-Z]\d+)$/.exec(descr);
  const info = m ? SUPPORTED[m[2]] : undefined;
  if (!m || !info) {
    fail(
      file,
      `dtype "${descr}" is not supported; expected one of "<f4 <f8 |u1 |i1 |b1 <u2 <i2 <u4 <i4 <u8 <i8" (or big-endian ">")`,
      headerStart,
    );
  }
  const order = m[1];
  if (order === "|" && info.size > 1) {
    fail(
      file,
      `dtype "${descr}" has no byte order for a ${info.size}-byte type`,
      headerStart,
    );
  }
  const bigEndian = order === ">";
  let count = 1;
  for (const d of shape) count *= d;
  const expectedBytes = count * info.size;
  const actualBytes = bytes.length - dataStart;
  if (!Number.isSafeInteger(expectedBytes) || expectedBytes !== actualBytes) {
    fail(
      file,
      `shape "(${
        shape.join(", ")
      })" of "${descr}" needs ${expectedBytes} data bytes, found ${actualBytes}${
        actualBytes < expectedBytes ? " (truncated?)" : ""
      }`,
      dataStart,
    );
  }
  // Copy into a fresh, aligned buffer.
  const raw = bytes.slice(dataStart, dataStart + expectedBytes);
  if (bigEndian && info.size > 1) {
    for (let i = 0; i < raw.length; i += info.size) {
      raw.subarray(i, i + info.size).reverse();
    }
  }
  const buf = raw.buffer;
  let data: NpyData;
  const code = m[2];
  switch (code) {
    case "f4":
      data = new Float32Array(buf);
      break;
    case "f8":
      data = new Float64Array(buf);
      break;
    case "u1":
      data = new Uint8Array(buf);
      break;
    case "b1": {
      data = new Uint8Array(buf);
      for (let i = 0; i < data.length; i++) {
        if (data[i] > 1) {
          fail(
            file,
            `bool value at index ${i} is ${data[i]}, expected 0 or 1`,
            dataStart + i,
          );
        }
      }
      break;
    }
    case "i1":
      data = new Int8Array(buf);
      break;
    case "u2":
      data = new Uint16Array(buf);
      break;
    case "i2":
      data = new Int16Array(buf);
      break;
    case "u4":
      data = new Uint32Array(buf);
      break;
    case "i4":
      data = new Int32Array(buf);
      break;
    default: {
      // i8 / u8 -> Float64Array, exact up to 2^53.
      const big = code === "i8"
        ? new BigInt64Array(buf)
        : new BigUint64Array(buf);
      const out = new Float64Array(count);
      const limit = BigInt(Number.MAX_SAFE_INTEGER);
      for (let i = 0; i < count; i++) {
        const v = big[i];
        if (v > limit || v < -limit) {
          fail(
            file,
            `int64 value at index ${i} is "${v}", beyond the exact float64 range 2^53`,
            dataStart + i * 8,
          );
        }
        out[i] = Number(v);
      }
      data = out;
    }
  }
  return { data, dtype: descr, shape };
}

/**
 * Reads a `.npy` file from disk (needs `--allow-read`).
 *
 * @param path The file's path.
 * @returns The parsed array, see {@linkcode parseNpy}.
 * @throws {DataFormatError} When the file is not a supported `.npy` file.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 *
 * @example Round trip through a temporary file
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadNpy } from "@hsvae/hsvae";
 *
 * const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }";
 * const head = new TextEncoder().encode(header.padEnd(117, " ") + "\n");
 * const bytes = new Uint8Array(128 + 4);
 * bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
 * bytes.set(head, 10);
 * bytes.set([1, 2, 3, 4], 128);
 * const path = await Deno.makeTempFile({ suffix: ".npy" });
 * await Deno.writeFile(path, bytes);
 * const arr = await loadNpy(path);
 * await Deno.remove(path);
 * assert.deepEqual(arr.shape, [2, 2]);
 * assert.ok(arr.data instanceof Uint8Array);
 * assert.deepEqual(Array.from(arr.data), [1, 2, 3, 4]);
 * ```
 */
export async function loadNpy(path: string): Promise<NpyArray> {
  return parseNpy(await Deno.readFile(path), path);
}
