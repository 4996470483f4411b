/**
 * The Cartesian <-> hyperspherical coordinate transform of METHOD.md §1,
 * batch-first, differentiable, on any tfjs backend.
 *
 * A point `x` in R^n (n >= 2) has radius `r = ||x||` and angles
 * `phi_1 .. phi_{n-1}` with `phi_k in [0, pi]` for `k <= n-2` and
 * `phi_{n-1} in (-pi, pi]`:
 *
 *     x_1 = r cos(phi_1)
 *     x_k = r sin(phi_1) ... sin(phi_{k-1}) cos(phi_k)    (2 <= k <= n-1)
 *     x_n = r sin(phi_1) ... sin(phi_{n-2}) sin(phi_{n-1})
 *
 * @module
 */
import { tf } from "./tf.ts";
import type { Tensor1D, Tensor2D } from "./tf.ts";
import { ShapeError } from "./errors.ts";

/** Default epsilon added inside the square root of the tail norm. */
export const DEFAULT_COSINE_EPSILON = 1e-12;

/** Options of {@linkcode angleCosines}. */
export interface AngleCosinesOptions {
  /**
   * Added inside the square root of each tail norm:
   * `cos(phi_k) = x_k / sqrt(||x_{k..n}||^2 + epsilon)`. Keeps values and
   * gradients finite for tiny tails. The `authors` preset uses `1e-3`.
   * @default {1e-12}
   */
  epsilon?: number;
  /**
   * The cosine returned where a tail norm is exactly zero (the angle is
   * undefined there). `1` (angle 0) is the toolkit's convention; the authors'
   * code effectively returns `0`.
   * @default {1}
   */
  zeroTailCosine?: number;
}

/** Radius and angle cosines of a batch of vectors. */
export interface AngleCosines {
  /** `||x||` per row, shape `[N]`. */
  radius: Tensor1D;
  /** `cos(phi_k)`, k = 1..n-1, shape `[N, n-1]`. */
  cosines: Tensor2D;
}

/** Radius and angles of a batch of vectors. */
export interface HypersphericalCoordinates {
  /** `||x||` per row, shape `[N]`. */
  radius: Tensor1D;
  /** `phi_1..phi_{n-1}` per row, shape `[N, n-1]`. */
  angles: Tensor2D;
}

/** A batch given as a rank-2 tensor or nested arrays `N x n`. */
export type BatchLike = Tensor2D | number[][];

function toBatch(x: BatchLike, fn: string, arg: string, minCols: number) {
  const t = x instanceof tf.Tensor ? x : tf.tensor2d(x as number[][]);
  if (t.rank !== 2) {
    throw new ShapeError(
      `Cannot compute ${fn}: "${arg}" must be rank 2 [N, n], got shape [${t.shape}]`,
      "[N, n]",
      `[${t.shape}]`,
    );
  }
  if (t.shape[1] < minCols) {
    throw new ShapeError(
      `Cannot compute ${fn}: "${arg}" needs at least ${minCols} columns, got shape [${t.shape}]`,
      `[N, >=${minCols}]`,
      `[${t.shape}]`,
    );
  }
  return t as Tensor2D;
}

/** A float 0/1 tensor with zero gradient: 1 where `t == 0`. */
const isZero = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.cast(tf.equal(inputs[0] as tf.Tensor, 0), "float32"),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as (t: tf.Tensor) => tf.Tensor;

/** `sqrt(s)` (s >= 0) with value 0 and gradient 0 at `s = 0` (never NaN). */
function safeSqrt<T extends tf.Tensor>(s: T): T {
  const zero = isZero(s);
  return tf.mul(tf.sqrt(tf.add(s, zero)), tf.sub(1, zero)) as T;
}

