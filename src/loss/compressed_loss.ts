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
  type BatchStats,
  batchStats,
  checkPair,
  type LabelPlan,
  type LabelsLike,
  oneHotRows,
  planLabels,
  rollRows,
} from "./_labels.ts";
import {
  type AngleWeightsKind,
  type BatchStdKind,
  classSpacing,
  type ClassStatsKind,
  type CompressedLossGains,
  type CompressedLossTermGains,
  DEFAULT_PRESET,
  DEFAULT_VARIANT,
  type LossDefaults,
  type LossPreset,
  type LossVariant,
  type MeanWeightingKind,
  type MuAngleStdTargetKind,
  PRESET_DEFAULTS,
  PRESETS,
  type StdPenaltyKind,
  type VaeReduceKind,
  VARIANT_TRAITS,
  VARIANTS,
} from "../presets.ts";
import { gaussianKl } from "./gaussian_kl.ts";

// The preset and variant names, the option kinds and the gains live with
// every other preset default in ../presets.ts; they are re-exported here for
// the loss's users.
export type {
  AngleWeightsKind,
  BatchStdKind,
  ClassStatsKind,
  CompressedLossGains,
  CompressedLossTermGains,
  LossPreset,
  LossVariant,
  MeanWeightingKind,
  StdPenaltyKind,
} from "../presets.ts";
export { classSpacing } from "../presets.ts";

/**
 * Options of {@linkcode compressedLoss}. `preset` sets every other option;
 * any option given explicitly overrides the preset's value. "paper" /
 * "authors" below give each preset's value, read from `PRESET_DEFAULTS`
 * (`src/presets.ts`), the one table of them.
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
  muAngleStdTarget?: MuAngleStdTargetKind;
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
  vaeReduce?: VaeReduceKind;
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
  vaeReduce: VaeReduceKind;
  sigmaFloor: number;
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

function oneOf<T extends string>(
  name: string,
  v: T,
  allowed: readonly T[],
): T {
  if (!allowed.includes(v)) {
    throw new RangeError(
      `Cannot compute ${FN}: "${name}" must be one of ${
        allowed.map((a) => `"${a}"`).join(", ")
      }, got "${v}"`,
    );
  }
  return v;
}

/** The string options that take a preset default, with their allowed values. */
const CHOICES = {
  batchStd: ["biased", "unbiased"],
  stdPenalty: ["square", "log"],
  meanWeighting: ["uniform", "authors"],
  muAngleStdTarget: ["zero", "isotropic"],
  classStats: ["pooled", "perClass"],
  vaeReduce: ["sum", "mean"],
} as const satisfies {
  [K in keyof LossDefaults]?: readonly LossDefaults[K][];
};
type ChoiceKey = keyof typeof CHOICES;

/** The number options that take a preset default, with their minimum. */
const NUMBERS = {
  cosineEpsilon: 0,
  zeroTailCosine: -Infinity,
  stdEpsilon: 0,
  sigma0: 0,
  sigmaRadiusStdTarget: 0,
  sigmaFloor: 0,
} as const satisfies { [K in keyof LossDefaults]?: number };
type NumberKey = keyof typeof NUMBERS;

/** Angle indices k = 1..n-1. */
function angleIndices(n: number): number[] {
  return Array.from({ length: n - 1 }, (_, i) => i + 1);
}

/** The weights w_k of the named kind, or the given ones validated. */
function angleWeightsOf(weights: AngleWeightsKind, n: number): number[] {
  const ks = angleIndices(n);
  if (weights === "paper") return ks.map((k) => 1 / Math.sqrt(k + 1));
  if (weights === "authors") {
    return ks.map((k) => 50 * Math.sqrt(n) / Math.sqrt(k));
  }
  if (!Array.isArray(weights)) {
    throw new RangeError(
      `Cannot compute ${FN}: "angleWeights" must be "paper", "authors" or an array of n - 1 numbers, got "${weights}"`,
    );
  }
  if (weights.length !== n - 1) {
    throw new RangeError(
      `Cannot compute ${FN}: "angleWeights" must have n - 1 = ${
        n - 1
      } entries, got ${weights.length}`,
    );
  }
  return weights.map((w, i) => finite(`angleWeights[${i}]`, w));
}

