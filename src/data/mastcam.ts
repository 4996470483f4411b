/**
 * The Mars rover Mastcam multispectral novelty-detection set (Kerner et al.,
 * "Comparison of novelty detection methods for multispectral images in
 * rover-based planetary exploration missions", DMKD 2020; Zenodo record
 * 3732485): 64 x 64 x 6 tiles stored one per `.npy` file.
 *
 * Layout assumed (that of the Zenodo archives `train_typical.zip`,
 * `validation_typical.zip`, `test_typical.zip`, `test_novel.zip` unpacked
 * side by side):
 *
 * ```
 * dir/train_typical/*.npy        normal training tiles
 * dir/validation_typical/*.npy   normal validation tiles (optional)
 * dir/test_typical/*.npy         normal test tiles
 * dir/test_novel/<category>/*.npy  novel test tiles, one folder per category
 *                                  (bedrock, broken-rock, drill-hole, drt,
 *                                  dump-pile, float, meteorite, veins);
 *                                  an "all" folder, when present, repeats
 *                                  them and is used only when it is the
 *                                  sole folder
 * ```
 *
 * Novel `.npy` files placed directly in `test_novel/` (no category folder)
 * get the category `"novel"`.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { checkAllocation } from "../limits.ts";
import type { Dataset } from "./dataset.ts";
import { parseNpy } from "./npy.ts";
import { npyToDataset } from "./npy_dataset.ts";
import { checkLimit } from "./_bytes.ts";
import {
  enterFolder,
  listFolder,
  type Listing,
  type ListState,
  listState,
} from "./_list_folder.ts";
import type { SkippedEntries } from "./skipped_entries.ts";

/** Options of {@linkcode loadMastcam}. */
export interface MastcamOptions {
  /**
   * Keep at most `limit` tiles per folder (sorted by name), for quick tests.
   * @default {undefined} (all)
   */
  limit?: number;
  /**
   * Scale passed to {@linkcode npyToDataset}: `"auto"` maps uint8 and
   * `[0, 255]` floats by `1 / 255` and keeps `[0, 1]` floats.
   * @default {"auto"}
   */
  scale?: "auto" | number;
}

/** The Mastcam splits returned by {@linkcode loadMastcam}. */
export interface MastcamSplits {
  /** Normal training tiles, `[N, 64, 64, 6]`, label 0. */
  train: Dataset;
  /** Normal validation tiles, when `validation_typical/` exists. */
  validation?: Dataset;
  /**
   * Test tiles: typical first (label 0), then novel tiles with label
   * `1 + category index`; `names` is `["typical", ...categories]`.
   */
  test: Dataset;
  /** 1 for novel test tiles, 0 for typical ones. */
  testIsAnomaly: Uint8Array;
  /**
   * Entries of the tree not read, by reason: hidden, not `.npy`, broken
   * links, symlink cycles, folders the layout does not read (a sub-folder
   * of a tile folder; `test_novel/all/` when categories exist).
   */
  skipped: SkippedEntries;
}

/**
 * Lists a folder of the tree, symlinks followed; `undefined` when a link
 * leads back to a folder already read (counted).
 */
async function list(
  path: string,
  state: ListState,
  depth: number,
  ancestors: ReadonlySet<string>,
): Promise<Listing | undefined> {
  const real = await enterFolder(path, state, depth);
  return real === undefined
    ? undefined
    : await listFolder(path, real, state, ancestors);
}

