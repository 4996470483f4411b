/**
 * Readers for the IDX format of MNIST, Fashion-MNIST and KMNIST, raw or
 * gzip-compressed.
 *
 * Layout (big-endian): two zero bytes, a type byte (`0x08` = unsigned byte,
 * the only one used by these datasets), the number of dims `d`, then `d`
 * 32-bit dims, then the data. Image files have magic `0x00000803`
 * (`N x H x W`), label files `0x00000801` (`N`).
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { checkLimit, maybeGunzip } from "./_bytes.ts";

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** The dims from the header, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The bytes after the header (a view of the inflated input). */
  data: Uint8Array;
}

/**
 * Parses one IDX file of unsigned bytes (raw or gzip, detected by magic).
 *
 * @param bytes The file's bytes.
 * @param file The file name used in error messages.
 * @param ndim The expected number of dims (3 for images, 1 for labels).
 * @returns The dims and the data bytes.
 * @throws {DataFormatError} On corrupt gzip, a wrong magic, a type other
 * than `0x08`, a rank other than `ndim`, or a file size that differs from
 * `4 + 4 * ndim + prod(dims)`.
 *
 * @example A 1-dim label file
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdx } from "@hsvae/hsvae";
 *
 * const bytes = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
 * const arr = parseIdx(bytes, "labels.idx", 1);
 * assert.deepEqual(arr.dims, [3]);
 * assert.deepEqual(Array.from(arr.data), [7, 8, 9]);
 * ```
 */
