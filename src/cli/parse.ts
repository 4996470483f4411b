/**
 * Parses the command line into a typed command: one spec per command (flags,
 * defaults, help, example), validated here so the runners get clean values.
 *
 * @module
 */
import { isBackendChoice } from "../backend.ts";
import type { BackendChoice } from "../backend.ts";
import {
  DEFAULT_EPOCHS,
  DEFAULT_LATENT_DIM,
  DEFAULT_PRESET,
  DEFAULT_VARIANT,
  type LossPreset,
  type LossVariant,
  PRESET_DEFAULTS,
  type PresetDefaults,
  PRESETS,
  VARIANTS,
} from "../presets.ts";
import {
  choiceFlag,
  type FlagSpec,
  formatHelp,
  intFlag,
  numberFlag,
  parseFlags,
  stringFlag,
  UsageError,
} from "./_args.ts";
import { type DataFormat, FORMATS } from "./_data.ts";
import { checkSize, LimitError, type LimitName } from "../limits.ts";
import { checkOutputPath, OutputFolderError } from "../output_folder.ts";
import type { TrainOptions } from "../train.ts";
import { checkTrainConfig } from "./train_config.ts";

/** Flags every command shares after parsing. */
export interface CommonOptions {
  backend?: BackendChoice;
  json: boolean;
  verbose: boolean;
}

/** Training flags shared by `train`, `eval` and `demo`. */
export interface TrainFlags {
  variant?: LossVariant;
  preset?: LossPreset;
  latentDim?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  beta?: number;
  seed?: number;
  widths?: number[];
  /** `--config FILE`: a JSON object of trainVAE options (flags win). */
  configPath?: string;
}

/** A parsed command line. */
export type Command =
  | { kind: "help"; text: string }
  | { kind: "info"; common: CommonOptions }
  | {
    kind: "transform";
    common: CommonOptions;
    input: string;
    output: string;
    to: "angles" | "cosines";
    inverse: boolean;
    /** Replace an existing `--output` file. */
    overwrite: boolean;
  }
  | {
    kind: "train";
    common: CommonOptions;
    data?: string;
    format: DataFormat;
    normalClass?: number;
    semiSupervised: boolean;
    limit?: number;
    out?: string;
    resume: boolean;
    /** Remove the previous train result in `--out` first. */
    overwrite: boolean;
    train: TrainFlags;
  }
  | {
    kind: "score";
    common: CommonOptions;
    model: string;
    data?: string;
    format: DataFormat;
    split: "train" | "test";
    k: number;
    contamination?: number;
    limit?: number;
    out?: string;
    /** Replace the previous `scores.csv` in `--out`. */
    overwrite: boolean;
  }
  | {
    kind: "eval";
    common: CommonOptions;
    data?: string;
    format: DataFormat;
    protocol: "one-class" | "in-vs-out";
    /** A class, or every class in turn (the one-class sweep). */
    normalClass: number | "all";
    idClasses: number[];
    methods?: string[];
    seeds: number[];
    trainLimit?: number;
    testLimit?: number;
    /** Trainings at once ("auto": one per core on wasm/cpu). */
    jobs: number | "auto";
    out?: string;
    /** Remove the previous eval result in `--out` first. */
    overwrite: boolean;
    train: TrainFlags;
  }
  | {
    kind: "demo";
    common: CommonOptions;
    normalClass: number;
    epochs: number;
    trainLimit?: number;
    testLimit?: number;
    /** Trainings at once ("auto": one per core on wasm/cpu). */
    jobs: number | "auto";
    out?: string;
    /** Remove the previous demo result in `--out` first. */
    overwrite: boolean;
  };

/** The command names. */
export const COMMANDS = [
  "demo",
  "train",
  "score",
  "eval",
  "transform",
  "info",
] as const;

/** `["a", "b", "c"]` -> `"a, b or c"`. */
function orList(names: readonly string[]): string {
  return names.length < 2
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
}

/** A number as help shows it: `2e-4` rather than `0.0002`. */
function helpNumber(x: number): string {
  return x !== 0 && Math.abs(x) < 0.01 ? x.toExponential() : String(x);
}

/** A per-preset default for help, read from the table: "authors 200, paper 128". */
function perPreset(value: (d: PresetDefaults) => string): string {
  return PRESETS.map((p) => `${p} ${value(PRESET_DEFAULTS[p])}`).join(", ");
}

