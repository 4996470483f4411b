/**
 * Fashion-MNIST (Xiao, Rasul, Vollgraf 2017; Zalando Research; MIT
 * license): the full set from the shared data folder when present, else the
 * stratified subset bundled in the repository's `data/` folder.
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import { checkAllocation } from "../limits.ts";
import type { Dataset } from "./dataset.ts";
import { loadIdx, parseIdxDataset } from "./idx.ts";
import { checkLimit } from "./_bytes.ts";
import { readFileBounded } from "./_read_bounded.ts";

/** The ten Fashion-MNIST class names, index = label. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/**
 * Where the bundled subset lives: `<package>/data/fashion-mnist-subset/` as a
 * URL relative to this module, so it is a `file:` URL in a checkout and an
 * `https:` URL in a JSR import (JSR serves every published file). Computed
 * on call; no file-system path is derived at import time.
 *
 * @returns The folder's URL (with a trailing slash).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bundledDataUrl } from "@hsvae/hsvae";
 *
 * assert.ok(bundledDataUrl().href.endsWith("/data/fashion-mnist-subset/"));
 * ```
 */
export function bundledDataUrl(): URL {
  return new URL("../../data/fashion-mnist-subset/", import.meta.url);
}

/**
 * The full set's default folder, `<repo>/../shared/data/fashion-mnist/`,
 * when this module runs from a file (a checkout); `undefined` when it was
 * imported by URL, where there is no such folder.
 *
 * @returns An absolute path with a trailing slash, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fullDataDir } from "@hsvae/hsvae";
 *
 * assert.ok(fullDataDir()?.endsWith("/shared/data/fashion-mnist/"));
 * ```
 */
export function fullDataDir(): string | undefined {
  const url = new URL("../../../shared/data/fashion-mnist/", import.meta.url);
  return url.protocol === "file:" ? fileURLToPath(url) : undefined;
}

/** Options of {@linkcode loadBundled} and {@linkcode loadFashionMnist}. */
export interface FashionMnistOptions {
  /**
   * Keep only the first `limit` images of each split.
   * @default {undefined} (all)
   */
  limit?: number;
}

/** Options of {@linkcode loadFashionMnist}. */
export interface LoadFashionMnistOptions extends FashionMnistOptions {
  /**
   * `"auto"`: the full set when its folder exists, else the bundled subset;
   * `"full"` or `"bundled"` force one (a missing full set then throws).
   * @default {"auto"}
   */
  source?: "auto" | "full" | "bundled";
  /**
   * The folder of the full set's four `.gz` files.
   * @default {fullDataDir()}
   */
  dir?: string;
}

/** Train and test splits of Fashion-MNIST. */
export interface FashionMnistSplits {
  /** Training images `[N, 28, 28, 1]` with labels and class names. */
  train: Dataset;
  /** Test images `[N, 28, 28, 1]` with labels and class names. */
  test: Dataset;
}

/**
 * Reads one file of a data folder given as a URL: from disk for `file:`
 * (a regular file, its size checked first), with `fetch` otherwise (a JSR
 * or other https import; the body read stops at `LIMITS.maxArrayBytes`).
 */
