/**
 * What a `--config` JSON file may hold: {@linkcode TRAIN_CONFIG_SCHEMA}, the
 * one list of the {@linkcode TrainOptions} keys with their JSON types (a
 * `Record` over `keyof TrainOptions`, so adding an option without adding it
 * here, or listing a key that is no option, fails type checking), and
 * {@linkcode checkTrainConfig}, which reports unknown keys with the closest
 * valid one and wrong types with the key and the expected type.
 *
 * @module
 */
import type { TrainOptions } from "../train.ts";
import type {
  AngleWeightsKind,
  BatchStdKind,
  ClassStatsKind,
  CompressedLossGains,
  CompressedLossTermGains,
  MeanWeightingKind,
  MuAngleStdTargetKind,
  StdPenaltyKind,
  VaeReduceKind,
} from "../presets.ts";
import { PRESETS, VARIANTS } from "../presets.ts";
import type { ProgressMode } from "../progress.ts";
import { checkSize, LimitError, type LimitName } from "../limits.ts";
import { UsageError } from "./usage_error.ts";
import { closest } from "./_closest.ts";

/** The JSON type a config key must have. */
export type ConfigField =
  | { type: "number"; min?: number; exclusiveMin?: boolean; below?: number }
  | { type: "integer"; min: number; limit?: LimitName }
  | { type: "boolean" }
  | { type: "choice"; choices: readonly string[] }
  | { type: "list"; items: ConfigField }
  | { type: "object"; keys: Readonly<Record<string, ConfigField>> }
  | { type: "either"; of: readonly ConfigField[] }
  /** Set by a command-line flag, not by the config. */
  | { type: "flag"; flag: string }
  /** A function or signal: only through the `trainVAE` API. */
  | { type: "api" };

/** The members of a string union, checked complete by the `Record`. */
function members<T extends string>(all: Record<T, true>): readonly T[] {
  return Object.freeze(Object.keys(all) as T[]);
}

const NUMBER: ConfigField = { type: "number" };
const POSITIVE: ConfigField = { type: "number", min: 0, exclusiveMin: true };
const NON_NEGATIVE: ConfigField = { type: "number", min: 0 };
const BOOLEAN: ConfigField = { type: "boolean" };

type LossConfig = NonNullable<TrainOptions["loss"]>;

const GAINS: Readonly<Record<keyof CompressedLossGains, ConfigField>> = {
  muAngleMean: NUMBER,
  muAngleStd: NUMBER,
  sigmaAngleMean: NUMBER,
  sigmaAngleStd: NUMBER,
  muRadiusMean: NUMBER,
  muRadiusStd: NUMBER,
  sigmaRadiusMean: NUMBER,
  sigmaRadiusStd: NUMBER,
};

const TERM_GAINS: Readonly<Record<keyof CompressedLossTermGains, ConfigField>> =
  {
    anglesMu: NUMBER,
    radiusMu: NUMBER,
    anglesSigma: NUMBER,
    radiusSigma: NUMBER,
  };

const LOSS: Readonly<Record<keyof LossConfig, ConfigField>> = {
  cosineEpsilon: NON_NEGATIVE,
  zeroTailCosine: NUMBER,
  batchStd: {
    type: "choice",
    choices: members<BatchStdKind>({ biased: true, unbiased: true }),
  },
  stdEpsilon: NON_NEGATIVE,
  stdPenalty: {
    type: "choice",
    choices: members<StdPenaltyKind>({ square: true, log: true }),
  },
  angleWeights: {
    type: "either",
    of: [
      {
        type: "choice",
        choices: members<Extract<AngleWeightsKind, string>>({
          paper: true,
          authors: true,
        }),
      },
      { type: "list", items: NUMBER },
    ],
  },
  meanWeighting: {
    type: "choice",
    choices: members<MeanWeightingKind>({ uniform: true, authors: true }),
  },
  compressUntil: { type: "integer", min: 0, limit: "maxLatentDim" },
  gains: { type: "object", keys: GAINS },
  termGains: { type: "object", keys: TERM_GAINS },
  muAngleStdTarget: {
    type: "choice",
    choices: members<MuAngleStdTargetKind>({ zero: true, isotropic: true }),
  },
  muRadiusTarget: NUMBER,
  sigma0: NON_NEGATIVE,
  sigmaRadiusTarget: NUMBER,
  sigmaRadiusStdTarget: NUMBER,
  numClasses: { type: "integer", min: 1 },
  spacing: { type: "integer", min: 1, limit: "maxLatentDim" },
  classStats: {
    type: "choice",
    choices: members<ClassStatsKind>({ pooled: true, perClass: true }),
  },
  rollSigma: BOOLEAN,
  allowMissingClasses: BOOLEAN,
  vaeReduce: {
    type: "choice",
    choices: members<VaeReduceKind>({ sum: true, mean: true }),
  },
  sigmaFloor: NON_NEGATIVE,
};

