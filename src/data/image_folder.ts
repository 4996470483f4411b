/**
 * Loads a folder of PNG/JPEG images: one sub-folder per class, or a flat
 * folder with a CSV of `file,label` rows.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { decodeImage, type Image, resizeImage, toChannels } from "./image.ts";
import { checkLimit } from "./_bytes.ts";

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
 * Parses a small CSV (RFC 4180 quoting) into rows of fields.
 *
 * @param text The CSV text.
 * @returns The rows; blank lines are skipped.
 *
 * @example Quoted comma
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCsv } from "@hsvae/hsvae";
 *
 * assert.deepEqual(parseCsv('file,label\n"a,b.png",cat\n'), [["file", "label"], ["a,b.png", "cat"]]);
 * ```
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      if (row.length > 1 || row[0] !== "") rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  row.push(field);
  if (row.length > 1 || row[0] !== "") rows.push(row);
  return rows;
}

async function listDir(
  dir: string,
): Promise<{ files: string[]; dirs: string[] }> {
  const files: string[] = [];
  const dirs: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) dirs.push(e.name);
    else if (e.isFile) files.push(e.name);
  }
  files.sort();
  dirs.sort();
  return { files, dirs };
}

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
 * the optional resize; without a resize, all must share one size.
 *
 * @param entries `[path, label]` pairs (label `-1` for none).
 * @param options Size, channels, resize method.
 * @returns The images and the labels.
 * @throws {DataFormatError} When a file cannot be decoded or sizes differ.
 */
async function stack(
  entries: readonly [string, number][],
  options: ImageFolderOptions,
): Promise<Dataset> {
  const channels = options.channels ?? 3;
  let first: { file: string; h: number; w: number } | undefined;
  const imgs: Image[] = [];
  for (const [path] of entries) {
    let img = toChannels(
      decodeImage(await Deno.readFile(path), path),
      channels,
    );
    if (options.size) {
      img = resizeImage(img, options.size, options.resize ?? "area");
    }
    if (!first) first = { file: path, h: img.height, w: img.width };
    else if (img.height !== first.h || img.width !== first.w) {
      throw new DataFormatError(
        `Cannot load image folder: "${path}" is ${img.height}x${img.width} but "${first.file}" is ${first.h}x${first.w}; pass "size: [H, W]" to resize`,
        { file: path },
      );
    }
    imgs.push(img);
  }
  const n = imgs.length;
  const [h, w] = first ? [first.h, first.w] : [0, 0];
  const f = h * w * channels;
  const images = new Float32Array(n * f);
  imgs.forEach((img, i) => images.set(img.data, i * f));
  return {
    images,
    shape: [n, h, w, channels],
    labels: Int32Array.from(entries, ([, l]) => l),
  };
}

/**
 * Loads a folder of PNG/JPEG images.
 *
 * Layouts: (a) `dir/<class>/<image>`: one sub-folder per class, labels in
 * the order of `classes` (default: folder names sorted); (b) a flat
 * `dir/<image>` with a CSV (`csv` option or `dir/labels.csv`) whose header
 * names the columns `file` and `label` (class names; order from `classes`
 * or sorted); (c) a flat folder without CSV: unlabeled (`labels` omitted).
 * Hidden files are skipped; files are read in sorted order.
 *
 * @param dir The folder.
 * @param options Size, channels, resize method, CSV, classes, limit.
 * @returns The dataset (`ids` are paths relative to `dir`).
 * @throws {DataFormatError} On an empty folder, a CSV without `file` or
 * `label` columns, an unknown class name, an undecodable file, or mixed
 * image sizes without `size`.
 * @throws {RangeError} On bad options.
 * @throws {Deno.errors.NotFound} When `dir` or a CSV-listed file is missing.
 *
 * @example Two classes, one PNG each
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
 * const ds = await loadImageFolder(dir, { channels: 1, size: [1, 1] });
 * await Deno.remove(dir, { recursive: true });
 * assert.deepEqual(ds.names, ["cat", "dog"]);
 * assert.deepEqual(Array.from(ds.labels!), [0, 1]);
 * assert.deepEqual(Array.from(ds.images), [0, 1]);
 * ```
 */
