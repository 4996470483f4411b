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
import { checkLimit } from "./_bytes.ts";

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

/**
 * Parses one CIFAR binary file.
 *
 * @param bytes The file's bytes.
 * @param file The file name, used to infer the format and in messages.
 * @param options Format, label kind, limit.
 * @returns The dataset, shape `[N, 32, 32, 3]`, labels, ids `"<file>#<i>"`,
 * and CIFAR-10 class names.
 * @throws {DataFormatError} When the size is not a positive multiple of the
 * record size, a label is out of range (> 9 for CIFAR-10, > 19 coarse,
 * > 99 fine), or the format cannot be inferred from the name.
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
  const labelBytes = format === "cifar10" ? 1 : 2;
  const rec = labelBytes + PIXELS;
  if (bytes.length === 0 || bytes.length % rec !== 0) {
    throw new DataFormatError(
      `Cannot read CIFAR "${file}": size ${bytes.length} is not a positive multiple of the ${format} record size ${rec}${
        bytes.length % 3073 === 0 && format === "cifar100"
          ? ' (it is one of 3073: pass "format: \\"cifar10\\"")'
          : bytes.length % 3074 === 0 && format === "cifar10"
          ? ' (it is one of 3074: pass "format: \\"cifar100\\"")'
          : ""
      }`,
      { file, offset: bytes.length - (bytes.length % rec) },
    );
  }
  const total = bytes.length / rec;
  const n = options.limit === undefined
    ? total
    : Math.min(total, options.limit);
  const maxLabel = format === "cifar10" ? 9 : kind === "coarse" ? 19 : 99;
  const labelAt = format === "cifar10" ? 0 : kind === "coarse" ? 0 : 1;
  const images = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * rec;
    const label = bytes[base + labelAt];
    if (label > maxLabel) {
      throw new DataFormatError(
        `Cannot read CIFAR "${file}": record ${i} has label ${label}, expected 0..${maxLabel} for ${format}${
          format === "cifar100" ? ` ${kind}` : ""
        } (wrong format?)`,
        { file, offset: base + labelAt },
      );
    }
    labels[i] = label;
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
  return ds;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await Deno.stat(path)).isDirectory;
}

async function readNames(path: string): Promise<string[] | undefined> {
  try {
    const text = await Deno.readTextFile(path);
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
  for (const f of files) {
    if (left <= 0) break;
    const ds = parseCifar(await Deno.readFile(f), f, {
      ...options,
      limit: Number.isFinite(left) ? left : undefined,
    });
    left -= ds.shape[0];
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
  if (names) out.names = names;
  return out;
}