/** Element-wise `max(|a|, |b|)` (1 where both are 0), zero gradient. */
const pairScale = tf.customGrad(
  (...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const a = inputs[0] as tf.Tensor;
    const b = inputs[1] as tf.Tensor;
    const m = tf.maximum(tf.abs(a), tf.abs(b));
    return {
      value: tf.where(tf.greater(m, 0), m, tf.onesLike(m)),
      gradFunc: (_dy: tf.Tensor) => [tf.zerosLike(a), tf.zerosLike(b)],
    };
  },
) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * `atan2(y, x)` with value 0 and gradient 0 where `x = y = 0`. Both arguments
 * are divided by `max(|x|, |y|)` first (atan2 is scale invariant), so the
 * gradient `x / (x^2 + y^2)` cannot overflow for tiny arguments.
 */
function safeAtan2(y: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const s = pairScale(y, x);
  const ys = tf.div(y, s);
  const xs = tf.div(x, s);
  const both = tf.mul(isZero(xs), isZero(ys));
  return tf.atan2(tf.mul(ys, tf.sub(1, both)), tf.add(xs, both));
}

/**
 * Per-row scale `m = max_j |x_j|` (1 for a zero row) as a constant `[N, 1]`.
 * Dividing by it keeps squares away from float32 overflow (|x| > 1.8e19) and
 * underflow (|x| < 1e-19). Gradients are exact with `m` held constant, since
 * every quantity computed from `x / m` and rescaled by `m` equals the
 * unscaled formula for any constant `m`.
 */
const rowScale = tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const m = tf.max(tf.abs(inputs[0] as tf.Tensor), 1, true);
  return {
    value: tf.where(tf.greater(m, 0), m, tf.onesLike(m)),
    gradFunc: (_dy: tf.Tensor) => tf.zerosLike(inputs[0] as tf.Tensor),
  };
}) as (x: Tensor2D) => Tensor2D;

/** Reverse cumulative sum of squares: `tail[:, k] = sum_{j >= k} x[:, j]^2`. */
function tailSquares(x: Tensor2D): Tensor2D {
  return tf.cumsum(tf.square(x), 1, false, true) as Tensor2D;
}

/**
 * Radius and angle cosines of each row of `x`, in O(N n).
 *
 * **Method**: `cos(phi_k) = x_k / sqrt(||x_{k..n}||^2 + epsilon)` for
 * k = 1..n-1, where all tail norms `||x_{k..n}||^2` come from one reverse
 * cumulative sum of `x^2`.
 *
 * **Special cases**: a zero tail (e.g. the last coordinates all zero, or the
 * zero vector) gives `cos = zeroTailCosine` (default 1, angle 0) with zero
 * gradient; `r = 0` for the zero vector with zero gradient; n = 2 gives the
 * single cosine `x_1 / ||x||`.
 *
 * **Notes**: each row is first divided by its largest |x_j| (a constant for
 * the gradient; exact, since the formula is rescaled accordingly), so squares
 * neither overflow nor underflow in float32 for any finite input. The epsilon
 * (default 1e-12) biases a cosine by a relative `epsilon / (2 tail)`, below
 * float32 resolution unless the tail norm is below about 1e-5; as the formula
 * says, it also sends the cosines of vectors much shorter than
 * `sqrt(epsilon)` toward 0. Never NaN, in values or gradients.
 *
 * @param x Batch `[N, n]`, n >= 2.
 * @param options See {@linkcode AngleCosinesOptions}.
 * @returns `{ radius: [N], cosines: [N, n-1] }`; the caller disposes both.
 * @throws {ShapeError} When `x` is not rank 2 with at least 2 columns.
 * @throws {RangeError} When `epsilon` is negative or not finite.
 *
 * @example The isotropic vector: cos(phi_k) = 1/sqrt(n-k+1)
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { angleCosines } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * const { radius, cosines } = angleCosines([[1, 1, 1, 1]]);
 * assert.ok(Math.abs((await radius.data())[0] - 2) < 1e-6);
 * const c = await cosines.data(); // [1/2, 1/sqrt(3), 1/sqrt(2)]
 * [1 / 2, 1 / Math.sqrt(3), 1 / Math.sqrt(2)].forEach((v, i) =>
 *   assert.ok(Math.abs(c[i] - v) < 1e-6)
 * );
 * ```
 */