/**
 * Every {@linkcode TrainOptions} key and the JSON type `--config` must give
 * it; nested objects (`loss`, `loss.gains`, `loss.termGains`) list their own
 * keys. The one list of valid config keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TRAIN_CONFIG_SCHEMA } from "./train_config.ts";
 *
 * assert.equal(TRAIN_CONFIG_SCHEMA.epochs.type, "integer");
 * assert.equal(TRAIN_CONFIG_SCHEMA.outDir.type, "flag");
 * ```
 */
export const TRAIN_CONFIG_SCHEMA: Readonly<
  Record<keyof TrainOptions, ConfigField>
> = Object.freeze<Record<keyof TrainOptions, ConfigField>>({
  preset: { type: "choice", choices: PRESETS },
  variant: { type: "choice", choices: VARIANTS },
  radiusOnly: BOOLEAN,
  latentDim: { type: "integer", min: 2, limit: "maxLatentDim" },
  widths: { type: "list", items: { type: "integer", min: 1 } },
  epochs: { type: "integer", min: 1 },
  batchSize: { type: "integer", min: 1 },
  learningRate: POSITIVE,
  lrMilestones: { type: "list", items: { type: "integer", min: 0 } },
  beta: NON_NEGATIVE,
  warmup: { type: "integer", min: 0 },
  semiSupervised: BOOLEAN,
  loss: { type: "object", keys: LOSS },
  reconstruction: { type: "choice", choices: ["sum", "mean"] },
  seed: { type: "integer", min: 0 },
  validationSplit: { type: "number", min: 0, below: 1 },
  outDir: { type: "flag", flag: "--out" },
  dataSource: { type: "flag", flag: "--data" },
  resume: { type: "flag", flag: "--resume" },
  fitBank: BOOLEAN,
  progress: {
    type: "choice",
    choices: members<ProgressMode>({
      auto: true,
      bar: true,
      lines: true,
      none: true,
    }),
  },
  onEpoch: { type: "api" },
  onStep: { type: "api" },
  signal: { type: "api" },
  handleSigint: BOOLEAN,
});

/** "an integer >= 1", "one of "a", "b"", ... */
function expected(f: ConfigField): string {
  switch (f.type) {
    case "number": {
      const lo = f.min === undefined
        ? ""
        : ` ${f.exclusiveMin ? ">" : ">="} ${f.min}`;
      const hi = f.below === undefined ? "" : ` and < ${f.below}`;
      return `a number${lo}${hi}`;
    }
    case "integer":
      return `an integer >= ${f.min}`;
    case "boolean":
      return "true or false";
    case "choice":
      return `one of ${f.choices.map((c) => JSON.stringify(c)).join(", ")}`;
    case "list":
      return `a list, each item ${expected(f.items)}`;
    case "object":
      return "an object";
    case "either":
      return f.of.map(expected).join(", or ");
    case "flag":
    case "api":
      return "not set in a config";
    default: {
      const never: never = f;
      return String(never);
    }
  }
}