export async function loadImageFolder(
  dir: string,
  options: ImageFolderOptions = {},
): Promise<Dataset> {
  checkLimit(options.limit, "load image folder");
  if (
    options.channels !== undefined && options.channels !== 1 &&
    options.channels !== 3
  ) {
    throw new RangeError(
      `Cannot load image folder: "channels" must be 1 or 3, found "${options.channels}"`,
    );
  }
  if (options.size) {
    resizeImage(
      { data: new Float32Array(1), height: 1, width: 1, channels: 1 },
      options.size,
      options.resize,
    );
  }
  const { files, dirs } = await listDir(dir);
  const csvPath = options.csv !== undefined
    ? (options.csv.startsWith("/") ? options.csv : `${dir}/${options.csv}`)
    : (await exists(`${dir}/labels.csv`) ? `${dir}/labels.csv` : undefined);
  let entries: [string, number][] = [];
  let ids: string[] = [];
  let names: string[] | undefined;
  const classIndex = (cls: string, where: string, file: string): number => {
    const k = names!.indexOf(cls);
    if (k < 0) {
      throw new DataFormatError(
        `Cannot load image folder "${dir}": unknown class "${cls}" (${where}); expected one of "${
          names!.join('", "')
        }"`,
        { file },
      );
    }
    return k;
  };
  if (csvPath !== undefined) {
    const rows = parseCsv(await Deno.readTextFile(csvPath));
    const header = (rows[0] ?? []).map((s) => s.trim().toLowerCase());
    const fi = header.indexOf("file");
    const li = header.indexOf("label");
    if (fi < 0 || li < 0) {
      throw new DataFormatError(
        `Cannot read CSV "${csvPath}": expected a header with columns "file" and "label", found "${
          (rows[0] ?? []).join(",")
        }"`,
        { file: csvPath, offset: 0 },
      );
    }
    const body = rows.slice(1);
    body.forEach((r, k) => {
      if (r.length <= Math.max(fi, li)) {
        throw new DataFormatError(
          `Cannot read CSV "${csvPath}": row ${
            k + 2
          } has ${r.length} fields, expected at least ${Math.max(fi, li) + 1}`,
          { file: csvPath },
        );
      }
    });
    names = options.classes?.slice() ??
      [...new Set(body.map((r) => r[li].trim()))].sort();
    for (const [k, r] of body.entries()) {
      const file = r[fi].trim();
      entries.push([
        `${dir}/${file}`,
        classIndex(r[li].trim(), `CSV row ${k + 2}`, csvPath),
      ]);
      ids.push(file);
    }
  } else if (dirs.length > 0) {
    names = options.classes?.slice() ?? dirs.slice();
    for (const d of dirs) {
      const label = classIndex(d, `folder "${d}"`, `${dir}/${d}`);
      const sub = (await listDir(`${dir}/${d}`)).files.filter((f) =>
        IMAGE_EXT.test(f)
      );
      for (const f of sub) {
        entries.push([`${dir}/${d}/${f}`, label]);
        ids.push(`${d}/${f}`);
      }
    }
  } else {
    for (const f of files.filter((f) => IMAGE_EXT.test(f))) {
      entries.push([`${dir}/${f}`, -1]);
      ids.push(f);
    }
  }
  if (entries.length === 0) {
    throw new DataFormatError(
      `Cannot load image folder "${dir}": no ".png", ".jpg" or ".jpeg" images found`,
      { file: dir },
    );
  }
  if (options.limit !== undefined) {
    entries = entries.slice(0, options.limit);
    ids = ids.slice(0, options.limit);
  }
  const ds = await stack(entries, options);
  ds.ids = ids;
  if (names) ds.names = names;
  else delete ds.labels;
  return ds;
}
