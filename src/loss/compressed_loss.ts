/**
 * The compressed-VAE KL term of METHOD.md §2, with the `paper` and `authors`
 * presets of §2.1, the `compressed` / `vmf` / `vae` / `ae` variants and the
 * semi-supervised class roll.
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { Scalar, Tensor2D } from "../tf.ts";
import { angleCosines } from "../hyperspherical.ts";
import {
  batchStats,
  checkPair,
  type LabelPlan,
  type LabelsLike,
  oneHotRows,
  planLabels,
  rollRows,
} from "./_labels.ts";
import { gaussianKl } from "./gaussian_kl.ts";

/** The two named presets of METHOD.md §2.1. */
export type LossPreset = "paper" | "authors";
/** The model variants of METHOD.md §2. */
export type LossVariant = "compressed" | "vmf" | "vae" | "ae";
/** Batch standard deviation: divide by N (`"biased"`) or N - 1 (`"unbiased"`). */
export type BatchStdKind = "biased" | "unbiased";
/**
 * Penalty on a batch std `S` with target `b`: `"square"` is `(S - b)^2`;
 * `"log"` is `f(S + 1 - b)` (and `f(S / b)` for the sigma radius) with
 * `f(s) = s^2 - ln(s^2) - 1`.
 */
export type StdPenaltyKind = "square" | "log";
/**
 * Angle weights: `"paper"` is `w_k = 1 / sqrt(k + 1)`, `"authors"` is
 * `beta_k = 50 sqrt(n) / sqrt(k)`, k = 1..n-1; or one number per angle.
 */
export type AngleWeightsKind = "paper" | "authors" | readonly number[];
/**
 * Per-angle weights of the mu mean terms: `"uniform"` (1 each) or
 * `"authors"` (100 on the first angle, 1 on angles 2..n-2, 0 on the last;
 * past epoch 100: 150 and `sqrt(epoch - 101) + 1`).
 */
export type MeanWeightingKind = "uniform" | "authors";
/**
 * Batch statistics of the mu angles under the class roll: over the whole
 * batch (`"pooled"`) or per class, summed over classes (`"perClass"`).
 */
export type ClassStatsKind = "pooled" | "perClass";

/** The eight inner gains of METHOD.md §2 (A_mu, B_mu, A_sig, ... B_sig,r). */
export interface CompressedLossGains {
  /** A_mu: mean terms of the mu angles. */
  muAngleMean: number;
  /** B_mu: std terms of the mu angles. */
  muAngleStd: number;
  /** A_sig: mean terms of the sigma angles. */
  sigmaAngleMean: number;
  /** B_sig: std terms of the sigma angles. */
  sigmaAngleStd: number;
  /** A_mu,r: mean of the mu radius. */
  muRadiusMean: number;
  /** B_mu,r: std of the mu radius. */
  muRadiusStd: number;
  /** A_sig,r: mean of the sigma radius. */
  sigmaRadiusMean: number;
  /** B_sig,r: std of the sigma radius. */
  sigmaRadiusStd: number;
}

/**
 * The four outer gains, one per group of terms (the authors'
 * `KL = 1000 Phi_mu + 300 R_mu + G_sig Phi_sig + 500 R_sig`).
 */
export interface CompressedLossTermGains {
  /** Multiplies the mu-angle terms (authors: 1000). */
  anglesMu: number;
  /** Multiplies the mu-radius terms (authors: 300). */
  radiusMu: number;
  /** Multiplies the sigma-angle terms: G_sig (authors: 5e5). */
  anglesSigma: number;
  /** Multiplies the sigma-radius terms (authors: 500). */
  radiusSigma: number;
}

/**
 * Options of {@linkcode compressedLoss}. `preset` sets every other option;
 * any option given explicitly overrides the preset's value. "paper" /
 * "authors" below give each preset's value.
 */
