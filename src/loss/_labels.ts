/**
 * Private helpers of the loss: label validation, the class roll and
 * per-class batch statistics, all without reading tensors back to the host.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Tensor1D, Tensor2D } from "../tf.ts";
import { ShapeError } from "../errors.ts";

/** Class labels: host integers, or an int tensor `[N]` already on the device. */
export type LabelsLike = Int32Array | readonly number[] | Tensor1D;

/** Labels checked against a batch; `host` is null for tensor labels. */
export interface LabelPlan {
  /** Host copy of the labels, or null when they were given as a tensor. */
  host: Int32Array | null;
  /** The tensor labels, when given as a tensor. */
  device: Tensor1D | null;
  /** Number of classes C. */
  numClasses: number;
  /** Rows per class (host labels only). */
  counts: number[] | null;
}

/** Options of {@linkcode planLabels}. */
export interface PlanLabelsOptions {
  /** Classes C; required for tensor labels, else `max(label) + 1`. */
  numClasses?: number;
  /** Latent axes between two class poles. */
  spacing: number;
  /** Rows needed for a class to count as present (host labels only). */
  minCount: number;
  /** Allow classes with fewer than `minCount` rows. */
  allowMissing: boolean;
}

/**
 * Validates `labels` against a batch of `rows` x `n` latents. Host labels are
 * checked fully (integers in `[0, C)`, every class present); tensor labels
 * only by shape, since checking values would need a device read.
 */
export function planLabels(
  labels: LabelsLike,
  rows: number,
  n: number,
  fn: string,
  options: PlanLabelsOptions,
): LabelPlan {
  const { spacing } = options;
  if (!Number.isInteger(spacing) || spacing < 1) {
    throw new RangeError(
      `Cannot compute ${fn}: "spacing" must be an integer >= 1, got ${spacing}`,
    );
  }
  if (options.numClasses !== undefined) {
    if (!Number.isInteger(options.numClasses) || options.numClasses < 1) {
      throw new RangeError(
        `Cannot compute ${fn}: "numClasses" must be an integer >= 1, got ${options.numClasses}`,
      );
    }
  }
  if (labels instanceof tf.Tensor) {
    if (labels.rank !== 1 || labels.shape[0] !== rows) {
      throw new ShapeError(
        `Cannot compute ${fn}: "labels" must have shape [${rows}], got [${labels.shape}]`,
        `[${rows}]`,
        `[${labels.shape}]`,
      );
    }
    if (options.numClasses === undefined) {
      throw new RangeError(
        `Cannot compute ${fn}: "numClasses" is required when "labels" is a tensor (pass it, or pass the labels as an Int32Array)`,
      );
    }
    checkRoom(options.numClasses, spacing, n, fn);
    return {
      host: null,
      device: labels,
      numClasses: options.numClasses,
      counts: null,
    };
  }
  if (labels.length !== rows) {
    throw new ShapeError(
      `Cannot compute ${fn}: "labels" must have ${rows} entries (one per row), got ${labels.length}`,
      `[${rows}]`,
      `[${labels.length}]`,
    );
  }
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0) {
      throw new RangeError(
        `Cannot compute ${fn}: "labels" must be integers >= 0, got "${y}" at index ${i}`,
      );
    }
    if (y > max) max = y;
  }
  const numClasses = options.numClasses ?? max + 1;
  if (max >= numClasses) {
    throw new RangeError(
      `Cannot compute ${fn}: label "${max}" is out of range for "numClasses" ${numClasses}`,
    );
  }
  checkRoom(numClasses, spacing, n, fn);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  if (!options.allowMissing) {
    const short = counts.findIndex((c) => c < options.minCount);
    if (short >= 0) {
      throw new RangeError(
        `Cannot compute ${fn}: class "${short}" has ${
          counts[short]
        } rows in this batch, the per-class statistics need at least ${options.minCount} (use a class-balanced sampler or a larger batch, or set "allowMissingClasses")`,
      );
    }
  }
  return {
    host: Int32Array.from(labels),
    device: null,
    numClasses,
    counts,
  };
}

function checkRoom(classes: number, spacing: number, n: number, fn: string) {
  if (n < classes * spacing) {
    throw new RangeError(
      `Cannot compute ${fn}: latent dimension n = ${n} is too small for ${classes} classes at "spacing" ${spacing} (need n >= numClasses * spacing = ${
        classes * spacing
      }; raise n or lower "spacing")`,
    );
  }
}

/** `z` with every row rolled left by `shift` (torch.roll(z, -shift, 1)). */
function rollAll(z: Tensor2D, shift: number): Tensor2D {
  const n = z.shape[1];
  const k = ((shift % n) + n) % n;
  if (k === 0) return z;
  return tf.concat([
    tf.slice(z, [0, k], [-1, n - k]),
    tf.slice(z, [0, 0], [-1, k]),
  ], 1) as Tensor2D;
}

/**
 * Rolls row i of `z` left by `y_i * spacing` (mod n), so that column
 * `y_i * spacing` becomes column 0. Built from ceil(log2 n) masked rolls by
 * powers of two (the binary digits of each row's shift): O(N n log n), slices
 * and concats only, so gradients work on every backend (tfjs' `gather`
 * gradient needs `UnsortedSegmentSum`, which WASM lacks). Call inside a tidy.
 */
