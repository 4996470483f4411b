/**
 * Loading a dataset from a path without naming its format:
 * {@linkcode detectFormat} tells IDX, CIFAR binaries, NumPy files and image
 * folders apart by their file names, and {@linkcode loadAny} loads the
 * result (with the test split, when the source has one).
 *
 * @example Whatever the path holds
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy } from "@hsvae/hsvae";
 * import { loadAny } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/x.npy`, encodeNpy(new Float32Array(2 * 9), [2, 3, 3]));
 * const { train, test } = await loadAny(`${dir}/x.npy`);
 * await Deno.remove(dir, { recursive: true });
 * assert.deepEqual(train.shape, [2, 3, 3, 1]);
 * assert.equal(test, undefined);
 * ```
 *
 * @module
 */
import type { Dataset } from "./dataset.ts";
import { loadBundled, loadFashionMnist } from "./fashion_mnist.ts";
import { loadIdx } from "./idx.ts";
import { loadCifar } from "./cifar.ts";
import { loadNpyDataset } from "./npy_dataset.ts";
import { loadImageFolder } from "./image_folder.ts";
import type { SkippedEntries } from "./skipped_entries.ts";
import { assertRegularFile } from "./_read_bounded.ts";

/**
 * The formats {@linkcode loadAny} reads: `"auto"` (detect from the path),
 * `"bundled"` (the embedded Fashion-MNIST subset), `"fashion-mnist"` (the
 * full set when present), `"idx"` (MNIST-family files or a folder of them),
 * `"cifar"` (CIFAR binary batches, a file or a folder), `"npy"` (`.npy` /
 * `.npz`) and `"folder"` (a folder of PNG/JPEG images).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DATA_FORMATS } from "@hsvae/hsvae";
 *
 * assert.equal(DATA_FORMATS[0], "auto");
 * assert.ok(DATA_FORMATS.includes("npy"));
 * ```
 */
export const DATA_FORMATS = [
  "auto",
  "bundled",
  "fashion-mnist",
  "idx",
  "cifar",
  "npy",
  "folder",
] as const;

/**
 * One of {@linkcode DATA_FORMATS}.
 *
 * @example Checking a user's choice
 * ```ts
 * import assert from "node:assert/strict";
 * import { DATA_FORMATS, type DataFormat } from "@hsvae/hsvae";
 *
 * const isFormat = (s: string): s is DataFormat =>
 *   (DATA_FORMATS as readonly string[]).includes(s);
 * assert.equal(isFormat("cifar"), true);
 * assert.equal(isFormat("csv"), false);
 * ```
 */
export type DataFormat = typeof DATA_FORMATS[number];

/**
 * A format {@linkcode detectFormat} can recognise on disk.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FileFormat } from "@hsvae/hsvae";
 *
 * const f: FileFormat = "idx";
 * assert.equal(f, "idx");
 * ```
 */
export type FileFormat = "idx" | "cifar" | "npy" | "folder";

/**
 * What {@linkcode loadAny} returns: the train split, the test split when
 * the source has one, and a description of the source for logs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LoadedData, loadAny } from "@hsvae/hsvae";
 *
 * const data: LoadedData = await loadAny("bundled", { limit: 4 });
 * assert.equal(data.source, "bundled Fashion-MNIST subset (data/)");
 * assert.equal(data.test?.shape[0], 4);
 * ```
 */
export interface LoadedData {
  /** The training images (all images when the source has no split). */
  train: Dataset;
  /** The test images, when the source has a test split. */
  test?: Dataset;
  /** Where the images came from: the path, or the bundled set's name. */
  source: string;
  /** What an image folder left out on purpose, by reason. */
  skipped?: SkippedEntries;
}

/**
 * Options of {@linkcode loadAny}.
 *
 * @example Only the first 10 images of each split
 * ```ts
 * import assert from "node:assert/strict";
 * import { type LoadAnyOptions, loadAny } from "@hsvae/hsvae";
 *
 * const options: LoadAnyOptions = { format: "auto", limit: 10 };
 * const { train } = await loadAny("bundled", options);
 * assert.equal(train.shape[0], 10);
 * ```
 */
export interface LoadAnyOptions {
  /**
   * The format of `path`; `"auto"` detects it with {@linkcode detectFormat}
   * (the names `"bundled"` and `"fashion-mnist"` as `path` also select
   * those sets).
   * @default {"auto"}
   */
  format?: DataFormat;
  /**
   * Keep at most this many images of each split (the first ones); a split
   * that kept fewer than its source holds has `available` set.
   * @default {undefined} (all)
   */
  limit?: number;
}