export function angleCosines(
  x: BatchLike,
  options: AngleCosinesOptions = {},
): AngleCosines {
  const epsilon = options.epsilon ?? DEFAULT_COSINE_EPSILON;
  const zeroTail = options.zeroTailCosine ?? 1;
  if (!(epsilon >= 0) || !Number.isFinite(epsilon)) {
    throw new RangeError(
      `Cannot compute angleCosines: "epsilon" must be a finite number >= 0, got ${epsilon}`,
    );
  }
  const owned = !(x instanceof tf.Tensor);
  const xt = toBatch(x, "angleCosines", "x", 2);
  const out = tf.tidy(() => {
    const n = xt.shape[1];
    const m = rowScale(xt);
    const y = tf.div(xt, m);
    const tail = tailSquares(y as Tensor2D);
    const radius = tf.mul(
      safeSqrt(tf.squeeze(tf.slice(tail, [0, 0], [-1, 1]), [1])),
      tf.squeeze(m, [1]),
    );
    const head = tf.slice(y, [0, 0], [-1, n - 1]);
    const t = tf.slice(tail, [0, 0], [-1, n - 1]);
    // x_k / sqrt(tail_x + eps) = y_k / sqrt(tail_y + eps / m^2)
    const zeroTailMask = isZero(t);
    // a zero tail gets denominator 1 (then masked), never 0/0
    const denom = tf.sqrt(
      tf.add(tf.add(t, zeroTailMask), tf.div(epsilon, tf.square(m))),
    );
    const cos = tf.div(head, denom);
    const cosines = tf.add(
      tf.mul(cos, tf.sub(1, zeroTailMask)),
      tf.mul(zeroTailMask, zeroTail),
    );
    return { radius: radius as Tensor1D, cosines: cosines as Tensor2D };
  });
  if (owned) xt.dispose();
  return out;
}

/**
 * Radius and angles of each row of `x` (the `atan2` form).
 *
 * **Method**: `phi_k = atan2(||x_{k+1..n}||, x_k)` for k = 1..n-2, and
 * `phi_{n-1} = atan2(x_n, x_{n-1})`; tail norms from one reverse cumulative
 * sum. So `phi_k in [0, pi]` for k <= n-2 and `phi_{n-1} in (-pi, pi]`.
 *
 * **Special cases**: where both `atan2` arguments are zero (a zero tail) the
 * angle is 0 with zero gradient; the zero vector has `r = 0` and all angles 0.
 *
 * **Notes**: rows are rescaled by their largest |x_j| first (angles are scale
 * invariant), so any finite float32 input works, though components smaller
 * than about 1e-19 times the row's largest one are lost to float32 underflow
 * of their squares; float32 angles are accurate
 * to about 1e-7 rad; `atan2` is well conditioned everywhere, unlike `acos` of
 * a cosine near the poles.
 *
 * @param x Batch `[N, n]`, n >= 2.
 * @returns `{ radius: [N], angles: [N, n-1] }`; the caller disposes both.
 * @throws {ShapeError} When `x` is not rank 2 with at least 2 columns.
 *
 * @example A 2-D point
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { toHyperspherical } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * const { radius, angles } = toHyperspherical([[0, -2]]);
 * assert.ok(Math.abs((await radius.data())[0] - 2) < 1e-6);
 * assert.ok(Math.abs((await angles.data())[0] + Math.PI / 2) < 1e-6);
 * ```
 */
