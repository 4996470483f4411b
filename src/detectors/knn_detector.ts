/**
 * The k-nearest-neighbour anomaly score of METHOD.md §3, exact, on the
 * active tfjs backend.
 *
 * @module
 */
import { tf } from "../_tf.ts";
import type { Tensor2D } from "@tensorflow/tfjs";
import {
  BaseDetector,
  type DetectorOptions,
  type FeatureMatrix,
} from "./detector.ts";

/** Options of {@linkcode KnnDetector}. */
export interface KnnDetectorOptions extends DetectorOptions {
  /**
   * Number of nearest bank entries whose distances are averaged.
   * @default {3}
   */
  k?: number;
  /**
   * Queries per chunk: memory holds `queryChunk x bankChunk` float32
   * distances at a time.
   * @default {1024}
   */
  queryChunk?: number;
  /**
   * Bank rows per chunk; the k best candidates are merged across chunks.
   * @default {8192}
   */
  bankChunk?: number;
  /**
   * Recompute the k selected distances directly as `||q - b||` (k extra
   * dot products per query) instead of taking `sqrt(max(0, d2))` of the
   * matmul form, whose float32 cancellation error is about
   * `1e-7 (||q||^2 + ||b||^2)` in `d2` and so up to `sqrt` of that in
   * near-zero distances (duplicates). Selection always uses the matmul form.
   * @default {true}
   */
  refine?: boolean;
}

/**
 * k-NN anomaly detector: the score of a query `q` is the mean Euclidean
 * distance to its `k` nearest rows of the training set (the "bank"),
 * `A(q) = (1/k) sum_{i=1..k} ||q - b_(i)||`. Higher = more anomalous
 * (PyOD's sign; scikit-learn's `score_samples` convention is the negation).
 *
 * Method: squared distances `||q||^2 + ||b||^2 - 2 q.b` by matmul on the
 * active tfjs backend, over chunks of queries and of bank rows (memory is
 * bounded by `queryChunk x bankChunk` floats, not by the bank size), a
 * running top-k merge across bank chunks (`tf.topk` of the negated
 * distances), negative squared distances clamped to 0 before the square
 * root. The search is exact (no approximation); values are float32.
 *
 * Training scores exclude each sample's own index (a bank member is not its
 * own neighbour; an exact duplicate elsewhere in the bank still counts, at
 * distance 0), so `trainingScores` are leave-one-out scores, as in PyOD's
 * `KNN`. `fit` therefore needs `k <= N - 1`.
 *
 * The bank lives on the backend until {@linkcode KnnDetector.dispose}
 * (or `using`).
 *
 * @example Scoring two queries against a square
 * ```ts
 * import assert from "node:assert/strict";
 * import { KnnDetector } from "./knn_detector.ts";
 *
 * using det = await new KnnDetector({ k: 2 }).fit([[0, 0], [0, 1], [1, 0], [1, 1]]);
 * const s = await det.score([[0, 0], [10, 10]]);
 * assert.equal(s[0], 0.5); // neighbours at 0 and 1
 * assert.ok(s[1] > 12);
 * assert.deepEqual([...(await det.predict([[0.5, 0.5], [10, 10]]))], [0, 1]);
 * ```
 */
export class KnnDetector extends BaseDetector implements Disposable {
  /** Number of neighbours averaged. */
  readonly k: number;
  /** Queries per chunk. */
  readonly queryChunk: number;
  /** Bank rows per chunk. */
  readonly bankChunk: number;
  /** Whether selected distances are recomputed directly. */
  readonly refine: boolean;
  #bank?: Tensor2D;
  #bankNorms?: Tensor2D;

  /**
   * Stores the hyperparameters only; nothing is computed until `fit`.
   *
   * @param options Detector options; hyperparameters only, nothing is
   *   computed until `fit`.
   * @throws {RangeError} When `k`, `queryChunk` or `bankChunk` is not a
   *   positive integer, or a shared option is out of range.
   */
  constructor(options: KnnDetectorOptions = {}) {
    super(options);
    const { k = 3, queryChunk = 1024, bankChunk = 8192, refine = true } =
      options;
    for (
      const [name, v] of [["k", k], ["queryChunk", queryChunk], [
        "bankChunk",
        bankChunk,
      ]]
    ) {
      if (!(Number.isInteger(v) && (v as number) >= 1)) {
        throw new RangeError(
          `Cannot create KnnDetector: "${name}" must be a positive integer, got "${v}"`,
        );
      }
    }
    this.k = k;
    this.queryChunk = queryChunk;
    this.bankChunk = bankChunk;
    this.refine = refine;
  }