const DATA_FLAGS: Record<string, FlagSpec> = {
  data: {
    type: "string",
    value: "PATH",
    default: "bundled",
    help: "dataset: a file or folder, 'bundled' (data/) or 'fashion-mnist'",
  },
  format: {
    type: "string",
    value: "FMT",
    default: "auto",
    help: `data format: ${FORMATS.join(", ")}`,
  },
};

const TRAIN_FLAGS: Record<string, FlagSpec> = {
  variant: {
    type: "string",
    value: "V",
    default: DEFAULT_VARIANT,
    help: orList(VARIANTS),
  },
  preset: {
    type: "string",
    value: "P",
    default: DEFAULT_PRESET,
    help: `loss preset: ${orList(PRESETS)}`,
  },
  latent: {
    type: "string",
    value: "N",
    default: String(DEFAULT_LATENT_DIM),
    help: "latent dimension n",
  },
  epochs: {
    type: "string",
    value: "N",
    default: String(DEFAULT_EPOCHS),
    help: "training epochs",
  },
  "batch-size": {
    type: "string",
    value: "N",
    default: perPreset((d) => String(d.train.batchSize)),
    help: "mini-batch size",
  },
  lr: {
    type: "string",
    value: "X",
    default: perPreset((d) => helpNumber(d.train.learningRate)),
    help: "Adam learning rate",
  },
  beta: {
    type: "string",
    value: "X",
    default: perPreset((d) =>
      d.train.beta.kind === "auto" ? "auto" : helpNumber(d.train.beta.betaMax)
    ),
    help: "KL weight (see trainVAE)",
  },
  widths: {
    type: "string",
    value: "A,B,..",
    help: "encoder stage widths, e.g. 16,32,64,64",
  },
  seed: {
    type: "string",
    value: "N",
    default: "0",
    help: "seed of weights, batches and noise",
  },
  config: {
    type: "string",
    value: "FILE",
    help: "JSON file of trainVAE options (gains, priors...); flags override it",
  },
};

/** `--overwrite` of the commands that write into `--out`. */
function overwriteFlag(what: string): FlagSpec {
  return {
    type: "boolean",
    help:
      `replace ${what} (refused if the folder holds files hsvae did not write)`,
  };
}

/** Every command's flags, summary and example. */
export const SPECS: Record<
  typeof COMMANDS[number],
  { summary: string; flags: Record<string, FlagSpec>; example: string }