export function rollRows(z: Tensor2D, plan: LabelPlan, spacing: number) {
  const [rows, n] = z.shape;
  let bitsOf: (b: number) => tf.Tensor | null;
  let maxShift: number;
  if (plan.host) {
    const shifts = Array.from(plan.host, (y) => (y * spacing) % n);
    maxShift = Math.max(0, ...shifts);
    bitsOf = (b) => {
      const m = new Float32Array(rows);
      let any = false;
      for (let i = 0; i < rows; i++) {
        if ((shifts[i] >> b) & 1) {
          m[i] = 1;
          any = true;
        }
      }
      return any ? tf.tensor2d(m, [rows, 1]) : null;
    };
  } else {
    const shifts = tf.mod(
      tf.mul(tf.cast(plan.device as Tensor1D, "int32"), spacing),
      n,
    );
    maxShift = n - 1;
    bitsOf = (b) =>
      tf.reshape(
        tf.cast(tf.mod(tf.floorDiv(shifts, 2 ** b), 2), "float32"),
        [rows, 1],
      );
  }
  let out = z;
  for (let b = 0; 2 ** b <= maxShift; b++) {
    const mask = bitsOf(b);
    if (!mask) continue;
    const rolled = rollAll(out, 2 ** b);
    // exact select: one of the two products is exactly zero
    out = tf.add(
      tf.mul(mask, rolled),
      tf.mul(tf.sub(1, mask), out),
    ) as Tensor2D;
  }
  return out;
}

/** One-hot `[N, C]` float32 of the labels. Call inside a tidy. */
export function oneHotRows(plan: LabelPlan, rows: number): Tensor2D {
  const c = plan.numClasses;
  if (plan.host) {
    const m = new Float32Array(rows * c);
    for (let i = 0; i < rows; i++) m[i * c + plan.host[i]] = 1;
    return tf.tensor2d(m, [rows, c]);
  }
  return tf.cast(
    tf.oneHot(tf.cast(plan.device as Tensor1D, "int32"), c),
    "float32",
  ) as Tensor2D;
}

/** Batch mean and standard deviation, pooled or per class. */
export interface BatchStats {
  /** `[G, m]` means (G = 1 pooled, C per class). */
  mean: Tensor2D;
  /** `[G, m]` standard deviations `sqrt(var + epsilon)`. */
  std: Tensor2D;
  /** `[G, 1]` 1 where a group has enough rows, 0 else; null when pooled. */
  present: Tensor2D | null;
}

/**
 * Column means and `sqrt(var + epsilon)` of `x`, over the whole batch
 * (`oneHot` null) or per class via one-hot matrix products (no gather, no
 * per-class loop). `ddof` 0 is the biased variance, 1 the unbiased one.
 * Call inside a tidy.
 */
export function batchStats(
  x: Tensor2D,
  oneHot: Tensor2D | null,
  ddof: number,
  epsilon: number,
): BatchStats {
  const rows = x.shape[0];
  if (!oneHot) {
    const mean = tf.mean(x, 0, true) as Tensor2D;
    const ss = tf.sum(tf.square(tf.sub(x, mean)), 0, true);
    const variance = tf.div(ss, Math.max(rows - ddof, 1));
    return {
      mean,
      std: tf.sqrt(tf.add(variance, epsilon)) as Tensor2D,
      present: null,
    };
  }
  const counts = tf.reshape(tf.sum(oneHot, 0), [-1, 1]); // [C, 1]
  const mean = tf.div(
    tf.matMul(oneHot, x, true, false),
    tf.maximum(counts, 1),
  ) as Tensor2D;
  const dev = tf.sub(x, tf.matMul(oneHot, mean));
  const variance = tf.div(
    tf.matMul(oneHot, tf.square(dev), true, false),
    tf.maximum(tf.sub(counts, ddof), 1),
  );
  return {
    mean,
    std: tf.sqrt(tf.add(variance, epsilon)) as Tensor2D,
    present: tf.cast(tf.greater(counts, ddof), "float32") as Tensor2D,
  };
}

/**
 * Throws a {@linkcode ShapeError} unless `t` is a rank-2 tensor (with at
 * least `minCols` columns when given), naming the function and argument.
 */
export function checkMatrix(
  t: Tensor2D,
  fn: string,
  name: string,
  minCols?: number,
): void {
  if (
    !(t instanceof tf.Tensor) || t.rank !== 2 || t.shape[1] < (minCols ?? 0)
  ) {
    const shape = t instanceof tf.Tensor ? `[${t.shape}]` : typeof t;
    const cols = minCols === undefined ? "" : ` with n >= ${minCols}`;
    throw new ShapeError(
      `Cannot compute ${fn}: "${name}" must be a rank-2 tensor [N, n]${cols}, got ${shape}`,
      minCols === undefined ? "[N, n]" : `[N, >=${minCols}]`,
      shape,
    );
  }
}

/** Throws unless `a` and `b` are rank-2 tensors of one shape. */
export function checkPair(
  a: Tensor2D,
  b: Tensor2D,
  fn: string,
  names: [string, string],
  minCols = 1,
): void {
  checkMatrix(a, fn, names[0], minCols);
  checkMatrix(b, fn, names[1], minCols);
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new ShapeError(
      `Cannot compute ${fn}: "${names[0]}" [${a.shape}] and "${
        names[1]
      }" [${b.shape}] must have the same shape`,
      `[${a.shape}]`,
      `[${b.shape}]`,
    );
  }
}