/** The `.npy` names of a listing; other files count as unsupported. */
function npyFiles(listing: Listing | undefined, state: ListState): string[] {
  const files = listing?.files ?? [];
  const npy = files.filter((f) => f.endsWith(".npy"));
  state.skipped.unsupported += files.length - npy.length;
  return npy;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

interface Tiles {
  /** The tree's root, for messages. */
  dir: string;
  images: Float32Array[];
  ids: string[];
  hwc?: [number, number, number];
  hwcFile?: string;
}

async function readTiles(
  dir: string,
  rel: string,
  names: string[],
  tiles: Tiles,
  options: MastcamOptions,
): Promise<number> {
  let files = names;
  if (options.limit !== undefined) files = files.slice(0, options.limit);
  for (const f of files) {
    const path = `${dir}/${rel}/${f}`;
    const arr = parseNpy(await Deno.readFile(path), path);
    if (arr.shape.length !== 3) {
      throw new DataFormatError(
        `Cannot load Mastcam tile "${path}": expected an H x W x C array (64 x 64 x 6), found shape "(${
          arr.shape.join(", ")
        })"`,
        { file: path },
      );
    }
    const ds = npyToDataset({ ...arr, shape: [1, ...arr.shape] }, path, {
      scale: options.scale,
    });
    const hwc: [number, number, number] = [
      ds.shape[1],
      ds.shape[2],
      ds.shape[3],
    ];
    if (!tiles.hwc) {
      tiles.hwc = hwc;
      tiles.hwcFile = path;
    } else if (hwc.some((d, k) => d !== tiles.hwc![k])) {
      throw new DataFormatError(
        `Cannot load Mastcam tile "${path}": shape "(${
          hwc.join(", ")
        })" differs from "(${tiles.hwc.join(", ")})" of "${tiles.hwcFile}"`,
        { file: path },
      );
    }
    tiles.images.push(ds.images);
    tiles.ids.push(`${rel}/${f}`);
  }
  return files.length;
}

/** Reads the tiles of a flat tile folder; its sub-folders are left out. */
async function readFolder(
  dir: string,
  rel: string,
  tiles: Tiles,
  options: MastcamOptions,
  state: ListState,
  root: ReadonlySet<string>,
): Promise<number> {
  const listing = await list(`${dir}/${rel}`, state, 1, root);
  state.skipped.outsideLayout += listing?.dirs.length ?? 0;
  return await readTiles(dir, rel, npyFiles(listing, state), tiles, options);
}

function build(
  tiles: Tiles,
  from: number,
  to: number,
  labels: Int32Array,
  names: string[],
): Dataset {
  const [h, w, c] = tiles.hwc ?? [64, 64, 6];
  const f = h * w * c;
  checkAllocation(
    `load Mastcam from "${tiles.dir}" (${to - from} tiles of ${h}x${w}x${c})`,
    (to - from) * f * 4,
  );
  const images = new Float32Array((to - from) * f);
  for (let i = from; i < to; i++) images.set(tiles.images[i], (i - from) * f);
  return {
    images,
    shape: [to - from, h, w, c],
    labels,
    names,
    ids: tiles.ids.slice(from, to),
  };
}

/**
 * Loads the Mastcam novelty set from its unpacked folder (layout in the
 * module doc).
 *
 * @param dir The folder holding `train_typical/`, `test_typical/`,
 * `test_novel/` (and optionally `validation_typical/`).
 * @param options Per-folder limit, scale.
 * @returns Train (typical), optional validation (typical) and test
 * (typical + novel) splits with `testIsAnomaly`, and the `skipped` counts
 * (symlinks to tiles and folders are followed; hidden entries, other
 * files, broken links and cycles are left out and counted).
 * @throws {DataFormatError} When a required folder is missing or empty, a
 * tile is malformed or holds NaN/Inf, or tiles differ in shape.
 * @throws {LimitError} When the tree lists more than
 * `LIMITS.maxFolderFiles` entries, or a split would be beyond
 * `LIMITS.maxArrayBytes` or the memory available (checked before
 * allocating).
 *
 * @example A tiny tree
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadMastcam } from "@hsvae/hsvae";
 *
 * const head = new TextEncoder().encode("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 1, 6), }".padEnd(117) + "\n");
 * const tile = new Uint8Array(134);
 * tile.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
 * tile.set(head, 10);
 * const dir = await Deno.makeTempDir();
 * for (const sub of ["train_typical", "test_typical", "test_novel/veins"]) {
 *   await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
 *   await Deno.writeFile(`${dir}/${sub}/a.npy`, tile);
 * }
 * const m = await loadMastcam(dir);
 * await Deno.remove(dir, { recursive: true });
 * assert.deepEqual(m.test.shape, [2, 1, 1, 6]);
 * assert.deepEqual(Array.from(m.testIsAnomaly), [0, 1]);
 * assert.deepEqual(m.test.names, ["typical", "veins"]);
 * assert.equal(m.skipped.unsupported, 0);
 * ```
 */
export async function loadMastcam(
  dir: string,
  options: MastcamOptions = {},
): Promise<MastcamSplits> {
  checkLimit(options.limit, "load Mastcam");
  for (const req of ["train_typical", "test_typical", "test_novel"]) {
    if (!await isDir(`${dir}/${req}`)) {
      throw new DataFormatError(
        `Cannot load Mastcam from "${dir}": folder "${req}/" is missing; expected "train_typical/", "test_typical/" and "test_novel/<category>/" (Zenodo record 3732485, unzipped)`,
        { file: `${dir}/${req}` },
      );
    }
  }
  const state = listState(`load Mastcam from "${dir}"`);
  const rootReal = (await enterFolder(dir, state, 0))!;
  const root = new Set([rootReal]);
  const tiles: Tiles = { dir, images: [], ids: [] };
  const read = (rel: string) =>
    readFolder(dir, rel, tiles, options, state, root);
  const nTrain = await read("train_typical");
  const hasVal = await isDir(`${dir}/validation_typical`);
  const nVal = hasVal ? await read("validation_typical") : 0;
  const nTypical = await read("test_typical");
  const novel = await list(`${dir}/test_novel`, state, 1, root);
  let cats = novel?.dirs.map((d) => d.name) ?? [];
  if (cats.length > 1 && cats.includes("all")) {
    cats = cats.filter((c) => c !== "all");
    state.skipped.outsideLayout++;
  }
  const names = ["typical"];
  const testLabels: number[] = new Array(nTypical).fill(0);
  const loose = await readTiles(
    dir,
    "test_novel",
    npyFiles(novel, state),
    tiles,
    options,
  );
  if (loose > 0) {
    names.push("novel");
    testLabels.push(...new Array(loose).fill(names.length - 1));
  }
  const below = new Set(root).add(novel?.real ?? "");
  for (const cat of cats) {
    const rel = `test_novel/${cat}`;
    const listing = await list(`${dir}/${rel}`, state, 2, below);
    state.skipped.outsideLayout += listing?.dirs.length ?? 0;
    const k = await readTiles(
      dir,
      rel,
      npyFiles(listing, state),
      tiles,
      options,
    );
    names.push(cat);
    testLabels.push(...new Array(k).fill(names.length - 1));
  }
  const nNovel = testLabels.length - nTypical;
  for (
    const [what, count] of [["train_typical", nTrain], [
      "test_typical",
      nTypical,
    ], ["test_novel", nNovel]] as const
  ) {
    if (count === 0 && options.limit !== 0) {
      throw new DataFormatError(
        `Cannot load Mastcam from "${dir}": no ".npy" tiles in "${what}/"`,
        {
          file: `${dir}/${what}`,
        },
      );
    }
  }
  const train = build(tiles, 0, nTrain, new Int32Array(nTrain), ["typical"]);
  const out: MastcamSplits = {
    train,
    test: build(
      tiles,
      nTrain + nVal,
      tiles.images.length,
      Int32Array.from(testLabels),
      names,
    ),
    testIsAnomaly: Uint8Array.from(testLabels, (l) => (l > 0 ? 1 : 0)),
    skipped: state.skipped,
  };
  if (hasVal) {
    out.validation = build(tiles, nTrain, nTrain + nVal, new Int32Array(nVal), [
      "typical",
    ]);
  }
  return out;
}
