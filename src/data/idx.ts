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
import { checkAllocation } from "../limits.ts";
import type { Dataset } from "./dataset.ts";
import { isGzip, maybeGunzip, takeFirst } from "./_bytes.ts";
import { openBounded } from "./_read_bounded.ts";

/** A parsed IDX file of unsigned bytes. */
export interface IdxArray {
  /** The dims from the header, e.g. `[60000, 28, 28]`. */
  dims: number[];
  /** The bytes after the header (a view of the inflated input). */
  data: Uint8Array;
}

/** An IDX header: dims, header length, and the file size they imply. */
interface IdxHeader {
  dims: number[];
  headerLen: number;
  /** `headerLen + prod(dims)`: the exact (inflated) file size. */
  size: number;
}

function failer(file: string) {
  return (reason: string, offset?: number): never => {
    throw new DataFormatError(`Cannot read IDX "${file}": ${reason}`, {
      file,
      offset,
    });
  };
}

/**
 * Checks the magic, type and rank in `head` (the first bytes of the
 * inflated file; all of it when shorter than the header) and reads the dims.
 */
function readIdxHeader(
  head: Uint8Array,
  file: string,
  ndim: number,
): IdxHeader {
  const fail = failer(file);
  const magic = (0x08 << 8) | ndim;
  const hex = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");
  if (head.length < 4) {
    fail(`file is ${head.length} bytes, shorter than the 4-byte magic`, 0);
  }
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const found = view.getUint32(0, false);
  if (head[0] !== 0 || head[1] !== 0) {
    fail(
      `expected magic "${hex(magic)}", found "${hex(found)}" (not an IDX file)`,
      0,
    );
  }
  if (head[2] !== 0x08) {
    fail(
      `expected data type byte "0x08" (unsigned byte), found "0x${
        head[2].toString(16).padStart(2, "0")
      }"`,
      2,
    );
  }
  if (head[3] !== ndim) {
    fail(
      `expected magic "${hex(magic)}" (${ndim} dims), found "${hex(found)}" (${
        head[3]
      } dims)`,
      3,
    );
  }
  const headerLen = 4 + 4 * ndim;
  if (head.length < headerLen) {
    fail(
      `file is ${head.length} bytes, shorter than the ${headerLen}-byte header (truncated?)`,
      head.length,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let k = 0; k < ndim; k++) {
    const d = view.getUint32(4 + 4 * k, false);
    dims.push(d);
    count *= d;
  }
  return { dims, headerLen, size: headerLen + count };
}

/** Throws unless the file's (inflated) size is the one the header implies. */
function checkIdxSize(header: IdxHeader, size: number, file: string): void {
  if (size !== header.size) {
    failer(file)(
      `header dims [${header.dims}] need ${header.size} bytes, found ${size}${
        size < header.size ? " (truncated?)" : " (trailing bytes)"
      }`,
      header.headerLen,
    );
  }
}

/** Bytes of one record (image or label): `prod(dims[1..])`. */
function recordBytes(dims: number[]): number {
  return dims.slice(1).reduce((p, d) => p * d, 1);
}

/**
 * Parses IDX bytes (raw or gzip), keeping the data of the first
 * `keep(dims[0])` records; a gzip stream is still inflated and checked to
 * its end, but inflation stops as soon as it passes the header's size.
 */
function idxFromBytes(
  bytes: Uint8Array,
  file: string,
  ndim: number,
  keep: (available: number) => number = (n) => n,
): IdxArray {
  const headerLen = 4 + 4 * ndim;
  let header: IdxHeader | undefined;
  const raw = maybeGunzip(bytes, file, {
    headBytes: headerLen,
    plan: (head) => {
      header = readIdxHeader(head, file, ndim);
      return {
        size: header.size,
        keep: headerLen + keep(header.dims[0]) * recordBytes(header.dims),
      };
    },
  });
  header ??= readIdxHeader(raw.data, file, ndim);
  checkIdxSize(header, raw.size, file);
  const n = keep(header.dims[0]);
  return {
    dims: header.dims,
    data: raw.data.subarray(
      headerLen,
      headerLen + n * recordBytes(header.dims),
    ),
  };
}

/**
 * Parses one IDX file of unsigned bytes (raw or gzip, detected by magic).
 *
 * A gzip stream is inflated a chunk at a time and stops as soon as it
 * passes the size the IDX header declares, `LIMITS.maxInflatedBytes` or
 * the available memory; every member's CRC-32 and length are checked
 * against its trailer.
 *
 * @param bytes The file's bytes.
 * @param file The file name used in error messages.
 * @param ndim The expected number of dims (3 for images, 1 for labels).
 * @returns The dims and the data bytes.
 * @throws {DataFormatError} On corrupt gzip (including a CRC-32 or length
 * that differs from the trailer), a wrong magic, a type other than `0x08`,
 * a rank other than `ndim`, or a file size that differs from
 * `4 + 4 * ndim + prod(dims)`.
 * @throws {LimitError} When the gzip data would inflate beyond
 * `LIMITS.maxInflatedBytes` or the memory available.
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
  return idxFromBytes(bytes, file, ndim);
}

/**
 * Reads one IDX file from disk with bounds: a raw file's header is read
 * first and checked against the file's size, then only the first `keep`
 * records; a gzip file is read whole (its size checked first) and
 * inflated with {@linkcode idxFromBytes}.
 */
async function readIdxFile(
  path: string,
  ndim: number,
  keep: (available: number) => number,
): Promise<IdxArray> {
  using file = await openBounded(path);
  const headerLen = 4 + 4 * ndim;
  const head = await file.read(0, Math.min(file.size, headerLen));
  if (isGzip(head)) {
    return idxFromBytes(await file.read(0, file.size), path, ndim, keep);
  }
  maybeGunzip(head, path); // a ".gz" name without the magic is refused
  const header = readIdxHeader(head, path, ndim);
  checkIdxSize(header, file.size, path);
  const bytes = keep(header.dims[0]) * recordBytes(header.dims);
  return { dims: header.dims, data: await file.read(headerLen, bytes) };
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
 * Turns parsed image and label arrays (data of the first `n` records
 * only) into a dataset: checks the label count, the image size and the
 * label range, then copies the pixels scaled by `1 / 255`.
 */
function idxToDataset(
  img: IdxArray,
  lab: IdxArray | undefined,
  n: number,
  files: { images: string; labels: string },
  names: string[] | undefined,
): Dataset {
  const [n0, h, w] = img.dims;
  if (lab && lab.dims[0] !== n0) {
    throw new DataFormatError(
      `Cannot read IDX labels "${files.labels}": found ${
        lab.dims[0]
      } labels for ${n0} images in "${files.images}"`,
      { file: files.labels, offset: 4 },
    );
  }
  if (n0 > 0 && h * w === 0) {
    throw new DataFormatError(
      `Cannot read IDX "${files.images}": header dims [${img.dims}] describe images with no pixels`,
      { file: files.images, offset: 8 },
    );
  }
  if (lab && names) {
    for (let i = 0; i < n; i++) {
      if (lab.data[i] >= names.length) {
        throw new DataFormatError(
          `Cannot read IDX labels "${files.labels}": label ${i} is ${
            lab.data[i]
          }, expected 0..${names.length - 1} (${names.length} classes)`,
          { file: files.labels, offset: 8 + i },
        );
      }
    }
  }
  const f = h * w;
  checkAllocation(`read IDX "${files.images}"`, n * f * 4);
  const out = new Float32Array(n * f);
  for (let i = 0; i < n * f; i++) out[i] = img.data[i] / 255;
  const ds: Dataset = { images: out, shape: [n, h, w, 1] };
  if (lab) ds.labels = Int32Array.from(lab.data.subarray(0, n));
  if (names) ds.names = names.slice();
  ds.ids = Array.from({ length: n }, (_, i) => String(i));
  if (n < n0) ds.available = n0;
  return ds;
}

/**
 * Builds a {@linkcode Dataset} from the bytes of an IDX image file and,
 * optionally, its label file. Pixels are scaled by `1 / 255`.
 *
 * With `limit`, only the first `limit` images are copied; a gzip file is
 * still inflated to its end (never past the size its header declares) so
 * that its CRC-32 and length are checked. `available` is set when
 * `limit` kept fewer images than the file holds.
 *
 * @param images Bytes of the `idx3-ubyte` file (raw or gzip).
 * @param labels Bytes of the `idx1-ubyte` file, or `undefined`.
 * @param options Limit, class names and the file names for messages.
 * @returns The dataset, shape `[N, H, W, 1]`, ids `"0"`, `"1"`, ...
 * @throws {DataFormatError} When either file is malformed (see
 * {@linkcode parseIdx}), the label count differs from the image count,
 * the images have no pixels, or (with `names`) a kept label is not below
 * `names.length`.
 * @throws {LimitError} When the data would inflate or allocate beyond
 * {@linkcode LIMITS} or the memory available.
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
 * assert.equal(parseIdxDataset(img, lab, { limit: 1 }).available, 2);
 * ```
 */
export function parseIdxDataset(
  images: Uint8Array,
  labels?: Uint8Array,
  options: ParseIdxOptions = {},
): Dataset {
  const files = {
    images: options.imagesFile ?? "<images>",
    labels: options.labelsFile ?? "<labels>",
  };
  const keep = (available: number) =>
    takeFirst(available, options.limit, "read IDX");
  keep(0); // checks the option before anything is read
  const img = idxFromBytes(images, files.images, 3, keep);
  const lab = labels ? idxFromBytes(labels, files.labels, 1, keep) : undefined;
  return idxToDataset(img, lab, keep(img.dims[0]), files, options.names);
}

/**
 * Loads an IDX image file (and label file) from disk, raw or `.gz`.
 *
 * Only regular files are read. A raw file's header is read first and
 * checked against the file's size, then only the images `limit` keeps; a
 * gzip file is read whole (its size checked first) and inflated as in
 * {@linkcode parseIdx}.
 *
 * @param imagesPath Path of the `*-images-idx3-ubyte[.gz]` file.
 * @param labelsPath Path of the `*-labels-idx1-ubyte[.gz]` file, if any.
 * @param options Limit and class names.
 * @returns The dataset, see {@linkcode parseIdxDataset}.
 * @throws {DataFormatError} When a file is malformed, or is not a regular
 * file (a device such as `/dev/zero`, a FIFO).
 * @throws {LimitError} When a file or its data are beyond
 * {@linkcode LIMITS} or the memory available.
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
  const keep = (available: number) =>
    takeFirst(available, options.limit, "read IDX");
  keep(0);
  const img = await readIdxFile(imagesPath, 3, keep);
  const lab = labelsPath === undefined
    ? undefined
    : await readIdxFile(labelsPath, 1, keep);
  return idxToDataset(
    img,
    lab,
    keep(img.dims[0]),
    { images: imagesPath, labels: labelsPath ?? "<labels>" },
    options.names,
  );
}
