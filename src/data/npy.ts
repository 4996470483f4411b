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
import { checkAllocation } from "../limits.ts";
import { openBounded } from "./_read_bounded.ts";

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

/** The keys a header must have, exactly (NumPy refuses others too). */
const KEYS = ["descr", "fortran_order", "shape"] as const;
type Key = typeof KEYS[number];

/** One value of the header dict, as written. */
type HeaderValue =
  | { kind: "str"; text: string }
  | { kind: "bool"; value: boolean }
  | { kind: "tuple"; text: string }
  | { kind: "list" }
  | { kind: "other"; text: string };

/**
 * Parses the header dict literal into its three fields: a Python dict of
 * exactly the keys `descr`, `fortran_order` and `shape`, each once, with a
 * string, a bool and a tuple of non-negative integers as values.
 */
function parseHeader(
  text: string,
  file: string,
  offset: number,
): { descr: string; fortran: boolean; shape: number[] } {
  const t = text.trim();
  const show = (n: number) => `"${t.slice(0, n)}"`;
  if (!t.startsWith("{") || !t.endsWith("}")) {
    fail(file, `expected a header dict "{...}", found ${show(60)}`, offset);
  }
  let i = 1;
  const ws = () => {
    while (i < t.length && /\s/.test(t[i])) i++;
  };
  const syntax = (what: string): never =>
    fail(
      file,
      `header is not a dict literal: expected ${what} at character ${i}, found ${
        show(120)
      }`,
      offset,
    );
  const quoted = (): string => {
    const q = t[i];
    const end = t.indexOf(q, i + 1);
    if (end < 0) syntax(`a closing ${q}`);
    const s = t.slice(i + 1, end);
    if (s.includes("\\")) syntax("a string without escapes");
    i = end + 1;
    return s;
  };
  const value = (): HeaderValue => {
    const c = t[i];
    if (c === "'" || c === '"') return { kind: "str", text: quoted() };
    if (t.startsWith("True", i)) return i += 4, { kind: "bool", value: true };
    if (t.startsWith("False", i)) {
      return i += 5, { kind: "bool", value: false };
    }
    if (c === "(") {
      const end = t.indexOf(")", i);
      if (end < 0) syntax('a closing ")"');
      const text = t.slice(i + 1, end);
      i = end + 1;
      return { kind: "tuple", text };
    }
    if (c === "[") return { kind: "list" };
    const m = /^[^,}]*/.exec(t.slice(i))![0];
    i += m.length;
    return { kind: "other", text: m.trim() };
  };
  const fields = new Map<Key, HeaderValue>();
  const unknown: string[] = [];
  ws();
  while (t[i] !== "}") {
    if (t[i] !== "'" && t[i] !== '"') syntax("a quoted key");
    const key = quoted();
    if (!(KEYS as readonly string[]).includes(key)) unknown.push(key);
    if (fields.has(key as Key)) {
      fail(
        file,
        `header has the key "${key}" twice; expected each of "descr", "fortran_order" and "shape" once`,
        offset,
      );
    }
    ws();
    if (t[i] !== ":") syntax('":"');
    i++;
    ws();
    const v = value();
    if (v.kind === "list") {
      if (key === "descr") {
        fail(
          file,
          `structured dtypes are not supported; found header ${show(120)}`,
          offset,
        );
      }
      syntax("a string, True, False or a tuple");
    }
    fields.set(key as Key, v);
    ws();
    if (t[i] === ",") {
      i++;
      ws();
    } else if (t[i] !== "}") syntax('"," or "}"');
  }
  if (i !== t.length - 1) syntax("the end of the header");
  const missing = KEYS.filter((k) => !fields.has(k));
  if (missing.length > 0) {
    fail(
      file,
      `header lacks "${missing.join(", ")}": found ${show(120)}`,
      offset,
    );
  }
  if (unknown.length > 0) {
    fail(
      file,
      `header has the key "${
        unknown[0]
      }"; expected only "descr", "fortran_order" and "shape"`,
      offset,
    );
  }
  const d = fields.get("descr")!;
  const f = fields.get("fortran_order")!;
  const s = fields.get("shape")!;
  const shown = (v: HeaderValue) =>
    v.kind === "str"
      ? `'${v.text}'`
      : v.kind === "bool"
      ? String(v.value)
      : v.kind === "tuple"
      ? `(${v.text})`
      : v.kind === "other"
      ? v.text
      : "[...]";
  if (d.kind !== "str") {
    fail(file, `"descr" must be a string, found "${shown(d)}"`, offset);
  }
  if (f.kind !== "bool") {
    fail(
      file,
      `"fortran_order" must be True or False, found "${shown(f)}"`,
      offset,
    );
  }
  if (s.kind !== "tuple") {
    fail(
      file,
      `"shape" must be a tuple of non-negative integers, found "${shown(s)}"`,
      offset,
    );
  }
  const parts = s.text.split(",").map((p) => p.trim());
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop();
  else if (parts.length === 1 && parts[0] !== "") {
    fail(
      file,
      `"shape" must be a tuple, found "(${s.text})" (a 1-d shape is written "(${
        parts[0]
      },)")`,
      offset,
    );
  } else if (parts.length === 1) parts.pop(); // "()": a 0-d array
  const dims: number[] = [];
  for (const p of parts) {
    if (!/^\d+L?$/.test(p)) {
      fail(
        file,
        `expected non-negative integer dims in "shape", found "(${s.text})"`,
        offset,
      );
    }
    const dim = Number.parseInt(p, 10);
    if (!Number.isSafeInteger(dim)) {
      fail(file, `dim "${p}" is too large`, offset);
    }
    dims.push(dim);
  }
  return { descr: d.text, fortran: f.value, shape: dims };
}

