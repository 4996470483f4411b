/**
 * The k-nearest-neighbour anomaly score of METHOD.md §3, exact: distance
 * blocks by matmul on the active tfjs backend, k-smallest selection in
 * plain TypeScript.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor1D, Tensor2D } from "../tf.ts";
import { gatherRows, sampleRows } from "./_rows.ts";
import { type HeapScan, heapScan, heapView } from "../kernels/wasm_scan.ts";
import { BaseDetector } from "./base_detector.ts";
import type { DetectorOptions } from "./detector.ts";
import type { FeatureMatrix } from "./feature_matrix.ts";

/** Options of {@linkcode KnnDetector}. */
export interface KnnDetectorOptions extends DetectorOptions {
  /**
   * Number of nearest bank entries whose distances are averaged.
   * @default {3}
   */
  k?: number;
  /**
   * Queries per chunk. One distance block holds `queryChunk x bankChunk`
   * float32 values (on the backend and once more when read back): 32 MiB
   * each at the defaults.
   * @default {1024}
   */
  queryChunk?: number;
  /**
   * Bank rows per chunk; the bank is stored on the backend as
   * `ceil(N / bankChunk)` pre-transposed blocks and the k best candidates
   * are merged across them.
   * @default {8192}
   */
  bankChunk?: number;
  /**
   * Recompute the k selected distances exactly as `||q - b||` in float64
   * (k extra `D`-long dot products per query) instead of taking
   * `sqrt(max(0, d2))` of the matmul form, whose float32 cancellation error
   * is about `1e-7 (||q||^2 + ||b||^2)` in `d2` and so up to the square
   * root of that in near-zero distances: with `refine` an exact duplicate
   * scores 0. Selection always uses the matmul form.
   * @default {true}
   */
  refine?: boolean;
  /**
   * Number of training rows whose leave-one-out scores set the threshold,
   * drawn without replacement with the detector's `seed` (see
   * {@linkcode KnnDetector.thresholdRows}). The rest of the bank is still
   * searched for their neighbours, so `fit` costs
   * `min(N, thresholdSample) x N` distances instead of `N x N`. Pass
   * `Infinity` to score every row (exact, O(N^2)), or call
   * {@linkcode KnnDetector.scoreTraining} later.
   * @default {10000}
   */
  thresholdSample?: number;
}