export interface CompressedLossOptions {
  /**
   * The named preset (METHOD.md §2.1). `"authors"` is faithful to the
   * released code that produced the published numbers.
   * @default {"authors"}
   */
  preset?: LossPreset;
  /**
   * `"compressed"` (all angles compressed), `"vmf"` (only the first angle's
   * mean target is 1, the others 0), `"vae"` (standard Gaussian KL, batch
   * mean) or `"ae"` (zero KL).
   * @default {"compressed"}
   */
  variant?: LossVariant;
  /**
   * Ablation control: drop every angle term (all angle gains 0), keep the
   * radius terms.
   * @default {false}
   */
  radiusOnly?: boolean;
  /**
   * Epsilon inside the cosine's square root,
   * `c_k = x_k / sqrt(||x_{k..n}||^2 + epsilon)`.
   * @default {paper: 1e-12, authors: 1e-3}
   */
  cosineEpsilon?: number;
  /**
   * Cosine where a tail norm is exactly zero: 1 (angle 0) in `paper`; 0 in
   * `authors`, the value their `x_k / sqrt(0 + 1e-3)` gives.
   * @default {paper: 1, authors: 0}
   */
  zeroTailCosine?: number;
  /**
   * Batch standard deviation kind.
   * @default {paper: "biased", authors: "unbiased"}
   */
  batchStd?: BatchStdKind;
  /**
   * Added to the batch variance before its square root,
   * `S = sqrt(var + stdEpsilon)`. In `paper` it only keeps the gradient
   * finite when a column is constant (it biases S by at most 1e-6).
   * @default {paper: 1e-12, authors: 1e-4}
   */
  stdEpsilon?: number;
  /**
   * Penalty on batch stds.
   * @default {paper: "square", authors: "log"}
   */
  stdPenalty?: StdPenaltyKind;
  /**
   * Weights of the angles, k = 1..n-1.
   * @default {paper: "paper" (1/sqrt(k+1)), authors: "authors" (50 sqrt(n)/sqrt(k))}
   */
  angleWeights?: AngleWeightsKind;
  /**
   * Extra per-angle weights of the mu mean terms.
   * @default {paper: "uniform", authors: "authors"}
   */
  meanWeighting?: MeanWeightingKind;
  /**
   * Training epoch (0-based); with `meanWeighting: "authors"`, epochs past
   * 100 raise the first-angle weight 100 -> 150 and multiply the other mu mean
   * terms by `sqrt(epoch - 101) + 1`. Leave at 0 for evaluation.
   * @default {0}
   */
  epoch?: number;
  /**
   * K_c: the mu mean target is 1 for angles k <= K_c and 0 after (the
   * uniform-sphere mean). `variant: "vmf"` means K_c = 1.
   * @default {n - 1}
   */
  compressUntil?: number;
  /**
   * The eight inner gains (partial objects merge with the preset's).
   * @default {paper: all 1; authors: muAngleMean 0.05, muAngleStd 1, sigmaAngleMean 0.05, sigmaAngleStd 1, radius gains 50}
   */
  gains?: Partial<CompressedLossGains>;
  /**
   * The four outer gains (partial objects merge with the preset's);
   * `anglesSigma` is the authors' G_sig (5e5 CIFAR-10 / SVHN / CelebA /
   * Galaxy Zoo, 2.25e5 Fashion-MNIST, 5e4 MNIST).
   * @default {paper: all 1; authors: anglesMu 1000, radiusMu 300, anglesSigma 5e5, radiusSigma 500}
   */
  termGains?: Partial<CompressedLossTermGains>;
  /**
   * Target of the std of each mu angle's cosine: `"zero"` (compact island)
   * or `"isotropic"` (`u_k = 1/sqrt(n-k+1)`).
   * @default {paper: "zero", authors: "isotropic"}
   */
  muAngleStdTarget?: "zero" | "isotropic";
  /**
   * a_mu,r: target mean of the mu radius.
   * @default {paper: sqrt(n), authors: sqrt(n - 0.5)}
   */
  muRadiusTarget?: number;
  /**
   * sigma0: per-dimension noise scale of `paper`'s sigma-radius target
   * `sqrt(n) * sigma0` (used when `sigmaRadiusTarget` is not given).
   * @default {0.1}
   */
  sigma0?: number;
  /**
   * a_sig,r: target mean of the sigma radius.
   * @default {paper: sqrt(n) * sigma0, authors: 0.001 sqrt(n - 0.5)}
   */
  sigmaRadiusTarget?: number;
  /**
   * b_sig,r: target std of the sigma radius (`"log"` penalty: must be > 0).
   * @default {paper: 0, authors: sqrt(0.5)}
   */
  sigmaRadiusStdTarget?: number;
  /**
   * Class of each row, for the semi-supervised class roll; unset means
   * unsupervised. Host labels are validated; a tensor needs `numClasses` and
   * is not read back (its classes are assumed valid; missing classes then
   * contribute nothing, as with `allowMissingClasses`).
   * Ignored by the `vae` and `ae` variants.
   * @default {undefined}
   */
  labels?: LabelsLike;
  /**
   * Number of classes C.
   * @default {max(labels) + 1}
   */
  numClasses?: number;
  /**
   * Latent axes between two class poles s; requires n >= C * s.
   * @default {paper: 11, authors: 10}
   */
  spacing?: number;
  /**
   * Batch statistics of the mu angles under the roll.
   * @default {paper: "pooled", authors: "perClass"}
   */
  classStats?: ClassStatsKind;
  /**
   * Roll sigma too before its angle terms (`paper`); `authors` computes the
   * sigma terms on the unrolled batch.
   * @default {paper: true, authors: false}
   */
  rollSigma?: boolean;
  /**
   * Accept a batch in which a class has too few rows for its statistics
   * (0, or 1 with the unbiased std); such a class then contributes nothing.
   * @default {false}
   */
  allowMissingClasses?: boolean;
  /**
   * Reduction over dimensions of the `vae` variant's Gaussian KL.
   * @default {paper: "sum", authors: "mean"}
   */
  vaeReduce?: "sum" | "mean";
  /**
   * Floor on sigma inside `ln(sigma^2)` of the `vae` variant.
   * @default {1e-20}
   */
  sigmaFloor?: number;
}

