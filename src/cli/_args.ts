/**
 * The one module that touches the argument parser. JSR's `@std/cli` cannot be
 * reached from our machines, so this wraps Node's built-in
 * `node:util` `parseArgs`; switching later is a change to this file only.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { UsageError } from "./usage_error.ts";
import { closest } from "./_closest.ts";

// The commands and parse.ts throw UsageError from here; it lives in
// usage_error.ts so that cli.ts can catch it without reaching into this
// folder-private file.
export { UsageError };

/** One flag of a command. */
export interface FlagSpec {
  /** `string` flags take a value, `boolean` flags do not. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** Shown in `--help`. */
  help: string;
  /** Shown in `--help` as the default. */
  default?: string;
  /** Shown in `--help` as the value's name, e.g. `N` or `DIR`. */
  value?: string;
}

/** The flags every command accepts. */
export const COMMON_FLAGS: Record<string, FlagSpec> = {
  help: { type: "boolean", short: "h", help: "show this help" },
  verbose: { type: "boolean", help: "show stack traces of runtime errors" },
  json: {
    type: "boolean",
    help: "print the machine-readable summary to stdout",
  },
  backend: {
    type: "string",
    value: "NAME",
    default: "auto (or $HSVAE_BACKEND)",
    help: "compute backend: auto, webgpu, wasm or cpu",
  },
};

/**
 * Parses `argv` against `flags` (plus {@linkcode COMMON_FLAGS}); unknown flags
 * and missing values become a {@linkcode UsageError} naming the flag.
 */
export function parseFlags(
  command: string,
  argv: string[],
  flags: Record<string, FlagSpec>,
): {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
} {
  const all = { ...COMMON_FLAGS, ...flags };
  const options: Record<
    string,
    { type: "string" | "boolean"; short?: string }
  > = {};
  for (const [name, spec] of Object.entries(all)) {
    options[name] = spec.short
      ? { type: spec.type, short: spec.short }
      : { type: spec.type };
  }
  // "--epochs -1": let a negative number be a value, so the validators can
  // name the flag and its range instead of parseArgs' "ambiguous" message
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : "";
    if (all[name]?.type === "string" && /^-\d|^-\./.test(argv[i + 1] ?? "")) {
      args.push(`${argv[i]}=${argv[i + 1]}`);
      i++;
    } else {
      args.push(argv[i]);
    }
  }
  try {
    const { values, positionals } = parseArgs({
      args,
      options,
      allowPositionals: true,
      strict: true,
    });
    return {
      values: values as Record<string, string | boolean | undefined>,
      positionals,
    };
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = msg.match(/Unknown option '([^']+)'/);
    if (unknown) {
      const near = closest(unknown[1].replace(/^-+/, ""), Object.keys(all));
      throw new UsageError(
        `Cannot run "${command}": unknown flag "${unknown[1]}"; ${
          near ? `did you mean "--${near}"?` : `see "hsvae ${command} --help"`
        }`,
      );
    }
    const missing = msg.match(
      /Option '([^']+?)(?: <value>)?' argument missing/,
    );
    if (missing) {
      throw new UsageError(
        `Cannot run "${command}": flag "${missing[1]}" needs a value`,
      );
    }
    throw new UsageError(`Cannot run "${command}": ${msg}`);
  }
}

/** Reads an integer flag with bounds; the message names the flag and the range. */
export function intFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number | undefined,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (
    typeof raw !== "string" || raw.trim() === "" || !Number.isInteger(v) ||
    v < min || v > max
  ) {
    const range = max === Number.MAX_SAFE_INTEGER
      ? `an integer >= ${min}`
      : `an integer in [${min}, ${max}]`;
    throw new UsageError(`Cannot use --${name} "${raw}": it must be ${range}`);
  }
  return v;
}

/** Reads a number flag with bounds (inclusive min unless `exclusiveMin`). */
export function numberFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: number | undefined,
  min: number,
  options: { exclusiveMin?: boolean; max?: number } = {},
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const v = Number(raw);
  const max = options.max ?? Infinity;
  const okMin = options.exclusiveMin ? v > min : v >= min;
  if (
    typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v) ||
    !okMin || v > max
  ) {
    const lo = options.exclusiveMin ? `> ${min}` : `>= ${min}`;
    const hi = Number.isFinite(max) ? ` and <= ${max}` : "";
    throw new UsageError(
      `Cannot use --${name} "${raw}": it must be a number ${lo}${hi}`,
    );
  }
  return v;
}

/** Reads a string flag restricted to `choices`. */
export function choiceFlag<T extends string>(
  values: Record<string, string | boolean | undefined>,
  name: string,
  fallback: T | undefined,
  choices: readonly T[],
): T | undefined {
  const raw = values[name];
  if (raw === undefined) return fallback;
  if (
    typeof raw !== "string" || !(choices as readonly string[]).includes(raw)
  ) {
    throw new UsageError(
      `Cannot use --${name} "${raw}": use one of ${choices.join(", ")}`,
    );
  }
  return raw as T;
}

/** Reads a string flag. */
export function stringFlag(
  values: Record<string, string | boolean | undefined>,
  name: string,
): string | undefined {
  const raw = values[name];
  return typeof raw === "string" ? raw : undefined;
}

/** Formats the help of one command. */
export function formatHelp(
  command: string,
  summary: string,
  flags: Record<string, FlagSpec>,
  example: string,
): string {
  const all = { ...flags, ...COMMON_FLAGS };
  const rows = Object.entries(all).map(([name, s]) => {
    const left = `  ${s.short ? `-${s.short}, ` : "    "}--${name}${
      s.value ? ` ${s.value}` : ""
    }`;
    const def = s.default !== undefined ? ` (default: ${s.default})` : "";
    return `${left.padEnd(30)} ${s.help}${def}`;
  });
  return `hsvae ${command}: ${summary}\n\nUsage: deno task ${command} -- [flags]\n\nFlags:\n${
    rows.join("\n")
  }\n\nExample:\n  ${example}\n`;
}
