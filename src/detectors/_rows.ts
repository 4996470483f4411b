/**
 * Row helpers shared by the detectors: the seeded threshold sample and row
 * gathering.
 *
 * @module
 */
import { mulberry32 } from "../random.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";

/**
 * `0 .. rows-1` when `rows <= size`, else `size` of them drawn without
 * replacement with `seed`, ascending.
 */
export function sampleRows(
  rows: number,
  size: number,
  seed: number,
): Int32Array {
  const all = new Int32Array(rows);
  for (let i = 0; i < rows; i++) all[i] = i;
  if (rows <= size) return all;
  const rand = mulberry32(seed);
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (rows - i));
    const t = all[i];
    all[i] = all[j];
    all[j] = t;
  }
  return all.slice(0, size).sort();
}

/** The rows `idx` of `x` as a new matrix (no copy when `idx` is all rows). */
export function gatherRows(x: FeatureMatrix, idx: Int32Array): FeatureMatrix {
  if (idx.length === x.rows) return x;
  const data = new Float32Array(idx.length * x.cols);
  for (let i = 0; i < idx.length; i++) {
    data.set(
      x.data.subarray(idx[i] * x.cols, (idx[i] + 1) * x.cols),
      i * x.cols,
    );
  }
  return { data, rows: idx.length, cols: x.cols };
}
