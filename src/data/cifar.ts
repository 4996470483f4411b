/**
 * Readers for the binary versions of CIFAR-10 and CIFAR-100 (Krizhevsky
 * 2009, <https://www.cs.toronto.edu/~kriz/cifar.html>).
 *
 * CIFAR-10 records are 1 label byte + 3072 pixel bytes; CIFAR-100 records
 * are 1 coarse label byte + 1 fine label byte + 3072 pixel bytes. Pixels are
 * three 32x32 planes (R, G, B, each row-major), converted here to HWC.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { concatDatasets } from "./dataset.ts";
import { checkAllocation } from "../limits.ts";
import { checkLimit, takeFirst } from "./_bytes.ts";
import { openBounded, readFileBounded } from "./_read_bounded.ts";

/** The ten CIFAR-10 class names, index = label. */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

const PIXELS = 3072;

/** Options of {@linkcode parseCifar} and {@linkcode loadCifar}. */
export interface CifarOptions {
  /**
   * The record layout; inferred from the file name when omitted
   * (`data_batch_*.bin`, `test_batch.bin` -> `"cifar10"`; `train.bin`,
   * `test.bin` -> `"cifar100"`).
   * @default {undefined}
   */
  format?: "cifar10" | "cifar100";
  /**
   * Which CIFAR-100 label to return.
   * @default {"fine"}
   */
  labels?: "fine" | "coarse";
  /**
   * Keep only the first `limit` records (over all files).
   * @default {undefined} (all)
   */
  limit?: number;
  /**
   * For a directory: which split to load.
   * @default {"train"}
   */
  split?: "train" | "test";
}

function inferFormat(file: string): "cifar10" | "cifar100" | undefined {
  const base = file.split(/[\\/]/).pop() ?? file;
  if (/^(data_batch_\d+|test_batch)\.bin$/.test(base)) return "cifar10";
  if (/^(train|test)\.bin$/.test(base)) return "cifar100";
  return undefined;
}

/** The record layout of a CIFAR format: label bytes and record size. */
function layout(format: "cifar10" | "cifar100"): {
  labelBytes: number;
  rec: number;
} {
  const labelBytes = format === "cifar10" ? 1 : 2;
  return { labelBytes, rec: labelBytes + PIXELS };
}

/** Checks the `labels` option and resolves the format of `file`. */
function resolveFormat(
  file: string,
  options: CifarOptions,
): { format: "cifar10" | "cifar100"; kind: "fine" | "coarse" } {
  const kind = options.labels ?? "fine";
  if (kind !== "fine" && kind !== "coarse") {
    throw new RangeError(
      `Cannot read CIFAR: "labels" must be "fine" or "coarse", found "${kind}"`,
    );
  }
  const format = options.format ?? inferFormat(file);
  if (format !== "cifar10" && format !== "cifar100") {
    throw new DataFormatError(
      `Cannot read CIFAR "${file}": cannot tell CIFAR-10 from CIFAR-100 by the name; pass "format: \\"cifar10\\"" or "\\"cifar100\\""`,
      { file },
    );
  }
  return { format, kind };
}

/** The number of records in a file of `size` bytes, or a DataFormatError. */
function recordCount(
  size: number,
  file: string,
  format: "cifar10" | "cifar100",
): number {
  const { rec } = layout(format);
  if (size === 0 || size % rec !== 0) {
    throw new DataFormatError(
      `Cannot read CIFAR "${file}": size ${size} is not a positive multiple of the ${format} record size ${rec}${
        size % 3073 === 0 && format === "cifar100"
          ? ' (it is one of 3073: pass "format: \\"cifar10\\"")'
          : size % 3074 === 0 && format === "cifar10"
          ? ' (it is one of 3074: pass "format: \\"cifar100\\"")'
          : ""
      }`,
      { file, offset: size - (size % rec) },
    );
  }
  return size / rec;
}

/**
 * Decodes the first `n` records of `bytes` (which hold at least that
 * many) of a file of `total` records.
 */