/** The terms of the loss; they sum to `total`. */
export interface CompressedLossParts<T> {
  /** Mu-angle terms, with their gains (authors: 1000 Phi_mu). */
  anglesMu: T;
  /** Sigma-angle terms, with their gains (authors: G_sig Phi_sig). */
  anglesSigma: T;
  /** Mu-radius terms, with their gains (authors: 300 R_mu). */
  radiusMu: T;
  /** Sigma-radius terms, with their gains (authors: 500 R_sig). */
  radiusSigma: T;
  /** The `vae` variant's Gaussian KL (0 for the others). */
  gaussian: T;
}

/** Result of {@linkcode compressedLoss}: scalar tensors the caller disposes. */
export interface CompressedLoss {
  /** The KL term (before beta and annealing). */
  total: Scalar;
  /** Its parts, which sum to `total`. */
  parts: CompressedLossParts<Scalar>;
}

/** Result of {@linkcode lossValues}: plain numbers. */
export interface CompressedLossValues {
  /** The KL term. */
  total: number;
  /** Its parts. */
  parts: CompressedLossParts<number>;
}

interface Resolved {
  variant: LossVariant;
  radiusOnly: boolean;
  cosineEpsilon: number;
  zeroTailCosine: number;
  ddof: number;
  stdEpsilon: number;
  stdPenalty: StdPenaltyKind;
  angleWeights: number[];
  muMeanWeights: number[];
  muMeanTarget: number[];
  muStdTarget: number[];
  sigmaMeanTarget: number[];
  sigmaStdTarget: number[];
  gains: CompressedLossGains;
  termGains: CompressedLossTermGains;
  muRadiusTarget: number;
  sigmaRadiusTarget: number;
  sigmaRadiusStdTarget: number;
  spacing: number;
  classStats: ClassStatsKind;
  rollSigma: boolean;
  allowMissingClasses: boolean;
  vaeReduce: "sum" | "mean";
  sigmaFloor: number;
}

/**
 * Latent axes between two class poles under the semi-supervised class roll:
 * the given `spacing`, else the preset's default (`authors` 10 as in the
 * released code, `paper` 11 as in METHOD.md). The roll needs
 * `n >= classes * spacing`.
 *
 * @param preset The loss preset.
 * @param spacing An explicit spacing, which wins.
 * @returns The spacing in latent axes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { classSpacing } from "./compressed_loss.ts";
 *
 * assert.equal(classSpacing("authors"), 10);
 * assert.equal(classSpacing("paper"), 11);
 * assert.equal(classSpacing("paper", 4), 4);
 * ```
 */
export function classSpacing(
  preset: LossPreset = "authors",
  spacing?: number,
): number {
  return spacing ?? (preset === "authors" ? 10 : 11);
}

const FN = "compressedLoss";

function finite(name: string, v: number, min = -Infinity): number {
  if (!Number.isFinite(v) || v < min) {
    throw new RangeError(
      `Cannot compute ${FN}: "${name}" must be a finite number${
        min > -Infinity ? ` >= ${min}` : ""
      }, got ${v}`,
    );
  }
  return v;
}