export function toHyperspherical(x: BatchLike): HypersphericalCoordinates {
  const owned = !(x instanceof tf.Tensor);
  const xt = toBatch(x, "toHyperspherical", "x", 2);
  const out = tf.tidy(() => {
    const n = xt.shape[1];
    const m = rowScale(xt);
    const y = tf.div(xt, m) as Tensor2D; // angles are scale invariant
    const tail = tailSquares(y);
    const radius = tf.mul(
      safeSqrt(tf.squeeze(tf.slice(tail, [0, 0], [-1, 1]), [1])),
      tf.squeeze(m, [1]),
    );
    const parts: tf.Tensor[] = [];
    if (n > 2) {
      const rest = safeSqrt(tf.slice(tail, [0, 1], [-1, n - 2]));
      parts.push(safeAtan2(rest, tf.slice(y, [0, 0], [-1, n - 2])));
    }
    parts.push(
      safeAtan2(
        tf.slice(y, [0, n - 1], [-1, 1]),
        tf.slice(y, [0, n - 2], [-1, 1]),
      ),
    );
    const angles = parts.length === 1 ? parts[0] : tf.concat(parts, 1);
    return { radius: radius as Tensor1D, angles: angles as Tensor2D };
  });
  if (owned) xt.dispose();
  return out;
}

/**
 * Inclusive cumulative product along axis 1 by recursive doubling
 * (Hillis-Steele): ceil(log2 n) element-wise products. Exact gradients
 * everywhere (no division, no logarithm), so zeros are handled correctly.
 */
function cumprod(x: Tensor2D): Tensor2D {
  const [rows, n] = x.shape;
  let p: Tensor2D = x;
  for (let d = 1; d < n; d *= 2) {
    const shifted = tf.concat(
      [tf.ones([rows, d]), tf.slice(p, [0, 0], [-1, n - d])],
      1,
    );
    p = tf.mul(p, shifted) as Tensor2D;
  }
  return p;
}

/**
 * Cartesian coordinates from radius and angles (inverse of
 * {@linkcode toHyperspherical}).
 *
 * **Method**: `x = r * [cos phi_1, s_1 cos phi_2, ..., s_1..s_{n-2} cos phi_{n-1},
 * s_1..s_{n-1}]` with the prefix products of sines computed by recursive
 * doubling: O(N n log n) work, log n depth, exact gradients.
 *
 * **Special cases**: angles at 0 or pi (sin = 0) zero every later coordinate
 * and keep finite, correct gradients; `r = 0` gives the zero vector; n = 2
 * gives `r (cos phi, sin phi)`.
 *
 * **Notes**: products of many small sines underflow to 0 in float32, which is
 * the correctly rounded value; nothing overflows since |sin| <= 1.
 *
 * @param radius `[N]` radii.
 * @param angles `[N, n-1]` angles, n >= 2.
 * @returns `[N, n]`; the caller disposes it.
 * @throws {ShapeError} When the shapes do not agree.
 *
 * @example A round trip
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { fromHyperspherical } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const x = fromHyperspherical(tf.tensor1d([2]), tf.tensor2d([[Math.PI / 2, Math.PI]]));
 * const v = await x.data(); // [0, -2, 0] up to rounding
 * assert.ok(Math.abs(v[0]) < 1e-6 && Math.abs(v[1] + 2) < 1e-6 && Math.abs(v[2]) < 1e-6);
 * ```
 */
export function fromHyperspherical(
  radius: Tensor1D | number[],
  angles: BatchLike,
): Tensor2D {
  const ownedR = !(radius instanceof tf.Tensor);
  const ownedA = !(angles instanceof tf.Tensor);
  const r = radius instanceof tf.Tensor ? radius : tf.tensor1d(radius);
  const a = toBatch(angles, "fromHyperspherical", "angles", 1);
  try {
    if (r.rank !== 1 || r.shape[0] !== a.shape[0]) {
      throw new ShapeError(
        `Cannot compute fromHyperspherical: "radius" must have shape [${
          a.shape[0]
        }] to match "angles" [${a.shape}], got [${r.shape}]`,
        `[${a.shape[0]}]`,
        `[${r.shape}]`,
      );
    }
    return tf.tidy(() => {
      const rows = a.shape[0];
      const m = a.shape[1]; // n - 1
      const sines = tf.sin(a);
      const prefix = cumprod(sines); // s_1..s_k, k = 1..n-1
      // exclusive prefix: [1, s_1, s_1 s_2, ..., s_1..s_{n-2}]
      const exclusive = tf.concat(
        [tf.ones([rows, 1]), tf.slice(prefix, [0, 0], [-1, m - 1])],
        1,
      );
      const body = tf.mul(exclusive, tf.cos(a));
      const last = tf.slice(prefix, [0, m - 1], [-1, 1]);
      return tf.mul(
        tf.concat([body, last], 1),
        tf.expandDims(r, 1),
      ) as Tensor2D;
    });
  } finally {
    if (ownedR) r.dispose();
    if (ownedA) a.dispose();
  }
}