/** A checked `.npy` header: where the data start and how long they are. */
interface NpyHeader {
  descr: string;
  /** The dtype code without byte order, e.g. `"f4"`. */
  code: string;
  info: DtypeInfo;
  bigEndian: boolean;
  shape: number[];
  /** `prod(shape)`. */
  count: number;
  dataStart: number;
  /** `count * itemsize`, a safe integer. */
  dataBytes: number;
}

/** Reads the preamble: magic, version and header length. */
function readPreamble(
  bytes: Uint8Array,
  total: number,
  file: string,
): { major: number; headerStart: number; dataStart: number } {
  if (bytes.length < 10) {
    fail(file, `file is ${total} bytes, shorter than the 10-byte preamble`, 0);
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
        `file is ${total} bytes, shorter than the 12-byte preamble of version ${major}.0`,
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
  if (dataStart > total) {
    fail(
      file,
      `header claims ${headerLen} bytes but the file ends at byte ${total} (truncated?)`,
      8,
    );
  }
  return { major, headerStart, dataStart };
}

/**
 * Parses and checks the header in `bytes` (the file's first bytes, through
 * the end of the header) of a file of `total` bytes, including that the
 * data section is exactly `prod(shape) * itemsize` bytes.
 */
function readNpyHeader(
  bytes: Uint8Array,
  total: number,
  file: string,
): NpyHeader {
  const { major, headerStart, dataStart } = readPreamble(bytes, total, file);
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
  let count = 1;
  for (const d of shape) count *= d;
  const dataBytes = count * info.size;
  const actualBytes = total - dataStart;
  if (!Number.isSafeInteger(dataBytes) || dataBytes !== actualBytes) {
    fail(
      file,
      `shape "(${
        shape.join(", ")
      })" of "${descr}" needs ${dataBytes} data bytes, found ${actualBytes}${
        actualBytes < dataBytes ? " (truncated?)" : ""
      }`,
      dataStart,
    );
  }
  return {
    descr,
    code: m[2],
    info,
    bigEndian: order === ">",
    shape,
    count,
    dataStart,
    dataBytes,
  };
}

/**
 * Turns the data section (`raw`, owned by the caller and not aliased,
 * starting at offset 0 of its buffer) into the typed array of the dtype,
 * byte-swapping big-endian data in place and checking bools and int64s.
 */
function decodeNpyData(raw: Uint8Array, h: NpyHeader, file: string): NpyData {
  const { info, code, count, dataStart } = h;
  if (h.bigEndian && info.size > 1) {
    for (let i = 0; i < raw.length; i += info.size) {
      raw.subarray(i, i + info.size).reverse();
    }
  }
  const buf = raw.buffer;
  switch (code) {
    case "f4":
      return new Float32Array(buf, 0, count);
    case "f8":
      return new Float64Array(buf, 0, count);
    case "u1":
      return raw;
    case "b1": {
      for (let i = 0; i < raw.length; i++) {
        if (raw[i] > 1) {
          fail(
            file,
            `bool value at index ${i} is ${raw[i]}, expected 0 or 1`,
            dataStart + i,
          );
        }
      }
      return raw;
    }
    case "i1":
      return new Int8Array(buf, 0, count);
    case "u2":
      return new Uint16Array(buf, 0, count);
    case "i2":
      return new Int16Array(buf, 0, count);
    case "u4":
      return new Uint32Array(buf, 0, count);
    case "i4":
      return new Int32Array(buf, 0, count);
    default: {
      // i8 / u8 -> Float64Array, exact up to 2^53, written over the input.
      const big = code === "i8"
        ? new BigInt64Array(buf, 0, count)
        : new BigUint64Array(buf, 0, count);
      const out = new Float64Array(buf, 0, count);
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
      return out;
    }
  }
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
  const h = readNpyHeader(bytes, bytes.length, file);
  checkAllocation(`read NPY "${file}"`, h.dataBytes);
  // Copy into a fresh, aligned buffer.
  const raw = bytes.slice(h.dataStart, h.dataStart + h.dataBytes);
  return { data: decodeNpyData(raw, h, file), dtype: h.descr, shape: h.shape };
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
  using file = await openBounded(path);
  const preamble = await file.read(0, Math.min(file.size, 12));
  const { dataStart } = readPreamble(preamble, file.size, path);
  const h = readNpyHeader(await file.read(0, dataStart), file.size, path);
  const raw = await file.read(h.dataStart, h.dataBytes);
  return { data: decodeNpyData(raw, h, path), dtype: h.descr, shape: h.shape };
}