/**
 * Why a path could not be resolved to a dataset: `"not-found"` (no such
 * file or folder), `"unknown-format"` (a file whose name says no format) or
 * `"no-train-images"` (an IDX folder without `train-images-idx3-ubyte`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { DataSourceProblem } from "@hsvae/hsvae";
 *
 * const p: DataSourceProblem = "not-found";
 * assert.equal(p, "not-found");
 * ```
 */
export type DataSourceProblem =
  | "not-found"
  | "unknown-format"
  | "no-train-images";

/**
 * {@linkcode detectFormat} or {@linkcode loadAny} could not tell what the
 * path holds; `problem` says why, so callers can word their own message
 * (the CLI names its `--data` flag). Errors inside a recognised file
 * (a damaged header, say) are {@linkcode DataFormatError}s instead.
 *
 * @example A missing path
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataSourceError, loadAny } from "@hsvae/hsvae";
 *
 * await assert.rejects(() => loadAny("/no/such/folder"), (e) => {
 *   assert.ok(e instanceof DataSourceError);
 *   assert.equal(e.problem, "not-found");
 *   assert.equal(e.path, "/no/such/folder");
 *   return true;
 * });
 * ```
 */
export class DataSourceError extends Error {
  /** The path that was given. */
  readonly path: string;
  /** What was wrong with it. */
  readonly problem: DataSourceProblem;

  /**
   * Creates a data source error.
   *
   * @param message Full message ("Cannot ...: ...").
   * @param path The path that was given.
   * @param problem What was wrong with it.
   */
  constructor(message: string, path: string, problem: DataSourceProblem) {
    super(message);
    this.name = "DataSourceError";
    this.path = path;
    this.problem = problem;
  }
}

async function stat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}

async function firstExisting(
  dir: string,
  names: string[],
): Promise<string | undefined> {
  for (const n of names) if (await stat(`${dir}/${n}`)) return `${dir}/${n}`;
  return undefined;
}

const IDX_NAMES = {
  trainImages: ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"],
  trainLabels: ["train-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte"],
  testImages: ["t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"],
  testLabels: ["t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"],
};
const CIFAR_NAMES = ["data_batch_1.bin", "train.bin", "test_batch.bin"];

function notFound(path: string): DataSourceError {
  return new DataSourceError(
    `Cannot load "${path}": no such file or folder`,
    path,
    "not-found",
  );
}

async function detectFrom(
  path: string,
  info: Deno.FileInfo,
): Promise<FileFormat> {
  if (!info.isDirectory) assertRegularFile(path, info);
  if (info.isFile) {
    if (/\.(npy|npz)$/i.test(path)) return "npy";
    if (/idx\d-ubyte(\.gz)?$/i.test(path)) return "idx";
    if (/\.bin$/i.test(path)) return "cifar";
    throw new DataSourceError(
      `Cannot detect the format of "${path}": pass "format" (${
        DATA_FORMATS.join(", ")
      })`,
      path,
      "unknown-format",
    );
  }
  if (await firstExisting(path, IDX_NAMES.trainImages)) return "idx";
  if (await firstExisting(path, CIFAR_NAMES)) return "cifar";
  return "folder";
}