function oneOf<T extends string>(name: string, v: T, allowed: T[]): T {
  if (!allowed.includes(v)) {
    throw new RangeError(
      `Cannot compute ${FN}: "${name}" must be one of ${
        allowed.map((a) => `"${a}"`).join(", ")
      }, got "${v}"`,
    );
  }
  return v;
}

/** Applies the preset, then the overrides, in one place. */
function resolve(o: CompressedLossOptions, n: number): Resolved {
  const preset = oneOf("preset", o.preset ?? "authors", ["paper", "authors"]);
  const a = preset === "authors";
  const variant = oneOf("variant", o.variant ?? "compressed", [
    "compressed",
    "vmf",
    "vae",
    "ae",
  ]);
  const m = n - 1;
  const ks = Array.from({ length: m }, (_, i) => i + 1);
  const iso = ks.map((k) => 1 / Math.sqrt(n - k + 1));

  const weights = o.angleWeights ?? (a ? "authors" : "paper");
  let angleWeights: number[];
  if (weights === "paper") angleWeights = ks.map((k) => 1 / Math.sqrt(k + 1));
  else if (weights === "authors") {
    angleWeights = ks.map((k) => 50 * Math.sqrt(n) / Math.sqrt(k));
  } else if (Array.isArray(weights)) {
    if (weights.length !== m) {
      throw new RangeError(
        `Cannot compute ${FN}: "angleWeights" must have n - 1 = ${m} entries, got ${weights.length}`,
      );
    }
    angleWeights = weights.map((w, i) => finite(`angleWeights[${i}]`, w));
  } else {
    throw new RangeError(
      `Cannot compute ${FN}: "angleWeights" must be "paper", "authors" or an array of n - 1 numbers, got "${weights}"`,
    );
  }

  const epoch = o.epoch ?? 0;
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(
      `Cannot compute ${FN}: "epoch" must be an integer >= 0, got ${epoch}`,
    );
  }
  const weighting = oneOf(
    "meanWeighting",
    o.meanWeighting ?? (a ? "authors" : "uniform"),
    ["uniform", "authors"],
  );
  let muMeanWeights: number[];
  if (weighting === "uniform") muMeanWeights = ks.map(() => 1);
  else {
    const late = epoch > 100;
    const first = late ? 150 : 100;
    const rest = late ? Math.sqrt(epoch - 101) + 1 : 1;
    // angle 1 always; angles 2..n-2 `rest`; the last angle n-1 left out
    muMeanWeights = ks.map((k) => (k === 1 ? first : k <= n - 2 ? rest : 0));
  }

  let compressUntil = o.compressUntil;
  if (variant === "vmf") {
    if (compressUntil !== undefined && compressUntil !== 1) {
      throw new RangeError(
        `Cannot compute ${FN}: variant "vmf" means "compressUntil" 1, got ${compressUntil} (drop one of the two)`,
      );
    }
    compressUntil = 1;
  }
  compressUntil ??= m;
  if (!Number.isInteger(compressUntil) || compressUntil < 0) {
    throw new RangeError(
      `Cannot compute ${FN}: "compressUntil" must be an integer >= 0, got ${compressUntil}`,
    );
  }
  const muMeanTarget = ks.map((k) => (k <= compressUntil ? 1 : 0));

  const stdTarget = oneOf(
    "muAngleStdTarget",
    o.muAngleStdTarget ?? (a ? "isotropic" : "zero"),
    ["zero", "isotropic"],
  );
  const stdPenalty = oneOf(
    "stdPenalty",
    o.stdPenalty ?? (a ? "log" : "square"),
    ["square", "log"],
  );
  const batchStd = oneOf(
    "batchStd",
    o.batchStd ?? (a ? "unbiased" : "biased"),
    ["biased", "unbiased"],
  );
  const sigma0 = finite("sigma0", o.sigma0 ?? 0.1, 0);
  const sigmaRadiusStdTarget = finite(
    "sigmaRadiusStdTarget",
    o.sigmaRadiusStdTarget ?? (a ? Math.sqrt(0.5) : 0),
    0,
  );
  if (stdPenalty === "log" && !(sigmaRadiusStdTarget > 0)) {
    throw new RangeError(
      `Cannot compute ${FN}: "sigmaRadiusStdTarget" must be > 0 with "stdPenalty" "log" (its penalty is f(S / b)), got ${sigmaRadiusStdTarget}`,
    );
  }
  const g0: CompressedLossGains = a
    ? {
      muAngleMean: 0.05,
      muAngleStd: 1,
      sigmaAngleMean: 0.05,
      sigmaAngleStd: 1,
      muRadiusMean: 50,
      muRadiusStd: 50,
      sigmaRadiusMean: 50,
      sigmaRadiusStd: 50,
    }
    : {
      muAngleMean: 1,
      muAngleStd: 1,
      sigmaAngleMean: 1,
      sigmaAngleStd: 1,
      muRadiusMean: 1,
      muRadiusStd: 1,
      sigmaRadiusMean: 1,
      sigmaRadiusStd: 1,
    };
  const gains = { ...g0, ...o.gains };
  const t0: CompressedLossTermGains = a
    ? { anglesMu: 1000, radiusMu: 300, anglesSigma: 5e5, radiusSigma: 500 }
    : { anglesMu: 1, radiusMu: 1, anglesSigma: 1, radiusSigma: 1 };
  const termGains = { ...t0, ...o.termGains };
  for (const [k, v] of Object.entries(gains)) finite(`gains.${k}`, v);
  for (const [k, v] of Object.entries(termGains)) finite(`termGains.${k}`, v);

  return {
    variant,
    radiusOnly: o.radiusOnly ?? false,
    cosineEpsilon: finite(
      "cosineEpsilon",
      o.cosineEpsilon ?? (a ? 1e-3 : 1e-12),
      0,
    ),
    zeroTailCosine: finite("zeroTailCosine", o.zeroTailCosine ?? (a ? 0 : 1)),
    ddof: batchStd === "unbiased" ? 1 : 0,
    stdEpsilon: finite("stdEpsilon", o.stdEpsilon ?? (a ? 1e-4 : 1e-12), 0),
    stdPenalty,
    angleWeights,
    muMeanWeights,
    muMeanTarget,
    muStdTarget: stdTarget === "isotropic" ? iso : ks.map(() => 0),
    sigmaMeanTarget: iso,
    sigmaStdTarget: ks.map(() => 0),
    gains,
    termGains,
    muRadiusTarget: finite(
      "muRadiusTarget",
      o.muRadiusTarget ?? (a ? Math.sqrt(n - 0.5) : Math.sqrt(n)),
    ),
    sigmaRadiusTarget: finite(
      "sigmaRadiusTarget",
      o.sigmaRadiusTarget ??
        (a ? 0.001 * Math.sqrt(n - 0.5) : Math.sqrt(n) * sigma0),
    ),
    sigmaRadiusStdTarget,
    spacing: classSpacing(preset, o.spacing),
    classStats: oneOf(
      "classStats",
      o.classStats ?? (a ? "perClass" : "pooled"),
      ["pooled", "perClass"],
    ),
    rollSigma: o.rollSigma ?? !a,
    allowMissingClasses: o.allowMissingClasses ?? false,
    vaeReduce: oneOf(
      "vaeReduce",
      o.vaeReduce ?? (a ? "mean" : "sum"),
      ["sum", "mean"],
    ),
    sigmaFloor: finite("sigmaFloor", o.sigmaFloor ?? 1e-20, 0),
  };
}