async function readUrl(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") return await readFileBounded(url);
  const res = await fetch(url);
  if (!res.ok) {
    await res.body?.cancel();
    throw new Deno.errors.NotFound(
      `Cannot read "${url.href}": the server answered ${res.status} ${res.statusText}`,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body ?? []) {
    size += chunk.length;
    try {
      checkAllocation(`read "${url.href}"`, size);
    } catch (err) {
      await res.body?.cancel();
      throw err;
    }
    chunks.push(chunk);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function loadDir(
  dir: URL,
  options: FashionMnistOptions,
): Promise<FashionMnistSplits> {
  checkLimit(options.limit, "load Fashion-MNIST");
  const names = FASHION_MNIST_CLASSES.slice();
  const split = async (images: string, labels: string) => {
    const i = new URL(images, dir);
    const l = new URL(labels, dir);
    if (i.protocol === "file:") {
      // From disk: only the images the limit keeps are copied; the labels
      // must name one of the ten classes.
      return await loadIdx(fileURLToPath(i), fileURLToPath(l), {
        limit: options.limit,
        names,
      });
    }
    return parseIdxDataset(await readUrl(i), await readUrl(l), {
      limit: options.limit,
      names,
      imagesFile: i.href,
      labelsFile: l.href,
    });
  };
  const train = await split(
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
  );
  const test = await split(
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
  );
  return { train, test };
}

/**
 * Loads the bundled Fashion-MNIST subset: 1,000 training and 200 test
 * images per class (10,000 + 2,000), a seeded stratified draw from the full
 * set documented in `data/README.md`. Image ids are the indices in the full
 * set.
 *
 * @param options Limit.
 * @returns `{ train, test }`.
 * @throws {DataFormatError} When the bundled files are damaged.
 *
 * @example Sizes and class balance
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBundled } from "@hsvae/hsvae";
 *
 * const { train, test } = await loadBundled();
 * assert.deepEqual(train.shape, [10000, 28, 28, 1]);
 * assert.deepEqual(test.shape, [2000, 28, 28, 1]);
 * assert.equal(train.labels!.filter((l) => l === 9).length, 1000);
 * ```
 */
export async function loadBundled(
  options: FashionMnistOptions = {},
): Promise<FashionMnistSplits> {
  const dir = bundledDataUrl();
  const splits = await loadDir(dir, options);
  const ids = JSON.parse(
    new TextDecoder().decode(await readUrl(new URL("indices.json", dir))),
  ) as {
    train: number[];
    test: number[];
  };
  splits.train.ids = ids.train.slice(0, splits.train.shape[0]).map(String);
  splits.test.ids = ids.test.slice(0, splits.test.shape[0]).map(String);
  return splits;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (err) {
    if (
      err instanceof Deno.errors.NotFound ||
      err instanceof Deno.errors.PermissionDenied
    ) return false;
    throw err;
  }
}

/**
 * Loads Fashion-MNIST: the full 60,000 + 10,000 images from `dir`
 * (`../shared/data/fashion-mnist/` beside the repository) when it exists,
 * otherwise the bundled subset ({@linkcode loadBundled}).
 *
 * @param options Source, folder, limit.
 * @returns `{ train, test, source }` where `source` says which was used.
 * @throws {DataFormatError} When the files are damaged.
 * @throws {Deno.errors.NotFound} With `source: "full"` and no full set.
 * @throws {RangeError} On a bad `source` or `limit`.
 *
 * @example Forcing the bundled subset
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadFashionMnist } from "@hsvae/hsvae";
 *
 * const fm = await loadFashionMnist({ source: "bundled", limit: 5 });
 * assert.equal(fm.source, "bundled");
 * assert.equal(fm.train.shape[0], 5);
 * assert.equal(fm.train.names![9], "Ankle boot");
 * ```
 */
export async function loadFashionMnist(
  options: LoadFashionMnistOptions = {},
): Promise<FashionMnistSplits & { source: "full" | "bundled" }> {
  const source = options.source ?? "auto";
  if (source !== "auto" && source !== "full" && source !== "bundled") {
    throw new RangeError(
      `Cannot load Fashion-MNIST: "source" must be "auto", "full" or "bundled", found "${source}"`,
    );
  }
  let dir = options.dir ?? fullDataDir();
  if (dir !== undefined && !dir.endsWith("/")) dir += "/";
  if (source === "full" && dir === undefined) {
    throw new Deno.errors.NotFound(
      'Cannot load the full Fashion-MNIST: imported by URL there is no default folder; pass "dir"',
    );
  }
  if (
    dir !== undefined &&
    (source === "full" || (source === "auto" && await isDir(dir)))
  ) {
    return { ...await loadDir(pathToFileURL(dir), options), source: "full" };
  }
  return { ...await loadBundled(options), source: "bundled" };
}
