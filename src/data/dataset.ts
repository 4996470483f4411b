/**
 * The one in-memory image dataset type every loader returns, and helpers to
 * describe, subset and concatenate it.
 *
 * @module
 */
import { ShapeError } from "../errors.ts";

/**
 * A batch of images, channels-last (NHWC), values in `[0, 1]`.
 *
 * Image `i` occupies `images[i * H * W * C .. (i + 1) * H * W * C)`; pixel
 * `(y, x)` channel `c` of it is at offset `(y * W + x) * C + c`.
 */
export interface Dataset {
  /** `N * H * W * C` values in `[0, 1]`, NHWC order. */
  images: Float32Array;
  /** `[N, H, W, C]`. */
  shape: [number, number, number, number];
  /** One integer label per image, when the source has labels. */
  labels?: Int32Array;
  /** Class names: `names[label]` names class `label`. */
  names?: string[];
  /** One identifier per image (file name, record index, galaxy id). */
  ids?: string[];
  /**
   * How many images the source holds, set by a loader whose `limit` kept
   * only the first `N` of them (absent when every image was kept).
   */
  available?: number;
}

/** A summary of a {@linkcode Dataset}, see {@linkcode datasetInfo}. */
export interface DatasetInfo {
  /** Number of images. */
  n: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels per pixel. */
  channels: number;
  /** Values per image, `H * W * C`. */
  features: number;
  /** Smallest pixel value (`NaN` for an empty dataset). */
  min: number;
  /** Largest pixel value (`NaN` for an empty dataset). */
  max: number;
  /**
   * Images per label, indexed by label (length `max label + 1`), or
   * `undefined` without labels.
   */
  labelCounts?: number[];
}

/**
 * Checks that a dataset's arrays agree with its shape.
 *
 * @param ds The dataset.
 * @param what How to name it in messages.
 * @returns Nothing.
 * @throws {ShapeError} When the image buffer, labels or ids have the wrong
 * length, a dim is not a non-negative integer, or `available` is below N.
 *
 * @example Accepting a consistent dataset
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertDataset } from "@hsvae/hsvae";
 *
 * const ds = { images: new Float32Array(8), shape: [2, 2, 2, 1] as [number, number, number, number] };
 * assert.doesNotThrow(() => assertDataset(ds));
 * assert.throws(() => assertDataset({ ...ds, labels: new Int32Array(3) }), /labels/);
 * ```
 */
export function assertDataset(ds: Dataset, what = "dataset"): void {
  const [n, h, w, c] = ds.shape;
  if (
    ds.shape.length !== 4 ||
    !ds.shape.every((d) => Number.isInteger(d) && d >= 0)
  ) {
    throw new ShapeError(
      `Cannot use ${what}: expected "shape" [N, H, W, C] of non-negative integers, found "[${ds.shape}]"`,
      "[N, H, W, C]",
      `[${ds.shape}]`,
    );
  }
  if (ds.images.length !== n * h * w * c) {
    throw new ShapeError(
      `Cannot use ${what}: "images" has ${ds.images.length} values, expected N*H*W*C = ${
        n * h * w * c
      }`,
      `${n * h * w * c}`,
      `${ds.images.length}`,
    );
  }
  if (ds.labels && ds.labels.length !== n) {
    throw new ShapeError(
      `Cannot use ${what}: "labels" has ${ds.labels.length} entries, expected N = ${n}`,
      `${n}`,
      `${ds.labels.length}`,
    );
  }
  if (
    ds.available !== undefined &&
    !(Number.isInteger(ds.available) && ds.available >= n)
  ) {
    throw new ShapeError(
      `Cannot use ${what}: "available" is ${ds.available}, expected an integer >= N = ${n}`,
      `>= ${n}`,
      `${ds.available}`,
    );
  }
  if (ds.ids && ds.ids.length !== n) {
    throw new ShapeError(
      `Cannot use ${what}: "ids" has ${ds.ids.length} entries, expected N = ${n}`,
      `${n}`,
      `${ds.ids.length}`,
    );
  }
}

/**
 * Summarizes a dataset: size, image shape, pixel range and label histogram.
 *
 * @param ds The dataset.
 * @returns Its {@linkcode DatasetInfo}.
 * @throws {ShapeError} When the dataset is inconsistent (see
 * {@linkcode assertDataset}).
 *
 * @example Two labelled 1x1 images
 * ```ts
 * import assert from "node:assert/strict";
 * import { datasetInfo } from "@hsvae/hsvae";
 *
 * const info = datasetInfo({
 *   images: new Float32Array([0.25, 1]),
 *   shape: [2, 1, 1, 1],
 *   labels: new Int32Array([2, 2]),
 * });
 * assert.equal(info.n, 2);
 * assert.equal(info.max, 1);
 * assert.deepEqual(info.labelCounts, [0, 0, 2]);
 * ```
 */