> = {
  demo: {
    summary:
      "the main job on the bundled Fashion-MNIST subset: one-class anomaly detection, Comp.VAE vs baselines, table + report",
    flags: {
      "normal-class": {
        type: "string",
        value: "K",
        default: "1 (Trouser)",
        help: "the normal class (0-9)",
      },
      epochs: {
        type: "string",
        value: "N",
        default: "6",
        help: "training epochs per model",
      },
      "train-limit": {
        type: "string",
        value: "N",
        help: "at most N normal training images (smoke runs)",
      },
      "test-limit": {
        type: "string",
        value: "N",
        help: "at most N test images (smoke runs)",
      },
      jobs: {
        type: "string",
        value: "N",
        default: "auto",
        help:
          "trainings at once, each in a worker (auto: one per core on wasm/cpu, 1 on webgpu)",
      },
      out: {
        type: "string",
        value: "DIR",
        default: "runs/<time>-demo",
        help: "output folder (new or empty, or a previous demo's)",
      },
      overwrite: overwriteFlag("a previous demo result in --out"),
    },
    example: "deno task demo -- --normal-class 7",
  },
  train: {
    summary: "train a (compressed) VAE and save it with its latent bank",
    flags: {
      ...DATA_FLAGS,
      "normal-class": {
        type: "string",
        value: "K",
        help:
          "one-class protocol: train on class K only (default: all training data)",
      },
      "semi-supervised": {
        type: "boolean",
        help: "use the labels for the class roll (METHOD.md §2)",
      },
      limit: {
        type: "string",
        value: "N",
        help: "load at most N images per split",
      },
      ...TRAIN_FLAGS,
      out: {
        type: "string",
        value: "DIR",
        default: "runs/<time>-train",
        help: "output folder (new or empty, or a previous training's)",
      },
      resume: {
        type: "boolean",
        help: "continue from the last checkpoint in --out",
      },
      overwrite: overwriteFlag("a previous training in --out"),
    },
    example:
      "deno task train -- --data bundled --normal-class 1 --epochs 20 --out runs/trouser",
  },
  score: {
    summary:
      "anomaly scores (mean distance to the 3 nearest bank latents) of a saved model -> scores.csv",
    flags: {
      model: {
        type: "string",
        value: "DIR",
        help: "a saved model folder (from train)",
      },
      ...DATA_FLAGS,
      split: {
        type: "string",
        value: "S",
        default: "test",
        help: "which split of --data: train or test",
      },
      k: {
        type: "string",
        value: "N",
        default: "3",
        help: "neighbours of the k-NN score",
      },
      contamination: {
        type: "string",
        value: "X",
        help:
          "add threshold/prediction columns: fraction in (0, 0.5] of training scores above it",
      },
      limit: { type: "string", value: "N", help: "score at most N images" },
      out: {
        type: "string",
        value: "DIR",
        default: "runs/<time>-score",
        help: "output folder (new or empty, or a previous score's)",
      },
      overwrite: overwriteFlag("a previous scores.csv in --out"),
    },
    example: "deno task score -- --model runs/trouser/model --data bundled",
  },
  eval: {
    summary:
      "the paper's ablation table on a one-class protocol -> results.json/.md, scores.csv, report.html",
    flags: {
      ...DATA_FLAGS,
      "normal-class": {
        type: "string",
        value: "K",
        default: "1",
        help:
          'the normal class, or "all" for the one-class sweep over every class',
      },
      protocol: {
        type: "string",
        value: "P",
        default: "one-class",
        help:
          "one-class (unsupervised) or in-vs-out (semi-supervised, class roll)",
      },
      "id-classes": {
        type: "string",
        value: "A,B,..",
        default: "0,1,2,3,4",
        help: "in-vs-out: the in-distribution classes; the others are OOD",
      },
      methods: {
        type: "string",
        value: "IDS",
        help: "comma-separated method ids (default: all)",
      },
      seeds: {
        type: "string",
        value: "A,B,..",
        default: "0",
        help: "seeds; more than one gives mean ± std",
      },
      "train-limit": {
        type: "string",
        value: "N",
        help: "at most N normal training images",
      },
      "test-limit": {
        type: "string",
        value: "N",
        help: "at most N test images",
      },
      jobs: {
        type: "string",
        value: "N",
        default: "auto",
        help:
          "trainings at once, each in a worker (auto: one per core on wasm/cpu, 1 on webgpu)",
      },
      ...TRAIN_FLAGS,
      out: {
        type: "string",
        value: "DIR",
        default: "runs/<time>-eval",
        help: "output folder (new or empty, or a previous eval's)",
      },
      overwrite: overwriteFlag("a previous eval result in --out"),
    },
    example: "deno task eval -- --normal-class 1 --epochs 10 --seeds 0,1,2",
  },
  transform: {
    summary:
      "Cartesian vectors (.npy, N x n) -> radius + angles (or cosines) .npy, and back with --inverse",
    flags: {
      input: {
        type: "string",
        value: "FILE",
        help: "input .npy (N x n, float)",
      },
      output: { type: "string", value: "FILE", help: "output .npy" },
      to: {
        type: "string",
        value: "W",
        default: "angles",
        help: "angles (column 0 radius, then phi_1..phi_{n-1}) or cosines",
      },
      inverse: {
        type: "boolean",
        help: "input is [radius, angles...]; output Cartesian",
      },
      overwrite: {
        type: "boolean",
        help: "replace an existing --output file",
      },
    },
    example: "deno task transform -- --input mu.npy --output mu_sph.npy",
  },
  info: {
    summary:
      "toolkit and Deno versions, the chosen backend and why, SIMD/threads, WebGPU adapter",
    flags: {},
    example: "deno task info -- --backend webgpu",
  },
};

function requireString(
  values: Record<string, string | boolean | undefined>,
  name: string,
  cmd: string,
): string {
  const v = stringFlag(values, name);
  if (v === undefined || v === "") {
    throw new UsageError(
      `Cannot run "${cmd}": --${name} is required; see "hsvae ${cmd} --help"`,
    );
  }
  return v;
}

/** `--out DIR`, checked: an empty or blank path, or a NUL byte, is a usage error. */
function outFlag(
  values: Record<string, string | boolean | undefined>,
): string | undefined {
  const raw = stringFlag(values, "out");
  if (raw === undefined) return undefined;
  try {
    return checkOutputPath(raw);
  } catch (e) {
    if (!(e instanceof OutputFolderError)) throw e;
    throw new UsageError(
      `Cannot use --out ${JSON.stringify(raw)}: ${
        e.message.replace(/^Cannot write "[^"]*": /, "")
      }`,
    );
  }
}

