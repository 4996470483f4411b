/**
 * Image datasets stored as NumPy arrays: one `.npy` file, or an `.npz`
 * archive holding images (and labels).
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { checkAllocation } from "../limits.ts";
import type { Dataset } from "./dataset.ts";
import { loadNpy, type NpyArray, parseNpy } from "./npy.ts";
import { checkLimit, takeFirst } from "./_bytes.ts";
import { openBounded, readFileBounded } from "./_read_bounded.ts";
import { readZip, type ZipArchive } from "./_zip.ts";

/** Options of {@linkcode npyToDataset} and {@linkcode loadNpyDataset}. */
export interface NpyDatasetOptions {
  /**
   * How to map values to `[0, 1]`: a factor applied to every value, or
   * `"auto"`: bools (`|b1`) are kept as 0 and 1; other integer dtypes are
   * divided by 255 (and must lie in `[0, 255]`); float data already in
   * `[0, 1]` is kept, float data in `[0, 255]` with a value above 1 is
   * divided by 255, anything else is an error.
   * @default {"auto"}
   */
  scale?: "auto" | number;
  /**
   * Keep only the first `limit` images; the float copy is made of those
   * only, and `available` says how many the file holds.
   * @default {undefined} (all)
   */
  limit?: number;
  /**
   * Labels, one per image (e.g. from a second `.npy`): integers in
   * `[0, 2^31)`.
   * @default {undefined}
   */
  labels?: ArrayLike<number>;
  /**
   * For `.npz`: the member holding the images; when omitted, `"x"`,
   * `"images"`, `"data"`, `"arr_0"` are tried in that order.
   * @default {undefined}
   */
  imagesKey?: string;
  /**
   * For `.npz`: the member holding the labels; when omitted, `"y"`,
   * `"labels"`, `"arr_1"` are tried (labels are optional).
   * @default {undefined}
   */
  labelsKey?: string;
}

/**
 * Turns an `N x H x W x C` (or `N x H x W`, read as `C = 1`) array into a
 * {@linkcode Dataset}.
 *
 * @param arr The parsed array.
 * @param file The file name used in error messages.
 * @param options Scale, limit and labels.
 * @returns The dataset; ids are `"0"`, `"1"`, ...; `available` is set
 * when `limit` kept fewer images than the array holds.
 * @throws {DataFormatError} When the rank is not 3 or 4, the images have
 * no pixels (`H`, `W` or `C` is 0), float data holds NaN or Infinity (the
 * message names the first bad index), values fall outside the range the
 * scale allows, the label count differs from N, or a kept label is not an
 * integer in `[0, 2^31)` (negative, fractional, NaN).
 * @throws {LimitError} When the float copy is beyond `LIMITS.maxArrayBytes`
 * or the memory available.
 * @throws {RangeError} On a bad `scale` or `limit`.
 *
 * @example A uint8 array of two 1x1 gray images
 * ```ts
 * import assert from "node:assert/strict";
 * import { npyToDataset } from "@hsvae/hsvae";
 *
 * const ds = npyToDataset({ data: new Uint8Array([0, 255]), dtype: "|u1", shape: [2, 1, 1] }, "x.npy");
 * assert.deepEqual(ds.shape, [2, 1, 1, 1]);
 * assert.deepEqual(Array.from(ds.images), [0, 1]);
 * ```
 */