/** The per-angle weights m_k of the mu mean terms at `epoch`. */
function meanWeightsOf(
  kind: MeanWeightingKind,
  epoch: number,
  n: number,
): number[] {
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(
      `Cannot compute ${FN}: "epoch" must be an integer >= 0, got ${epoch}`,
    );
  }
  const ks = angleIndices(n);
  if (kind === "uniform") return ks.map(() => 1);
  const late = epoch > 100;
  const first = late ? 150 : 100;
  const rest = late ? Math.sqrt(epoch - 101) + 1 : 1;
  // angle 1 always; angles 2..n-2 `rest`; the last angle n-1 left out
  return ks.map((k) => (k === 1 ? first : k <= n - 2 ? rest : 0));
}

/** The mu mean targets a_mu,k: 1 up to K_c (the variant's, else the option's), 0 after. */
function meanTargetsOf(
  variant: LossVariant,
  compressUntil: number | undefined,
  n: number,
): number[] {
  const forced = VARIANT_TRAITS[variant].compressUntil;
  if (forced !== null) {
    if (compressUntil !== undefined && compressUntil !== forced) {
      throw new RangeError(
        `Cannot compute ${FN}: variant "${variant}" means "compressUntil" ${forced}, got ${compressUntil} (drop one of the two)`,
      );
    }
    compressUntil = forced;
  }
  const until = compressUntil ?? n - 1;
  if (!Number.isInteger(until) || until < 0) {
    throw new RangeError(
      `Cannot compute ${FN}: "compressUntil" must be an integer >= 0, got ${until}`,
    );
  }
  return angleIndices(n).map((k) => (k <= until ? 1 : 0));
}

/** The preset's gains merged with the given ones, validated. */
function gainsOf<T extends object>(
  name: string,
  preset: Readonly<T>,
  given: Partial<T> | undefined,
): T {
  const out = { ...preset, ...given } as T;
  for (const [k, v] of Object.entries(out)) finite(`${name}.${k}`, v);
  return out;
}