/**
 * `f(S + 1 - b)` written as `f(1 + d)` with `d = S - b`:
 * `f(1 + d) = d (2 + d) - 2 log1p(d)`, which keeps float32 accuracy near the
 * minimum (the plain `s^2 - ln s^2 - 1` cancels to ~1e-7 absolute).
 */
function logPenalty(d: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(d, tf.add(d, 2)), tf.mul(tf.log1p(d), 2));
}

/** Penalty on stds `s` with targets `b` (shift form). */
function stdPenalty(
  kind: StdPenaltyKind,
  s: tf.Tensor,
  b: tf.Tensor | number,
): tf.Tensor {
  return kind === "square" ? tf.square(tf.sub(s, b)) : logPenalty(tf.sub(s, b));
}

/**
 * The compressed-VAE KL term of a batch of encoder outputs (METHOD.md §2 and
 * §2.1), with its parts.
 *
 * **Method**: each row of `mu` and `sigma` goes to `(r, c_k = cos phi_k)` in
 * O(N n) ({@linkcode angleCosines}); with `E`/`S` the batch mean and std,
 *
 *     anglesMu    = G_phi,mu  * sum_k w_k (A_mu m_k (E[c_mu,k] - a_mu,k)^2 + B_mu P(S[c_mu,k], b_mu,k))
 *     anglesSigma = G_phi,sig * sum_k w_k (A_sig (E[c_sig,k] - a_sig,k)^2 + B_sig P(S[c_sig,k], 0))
 *     radiusMu    = G_r,mu  (A_mu,r (E[r_mu] - a_mu,r)^2 + B_mu,r P(S[r_mu], 0))
 *     radiusSigma = G_r,sig (A_sig,r (E[r_sig] - a_sig,r)^2 + B_sig,r P_sig(S[r_sig], b_sig,r))
 *
 * where `P` is `(S - b)^2` (`paper`) or `f(S + 1 - b)` (`authors`,
 * `f(s) = s^2 - ln(s^2) - 1`), `P_sig` is `(S - b)^2` or `f(S / b)`, and
 * `m_k` the per-angle mean weights. `paper` has all G = 1, the eight gains
 * 1, `w_k = 1/sqrt(k+1)`, `m_k = 1`; `authors` has
 * `KL = 1000 Phi_mu + 300 R_mu + G_sig Phi_sig + 500 R_sig` with
 * `w_k = 50 sqrt(n)/sqrt(k)`, A = 0.05 on angle means, radius gains 50 and
 * `m = (100, 1, ..., 1, 0)`. With `labels`, row i is rolled by
 * `-y_i * spacing` before the angle terms; under `classStats: "perClass"`
 * the mu-angle terms are computed per class and summed. Everything is
 * vectorised over k and over classes (one-hot products): O(N n log n) with
 * the roll, no loop over angles, no device read.
 *
 * **Special cases**: zero tails give `zeroTailCosine` with zero gradient; a
 * zero `mu` row has radius 0 with zero gradient; constant columns have
 * `S = sqrt(stdEpsilon)`; values and gradients stay finite for any finite
 * input with `sigma >= 0` (the `vae` variant floors sigma at `sigmaFloor`).
 * `ae` returns zeros. n = 2 has one angle.
 *
 * **Notes**: in float32 the `authors` terms (G_sig = 5e5, `beta_k` ~ 50
 * sqrt(n)) reach 1e6 - 1e9, so parts carry about 7 significant digits; the
 * log penalty is evaluated as `d (2 + d) - 2 log1p(d)` for accuracy near its
 * minimum.
 *
 * @param mu Encoder means `[N, n]`, n >= 2.
 * @param sigma Encoder standard deviations `[N, n]`, >= 0 (from a
 *   log-variance: {@linkcode sigmaFromLogVar}).
 * @param options See {@linkcode CompressedLossOptions}.
 * @returns `{ total, parts }`, scalar tensors the caller disposes (or use
 *   {@linkcode compressedKl} for the total alone, {@linkcode lossValues} for
 *   numbers).
 * @throws {ShapeError} When `mu` and `sigma` are not rank 2 of one shape with
 *   n >= 2, or `labels` has the wrong length.
 * @throws {RangeError} When an option is out of range, n < numClasses *
 *   spacing, a class lacks rows (unless `allowMissingClasses`), or the batch
 *   has one row with the unbiased std.
 *
 * @example The isotropic sigma and poles of mu cost little
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { compressedLoss, lossValues } from "../loss.ts";
 * import { tf } from "../tf.ts";
 * await selectBackend("wasm");
 *
 * const mu = tf.tensor2d([[2, 0, 0, 0], [2, 0.01, 0, 0]]);
 * const sigma = tf.fill([2, 4], 0.1) as tf.Tensor2D;
 * const v = await lossValues(compressedLoss(mu, sigma, { preset: "paper" }));
 * assert.ok(v.parts.anglesMu < 1e-3 && v.parts.anglesSigma < 1e-9);
 * assert.ok(Math.abs(v.total - (v.parts.anglesMu + v.parts.radiusMu + v.parts.radiusSigma)) < 1e-6);
 * tf.dispose([mu, sigma]);
 * ```
 */
