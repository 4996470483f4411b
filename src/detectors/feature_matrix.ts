/**
 * The toolkit's plain (tensor-free) feature format, {@linkcode FeatureMatrix},
 * and the conversions every detector runs its input through: nested arrays,
 * rank-2 tensors and {@linkcode Dataset}s of images (flattened pixels)
 * become one row-major float32 matrix.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor2D } from "../tf.ts";
import { assertDataset, type Dataset } from "../data/dataset.ts";
import { ShapeError } from "../errors.ts";

/**
 * A row-major float32 matrix: `rows` samples of `cols` features, sample `i`
 * at `data[i * cols .. (i + 1) * cols)`. The toolkit's plain (tensor-free)
 * feature format.
 *
 * @example Two samples of three features
 * ```ts
 * import assert from "node:assert/strict";
 * import type { FeatureMatrix } from "@hsvae/hsvae";
 *
 * const m: FeatureMatrix = { data: Float32Array.of(1, 2, 3, 4, 5, 6), rows: 2, cols: 3 };
 * assert.deepEqual([...m.data.subarray(1 * m.cols, 2 * m.cols)], [4, 5, 6]);
 * ```
 */
export interface FeatureMatrix {
  /** The values, row-major, length `rows * cols`. */
  data: Float32Array;
  /** Number of samples. */
  rows: number;
  /** Number of features per sample. */
  cols: number;
}

/**
 * What detectors accept as samples: a {@linkcode FeatureMatrix}, a rank-2
 * tensor `[N, D]` (never disposed by the detector), or nested arrays
 * `N x D`.
 *
 * @example The same two samples in each form
 * ```ts
 * import assert from "node:assert/strict";
 * import { type FeatureInput, toFeatureMatrix } from "@hsvae/hsvae";
 *
 * const inputs: FeatureInput[] = [
 *   [[1, 2], [3, 4]],
 *   { data: Float32Array.of(1, 2, 3, 4), rows: 2, cols: 2 },
 * ];
 * for (const x of inputs) assert.equal((await toFeatureMatrix(x)).rows, 2);
 * ```
 */
export type FeatureInput = FeatureMatrix | Tensor2D | number[][];

/**
 * Whether `x` is a {@linkcode Dataset} (has `images` and `shape`) rather
 * than a feature input.
 *
 * @param x A detector input.
 * @returns `true` for a dataset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDataset } from "@hsvae/hsvae";
 *
 * assert.equal(isDataset({ images: new Float32Array(4), shape: [1, 2, 2, 1] }), true);
 * assert.equal(isDataset([[1, 2]]), false);
 * ```
 */
export function isDataset(x: FeatureInput | Dataset): x is Dataset {
  return typeof x === "object" && x !== null && "images" in x &&
    "shape" in x && !(x instanceof tf.Tensor);
}

/**
 * Raw-pixel features: each image flattened to its `H * W * C` values (NHWC
 * order), without copying. What a detector's `features: "pixels"` (the
 * default) does with a {@linkcode Dataset}.
 *
 * @param ds The images.
 * @returns `{ data: ds.images, rows: N, cols: H * W * C }`.
 * @throws {ShapeError} When the dataset's arrays disagree with its shape.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pixelFeatures } from "@hsvae/hsvae";
 *
 * const m = pixelFeatures({ images: new Float32Array(12), shape: [3, 2, 2, 1] });
 * assert.equal(m.rows, 3);
 * assert.equal(m.cols, 4);
 * ```
 */
export function pixelFeatures(ds: Dataset): FeatureMatrix {
  assertDataset(ds);
  const [n, h, w, c] = ds.shape;
  return { data: ds.images, rows: n, cols: h * w * c };
}

/**
 * Converts any feature input or {@linkcode Dataset} to a
 * {@linkcode FeatureMatrix} (copying only when the input is not one
 * already); a dataset becomes its flattened pixels.
 *
 * @param x The samples.
 * @param what Names the action for error messages, e.g. `"fit KnnDetector"`.
 * @returns The samples as a row-major float32 matrix.
 * @throws {ShapeError} When `x` is not rank 2, is ragged, empty, or
 *   `data.length !== rows * cols`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toFeatureMatrix } from "@hsvae/hsvae";
 *
 * const m = await toFeatureMatrix([[1, 2], [3, 4], [5, 6]]);
 * assert.equal(m.rows, 3);
 * assert.equal(m.cols, 2);
 * assert.deepEqual([...m.data], [1, 2, 3, 4, 5, 6]);
 * ```
 */
export async function toFeatureMatrix(
  x: FeatureInput | Dataset,
  what = "use samples",
): Promise<FeatureMatrix> {
  let m: FeatureMatrix;
  if (isDataset(x)) {
    m = pixelFeatures(x);
  } else if (x instanceof tf.Tensor) {
    if (x.rank !== 2) {
      throw new ShapeError(
        `Cannot ${what}: "x" must be a rank-2 tensor [N, D], got shape "[${x.shape}]"`,
        "[N, D]",
        `[${x.shape}]`,
      );
    }
    const data = await x.data();
    m = {
      data: data instanceof Float32Array
        ? data
        : Float32Array.from(data as ArrayLike<number>),
      rows: x.shape[0],
      cols: x.shape[1],
    };
  } else if (Array.isArray(x)) {
    const rows = x.length;
    const cols = rows > 0 && Array.isArray(x[0]) ? x[0].length : 0;
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = x[i];
      if (!Array.isArray(row) || row.length !== cols) {
        throw new ShapeError(
          `Cannot ${what}: "x" must be N x D nested arrays, row "${i}" has length "${
            Array.isArray(row) ? row.length : "not an array"
          }" instead of "${cols}"`,
          `[${rows}, ${cols}]`,
          `row ${i}`,
        );
      }
      data.set(row, i * cols);
    }
    m = { data, rows, cols };
  } else if (x && x.data instanceof Float32Array) {
    if (x.data.length !== x.rows * x.cols || !(x.rows >= 0 && x.cols >= 0)) {
      throw new ShapeError(
        `Cannot ${what}: "x.data" has length "${x.data.length}" but rows * cols is "${
          x.rows * x.cols
        }"`,
        `${x.rows * x.cols}`,
        `${x.data.length}`,
      );
    }
    m = x;
  } else {
    throw new ShapeError(
      `Cannot ${what}: "x" must be a FeatureMatrix, a rank-2 tensor or number[][]`,
      "FeatureInput",
      typeof x,
    );
  }
  if (m.rows < 1 || m.cols < 1) {
    throw new ShapeError(
      `Cannot ${what}: "x" must have at least one row and one column, got shape "[${m.rows}, ${m.cols}]"`,
      "[N >= 1, D >= 1]",
      `[${m.rows}, ${m.cols}]`,
    );
  }
  return m;
}