export function npyToDataset(
  arr: NpyArray,
  file: string,
  options: NpyDatasetOptions = {},
): Dataset {
  checkLimit(options.limit, "read NPY dataset");
  const scaleOpt = options.scale ?? "auto";
  if (
    scaleOpt !== "auto" &&
    !(typeof scaleOpt === "number" && Number.isFinite(scaleOpt) && scaleOpt > 0)
  ) {
    throw new RangeError(
      `Cannot read NPY dataset: "scale" must be "auto" or a positive number, found "${scaleOpt}"`,
    );
  }
  const fail = (reason: string): never => {
    throw new DataFormatError(`Cannot read NPY dataset "${file}": ${reason}`, {
      file,
    });
  };
  if (arr.shape.length !== 3 && arr.shape.length !== 4) {
    fail(
      `expected an N x H x W x C or N x H x W array, found shape "(${
        arr.shape.join(", ")
      })"`,
    );
  }
  const [n0, h, w] = arr.shape;
  const c = arr.shape.length === 4 ? arr.shape[3] : 1;
  if (n0 > 0 && h * w * c === 0) {
    fail(
      `shape "(${arr.shape.join(", ")})" describes images with no pixels`,
    );
  }
  if (arr.data.length !== n0 * h * w * c) {
    fail(
      `shape "(${arr.shape.join(", ")})" needs ${
        n0 * h * w * c
      } values, found ${arr.data.length}`,
    );
  }
  const n = takeFirst(n0, options.limit, "read NPY dataset");
  const size = n * h * w * c;
  const src = arr.data;
  const isFloat = src instanceof Float32Array || src instanceof Float64Array;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < size; i++) {
    const v = src[i];
    if (!Number.isFinite(v)) {
      fail(`value at flat index ${i} is ${v}; expected finite numbers`);
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  let scale: number;
  if (scaleOpt !== "auto") {
    scale = scaleOpt;
  } else if (arr.dtype.endsWith("b1")) {
    scale = 1;
  } else if (!isFloat || (max > 1 && max <= 255 && min >= 0)) {
    scale = 1 / 255;
  } else {
    scale = 1;
  }
  if (size > 0 && (min * scale < 0 || max * scale > 1 + 1e-6)) {
    fail(
      `values span [${min}, ${max}] (dtype "${arr.dtype}"), which scale ${scale} does not map into [0, 1]; pass a "scale" option or normalize the data`,
    );
  }
  checkAllocation(`read NPY dataset "${file}"`, size * 4);
  const images = new Float32Array(size);
  for (let i = 0; i < size; i++) images[i] = Math.min(1, src[i] * scale);
  const ds: Dataset = {
    images,
    shape: [n, h, w, c],
    ids: Array.from({ length: n }, (_, i) => String(i)),
  };
  if (n < n0) ds.available = n0;
  if (options.labels) {
    if (options.labels.length !== n0) {
      fail(`found ${options.labels.length} labels for ${n0} images`);
    }
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const l = options.labels[i];
      if (!(Number.isInteger(l) && l >= 0 && l <= 0x7fffffff)) {
        fail(
          `label ${i} is "${l}", expected an integer in [0, 2147483647]`,
        );
      }
      labels[i] = l;
    }
    ds.labels = labels;
  }
  return ds;
}

/**
 * Parses a `.npz` archive (stored or deflated zip of `.npy` members).
 *
 * @param bytes The archive's bytes.
 * @param file The file name used in error messages.
 * @returns The arrays by member name without the `.npy` suffix.
 * @throws {DataFormatError} When the zip is corrupt (a damaged directory,
 * a member that fails its CRC-32 or inflates to another size than the
 * directory declares), holds two members of the same name, or a member is
 * not a valid `.npy`.
 * @throws {LimitError} When a member's declared size is beyond
 * `LIMITS.maxInflatedBytes` or the memory available.
 *
 * @example An archive built with fflate
 * ```ts
 * import assert from "node:assert/strict";
 * import { zipSync } from "fflate";
 * import { parseNpz } from "@hsvae/hsvae";
 *
 * const head = new TextEncoder().encode("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }".padEnd(117) + "\n");
 * const npy = new Uint8Array(129);
 * npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
 * npy.set(head, 10);
 * npy[128] = 7;
 * const arrays = parseNpz(zipSync({ "y.npy": npy }), "a.npz");
 * assert.deepEqual(Array.from(arrays.y.data), [7]);
 * ```
 */
export function parseNpz(
  bytes: Uint8Array,
  file: string,
): Record<string, NpyArray> {
  const zip = openNpz(bytes, file);
  const out: Record<string, NpyArray> = {};
  for (const entry of zip.entries) {
    if (!entry.name.endsWith(".npy")) continue;
    out[entry.name.slice(0, -4)] = parseNpy(
      zip.extract(entry),
      `${file}:${entry.name}`,
    );
  }
  return out;
}