export function compressedLoss(
  mu: Tensor2D,
  sigma: Tensor2D,
  options: CompressedLossOptions = {},
): CompressedLoss {
  checkPair(mu, sigma, FN, ["mu", "sigma"], 2);
  const [rows, n] = mu.shape;
  const r = resolve(options, n);
  if (rows < 1 + r.ddof) {
    throw new RangeError(
      `Cannot compute ${FN}: the unbiased batch std needs at least 2 rows, got ${rows} (use a larger batch or "batchStd" "biased")`,
    );
  }
  const compressed = r.variant === "compressed" || r.variant === "vmf";
  const useLabels = options.labels !== undefined && compressed;
  let plan: LabelPlan | null = null;
  if (useLabels) {
    plan = planLabels(options.labels as LabelsLike, rows, n, FN, {
      spacing: r.spacing,
      numClasses: options.numClasses,
      minCount: r.classStats === "perClass" ? 1 + r.ddof : 0,
      allowMissing: r.allowMissingClasses || r.classStats === "pooled",
    });
  }
  return tf.tidy(() => {
    const zero = () => tf.scalar(0) as Scalar;
    if (r.variant === "ae") {
      return {
        total: zero(),
        parts: {
          anglesMu: zero(),
          anglesSigma: zero(),
          radiusMu: zero(),
          radiusSigma: zero(),
          gaussian: zero(),
        },
      };
    }
    if (r.variant === "vae") {
      // through gaussianKl, with the variance sigma^2 this loss has always
      // used (exp(logVar) would differ from it by float32 rounding)
      const logVar = tf.mul(tf.log(tf.maximum(sigma, r.sigmaFloor)), 2);
      const gaussian = gaussianKl(mu, logVar as Tensor2D, {
        reduce: r.vaeReduce,
        variance: tf.square(sigma) as Tensor2D,
      });
      return {
        total: tf.clone(gaussian) as Scalar,
        parts: {
          anglesMu: zero(),
          anglesSigma: zero(),
          radiusMu: zero(),
          radiusSigma: zero(),
          gaussian,
        },
      };
    }
    const cosOpts = {
      epsilon: r.cosineEpsilon,
      zeroTailCosine: r.zeroTailCosine,
    };
    const w = tf.tensor1d(r.angleWeights);
    const g = r.gains;
    const tg = r.termGains;
    const angles = !r.radiusOnly;

    // mu: radius (pooled, roll-invariant) and angles (rolled)
    const muRolled = plan ? rollRows(mu, plan, r.spacing) : mu;
    const muC = angleCosines(muRolled, cosOpts);
    let anglesMu: Scalar = zero();
    if (angles && tg.anglesMu !== 0) {
      const perClass = plan !== null && r.classStats === "perClass";
      const hot = perClass ? oneHotRows(plan as LabelPlan, rows) : null;
      const st = batchStats(muC.cosines, hot, r.ddof, r.stdEpsilon);
      const meanW = tf.mul(w, tf.tensor1d(r.muMeanWeights));
      const meanT = tf.mul(
        tf.square(tf.sub(st.mean, tf.tensor1d(r.muMeanTarget))),
        meanW,
      );
      const stdT = tf.mul(
        stdPenalty(r.stdPenalty, st.std, tf.tensor1d(r.muStdTarget)),
        w,
      );
      let perGroup = tf.add(
        tf.mul(meanT, g.muAngleMean),
        tf.mul(stdT, g.muAngleStd),
      );
      if (st.present) perGroup = tf.mul(perGroup, st.present);
      anglesMu = tf.mul(tf.sum(perGroup), tg.anglesMu) as Scalar;
    }
    const rMu = tf.reshape(muC.radius, [-1, 1]) as Tensor2D;
    const rMuSt = batchStats(rMu, null, r.ddof, r.stdEpsilon);
    const radiusMu = tf.mul(
      tf.add(
        tf.mul(tf.square(tf.sub(rMuSt.mean, r.muRadiusTarget)), g.muRadiusMean),
        tf.mul(stdPenalty(r.stdPenalty, rMuSt.std, 0), g.muRadiusStd),
      ),
      tg.radiusMu,
    ).reshape([]) as Scalar;

    // sigma: rolled only when rollSigma
    const sigRolled = plan && r.rollSigma
      ? rollRows(sigma, plan, r.spacing)
      : sigma;
    const sigC = angleCosines(sigRolled, cosOpts);
    let anglesSigma: Scalar = zero();
    if (angles && tg.anglesSigma !== 0) {
      const st = batchStats(sigC.cosines, null, r.ddof, r.stdEpsilon);
      const meanT = tf.mul(
        tf.square(tf.sub(st.mean, tf.tensor1d(r.sigmaMeanTarget))),
        w,
      );
      const stdT = tf.mul(
        stdPenalty(r.stdPenalty, st.std, tf.tensor1d(r.sigmaStdTarget)),
        w,
      );
      anglesSigma = tf.mul(
        tf.sum(tf.add(
          tf.mul(meanT, g.sigmaAngleMean),
          tf.mul(stdT, g.sigmaAngleStd),
        )),
        tg.anglesSigma,
      ) as Scalar;
    }
    const rSig = tf.reshape(sigC.radius, [-1, 1]) as Tensor2D;
    const rSigSt = batchStats(rSig, null, r.ddof, r.stdEpsilon);
    const sigStdPen = r.stdPenalty === "square"
      ? tf.square(tf.sub(rSigSt.std, r.sigmaRadiusStdTarget))
      : logPenalty(tf.sub(tf.div(rSigSt.std, r.sigmaRadiusStdTarget), 1));
    const radiusSigma = tf.mul(
      tf.add(
        tf.mul(
          tf.square(tf.sub(rSigSt.mean, r.sigmaRadiusTarget)),
          g.sigmaRadiusMean,
        ),
        tf.mul(sigStdPen, g.sigmaRadiusStd),
      ),
      tg.radiusSigma,
    ).reshape([]) as Scalar;

    const total = tf.addN([anglesMu, anglesSigma, radiusMu, radiusSigma]);
    return {
      total: total as Scalar,
      parts: { anglesMu, anglesSigma, radiusMu, radiusSigma, gaussian: zero() },
    };
  });
}