/**
 * The format of a file or folder, from names only (no file is read):
 *
 * - a file: `*.npy` / `*.npz` is `"npy"`, `*idx<k>-ubyte(.gz)` is `"idx"`,
 *   `*.bin` is `"cifar"`;
 * - a folder: `"idx"` when it holds `train-images-idx3-ubyte(.gz)`,
 *   `"cifar"` when it holds `data_batch_1.bin`, `train.bin` or
 *   `test_batch.bin`, else `"folder"` (images).
 *
 * @param path A file or folder.
 * @returns Its format.
 * @throws {DataSourceError} When `path` does not exist (`"not-found"`) or
 *   is a file of none of these names (`"unknown-format"`).
 * @throws {DataFormatError} When `path` is neither a regular file nor a
 *   folder (a device such as `/dev/zero`, a FIFO, a socket).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { detectFormat } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/latents.npy`, "");
 * assert.equal(await detectFormat(`${dir}/latents.npy`), "npy");
 * assert.equal(await detectFormat(dir), "folder");
 * await Deno.writeTextFile(`${dir}/data_batch_1.bin`, "");
 * assert.equal(await detectFormat(dir), "cifar");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function detectFormat(path: string): Promise<FileFormat> {
  const info = await stat(path);
  if (!info) throw notFound(path);
  return await detectFrom(path, info);
}

/**
 * Loads a dataset from `path` in any {@linkcode DATA_FORMATS} format:
 *
 * - `"bundled"` (or `path` `"bundled"`): the embedded Fashion-MNIST subset,
 *   train and test;
 * - `"fashion-mnist"` (or `path` `"fashion-mnist"`): the full set when it
 *   is present, else the bundled subset;
 * - `"idx"`: one images file (with its `labels-idx1` file beside it when
 *   there is one), or a folder with `train-` and optionally `t10k-` files;
 * - `"cifar"`: one batch file, or a folder (train and test batches);
 * - `"npy"`: a `.npy` / `.npz` file;
 * - `"folder"`: a folder of PNG/JPEG images;
 * - `"auto"`: whichever {@linkcode detectFormat} names.
 *
 * `limit` applies to every format the same way: each split keeps its
 * first `limit` images, the loader copies only those, and a split that
 * kept fewer than its source holds says how many in `available`.
 *
 * @param path A file or folder, or `"bundled"` / `"fashion-mnist"`.
 * @param options Format and limit.
 * @returns The train split, the test split when the source has one, and
 *   `source`.
 * @throws {DataSourceError} When `path` does not exist, its format cannot
 *   be detected, or an IDX folder has no training images.
 * @throws {DataFormatError} When a file is damaged, or `path` is neither a
 *   regular file nor a folder (`/dev/zero`, a FIFO).
 * @throws {LimitError} When a file or what it declares is beyond
 *   {@linkcode LIMITS} or the memory available.
 * @throws {RangeError} On an unknown `format` or a bad `limit`.
 *
 * @example The bundled subset's first images
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadAny } from "@hsvae/hsvae";
 *
 * const { train, test, source } = await loadAny("bundled", { limit: 3 });
 * assert.deepEqual(train.shape, [3, 28, 28, 1]);
 * assert.deepEqual(test?.shape, [3, 28, 28, 1]);
 * assert.equal(train.available, 10000); // kept 3 of 10,000
 * assert.equal(source, "bundled Fashion-MNIST subset (data/)");
 * ```
 */
export async function loadAny(
  path: string,
  options: LoadAnyOptions = {},
): Promise<LoadedData> {
  const { format = "auto", limit } = options;
  if (!(DATA_FORMATS as readonly string[]).includes(format)) {
    throw new RangeError(
      `Cannot load "${path}": "format" must be one of ${
        DATA_FORMATS.join(", ")
      }, got "${format}"`,
    );
  }
  if (path === "bundled" || format === "bundled") {
    const { train, test } = await loadBundled({ limit });
    return { train, test, source: "bundled Fashion-MNIST subset (data/)" };
  }
  if (path === "fashion-mnist" || format === "fashion-mnist") {
    const fm = await loadFashionMnist({ limit });
    return {
      train: fm.train,
      test: fm.test,
      source: `Fashion-MNIST (${fm.source})`,
    };
  }
  const info = await stat(path);
  if (!info) throw notFound(path);
  // Devices, FIFOs and sockets never end (or block): refused whatever the format.
  if (!info.isDirectory) assertRegularFile(path, info);
  const kind = format === "auto" ? await detectFrom(path, info) : format;
  switch (kind) {
    case "idx":
      return await loadIdxSource(path, info, limit);
    case "cifar":
      if (info.isFile) {
        return { train: await loadCifar(path, { limit }), source: path };
      }
      return {
        train: await loadCifar(path, { split: "train", limit }),
        test: await loadCifar(path, { split: "test", limit }),
        source: path,
      };
    case "npy":
      return { train: await loadNpyDataset(path, { limit }), source: path };
    case "folder": {
      const { skipped, ...train } = await loadImageFolder(path, { limit });
      return { train, source: path, skipped };
    }
    default: {
      const never: never = kind;
      throw new RangeError(`Cannot load "${path}": unknown format "${never}"`);
    }
  }
}

/** An IDX images file (labels beside it when present) or folder. */
async function loadIdxSource(
  path: string,
  info: Deno.FileInfo,
  limit: number | undefined,
): Promise<LoadedData> {
  if (info.isFile) {
    const labels = path.replace(/images-idx3/, "labels-idx1");
    const hasLabels = labels !== path && (await stat(labels)) !== null;
    return {
      train: await loadIdx(path, hasLabels ? labels : undefined, { limit }),
      source: path,
    };
  }
  const ti = await firstExisting(path, IDX_NAMES.trainImages);
  const tl = await firstExisting(path, IDX_NAMES.trainLabels);
  const si = await firstExisting(path, IDX_NAMES.testImages);
  const sl = await firstExisting(path, IDX_NAMES.testLabels);
  if (!ti) {
    throw new DataSourceError(
      `Cannot load IDX folder "${path}": no train-images-idx3-ubyte(.gz) in it`,
      path,
      "no-train-images",
    );
  }
  return {
    train: await loadIdx(ti, tl, { limit }),
    test: si ? await loadIdx(si, sl, { limit }) : undefined,
    source: path,
  };
}