export function parseIdx(
  bytes: Uint8Array,
  file: string,
  ndim: number,
): IdxArray {
  const raw = maybeGunzip(bytes, file);
  const fail = (reason: string, offset?: number): never => {
    throw new DataFormatError(`Cannot read IDX "${file}": ${reason}`, {
      file,
      offset,
    });
  };
  const magic = (0x08 << 8) | ndim;
  const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");
  if (raw.length < 4) {
    fail(`file is ${raw.length} bytes, shorter than the 4-byte magic`, 0);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const found = view.getUint32(0, false);
  if (raw[0] !== 0 || raw[1] !== 0) {
    fail(
      `expected magic "${hex(magic)}", found "${hex(found)}" (not an IDX file)`,
      0,
    );
  }
  if (raw[2] !== 0x08) {
    fail(
      `expected data type byte "0x08" (unsigned byte), found "0x${
        raw[2].toString(16).padStart(2, "0")
      }"`,
      2,
    );
  }
  if (raw[3] !== ndim) {
    fail(
      `expected magic "${hex(magic)}" (${ndim} dims), found "${hex(found)}" (${
        raw[3]
      } dims)`,
      3,
    );
  }
  const headerLen = 4 + 4 * ndim;
  if (raw.length < headerLen) {
    fail(
      `file is ${raw.length} bytes, shorter than the ${headerLen}-byte header (truncated?)`,
      raw.length,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let k = 0; k < ndim; k++) {
    const d = view.getUint32(4 + 4 * k, false);
    dims.push(d);
    count *= d;
  }
  const expected = headerLen + count;
  if (raw.length !== expected) {
    fail(
      `header dims [${dims}] need ${expected} bytes, found ${raw.length}${
        raw.length < expected ? " (truncated?)" : " (trailing bytes)"
      }`,
      headerLen,
    );
  }
  return { dims, data: raw.subarray(headerLen) };
}

/** Options of {@linkcode parseIdxDataset} and {@linkcode loadIdx}. */
export interface IdxOptions {
  /**
   * Keep only the first `limit` images (and labels).
   * @default {undefined} (all)
   */
  limit?: number;
  /**
   * Class names to attach as `names`.
   * @default {undefined}
   */
  names?: string[];
}

/** Options of {@linkcode parseIdxDataset}: {@linkcode IdxOptions} plus file names. */
export interface ParseIdxOptions extends IdxOptions {
  /**
   * Name of the image file in error messages.
   * @default {"<images>"}
   */
  imagesFile?: string;
  /**
   * Name of the label file in error messages.
   * @default {"<labels>"}
   */
  labelsFile?: string;
}

/**
 * Builds a {@linkcode Dataset} from the bytes of an IDX image file and,
 * optionally, its label file. Pixels are scaled by `1 / 255`.
 *
 * @param images Bytes of the `idx3-ubyte` file (raw or gzip).
 * @param labels Bytes of the `idx1-ubyte` file, or `undefined`.
 * @param options Limit, class names and the file names for messages.
 * @returns The dataset, shape `[N, H, W, 1]`, ids `"0"`, `"1"`, ...
 * @throws {DataFormatError} When either file is malformed or the label
 * count differs from the image count.
 * @throws {RangeError} On a bad `limit`.
 *
 * @example Two 1x2 images with labels
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseIdxDataset } from "@hsvae/hsvae";
 *
 * const img = new Uint8Array([0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 255, 51, 102]);
 * const lab = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 4, 9]);
 * const ds = parseIdxDataset(img, lab);
 * assert.deepEqual(ds.shape, [2, 1, 2, 1]);
 * assert.equal(ds.images[1], 1);
 * assert.deepEqual(Array.from(ds.labels!), [4, 9]);
 * ```
 */
export function parseIdxDataset(
  images: Uint8Array,
  labels?: Uint8Array,
  options: ParseIdxOptions = {},
): Dataset {
  checkLimit(options.limit, "read IDX");
  const imgFile = options.imagesFile ?? "<images>";
  const labFile = options.labelsFile ?? "<labels>";
  const img = parseIdx(images, imgFile, 3);
  const lab = labels ? parseIdx(labels, labFile, 1) : undefined;
  const [n0, h, w] = img.dims;
  if (lab && lab.dims[0] !== n0) {
    throw new DataFormatError(
      `Cannot read IDX labels "${labFile}": found ${
        lab.dims[0]
      } labels for ${n0} images in "${imgFile}"`,
      { file: labFile, offset: 4 },
    );
  }
  const n = options.limit === undefined ? n0 : Math.min(n0, options.limit);
  const f = h * w;
  const out = new Float32Array(n * f);
  for (let i = 0; i < n * f; i++) out[i] = img.data[i] / 255;
  const ds: Dataset = { images: out, shape: [n, h, w, 1] };
  if (lab) ds.labels = Int32Array.from(lab.data.subarray(0, n));
  if (options.names) ds.names = options.names.slice();
  ds.ids = Array.from({ length: n }, (_, i) => String(i));
  return ds;
}

/**
 * Loads an IDX image file (and label file) from disk, raw or `.gz`.
 *
 * @param imagesPath Path of the `*-images-idx3-ubyte[.gz]` file.
 * @param labelsPath Path of the `*-labels-idx1-ubyte[.gz]` file, if any.
 * @param options Limit and class names.
 * @returns The dataset, see {@linkcode parseIdxDataset}.
 * @throws {DataFormatError} When a file is malformed.
 * @throws {Deno.errors.NotFound} When a file is missing.
 *
 * @example Loading two tiny files
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadIdx } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/i`, new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 255]));
 * await Deno.writeFile(`${dir}/l`, new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 3]));
 * const ds = await loadIdx(`${dir}/i`, `${dir}/l`);
 * await Deno.remove(dir, { recursive: true });
 * assert.deepEqual(ds.shape, [1, 1, 1, 1]);
 * assert.equal(ds.labels![0], 3);
 * ```
 */
export async function loadIdx(
  imagesPath: string,
  labelsPath?: string,
  options: IdxOptions = {},
): Promise<Dataset> {
  const images = await Deno.readFile(imagesPath);
  const labels = labelsPath === undefined
    ? undefined
    : await Deno.readFile(labelsPath);
  return parseIdxDataset(images, labels, {
    ...options,
    imagesFile: imagesPath,
    labelsFile: labelsPath,
  });
}