/** Options of {@linkcode logVolumeElement}. */
export interface LogVolumeElementOptions {
  /**
   * Floor applied to `r` and to each `|sin(phi_k)|` before the logarithm, so
   * the result stays finite at the poles and at r = 0.
   * @default {1e-30}
   */
  floor?: number;
}

/**
 * Log of the hypervolume element of the sphere at each point:
 * `log dV = (n-1) log r + sum_{k=1}^{n-2} (n-1-k) log sin(phi_k)`.
 *
 * **Method**: one weighted sum of `log |sin phi_k|`, O(N n).
 *
 * **Special cases**: r = 0 or an angle at 0 / pi has `dV = 0`; the log is
 * then floored at `log(floor)` per factor (finite, documented), never -Inf or
 * NaN. n = 2 gives `log r`.
 *
 * **Notes**: the result grows like n^2 in magnitude for angles off the
 * equator; float32 keeps about 7 significant digits of it.
 *
 * @param radius `[N]` radii.
 * @param angles `[N, n-1]` angles.
 * @param options See {@linkcode LogVolumeElementOptions}.
 * @returns `[N]`; the caller disposes it.
 * @throws {ShapeError} When the shapes do not agree.
 *
 * @example On the unit 3-sphere equator the element is 1
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { logVolumeElement } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * const v = await logVolumeElement([1], [[Math.PI / 2, 0]]).data();
 * assert.ok(Math.abs(v[0]) < 1e-6);
 * ```
 */
export function logVolumeElement(
  radius: Tensor1D | number[],
  angles: BatchLike,
  options: LogVolumeElementOptions = {},
): Tensor1D {
  const floor = options.floor ?? 1e-30;
  if (!(floor > 0)) {
    throw new RangeError(
      `Cannot compute logVolumeElement: "floor" must be > 0, got ${floor}`,
    );
  }
  const ownedR = !(radius instanceof tf.Tensor);
  const ownedA = !(angles instanceof tf.Tensor);
  const r = radius instanceof tf.Tensor ? radius : tf.tensor1d(radius);
  const a = toBatch(angles, "logVolumeElement", "angles", 1);
  try {
    if (r.rank !== 1 || r.shape[0] !== a.shape[0]) {
      throw new ShapeError(
        `Cannot compute logVolumeElement: "radius" must have shape [${
          a.shape[0]
        }], got [${r.shape}]`,
        `[${a.shape[0]}]`,
        `[${r.shape}]`,
      );
    }
    return tf.tidy(() => {
      const m = a.shape[1]; // n - 1
      const n = m + 1;
      const logR = tf.mul(tf.log(tf.maximum(r, floor)), n - 1);
      if (m === 1) return logR as Tensor1D;
      // weights (n-1-k) for k = 1..n-2, 0 for the last angle
      const w = Array.from(
        { length: m },
        (_, i) => (i < m - 1 ? n - 2 - i : 0),
      );
      const logSin = tf.log(tf.maximum(tf.abs(tf.sin(a)), floor));
      const s = tf.sum(tf.mul(logSin, tf.tensor1d(w)), 1);
      return tf.add(logR, s) as Tensor1D;
    });
  } finally {
    if (ownedR) r.dispose();
    if (ownedA) a.dispose();
  }
}