function decodeRecords(
  bytes: Uint8Array,
  file: string,
  format: "cifar10" | "cifar100",
  kind: "fine" | "coarse",
  n: number,
  total: number,
): Dataset {
  const { labelBytes, rec } = layout(format);
  // Every label byte of a record is checked, the one returned and (for
  // CIFAR-100) the other: coarse 0..19, fine 0..99.
  const checks = format === "cifar10"
    ? [{ at: 0, max: 9, name: "label" }]
    : [{ at: 0, max: 19, name: "coarse label" }, {
      at: 1,
      max: 99,
      name: "fine label",
    }];
  const labelAt = format === "cifar10" ? 0 : kind === "coarse" ? 0 : 1;
  checkAllocation(`read CIFAR "${file}"`, n * PIXELS * 4);
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * rec;
    for (const c of checks) {
      const label = bytes[base + c.at];
      if (label > c.max) {
        throw new DataFormatError(
          `Cannot read CIFAR "${file}": record ${i} has ${c.name} ${label}, expected 0..${c.max} for ${format} (wrong format?)`,
          { file, offset: base + c.at },
        );
      }
    }
    labels[i] = bytes[base + labelAt];
    const px = base + labelBytes;
    const out = i * PIXELS;
    for (let p = 0; p < 1024; p++) {
      images[out + 3 * p] = bytes[px + p] / 255;
      images[out + 3 * p + 1] = bytes[px + 1024 + p] / 255;
      images[out + 3 * p + 2] = bytes[px + 2048 + p] / 255;
    }
  }
  const ds: Dataset = {
    images,
    shape: [n, 32, 32, 3],
    labels,
    ids: Array.from({ length: n }, (_, i) => `${file}#${i}`),
  };
  if (format === "cifar10") ds.names = CIFAR10_CLASSES.slice();
  if (n < total) ds.available = total;
  return ds;
}

/**
 * Parses one CIFAR binary file.
 *
 * @param bytes The file's bytes.
 * @param file The file name, used to infer the format and in messages.
 * @param options Format, label kind, limit.
 * @returns The dataset, shape `[N, 32, 32, 3]`, labels, ids `"<file>#<i>"`,
 * and CIFAR-10 class names; `available` is set when `limit` kept fewer
 * records than the file holds.
 * @throws {DataFormatError} When the size is not a positive multiple of the
 * record size, a kept record's label is out of range (> 9 for CIFAR-10;
 * for CIFAR-100 either label byte: coarse > 19, fine > 99), or the format
 * cannot be inferred from the name.
 * @throws {LimitError} When the float copy is beyond
 * `LIMITS.maxArrayBytes` or the memory available.
 * @throws {RangeError} On a bad `limit` or `labels` option.
 *
 * @example One CIFAR-10 record
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCifar } from "@hsvae/hsvae";
 *
 * const rec = new Uint8Array(3073);
 * rec[0] = 6; // frog
 * rec[1] = 255; // R of pixel (0, 0)
 * rec[1 + 2048] = 51; // B of pixel (0, 0)
 * const ds = parseCifar(rec, "data_batch_1.bin");
 * assert.deepEqual(ds.shape, [1, 32, 32, 3]);
 * assert.equal(ds.labels![0], 6);
 * assert.equal(ds.names![6], "frog");
 * assert.deepEqual(Array.from(ds.images.subarray(0, 3)), [1, 0, 0.2].map(Math.fround));
 * ```
 */
export function parseCifar(
  bytes: Uint8Array,
  file: string,
  options: CifarOptions = {},
): Dataset {
  checkLimit(options.limit, "read CIFAR");
  const { format, kind } = resolveFormat(file, options);
  const total = recordCount(bytes.length, file, format);
  const n = takeFirst(total, options.limit, "read CIFAR");
  return decodeRecords(bytes, file, format, kind, n, total);
}

/**
 * Reads the first `limit` records of one CIFAR file with bounds: a regular
 * file only, its size checked before anything is read, then only the
 * records kept.
 */
async function readCifarFile(
  path: string,
  options: CifarOptions,
  limit: number | undefined,
): Promise<Dataset> {
  const { format, kind } = resolveFormat(path, options);
  using file = await openBounded(path);
  const total = recordCount(file.size, path, format);
  const n = takeFirst(total, limit, "load CIFAR");
  const bytes = await file.read(0, n * layout(format).rec);
  return decodeRecords(bytes, path, format, kind, n, total);
}