/** Reads an archive's directory, rewording errors as NPZ errors. */
function openNpz(bytes: Uint8Array, file: string): ZipArchive {
  try {
    return readZip(bytes, file, "NPZ");
  } catch (err) {
    if (!(err instanceof DataFormatError)) throw err;
    throw new DataFormatError(
      `Cannot read NPZ "${file}": not a valid zip archive (${
        err.message.replace(/^Cannot read NPZ "[^"]*": /, "")
      })`,
      { file, offset: err.offset },
    );
  }
}

/**
 * The archive member holding `what`: `key` when given, else the first of
 * `defaults` present (`undefined` when none is and it is optional).
 */
function pick(
  zip: ZipArchive,
  key: string | undefined,
  defaults: string[],
  file: string,
  what: string,
  required: boolean,
): NpyArray | undefined {
  const keys = key === undefined ? defaults : [key];
  for (const k of keys) {
    const entry = zip.entries.find((e) => e.name === `${k}.npy`);
    if (entry) return parseNpy(zip.extract(entry), `${file}:${entry.name}`);
  }
  if (!required && key === undefined) return undefined;
  const found = zip.entries.filter((e) => e.name.endsWith(".npy")).map((e) =>
    e.name.slice(0, -4)
  );
  throw new DataFormatError(
    `Cannot read NPZ "${file}": no ${what} member among "${
      keys.join('", "')
    }"; found "${found.join('", "')}" (pass "${what}Key")`,
    { file },
  );
}

/**
 * Loads an image dataset from a `.npy` file (`N x H x W x C` or
 * `N x H x W`, uint8 or float) or an `.npz` archive with images and
 * optional labels.
 *
 * Only regular files are read (not `/dev/zero` or a FIFO), their size
 * checked first; of an `.npz`, only the images and labels members are
 * inflated, each bounded by the size the central directory declares and
 * checked against its CRC-32.
 *
 * @param path The `.npy` or `.npz` file (format detected by content).
 * @param options Scale, limit, labels, npz member names.
 * @returns The dataset, see {@linkcode npyToDataset}.
 * @throws {DataFormatError} When the file is malformed (see
 * {@linkcode parseNpy}, {@linkcode parseNpz}), holds NaN/Inf or bad
 * labels, or is not a regular file.
 * @throws {LimitError} When the file or a member is beyond
 * {@linkcode LIMITS} or the memory available.
 * @throws {Deno.errors.NotFound} When the file is missing.
 *
 * @example A one-image uint8 file
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadNpyDataset } from "@hsvae/hsvae";
 *
 * const head = new TextEncoder().encode("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 2), }".padEnd(117) + "\n");
 * const bytes = new Uint8Array(130);
 * bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
 * bytes.set(head, 10);
 * bytes.set([51, 255], 128);
 * const path = await Deno.makeTempFile({ suffix: ".npy" });
 * await Deno.writeFile(path, bytes);
 * const ds = await loadNpyDataset(path);
 * await Deno.remove(path);
 * assert.deepEqual(ds.shape, [1, 1, 2, 1]);
 * assert.deepEqual(Array.from(ds.images), [0.2, 1].map(Math.fround));
 * ```
 */
export async function loadNpyDataset(
  path: string,
  options: NpyDatasetOptions = {},
): Promise<Dataset> {
  if (await isZip(path)) {
    const zip = openNpz(await readFileBounded(path), path);
    const x = pick(
      zip,
      options.imagesKey,
      ["x", "images", "data", "arr_0"],
      path,
      "images",
      true,
    )!;
    const y = options.labels ? undefined : pick(
      zip,
      options.labelsKey,
      ["y", "labels", "arr_1"],
      path,
      "labels",
      false,
    );
    return npyToDataset(x, path, {
      ...options,
      labels: options.labels ?? y?.data,
    });
  }
  return npyToDataset(await loadNpy(path), path, options);
}

/** True when the file starts with a zip signature's `PK`. */
async function isZip(path: string): Promise<boolean> {
  using file = await openBounded(path);
  const b = await file.read(0, Math.min(4, file.size));
  return b.length === 4 && b[0] === 0x50 && b[1] === 0x4b;
}
