/**
 * Loads a folder of PNG/JPEG images: one sub-folder per class, or a flat
 * folder with a CSV of `file,label` rows.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { checkAllocation } from "../limits.ts";
import type { Dataset } from "./dataset.ts";
import {
  checkImageSize,
  decodeImage,
  resizeImage,
  toChannels,
} from "./image.ts";
import { parseCsv } from "./csv.ts";
import { checkLimit } from "./_bytes.ts";
import {
  enterFolder,
  listFolder,
  type ListState,
  listState,
  walkFiles,
} from "./_list_folder.ts";
import type { SkippedEntries } from "./skipped_entries.ts";

/** Options of {@linkcode loadImageFolder}. */
export interface ImageFolderOptions {
  /**
   * Resize every image to `[height, width]`; when omitted all images must
   * share one size.
   * @default {undefined}
   */
  size?: [number, number];
  /**
   * Channels of the result: 1 (gray, BT.601 luma) or 3 (RGB).
   * @default {3}
   */
  channels?: 1 | 3;
  /**
   * Resampling used by `size`.
   * @default {"area"}
   */
  resize?: "area" | "bilinear";
  /**
   * A CSV with a header naming the columns `file` and `label` (relative to
   * `dir` when not absolute); selects the flat layout. A `labels.csv` in
   * `dir` is used when present and this is omitted.
   * @default {undefined}
   */
  csv?: string;
  /**
   * The class names, in label order. Any other class (folder or CSV label)
   * is an error. When omitted: the sorted folder names or CSV labels.
   * @default {undefined}
   */
  classes?: string[];
  /**
   * Keep only the first `limit` images (in sorted order).
   * @default {undefined} (all)
   */
  limit?: number;
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/**
 * What {@linkcode loadImageFolder} returns: the dataset, and what it left
 * out of the folder on purpose.
 */
export interface ImageFolderDataset extends Dataset {
  /**
   * Entries of the folder not read, by reason (all 0 in the CSV layout,
   * where only the listed files are read).
   */
  skipped: SkippedEntries;
}

/** An image to read: path, label (`-1` for none), where a CSV lists it. */
type Entry = [path: string, label: number, listed?: string];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Decodes and stacks image files into a dataset: channel conversion, then
 * the optional resize; without a resize, all must share one size. The
 * dataset's bytes are checked before its array is allocated: with `size`
 * before the first file is read, else once the first image gives its size.
 *
 * @param dir The folder, for messages.
 * @param entries `[path, label, where listed]` (label `-1` for none;
 * where listed: the CSV line, for CSV entries).
 * @param options Size, channels, resize method.
 * @returns The images and the labels.
 * @throws {DataFormatError} When a file cannot be decoded or sizes differ.
 * @throws {LimitError} When the dataset would be beyond
 * `LIMITS.maxArrayBytes` or the memory available.
 */
async function stack(
  dir: string,
  entries: readonly Entry[],
  options: ImageFolderOptions,
): Promise<Dataset> {
  const channels = options.channels ?? 3;
  const n = entries.length;
  let first: { file: string; h: number; w: number } | undefined;
  let images: Float32Array | undefined;
  const allocate = (h: number, w: number): Float32Array => {
    checkAllocation(
      `load image folder "${dir}" (${n} images of ${h}x${w}x${channels})`,
      n * h * w * channels * 4,
    );
    return new Float32Array(n * h * w * channels);
  };
  if (options.size) images = allocate(...options.size);
  for (const [k, [path, , listed]] of entries.entries()) {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (err) {
      if (listed !== undefined && err instanceof Deno.errors.NotFound) {
        throw new DataFormatError(
          `Cannot load image folder "${dir}": "${path}" is listed on ${listed} but does not exist; fix the "file" field or add the image`,
          { file: path },
        );
      }
      throw err;
    }
    let img = toChannels(decodeImage(bytes, path), channels);
    if (options.size) {
      img = resizeImage(img, options.size, options.resize ?? "area");
    }
    if (!first) {
      first = { file: path, h: img.height, w: img.width };
      images ??= allocate(img.height, img.width);
    } else if (img.height !== first.h || img.width !== first.w) {
      throw new DataFormatError(
        `Cannot load image folder: "${path}" is ${img.height}x${img.width} but "${first.file}" is ${first.h}x${first.w}; pass "size: [H, W]" to resize`,
        { file: path },
      );
    }
    images!.set(img.data, k * img.data.length);
  }
  const [h, w] = first ? [first.h, first.w] : [0, 0];
  return {
    images: images ?? new Float32Array(0),
    shape: [n, h, w, channels],
    labels: Int32Array.from(entries, ([, l]) => l),
  };
}

/** `[path, label]` pairs and ids from a CSV of `file,label` rows. */
async function fromCsv(
  dir: string,
  csvPath: string,
  classes: string[] | undefined,
): Promise<{ entries: Entry[]; ids: string[]; names: string[] }> {
  const table = parseCsv(await Deno.readTextFile(csvPath), csvPath);
  const header = table.header.map((s) => s.toLowerCase());
  const fi = header.indexOf("file");
  const li = header.indexOf("label");
  if (fi < 0 || li < 0) {
    throw new DataFormatError(
      `Cannot read CSV "${csvPath}": expected a header with columns "file" and "label", found "${
        table.header.join(",")
      }"`,
      { file: csvPath, offset: 0 },
    );
  }
  const names = classes?.slice() ??
    [...new Set(table.rows.map((r) => r[li]))].sort();
  const entries: Entry[] = [];
  const ids: string[] = [];
  for (const [k, r] of table.rows.entries()) {
    const file = r[fi];
    if (file === "") {
      throw new DataFormatError(
        `Cannot read CSV "${csvPath}": line ${
          table.lines[k]
        } has an empty "file" field; name an image file on every row`,
        { file: csvPath },
      );
    }
    entries.push([
      `${dir}/${file}`,
      classIndex(dir, names, r[li], `CSV line ${table.lines[k]}`, csvPath),
      `line ${table.lines[k]} of "${csvPath}"`,
    ]);
    ids.push(file);
  }
  return { entries, ids, names };
}

/** The label of class `cls`, or a DataFormatError naming where it was. */
function classIndex(
  dir: string,
  names: string[],
  cls: string,
  where: string,
  file: string,
): number {
  const k = names.indexOf(cls);
  if (k < 0) {
    throw new DataFormatError(
      `Cannot load image folder "${dir}": unknown class "${cls}" (${where}); expected one of "${
        names.join('", "')
      }"`,
      { file },
    );
  }
  return k;
}

/** `[path, label]` pairs and ids from class folders or a flat folder. */
async function fromFolders(
  dir: string,
  classes: string[] | undefined,
  state: ListState,
): Promise<{ entries: Entry[]; ids: string[]; names?: string[] }> {
  const real = (await enterFolder(dir, state, 0))!;
  const { files, dirs } = await listFolder(dir, real, state);
  const isImage = (f: string) => IMAGE_EXT.test(f);
  const entries: Entry[] = [];
  const ids: string[] = [];
  if (dirs.length === 0) {
    for (const f of files) {
      if (!isImage(f)) state.skipped.unsupported++;
      else {
        entries.push([`${dir}/${f}`, -1]);
        ids.push(f);
      }
    }
    return { entries, ids };
  }
  for (const f of files) {
    if (isImage(f)) state.skipped.outsideLayout++;
    else state.skipped.unsupported++;
  }
  const names = classes?.slice() ?? dirs.map((d) => d.name);
  const root = new Set([real]);
  for (const d of dirs) {
    const label = classIndex(
      dir,
      names,
      d.name,
      `folder "${d.name}"`,
      `${dir}/${d.name}`,
    );
    for (
      const f of await walkFiles(`${dir}/${d.name}`, state, isImage, 1, root)
    ) {
      entries.push([`${dir}/${d.name}/${f}`, label]);
      ids.push(`${d.name}/${f}`);
    }
  }
  return { entries, ids, names };
}

/**
 * Loads a folder of PNG/JPEG images.
 *
 * Layouts: (a) `dir/<class>/<image>`: one sub-folder per class (images in
 * nested folders below it count for that class), labels in the order of
 * `classes` (default: folder names sorted); (b) a flat `dir/<image>` with
 * a CSV (`csv` option or `dir/labels.csv`) whose header names the columns
 * `file` and `label` (class names; order from `classes` or sorted); (c) a
 * flat folder without CSV: unlabeled (`labels` omitted). Files are read in
 * sorted order. Symbolic links to files and folders are followed; a link
 * back to a folder already read is not followed again.
 *
 * Left out and counted in `skipped`: hidden files and folders, files that
 * are not `.png`/`.jpg`/`.jpeg`, images beside class folders, broken
 * links, symlink cycles, special files.
 *
 * @param dir The folder.
 * @param options Size, channels, resize method, CSV, classes, limit.
 * @returns The dataset (`ids` are paths relative to `dir`) with the
 * `skipped` counts.
 * @throws {DataFormatError} On an empty folder, a CSV that is not strict
 * RFC 4180 (see {@linkcode parseCsv}) or lacks `file` or `label` columns,
 * an unknown class name, a CSV-listed file that is missing (naming its
 * line), an undecodable file, or mixed image sizes without `size`.
 * @throws {LimitError} When `size` or an image's header is beyond
 * `LIMITS.maxImageSide` / `maxImagePixels`, the folder lists more than
 * `LIMITS.maxFolderFiles` entries or nests deeper than
 * `LIMITS.maxFolderDepth`, or the dataset would be beyond
 * `LIMITS.maxArrayBytes` or the memory available (checked before
 * allocating).
 * @throws {RangeError} On bad options.
 * @throws {Deno.errors.NotFound} When `dir` or the CSV is missing.
 *
 * @example Two classes, one PNG each, and a README left out
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { loadImageFolder } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * for (const [cls, v] of [["cat", 0], ["dog", 255]] as const) {
 *   await Deno.mkdir(`${dir}/${cls}`);
 *   const data = new Uint8Array(4).fill(v);
 *   await Deno.writeFile(`${dir}/${cls}/a.png`, encode({ width: 2, height: 2, channels: 1, depth: 8, data }));
 * }
 * await Deno.writeTextFile(`${dir}/cat/README.txt`, "cats");
 * const ds = await loadImageFolder(dir, { channels: 1, size: [1, 1] });
 * await Deno.remove(dir, { recursive: true });
 * assert.deepEqual(ds.names, ["cat", "dog"]);
 * assert.deepEqual(Array.from(ds.labels!), [0, 1]);
 * assert.deepEqual(Array.from(ds.images), [0, 1]);
 * assert.equal(ds.skipped.unsupported, 1);
 * ```
 */
export async function loadImageFolder(
  dir: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolderDataset> {
  checkLimit(options.limit, "load image folder");
  if (
    options.channels !== undefined && options.channels !== 1 &&
    options.channels !== 3
  ) {
    throw new RangeError(
      `Cannot load image folder: "channels" must be 1 or 3, found "${options.channels}"`,
    );
  }
  if (
    options.resize !== undefined && options.resize !== "area" &&
    options.resize !== "bilinear"
  ) {
    throw new RangeError(
      `Cannot load image folder: "resize" must be "area" or "bilinear", found "${options.resize}"`,
    );
  }
  if (options.size) {
    checkImageSize(`load image folder "${dir}"`, options.size);
  }
  const csvPath = options.csv !== undefined
    ? (options.csv.startsWith("/") ? options.csv : `${dir}/${options.csv}`)
    : (await exists(`${dir}/labels.csv`) ? `${dir}/labels.csv` : undefined);
  const state = listState(`load image folder "${dir}"`);
  let { entries, ids, names } = csvPath !== undefined
    ? await fromCsv(dir, csvPath, options.classes)
    : await fromFolders(dir, options.classes, state);
  if (entries.length === 0) {
    throw new DataFormatError(
      `Cannot load image folder "${dir}": no ".png", ".jpg" or ".jpeg" images found`,
      { file: dir },
    );
  }
  const available = entries.length;
  if (options.limit !== undefined) {
    entries = entries.slice(0, options.limit);
    ids = ids.slice(0, options.limit);
  }
  const ds: ImageFolderDataset = {
    ...(await stack(dir, entries, options)),
    ids,
    skipped: state.skipped,
  };
  if (entries.length < available) ds.available = available;
  if (names) ds.names = names;
  else delete ds.labels;
  return ds;
}