/** An integer flag also bounded by a limit of `LIMITS` (src/limits.ts). */
function limitedInt(
  values: Record<string, string | boolean | undefined>,
  name: string,
  min: number,
  limit: LimitName,
): number | undefined {
  const v = intFlag(values, name, undefined, min);
  if (v === undefined) return undefined;
  try {
    checkSize(`use --${name} "${values[name]}"`, limit, v);
  } catch (e) {
    if (!(e instanceof LimitError)) throw e;
    throw new UsageError(`${e.message}; use a smaller --${name}`);
  }
  return v;
}

function common(
  values: Record<string, string | boolean | undefined>,
): CommonOptions {
  const b = stringFlag(values, "backend");
  if (b !== undefined && !isBackendChoice(b)) {
    throw new UsageError(
      `Cannot use --backend "${b}": use one of auto, webgpu, wasm, cpu`,
    );
  }
  return {
    backend: b as BackendChoice | undefined,
    json: values.json === true,
    verbose: values.verbose === true,
  };
}

function intList(
  raw: string | undefined,
  name: string,
  min: number,
): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(",").map((s) => s.trim());
  const out = parts.map((p) => Number(p));
  if (
    parts.some((p) => p === "") ||
    out.some((v) => !Number.isInteger(v) || v < min)
  ) {
    throw new UsageError(
      `Cannot use --${name} "${raw}": give comma-separated integers >= ${min}`,
    );
  }
  return out;
}

function jobsFlag(
  values: Record<string, string | boolean | undefined>,
): number | "auto" {
  if (values.jobs === undefined || values.jobs === "auto") return "auto";
  return intFlag(values, "jobs", 1, 1)!;
}

function trainFlags(
  values: Record<string, string | boolean | undefined>,
): TrainFlags {
  return {
    variant: choiceFlag(values, "variant", undefined, VARIANTS),
    preset: choiceFlag(values, "preset", undefined, PRESETS),
    latentDim: limitedInt(values, "latent", 2, "maxLatentDim"),
    epochs: intFlag(values, "epochs", undefined, 1),
    batchSize: intFlag(values, "batch-size", undefined, 2),
    learningRate: numberFlag(values, "lr", undefined, 0, {
      exclusiveMin: true,
    }),
    beta: numberFlag(values, "beta", undefined, 0),
    seed: intFlag(values, "seed", undefined, 0),
    widths: intList(stringFlag(values, "widths"), "widths", 1),
    configPath: stringFlag(values, "config"),
  };
}

/**
 * Parses `argv` (without the program name) into a {@linkcode Command}.
 *
 * @param argv E.g. `["train", "--epochs", "3"]`.
 * @returns The command with validated values.
 * @throws {UsageError} For an unknown command or flag, a missing or bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommand } from "./parse.ts";
 *
 * const c = parseCommand(["train", "--epochs", "3", "--variant", "vmf"]);
 * assert.equal(c.kind, "train");
 * if (c.kind === "train") assert.equal(c.train.epochs, 3);
 * assert.throws(() => parseCommand(["train", "--epochs", "-1"]), /--epochs "-1"/);
 * ```
 */