/**
 * The total of {@linkcode compressedLoss} alone, for use inside
 * `optimizer.minimize` / `tf.grad` (its parts are disposed).
 *
 * @param mu Encoder means `[N, n]`, n >= 2.
 * @param sigma Encoder standard deviations `[N, n]`, >= 0.
 * @param options See {@linkcode CompressedLossOptions}.
 * @returns The scalar KL term; the caller disposes it.
 * @throws {ShapeError} As {@linkcode compressedLoss}.
 * @throws {RangeError} As {@linkcode compressedLoss}.
 *
 * @example The `ae` variant has no KL
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { compressedKl } from "../loss.ts";
 * import { tf } from "../tf.ts";
 * await selectBackend("wasm");
 *
 * const mu = tf.tensor2d([[1, 2], [3, 4]]);
 * const kl = compressedKl(mu, mu, { variant: "ae" });
 * assert.equal((await kl.data())[0], 0);
 * tf.dispose([mu, kl]);
 * ```
 */
export function compressedKl(
  mu: Tensor2D,
  sigma: Tensor2D,
  options: CompressedLossOptions = {},
): Scalar {
  return tf.tidy(() => compressedLoss(mu, sigma, options).total);
}

/**
 * Reads a {@linkcode compressedLoss} result into plain numbers and disposes
 * its tensors.
 *
 * @param loss The result of `compressedLoss`.
 * @returns `{ total, parts }` as numbers.
 * @throws {Error} When the tensors were already disposed.
 *
 * @example
 * ```ts
 * import { selectBackend } from "../backend.ts";
 * import assert from "node:assert/strict";
 * import { compressedLoss, lossValues } from "../loss.ts";
 * import { tf } from "../tf.ts";
 * await selectBackend("wasm");
 *
 * const mu = tf.tensor2d([[1, 0], [0, 1]]);
 * const v = await lossValues(compressedLoss(mu, mu, { variant: "ae" }));
 * assert.deepEqual(v.parts, { anglesMu: 0, anglesSigma: 0, radiusMu: 0, radiusSigma: 0, gaussian: 0 });
 * mu.dispose();
 * ```
 */
export async function lossValues(
  loss: CompressedLoss,
): Promise<CompressedLossValues> {
  const names = [
    "anglesMu",
    "anglesSigma",
    "radiusMu",
    "radiusSigma",
    "gaussian",
  ] as const;
  try {
    const total = (await loss.total.data())[0];
    const parts = {} as CompressedLossParts<number>;
    for (const k of names) parts[k] = (await loss.parts[k].data())[0];
    return { total, parts };
  } finally {
    tf.dispose([loss.total, ...names.map((k) => loss.parts[k])]);
  }
}