/** Applies the preset's defaults (PRESET_DEFAULTS), then the options, in one place. */
function resolve(o: CompressedLossOptions, n: number): Resolved {
  const preset = oneOf("preset", o.preset ?? DEFAULT_PRESET, PRESETS);
  const variant = oneOf("variant", o.variant ?? DEFAULT_VARIANT, VARIANTS);
  const d = PRESET_DEFAULTS[preset].loss;
  // oneOf has checked the value against CHOICES[k], which `satisfies` ties
  // to LossDefaults[k]: the cast is sound
  const pick = <K extends ChoiceKey>(k: K): LossDefaults[K] =>
    oneOf<string>(k, o[k] ?? d[k], CHOICES[k]) as LossDefaults[K];
  const num = (k: NumberKey): number => finite(k, o[k] ?? d[k], NUMBERS[k]);
  const iso = angleIndices(n).map((k) => 1 / Math.sqrt(n - k + 1));
  const zeros = iso.map(() => 0);
  const stdPenalty = pick("stdPenalty");
  const sigma0 = num("sigma0");
  const sigmaRadiusStdTarget = num("sigmaRadiusStdTarget");
  if (stdPenalty === "log" && !(sigmaRadiusStdTarget > 0)) {
    throw new RangeError(
      `Cannot compute ${FN}: "sigmaRadiusStdTarget" must be > 0 with "stdPenalty" "log" (its penalty is f(S / b)), got ${sigmaRadiusStdTarget}`,
    );
  }
  return {
    variant,
    radiusOnly: o.radiusOnly ?? false,
    cosineEpsilon: num("cosineEpsilon"),
    zeroTailCosine: num("zeroTailCosine"),
    ddof: pick("batchStd") === "unbiased" ? 1 : 0,
    stdEpsilon: num("stdEpsilon"),
    stdPenalty,
    angleWeights: angleWeightsOf(o.angleWeights ?? d.angleWeights, n),
    muMeanWeights: meanWeightsOf(pick("meanWeighting"), o.epoch ?? 0, n),
    muMeanTarget: meanTargetsOf(variant, o.compressUntil, n),
    muStdTarget: pick("muAngleStdTarget") === "isotropic" ? iso : zeros,
    sigmaMeanTarget: iso,
    sigmaStdTarget: zeros,
    gains: gainsOf("gains", d.gains, o.gains),
    termGains: gainsOf("termGains", d.termGains, o.termGains),
    muRadiusTarget: finite(
      "muRadiusTarget",
      o.muRadiusTarget ?? d.muRadiusTarget(n),
    ),
    sigmaRadiusTarget: finite(
      "sigmaRadiusTarget",
      o.sigmaRadiusTarget ?? d.sigmaRadiusTarget(n, sigma0),
    ),
    sigmaRadiusStdTarget,
    spacing: classSpacing(preset, o.spacing),
    classStats: pick("classStats"),
    rollSigma: o.rollSigma ?? d.rollSigma,
    allowMissingClasses: o.allowMissingClasses ?? false,
    vaeReduce: pick("vaeReduce"),
    sigmaFloor: num("sigmaFloor"),
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

/** Penalty on the sigma-radius std `s` with target `b`: `(s - b)^2` or `f(s / b)`. */
function sigmaRadiusStdPenalty(
  kind: StdPenaltyKind,
  s: tf.Tensor,
  b: number,
): tf.Tensor {
  return kind === "square"
    ? tf.square(tf.sub(s, b))
    : logPenalty(tf.sub(tf.div(s, b), 1));
}

/** A scalar 0 (for the parts a variant does not have). */
function zero(): Scalar {
  return tf.scalar(0) as Scalar;
}

/** The parts as a plain object type (what `tf.tidy` may return). */
type Parts = { [K in keyof CompressedLossParts<Scalar>]: Scalar };

/** The given parts, the others 0. */
function withZeros(p: Partial<Parts>): Parts {
  return {
    anglesMu: p.anglesMu ?? zero(),
    anglesSigma: p.anglesSigma ?? zero(),
    radiusMu: p.radiusMu ?? zero(),
    radiusSigma: p.radiusSigma ?? zero(),
    gaussian: p.gaussian ?? zero(),
  };
}

/**
 * One angle group (mu or sigma): `tg * sum_k present (gMean m_k w_k (E - a)^2
 * + gStd w_k P(S, b))`, with the batch statistics `st` of its cosines.
 */
function angleTerm(
  st: BatchStats,
  w: tf.Tensor1D,
  meanW: tf.Tensor1D,
  targets: { mean: number[]; std: number[] },
  gains: { mean: number; std: number; term: number },
  kind: StdPenaltyKind,
): Scalar {
  const meanT = tf.mul(
    tf.square(tf.sub(st.mean, tf.tensor1d(targets.mean))),
    meanW,
  );
  const stdT = tf.mul(stdPenalty(kind, st.std, tf.tensor1d(targets.std)), w);
  let perGroup = tf.add(tf.mul(meanT, gains.mean), tf.mul(stdT, gains.std));
  if (st.present) perGroup = tf.mul(perGroup, st.present);
  return tf.mul(tf.sum(perGroup), gains.term) as Scalar;
}

/** One radius group: `tg (gMean (E[r] - a)^2 + gStd P(S[r]))`. */
function radiusTerm(
  radius: tf.Tensor,
  r: Resolved,
  target: number,
  stdPen: (s: tf.Tensor) => tf.Tensor,
  gains: { mean: number; std: number; term: number },
): Scalar {
  const rr = tf.reshape(radius, [-1, 1]) as Tensor2D;
  const st = batchStats(rr, null, r.ddof, r.stdEpsilon);
  return tf.mul(
    tf.add(
      tf.mul(tf.square(tf.sub(st.mean, target)), gains.mean),
      tf.mul(stdPen(st.std), gains.std),
    ),
    gains.term,
  ).reshape([]) as Scalar;
}

/**
 * The four hyperspherical parts (`compressed`, `vmf`): mu radius pooled
 * (roll-invariant), mu angles rolled (per class under `perClass`), sigma
 * rolled only with `rollSigma`. Call inside a tidy.
 */
function hypersphericalParts(
  mu: Tensor2D,
  sigma: Tensor2D,
  r: Resolved,
  plan: LabelPlan | null,
): Parts {
  const cosOpts = {
    epsilon: r.cosineEpsilon,
    zeroTailCosine: r.zeroTailCosine,
  };
  const w = tf.tensor1d(r.angleWeights);
  const { gains: g, termGains: tg } = r;
  const angles = !r.radiusOnly;

  const muC = angleCosines(plan ? rollRows(mu, plan, r.spacing) : mu, cosOpts);
  let anglesMu = zero();
  if (angles && tg.anglesMu !== 0) {
    const perClass = plan !== null && r.classStats === "perClass";
    const hot = perClass ? oneHotRows(plan, mu.shape[0]) : null;
    anglesMu = angleTerm(
      batchStats(muC.cosines, hot, r.ddof, r.stdEpsilon),
      w,
      tf.mul(w, tf.tensor1d(r.muMeanWeights)) as tf.Tensor1D,
      { mean: r.muMeanTarget, std: r.muStdTarget },
      { mean: g.muAngleMean, std: g.muAngleStd, term: tg.anglesMu },
      r.stdPenalty,
    );
  }
  const radiusMu = radiusTerm(
    muC.radius,
    r,
    r.muRadiusTarget,
    (s) => stdPenalty(r.stdPenalty, s, 0),
    { mean: g.muRadiusMean, std: g.muRadiusStd, term: tg.radiusMu },
  );

  const sigRolled = plan && r.rollSigma
    ? rollRows(sigma, plan, r.spacing)
    : sigma;
  const sigC = angleCosines(sigRolled, cosOpts);
  let anglesSigma = zero();
  if (angles && tg.anglesSigma !== 0) {
    anglesSigma = angleTerm(
      batchStats(sigC.cosines, null, r.ddof, r.stdEpsilon),
      w,
      w,
      { mean: r.sigmaMeanTarget, std: r.sigmaStdTarget },
      { mean: g.sigmaAngleMean, std: g.sigmaAngleStd, term: tg.anglesSigma },
      r.stdPenalty,
    );
  }
  const radiusSigma = radiusTerm(
    sigC.radius,
    r,
    r.sigmaRadiusTarget,
    (s) => sigmaRadiusStdPenalty(r.stdPenalty, s, r.sigmaRadiusStdTarget),
    { mean: g.sigmaRadiusMean, std: g.sigmaRadiusStd, term: tg.radiusSigma },
  );
  return withZeros({ anglesMu, anglesSigma, radiusMu, radiusSigma });
}

/**
 * The `vae` variant's KL through {@linkcode gaussianKl}, with
 * `logVar = 2 ln(max(sigma, sigmaFloor))` and the variance `sigma^2`.
 */
function vaeKl(mu: Tensor2D, sigma: Tensor2D, r: Resolved): Scalar {
  const logVar = tf.mul(tf.log(tf.maximum(sigma, r.sigmaFloor)), 2);
  return gaussianKl(mu, logVar as Tensor2D, {
    reduce: r.vaeReduce,
    variance: tf.square(sigma) as Tensor2D,
  });
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
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { compressedLoss, lossValues } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
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
  const kl = VARIANT_TRAITS[r.variant].kl;
  // the class roll only concerns the hyperspherical terms
  const plan = options.labels !== undefined && kl === "hyperspherical"
    ? planLabels(options.labels, rows, n, FN, {
      spacing: r.spacing,
      numClasses: options.numClasses,
      minCount: r.classStats === "perClass" ? 1 + r.ddof : 0,
      allowMissing: r.allowMissingClasses || r.classStats === "pooled",
    })
    : null;
  return tf.tidy(() => {
    if (kl === "none") return { total: zero(), parts: withZeros({}) };
    if (kl === "gaussian") {
      const gaussian = vaeKl(mu, sigma, r);
      return { total: tf.clone(gaussian), parts: withZeros({ gaussian }) };
    }
    const parts = hypersphericalParts(mu, sigma, r, plan);
    const { anglesMu, anglesSigma, radiusMu, radiusSigma } = parts;
    const total = tf.addN([anglesMu, anglesSigma, radiusMu, radiusSigma]);
    return { total: total as Scalar, parts };
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
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { compressedKl } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
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
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { compressedLoss, lossValues } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
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