export function parseCommand(argv: string[]): Command {
  // `deno task demo -- --out x` passes the "--" through: drop it
  const [name, ...after] = argv;
  const rest = after[0] === "--" ? after.slice(1) : after;
  if (
    name === undefined || name === "--help" || name === "-h" || name === "help"
  ) {
    return { kind: "help", text: mainHelp() };
  }
  if (!(COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(
      `Cannot run "${name}": unknown command; use one of ${
        COMMANDS.join(", ")
      }`,
    );
  }
  const cmd = name as typeof COMMANDS[number];
  const spec = SPECS[cmd];
  const { values, positionals } = parseFlags(cmd, rest, spec.flags);
  if (values.help) {
    return {
      kind: "help",
      text: formatHelp(cmd, spec.summary, spec.flags, spec.example),
    };
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `Cannot run "${cmd}": unexpected argument "${
        positionals[0]
      }"; flags take the form --name value`,
    );
  }
  const c = common(values);
  const format = choiceFlag(values, "format", "auto", FORMATS) ?? "auto";
  switch (cmd) {
    case "info":
      return { kind: "info", common: c };
    case "transform":
      return {
        kind: "transform",
        common: c,
        input: requireString(values, "input", cmd),
        output: requireString(values, "output", cmd),
        to: choiceFlag(values, "to", "angles", ["angles", "cosines"] as const)!,
        inverse: values.inverse === true,
        overwrite: values.overwrite === true,
      };
    case "train":
      if (values.resume === true && values.overwrite === true) {
        throw new UsageError(
          `Cannot run "train": --resume continues the run in --out, --overwrite replaces it; pass one of them`,
        );
      }
      return {
        kind: "train",
        common: c,
        data: stringFlag(values, "data"),
        format,
        normalClass: intFlag(values, "normal-class", undefined, 0),
        semiSupervised: values["semi-supervised"] === true,
        limit: intFlag(values, "limit", undefined, 1),
        out: outFlag(values),
        resume: values.resume === true,
        overwrite: values.overwrite === true,
        train: trainFlags(values),
      };
    case "score":
      return {
        kind: "score",
        common: c,
        model: requireString(values, "model", cmd),
        data: stringFlag(values, "data"),
        format,
        split: choiceFlag(values, "split", "test", ["train", "test"] as const)!,
        k: intFlag(values, "k", 3, 1)!,
        contamination: numberFlag(values, "contamination", undefined, 0, {
          exclusiveMin: true,
          max: 0.5,
        }),
        limit: intFlag(values, "limit", undefined, 1),
        out: outFlag(values),
        overwrite: values.overwrite === true,
      };
    case "eval":
      return {
        kind: "eval",
        common: c,
        data: stringFlag(values, "data"),
        format,
        protocol: choiceFlag(
          values,
          "protocol",
          "one-class",
          ["one-class", "in-vs-out"] as const,
        )!,
        normalClass: values["normal-class"] === "all"
          ? "all"
          : intFlag(values, "normal-class", 1, 0)!,
        idClasses: intList(stringFlag(values, "id-classes"), "id-classes", 0) ??
          [0, 1, 2, 3, 4],
        methods: stringFlag(values, "methods")?.split(",").map((s) => s.trim())
          .filter((s) => s),
        seeds: intList(stringFlag(values, "seeds"), "seeds", 0) ?? [0],
        trainLimit: intFlag(values, "train-limit", undefined, 1),
        testLimit: intFlag(values, "test-limit", undefined, 1),
        jobs: jobsFlag(values),
        out: outFlag(values),
        overwrite: values.overwrite === true,
        train: trainFlags(values),
      };
    case "demo":
      return {
        kind: "demo",
        common: c,
        normalClass: intFlag(values, "normal-class", 1, 0, 9)!,
        epochs: intFlag(values, "epochs", 6, 1)!,
        trainLimit: intFlag(values, "train-limit", undefined, 1),
        testLimit: intFlag(values, "test-limit", undefined, 1),
        jobs: jobsFlag(values),
        out: outFlag(values),
        overwrite: values.overwrite === true,
      };
    default: {
      const never: never = cmd;
      throw new UsageError(`Cannot run "${never}"`);
    }
  }
}

/** The top-level help. */
export function mainHelp(): string {
  const rows = COMMANDS.map((c) => `  ${c.padEnd(10)} ${SPECS[c].summary}`);
  return `hsvae: anomaly detection with hyperspherical compressed VAEs\n\nUsage: deno task <command> -- [flags]   (or: deno run -A cli.ts <command> [flags])\n\nCommands:\n${
    rows.join("\n")
  }\n\nRun "deno task <command> -- --help" for a command's flags.\n`;
}

/**
 * Reads `--config FILE`, a JSON object of trainVAE options, checked against
 * `TRAIN_CONFIG_SCHEMA` (src/cli/train_config.ts).
 *
 * @param path The file.
 * @returns The options.
 * @throws {UsageError} When the file is missing, not a JSON object, has an
 *   unknown key (the message names the closest valid one) or a value of the
 *   wrong type (the message names the key and the expected type).
 */
export async function readConfig(path: string): Promise<TrainOptions> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    throw new UsageError(`Cannot use --config "${path}": no such file`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(
      `Cannot use --config "${path}": not valid JSON (${(e as Error).message})`,
    );
  }
  return checkTrainConfig(v, path);
}