/**
 * k-NN anomaly detector: the score of a query `q` is the mean Euclidean
 * distance to its `k` nearest rows of the training set (the "bank"),
 * `A(q) = (1/k) sum_{i=1..k} ||q - b_(i)||`. Higher = more anomalous
 * (PyOD's sign; scikit-learn's `score_samples` convention is the negation).
 *
 * Method: `fit` stores the bank on the backend as blocks `[D, m]` of
 * `-2 b^T` (pre-transposed: tfjs-wasm multiplies a transposed operand about
 * ten times slower) with the bias `||b||^2`, so one fused matmul-plus-bias
 * of the queries gives `||b||^2 - 2 q.b`, which orders the bank like
 * `||q - b||^2`. Each `queryChunk x bankChunk` block is read (on wasm in
 * place in the backend's heap, elsewhere as a `Float32Array`) and a running
 * k-smallest insertion list per query merges it (faster than `tf.topk` on
 * every backend tried, and exact); on wasm a SIMD scan over the heap
 * (`kernels/wasm_scan.ts`) skips the 16-value groups with nothing below
 * the current k-th best. Finally `||q||^2` is added (float64) and
 * negative values clamped to 0 before the square root, or, with `refine`,
 * the k chosen distances are recomputed exactly; the mean is accumulated in
 * float64. The search is exact (no approximation).
 *
 * Training scores exclude each sample's own index (a bank member is not its
 * own neighbour; an exact duplicate elsewhere in the bank still counts, at
 * distance 0), so they are leave-one-out scores, as in PyOD's `KNN`. By
 * default only a seeded subsample of `thresholdSample` rows is scored in
 * `fit` (see {@linkcode KnnDetectorOptions.thresholdSample});
 * `trainingScores[i]` belongs to bank row `thresholdRows[i]`. `fit` needs
 * `k <= N - 1`.
 *
 * The bank lives on the backend (and as a float32 copy in memory, for
 * `refine` and `scoreTraining`) until {@linkcode KnnDetector.dispose} (or
 * `using`).
 *
 * @example Scoring two queries against a square
 * ```ts
 * import assert from "node:assert/strict";
 * import { KnnDetector } from "@hsvae/hsvae";
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
  /** Whether selected distances are recomputed exactly. */
  readonly refine: boolean;
  /** Training rows scored in `fit` for the threshold (`Infinity` = all). */
  readonly thresholdSample: number;
  #bank?: FeatureMatrix;
  #blocks: BankBlock[] = [];
  #thresholdRows?: Int32Array;

  /**
   * Stores the hyperparameters only; nothing is computed until `fit`.
   *
   * @param options Detector options; hyperparameters only, nothing is
   *   computed until `fit`.
   * @throws {RangeError} When `k`, `queryChunk` or `bankChunk` is not a
   *   positive integer, `thresholdSample` is not a positive integer or
   *   `Infinity`, or a shared option is out of range.
   */
  constructor(options: KnnDetectorOptions = {}) {
    super(options);
    const {
      k = 3,
      queryChunk = 1024,
      bankChunk = 8192,
      refine = true,
      thresholdSample = 10_000,
    } = options;
    const ints: [string, number][] = [
      ["k", k],
      ["queryChunk", queryChunk],
      ["bankChunk", bankChunk],
    ];
    if (thresholdSample !== Infinity) {
      ints.push(["thresholdSample", thresholdSample]);
    }
    for (const [name, v] of ints) {
      if (!(Number.isInteger(v) && v >= 1)) {
        throw new RangeError(
          `Cannot create KnnDetector: "${name}" must be a positive integer${
            name === "thresholdSample" ? " or Infinity" : ""
          }, got "${v}"`,
        );
      }
    }
    this.k = k;
    this.queryChunk = queryChunk;
    this.bankChunk = bankChunk;
    this.refine = refine;
    this.thresholdSample = thresholdSample;
  }

  /**
   * Number of rows in the bank (the training set).
   * @throws {NotFittedError} Before `fit` or after `dispose`.
   */
  get bankSize(): number {
    if (!this.#bank) throw this.notFitted("read bankSize");
    return this.#bank.rows;
  }

  /**
   * The bank rows (ascending) whose leave-one-out scores are
   * `trainingScores`: all rows when `N <= thresholdSample`, else a seeded
   * sample of `thresholdSample` rows.
   * @throws {NotFittedError} Before `fit`.
   */
  get thresholdRows(): Int32Array {
    if (!this.#thresholdRows) throw this.notFitted("read thresholdRows");
    return this.#thresholdRows;
  }

  /** Fits on the training matrix and returns the sampled training scores. */
  protected async fitModel(x: FeatureMatrix): Promise<Float32Array> {
    if (this.k > x.rows - 1) {
      throw new RangeError(
        `Cannot fit KnnDetector: "k" is "${this.k}" but the bank has "${x.rows}" rows; leave-one-out training scores need k <= rows - 1, so pass more rows or a smaller k`,
      );
    }
    this.dispose();
    const { rows, cols } = x;
    const data = x.data.slice();
    const blocks: BankBlock[] = [];
    for (let b0 = 0; b0 < rows; b0 += this.bankChunk) {
      const m = Math.min(this.bankChunk, rows - b0);
      // [D, m]: column j is -2 b_j; the bias is ||b_j||^2
      const t = new Float32Array(cols * m);
      const norms = new Float32Array(m);
      for (let j = 0; j < m; j++) {
        const o = (b0 + j) * cols;
        let s = 0;
        for (let c = 0; c < cols; c++) {
          const v = data[o + c];
          t[c * m + j] = -2 * v;
          s += v * v;
        }
        norms[j] = s;
      }
      blocks.push({
        weights: tf.tensor2d(t, [cols, m]),
        norms: tf.tensor1d(norms),
      });
    }
    this.#bank = { data, rows, cols };
    this.#blocks = blocks;
    const sample = sampleRows(rows, this.thresholdSample, this.seed);
    this.#thresholdRows = sample;
    return await this.#search(gatherRows(this.#bank, sample), sample);
  }

  /** Scores a query matrix (higher = more anomalous). */
  protected async scoreMatrix(x: FeatureMatrix): Promise<Float32Array> {
    return await this.#search(x);
  }

  /**
   * Leave-one-out scores of every bank row (each row's own index excluded),
   * the exact O(N^2) counterpart of the sampled `trainingScores`. Does not
   * change the threshold.
   *
   * @returns One score per bank row, in bank order.
   * @throws {NotFittedError} Before `fit` or after `dispose`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { KnnDetector } from "@hsvae/hsvae";
   *
   * using det = await new KnnDetector({ k: 1, thresholdSample: 2, seed: 3 })
   *   .fit([[0], [1], [3], [6]]);
   * assert.equal(det.trainingScores.length, 2);
   * assert.deepEqual([...(await det.scoreTraining())], [1, 1, 2, 3]);
   * ```
   */
  async scoreTraining(): Promise<Float32Array> {
    const bank = this.#bank;
    if (!bank) throw this.notFitted("score the training set");
    const all = new Int32Array(bank.rows);
    for (let i = 0; i < all.length; i++) all[i] = i;
    return await this.#search(bank, all);
  }

  /**
   * Exact k-NN search of `q` in the bank; `self[i]` (when given) is the bank
   * index query `i` must not count as its own neighbour.
   */
  async #search(q: FeatureMatrix, self?: Int32Array): Promise<Float32Array> {
    const bank = this.#bank;
    const blocks = this.#blocks;
    if (!bank) throw this.notFitted("score (the bank was disposed)");
    const d = bank.cols;
    const { k, queryChunk, refine } = this;
    const out = new Float32Array(q.rows);
    const bestV = new Float64Array(k);
    const bestI = new Int32Array(k);
    const cand = new Float64Array(queryChunk * k);
    const candI = new Int32Array(queryChunk * k);
    const wasm = heapView();
    const scan = wasm ? heapScan() : null;
    for (let q0 = 0; q0 < q.rows; q0 += queryChunk) {
      const n = Math.min(queryChunk, q.rows - q0);
      const qt = tf.tensor2d(q.data.subarray(q0 * d, (q0 + n) * d), [n, d]);
      cand.fill(Infinity);
      candI.fill(-1);
      let b0 = 0;
      try {
        for (const block of blocks) {
          const m = block.weights.shape[1];
          // ||b||^2 - 2 q.b, the bias added inside the matmul kernel
          const prod = tf.fused.matMul({
            a: qt,
            b: block.weights,
            bias: block.norms,
          });
          try {
            // wasm: read the block in place in the backend's heap instead of
            // copying 32 MiB out (a third of the block's time, measured)
            const buf = wasm ? wasm(prod) : await prod.data() as Float32Array;
            if (self) {
              for (let r = 0; r < n; r++) {
                const s = self[q0 + r] - b0;
                if (s >= 0 && s < m) buf[r * m + s] = Infinity;
              }
            }
            if (scan) mergeBlockSimd(scan, buf, n, m, k, b0, cand, candI);
            else mergeBlock(buf, n, m, k, b0, cand, candI);
          } finally {
            prod.dispose();
          }
          b0 += m;
        }
      } finally {
        qt.dispose();
      }
      for (let r = 0; r < n; r++) {
        const qo = (q0 + r) * d;
        let qn = 0;
        if (!refine) {
          for (let c = 0; c < d; c++) qn += q.data[qo + c] * q.data[qo + c];
        }
        for (let t = 0; t < k; t++) {
          bestV[t] = cand[r * k + t];
          bestI[t] = candI[r * k + t];
        }
        let sum = 0;
        for (let t = 0; t < k; t++) {
          if (refine) {
            const bo = bestI[t] * d;
            let s = 0;
            for (let c = 0; c < d; c++) {
              const diff = q.data[qo + c] - bank.data[bo + c];
              s += diff * diff;
            }
            sum += Math.sqrt(s);
          } else {
            sum += Math.sqrt(Math.max(0, bestV[t] + qn));
          }
        }
        out[q0 + r] = sum / k;
      }
    }
    return out;
  }

  /**
   * Frees the bank (its backend tensors and its in-memory copy). Scoring
   * afterwards throws NotFittedError; fit again to reuse the detector.
   *
   * @returns Nothing.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { tf } from "@hsvae/hsvae/tf";
   * import { KnnDetector } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * const before = tf.memory().numTensors;
   * const det = await new KnnDetector({ k: 1 }).fit([[0], [1], [3]]);
   * det.dispose();
   * assert.equal(tf.memory().numTensors, before);
   * ```
   */
  dispose(): void {
    for (const b of this.#blocks) tf.dispose([b.weights, b.norms]);
    this.#blocks = [];
    this.#bank = undefined;
  }

  /**
   * Same as {@linkcode KnnDetector.dispose}, for `using`.
   *
   * @returns Nothing.
   */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** One bank block on the backend: `[D, m]` of `-2 b^T` and `||b||^2`. */
interface BankBlock {
  weights: Tensor2D;
  norms: Tensor1D;
}

/**
 * Merges one `n x m` block of ordering distances (row-major, bank columns
 * `b0 ..`) into the running k-smallest lists `cand`/`candI` (ascending,
 * `k` per query). The scan tests eight values against the current k-th
 * best before looking at any of them: almost all of a block is rejected
 * there, at about 0.6 ns a value instead of 1.3 (measured).
 */
function mergeBlock(
  buf: Float32Array,
  n: number,
  m: number,
  k: number,
  b0: number,
  cand: Float64Array,
  candI: Int32Array,
): void {
  const m8 = m - (m % 8);
  for (let r = 0; r < n; r++) {
    const o = r * m;
    const c0 = r * k;
    let worst = cand[c0 + k - 1];
    for (let j = 0; j < m8; j += 8) {
      const p = o + j;
      if (
        buf[p] < worst || buf[p + 1] < worst || buf[p + 2] < worst ||
        buf[p + 3] < worst || buf[p + 4] < worst || buf[p + 5] < worst ||
        buf[p + 6] < worst || buf[p + 7] < worst
      ) {
        worst = sweep(buf, o, j, j + 8, worst, cand, candI, c0, k, b0);
      }
    }
    sweep(buf, o, m8, m, worst, cand, candI, c0, k, b0);
  }
}

/**
 * {@linkcode mergeBlock} for a block that lives in the wasm heap: the SIMD
 * `scan` skips 16-value groups with nothing below the current k-th best,
 * and only the groups it stops at (and a row's last `m % 16` values) are
 * looked at here.
 */
function mergeBlockSimd(
  scan: HeapScan,
  buf: Float32Array,
  n: number,
  m: number,
  k: number,
  b0: number,
  cand: Float64Array,
  candI: Int32Array,
): void {
  const m16 = m - (m % 16);
  const base = buf.byteOffset;
  for (let r = 0; r < n; r++) {
    const o = r * m;
    const c0 = r * k;
    let worst = cand[c0 + k - 1];
    const end = base + 4 * (o + m16);
    let p = base + 4 * o;
    for (;;) {
      p = scan(p, end, worst);
      if (p >= end) break;
      const j0 = (p - base) / 4 - o;
      worst = sweep(buf, o, j0, j0 + 16, worst, cand, candI, c0, k, b0);
      p += 64;
    }
    sweep(buf, o, m16, m, worst, cand, candI, c0, k, b0);
  }
}

/**
 * Inserts every value of row columns `[from, to)` (row offset `o`) below the
 * current k-th best `worst` into that row's k-list; returns the new k-th.
 */
function sweep(
  buf: Float32Array,
  o: number,
  from: number,
  to: number,
  worst: number,
  cand: Float64Array,
  candI: Int32Array,
  c0: number,
  k: number,
  b0: number,
): number {
  for (let t = from; t < to; t++) {
    const v = buf[o + t];
    if (v < worst) worst = insert(cand, candI, c0, k, v, b0 + t);
  }
  return worst;
}

/** Inserts `(v, idx)` into one ascending k-list; returns its new k-th value. */
function insert(
  cand: Float64Array,
  candI: Int32Array,
  c0: number,
  k: number,
  v: number,
  idx: number,
): number {
  let p = k - 1;
  while (p > 0 && cand[c0 + p - 1] > v) {
    cand[c0 + p] = cand[c0 + p - 1];
    candI[c0 + p] = candI[c0 + p - 1];
    p--;
  }
  cand[c0 + p] = v;
  candI[c0 + p] = idx;
  return cand[c0 + k - 1];
}
