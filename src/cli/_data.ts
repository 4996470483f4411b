/**
 * Resolves the CLI's `--data` / `--format` to datasets, with errors that name
 * the flag.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { loadBundled, loadFashionMnist } from "../data/fashion_mnist.ts";
import { loadIdx } from "../data/idx.ts";
import { loadCifar } from "../data/cifar.ts";
import { loadNpyDataset } from "../data/npy_dataset.ts";
import { loadImageFolder } from "../data/image_folder.ts";
import { UsageError } from "./_args.ts";

/** Data formats `--format` accepts. */
export const FORMATS = [
  "auto",
  "bundled",
  "fashion-mnist",
  "idx",
  "cifar",
  "npy",
  "folder",
] as const;
/** One of {@linkcode FORMATS}. */
export type DataFormat = typeof FORMATS[number];

/** Train and (when the source has one) test split, and where they came from. */
export interface LoadedData {
  train: Dataset;
  test?: Dataset;
  source: string;
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

async function detect(path: string, info: Deno.FileInfo): Promise<DataFormat> {
  if (info.isFile) {
    if (/\.(npy|npz)$/i.test(path)) return "npy";
    if (/idx\d-ubyte(\.gz)?$/i.test(path)) return "idx";
    if (/\.bin$/i.test(path)) return "cifar";
    throw new UsageError(
      `Cannot detect the format of --data "${path}": name it with --format (${
        FORMATS.join(", ")
      })`,
    );
  }
  if (
    await firstExisting(path, [
      "train-images-idx3-ubyte.gz",
      "train-images-idx3-ubyte",
    ])
  ) return "idx";
  if (
    await firstExisting(path, [
      "data_batch_1.bin",
      "train.bin",
      "test_batch.bin",
    ])
  ) return "cifar";
  return "folder";
}

/**
 * Loads `--data` (a file or folder; `bundled` or nothing for the embedded
 * Fashion-MNIST subset; `fashion-mnist` for the full set when present).
 */
export async function loadData(
  path: string | undefined,
  format: DataFormat = "auto",
  options: { limit?: number } = {},
): Promise<LoadedData> {
  if (path === undefined || path === "bundled" || format === "bundled") {
    const { train, test } = await loadBundled({ limit: options.limit });
    return { train, test, source: "bundled Fashion-MNIST subset (data/)" };
  }
  if (path === "fashion-mnist" || format === "fashion-mnist") {
    const fm = await loadFashionMnist({ limit: options.limit });
    return {
      train: fm.train,
      test: fm.test,
      source: `Fashion-MNIST (${fm.source})`,
    };
  }
  const info = await stat(path);
  if (!info) {
    throw new UsageError(`Cannot use --data "${path}": no such file or folder`);
  }
  const kind = format === "auto" ? await detect(path, info) : format;
  const limit = options.limit;
  switch (kind) {
    case "idx": {
      if (info.isFile) {
        const labels = path.replace(/images-idx3/, "labels-idx1");
        const hasLabels = labels !== path && (await stat(labels)) !== null;
        return {
          train: await loadIdx(path, hasLabels ? labels : undefined, { limit }),
          source: path,
        };
      }
      const ti = await firstExisting(path, [
        "train-images-idx3-ubyte.gz",
        "train-images-idx3-ubyte",
      ]);
      const tl = await firstExisting(path, [
        "train-labels-idx1-ubyte.gz",
        "train-labels-idx1-ubyte",
      ]);
      const si = await firstExisting(path, [
        "t10k-images-idx3-ubyte.gz",
        "t10k-images-idx3-ubyte",
      ]);
      const sl = await firstExisting(path, [
        "t10k-labels-idx1-ubyte.gz",
        "t10k-labels-idx1-ubyte",
      ]);
      if (!ti) {
        throw new UsageError(
          `Cannot use --data "${path}": no train-images-idx3-ubyte(.gz) in it`,
        );
      }
      return {
        train: await loadIdx(ti, tl, { limit }),
        test: si ? await loadIdx(si, sl, { limit }) : undefined,
        source: path,
      };
    }
    case "cifar": {
      if (info.isFile) {
        return { train: await loadCifar(path, { limit }), source: path };
      }
      return {
        train: await loadCifar(path, { split: "train", limit }),
        test: await loadCifar(path, { split: "test", limit }),
        source: path,
      };
    }
    case "npy":
      return { train: await loadNpyDataset(path, {}), source: path };
    case "folder":
      return { train: await loadImageFolder(path, { limit }), source: path };
    default:
      throw new UsageError(`Cannot use --format "${kind}"`);
  }
}