/** Records in a CIFAR file that a limit skipped, by its size (0 when unreadable). */
async function countRecords(
  path: string,
  options: CifarOptions,
): Promise<number> {
  try {
    const info = await Deno.stat(path);
    const { format } = resolveFormat(path, options);
    return info.isFile ? recordCount(info.size, path, format) : 0;
  } catch {
    return 0;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await Deno.stat(path)).isDirectory;
}

async function readNames(path: string): Promise<string[] | undefined> {
  try {
    const text = new TextDecoder().decode(await readFileBounded(path));
    return text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s !== "");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

/**
 * Loads CIFAR binary files: one file, a list of files (concatenated), or a
 * directory (`cifar-10-batches-bin/`: `data_batch_1..5.bin` for
 * `split: "train"`, `test_batch.bin` for `"test"`; `cifar-100-binary/`:
 * `train.bin` or `test.bin`). Class names come from `batches.meta.txt`,
 * `fine_label_names.txt` or `coarse_label_names.txt` when present.
 *
 * @param path A file, a directory, or a list of files.
 * @param options Format, label kind, limit, split.
 * @returns The dataset, see {@linkcode parseCifar}.
 * @throws {DataFormatError} When a file is malformed or a directory holds
 * neither layout.
 * @throws {Deno.errors.NotFound} When a path is missing.
 *
 * @example A directory with one CIFAR-100 test record
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCifar } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * const rec = new Uint8Array(3074);
 * rec[0] = 3; // coarse
 * rec[1] = 42; // fine
 * await Deno.writeFile(`${dir}/test.bin`, rec);
 * const ds = await loadCifar(dir, { split: "test", labels: "coarse" });
 * await Deno.remove(dir, { recursive: true });
 * assert.equal(ds.labels![0], 3);
 * ```
 */
export async function loadCifar(
  path: string | string[],
  options: CifarOptions = {},
): Promise<Dataset> {
  checkLimit(options.limit, "load CIFAR");
  let files: string[];
  let names: string[] | undefined;
  if (typeof path === "string" && await isDirectory(path)) {
    const split = options.split ?? "train";
    if (split !== "train" && split !== "test") {
      throw new RangeError(
        `Cannot load CIFAR: "split" must be "train" or "test", found "${split}"`,
      );
    }
    const has = async (f: string) => {
      try {
        return (await Deno.stat(`${path}/${f}`)).isFile;
      } catch {
        return false;
      }
    };
    if (await has("test_batch.bin")) {
      files = split === "train"
        ? [1, 2, 3, 4, 5].map((k) => `${path}/data_batch_${k}.bin`)
        : [`${path}/test_batch.bin`];
      names = await readNames(`${path}/batches.meta.txt`);
    } else if (await has("train.bin") || await has("test.bin")) {
      files = [`${path}/${split}.bin`];
      names = await readNames(
        `${path}/${
          (options.labels ?? "fine") === "fine" ? "fine" : "coarse"
        }_label_names.txt`,
      );
    } else {
      throw new DataFormatError(
        `Cannot load CIFAR directory "${path}": expected "test_batch.bin" (CIFAR-10) or "train.bin"/"test.bin" (CIFAR-100)`,
        { file: path },
      );
    }
  } else {
    files = typeof path === "string" ? [path] : path;
  }
  const parts: Dataset[] = [];
  let left = options.limit ?? Infinity;
  let available = 0;
  for (const f of files) {
    if (left <= 0) {
      available += await countRecords(f, options);
      continue;
    }
    const ds = await readCifarFile(
      f,
      options,
      Number.isFinite(left) ? left : undefined,
    );
    left -= ds.shape[0];
    available += ds.available ?? ds.shape[0];
    parts.push(ds);
  }
  const out: Dataset = parts.length === 0
    ? {
      images: new Float32Array(0),
      shape: [0, 32, 32, 3],
      labels: new Int32Array(0),
      ids: [],
    }
    : parts.length === 1
    ? parts[0]
    : concatDatasets(parts);
  if (available > out.shape[0]) out.available = available;
  else delete out.available;
  if (names) out.names = names;
  return out;
}