export function datasetInfo(ds: Dataset): DatasetInfo {
  assertDataset(ds);
  const [n, height, width, channels] = ds.shape;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < ds.images.length; i++) {
    const v = ds.images[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (ds.images.length === 0) min = max = NaN;
  let labelCounts: number[] | undefined;
  if (ds.labels) {
    labelCounts = [];
    for (const l of ds.labels) {
      while (labelCounts.length <= l) labelCounts.push(0);
      if (l >= 0) labelCounts[l]++;
    }
  }
  return {
    n,
    height,
    width,
    channels,
    features: height * width * channels,
    min,
    max,
    labelCounts,
  };
}

/**
 * Copies the images (and labels, ids) at `indices`, in that order.
 *
 * @param ds The dataset.
 * @param indices Image indices; repeats allowed.
 * @returns A new dataset with `indices.length` images; `names` is shared.
 * @throws {RangeError} When an index is not an integer in `[0, N)`.
 *
 * @example Picking and reordering
 * ```ts
 * import assert from "node:assert/strict";
 * import { subset } from "@hsvae/hsvae";
 *
 * const ds = { images: new Float32Array([0, 0.5, 1]), shape: [3, 1, 1, 1] as [number, number, number, number], labels: new Int32Array([7, 8, 9]) };
 * const s = subset(ds, [2, 0]);
 * assert.deepEqual(s.shape, [2, 1, 1, 1]);
 * assert.deepEqual(Array.from(s.images), [1, 0]);
 * assert.deepEqual(Array.from(s.labels!), [9, 7]);
 * ```
 */
export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  assertDataset(ds);
  const [n, h, w, c] = ds.shape;
  const f = h * w * c;
  const m = indices.length;
  const images = new Float32Array(m * f);
  const labels = ds.labels ? new Int32Array(m) : undefined;
  const ids = ds.ids ? new Array<string>(m) : undefined;
  for (let k = 0; k < m; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(
        `Cannot take subset: index ${i} at position ${k} is outside [0, ${n})`,
      );
    }
    images.set(ds.images.subarray(i * f, (i + 1) * f), k * f);
    if (labels) labels[k] = ds.labels![i];
    if (ids) ids[k] = ds.ids![i];
  }
  const out: Dataset = { images, shape: [m, h, w, c] };
  if (labels) out.labels = labels;
  if (ds.names) out.names = ds.names;
  if (ids) out.ids = ids;
  return out;
}

/**
 * Concatenates datasets with the same image size along N.
 *
 * Labels are kept when every part has them, ids likewise; `names` is taken
 * from the first part.
 *
 * @param parts The datasets, in order.
 * @returns One dataset holding all images.
 * @throws {ShapeError} When the parts differ in `[H, W, C]` or none is given.
 *
 * @example Two single images
 * ```ts
 * import assert from "node:assert/strict";
 * import { concatDatasets } from "@hsvae/hsvae";
 *
 * const a = { images: new Float32Array([0.1]), shape: [1, 1, 1, 1] as [number, number, number, number] };
 * const b = { images: new Float32Array([0.9]), shape: [1, 1, 1, 1] as [number, number, number, number] };
 * const ab = concatDatasets([a, b]);
 * assert.deepEqual(ab.shape, [2, 1, 1, 1]);
 * assert.equal(ab.images[1], b.images[0]);
 * ```
 */
export function concatDatasets(parts: readonly Dataset[]): Dataset {
  if (parts.length === 0) {
    throw new ShapeError(
      "Cannot concatenate datasets: none given",
      ">= 1 dataset",
      "0",
    );
  }
  const [, h, w, c] = parts[0].shape;
  let n = 0;
  for (const [k, p] of parts.entries()) {
    assertDataset(p, `dataset ${k}`);
    if (p.shape[1] !== h || p.shape[2] !== w || p.shape[3] !== c) {
      throw new ShapeError(
        `Cannot concatenate datasets: part ${k} has images [${
          p.shape.slice(1)
        }], expected [${h},${w},${c}]; resize them first`,
        `[${h},${w},${c}]`,
        `[${p.shape.slice(1)}]`,
      );
    }
    n += p.shape[0];
  }
  const images = new Float32Array(n * h * w * c);
  const withLabels = parts.every((p) => p.labels);
  const withIds = parts.every((p) => p.ids);
  const labels = withLabels ? new Int32Array(n) : undefined;
  const ids: string[] | undefined = withIds ? [] : undefined;
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * h * w * c);
    if (labels) labels.set(p.labels!, at);
    if (ids) ids.push(...p.ids!);
    at += p.shape[0];
  }
  const out: Dataset = { images, shape: [n, h, w, c] };
  if (labels) out.labels = labels;
  if (parts[0].names) out.names = parts[0].names;
  if (ids) out.ids = ids;
  return out;
}