/** The value as the message shows it. */
function shown(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Whether `v` fits `f` (without the limit check). */
function fits(f: ConfigField, v: unknown): boolean {
  switch (f.type) {
    case "number":
      return typeof v === "number" && Number.isFinite(v) &&
        (f.min === undefined || (f.exclusiveMin ? v > f.min : v >= f.min)) &&
        (f.below === undefined || v < f.below);
    case "integer":
      return typeof v === "number" && Number.isInteger(v) && v >= f.min;
    case "boolean":
      return typeof v === "boolean";
    case "choice":
      return typeof v === "string" && f.choices.includes(v);
    case "list":
      return Array.isArray(v) && v.every((x) => fits(f.items, x));
    case "object":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "either":
      return f.of.some((g) => fits(g, v));
    case "flag":
    case "api":
      return false;
    default: {
      const never: never = f;
      return never;
    }
  }
}

/** Checks `value` against `keys`, naming keys by their dotted path. */
function checkObject(
  value: Record<string, unknown>,
  keys: Readonly<Record<string, ConfigField>>,
  prefix: string,
  fail: (reason: string) => never,
): void {
  const names = Object.keys(keys);
  for (const [k, v] of Object.entries(value)) {
    const key = `${prefix}${k}`;
    const f = Object.hasOwn(keys, k) ? keys[k] : undefined;
    if (f === undefined) {
      const near = closest(k, names);
      fail(
        `unknown key ${JSON.stringify(key)}; ${
          near
            ? `did you mean ${JSON.stringify(prefix + near)}?`
            : `valid keys${prefix ? ` of "${prefix.slice(0, -1)}"` : ""}: ${
              names.map((n) => JSON.stringify(n)).join(", ")
            }`
        }`,
      );
    }
    if (f.type === "flag") {
      fail(`${JSON.stringify(key)} is set by a flag; use ${f.flag} instead`);
    }
    if (f.type === "api") {
      fail(
        `${
          JSON.stringify(key)
        } is a function, only for the trainVAE API; remove it`,
      );
    }
    if (v === null || !fits(f, v)) {
      fail(
        `${JSON.stringify(key)} must be ${expected(f)}, got ${shown(v)}`,
      );
    }
    if (f.type === "integer" && f.limit) {
      try {
        checkSize(`use ${JSON.stringify(key)}`, f.limit, v as number);
      } catch (e) {
        if (!(e instanceof LimitError)) throw e;
        fail(
          `${
            JSON.stringify(key)
          } = ${v} is beyond the limit ${f.limit} = ${e.allowed}; use a smaller value`,
        );
      }
    }
    if (f.type === "object") {
      checkObject(v as Record<string, unknown>, f.keys, `${key}.`, fail);
    }
  }
}

/**
 * Checks a parsed `--config` JSON value against
 * {@linkcode TRAIN_CONFIG_SCHEMA}.
 *
 * @param value The parsed JSON.
 * @param source The file, for the message.
 * @returns The value, typed as training options.
 * @throws {UsageError} For a value that is no object, an unknown key (with
 *   the closest valid key), a key set by a flag or only through the API, or
 *   a wrong type (naming the key and the expected type).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTrainConfig } from "./train_config.ts";
 *
 * assert.equal(checkTrainConfig({ epochs: 3 }, "c.json").epochs, 3);
 * assert.throws(
 *   () => checkTrainConfig({ epochz: 3 }, "c.json"),
 *   /unknown key "epochz"; did you mean "epochs"\?/,
 * );
 * assert.throws(
 *   () => checkTrainConfig({ loss: { gains: { muAngleMean: "1" } } }, "c.json"),
 *   /"loss.gains.muAngleMean" must be a number, got "1"/,
 * );
 * ```
 */
export function checkTrainConfig(
  value: unknown,
  source: string,
): TrainOptions {
  const fail = (reason: string): never => {
    throw new UsageError(
      `Cannot use --config ${JSON.stringify(source)}: ${reason}`,
    );
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail("expected a JSON object of trainVAE options");
  }
  checkObject(
    value as Record<string, unknown>,
    TRAIN_CONFIG_SCHEMA,
    "",
    fail,
  );
  return value as TrainOptions;
}