  /** Number of rows in the bank (the training set). */
  get bankSize(): number {
    if (!this.#bank) throw this.notFitted("read bankSize");
    return this.#bank.shape[0];
  }

  /** Fits on the training matrix and returns the training scores (higher = more anomalous). */
  protected async fitModel(x: FeatureMatrix): Promise<Float32Array> {
    if (this.k > x.rows - 1) {
      throw new RangeError(
        `Cannot fit KnnDetector: "k" is "${this.k}" but the bank has "${x.rows}" rows; leave-one-out training scores need k <= rows - 1, so pass more rows or a smaller k`,
      );
    }
    this.dispose();
    const bank = tf.tensor2d(x.data, [x.rows, x.cols]);
    this.#bank = bank;
    this.#bankNorms = tf.tidy(() =>
      tf.sum(tf.square(bank), 1).reshape([1, x.rows])
    );
    return await this.#knn(x, true);
  }

  /** Scores a query matrix (higher = more anomalous). */
  protected async scoreMatrix(x: FeatureMatrix): Promise<Float32Array> {
    return await this.#knn(x, false);
  }

  async #knn(q: FeatureMatrix, excludeSelf: boolean): Promise<Float32Array> {
    const bank = this.#bank;
    const bankNorms = this.#bankNorms;
    if (!bank || !bankNorms) {
      throw this.notFitted("score (the bank was disposed)");
    }
    const [nBank, d] = bank.shape;
    const { k, queryChunk, bankChunk, refine } = this;
    const out = new Float32Array(q.rows);
    for (let q0 = 0; q0 < q.rows; q0 += queryChunk) {
      const n = Math.min(queryChunk, q.rows - q0);
      const qt = tf.tensor2d(q.data.subarray(q0 * d, (q0 + n) * d), [n, d]);
      const qn = tf.tidy(() => tf.sum(tf.square(qt), 1, true));
      let best: { v: Tensor2D; i: Tensor2D } | null = null;
      for (let b0 = 0; b0 < nBank; b0 += bankChunk) {
        const m = Math.min(bankChunk, nBank - b0);
        const prev: { v: Tensor2D; i: Tensor2D } | null = best;
        const next = tf.tidy((): { v: Tensor2D; i: Tensor2D } => {
          const bt = tf.slice(bank, [b0, 0], [m, d]);
          const bn = tf.slice(bankNorms, [0, b0], [1, m]);
          let d2: Tensor2D = tf.sub(
            tf.add(qn, bn),
            tf.mul(tf.matMul(qt, bt, false, true), 2),
          );
          if (excludeSelf && b0 < q0 + n && q0 < b0 + m) {
            const self = tf.equal(
              tf.range(q0, q0 + n, 1, "int32").reshape([n, 1]),
              tf.range(b0, b0 + m, 1, "int32").reshape([1, m]),
            );
            d2 = tf.where(self, tf.fill([n, m], Infinity), d2);
          }
          const top = tf.topk(tf.neg(d2), Math.min(k, m));
          const idx = tf.add(top.indices, tf.scalar(b0, "int32")) as Tensor2D;
          if (prev === null) return { v: top.values as Tensor2D, i: idx };
          const v: Tensor2D = tf.concat([prev.v, top.values as Tensor2D], 1);
          const i: Tensor2D = tf.concat([prev.i, idx], 1);
          const cols = v.shape[1];
          const merged = tf.topk(v, Math.min(k, cols));
          // row-wise gather as a flat gather (tfjs-backend-wasm mishandles
          // gather with batchDims = 1)
          const rowStart = tf.range(0, n * cols, cols, "int32").reshape([n, 1]);
          const flat = tf.add(merged.indices, rowStart);
          return {
            v: merged.values as Tensor2D,
            i: tf.gather(
              i.flatten(),
              flat as tf.Tensor,
            ) as tf.Tensor as Tensor2D,
          };
        });
        if (prev !== null) tf.dispose([prev.v, prev.i]);
        best = next;
      }
      const chosen = best!;
      const score = tf.tidy(() => {
        if (!refine) return tf.mean(tf.sqrt(tf.relu(tf.neg(chosen.v))), 1);
        const nb = tf.gather(bank, tf.reshape(chosen.i, [-1])).reshape([
          n,
          k,
          d,
        ]);
        const diff = tf.sub(nb, tf.expandDims(qt, 1));
        return tf.mean(tf.sqrt(tf.sum(tf.square(diff), 2)), 1);
      });
      tf.dispose([qt, qn, chosen.v, chosen.i]);
      out.set(await score.data() as Float32Array, q0);
      score.dispose();
    }
    return out;
  }

  /**
   * Frees the bank's tensors. Scoring afterwards throws NotFittedError; fit
   * again to reuse the detector.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { tf } from "../_tf.ts";
   * import { KnnDetector } from "./knn_detector.ts";
   *
   * const before = tf.memory().numTensors;
   * const det = await new KnnDetector({ k: 1 }).fit([[0], [1], [3]]);
   * det.dispose();
   * assert.equal(tf.memory().numTensors, before);
   * ```
   */
  dispose(): void {
    if (this.#bank) tf.dispose([this.#bank, this.#bankNorms!]);
    this.#bank = undefined;
    this.#bankNorms = undefined;
  }

  /** Same as {@linkcode KnnDetector.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
