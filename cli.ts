/**
 * The hsvae command line: `deno task <command> -- [flags]`, or
 * `deno run -A cli.ts <command> [flags]`. Parses into a typed command and
 * dispatches; usage errors exit 2 with one line, runtime errors exit 1 with a
 * clear message (`--verbose` shows the stack).
 *
 * Output folders (`--out`): a run locks its folder, so a second run into it
 * exits 1 ("another hsvae ... run is writing into it"); a folder holding a
 * previous result of the command exits 2 unless `--overwrite` (or, for
 * `train`, `--resume`) is given, and `--overwrite` exits 2, removing nothing,
 * when the folder holds files the command does not write. An empty `--out`,
 * or one that is a file, exits 2; a write the OS refuses exits 1 with
 * "Cannot write "<path>": <reason>; <fix>".
 *
 * @module
 */
import { parseCommand } from "./src/cli/parse.ts";
import { UsageError } from "./src/cli/usage_error.ts";
import {
  outputFolderErrorFrom,
  type OutputFolderProblem,
} from "./src/output_folder.ts";
import { runInfo } from "./src/cli/info.ts";
import { runTransform } from "./src/cli/transform.ts";
import { runTrain } from "./src/cli/train.ts";
import { runScore } from "./src/cli/score.ts";
import { runEval } from "./src/cli/eval.ts";
import { runDemo } from "./src/cli/demo.ts";

/** Output folder problems the user fixes with another `--out` or flag: exit 2. */
const USAGE_PROBLEMS: ReadonlySet<OutputFolderProblem> = new Set([
  "invalid",
  "notAFolder",
  "previousRun",
  "foreignFiles",
]);

/**
 * Runs the CLI on `argv` and returns the exit status.
 *
 * @param argv Arguments after the program name.
 * @returns 0 on success, 1 on a runtime error, 2 on a usage error, 130
 *   when training was interrupted.
 */
export async function main(argv: string[]): Promise<number> {
  const verbose = argv.includes("--verbose");
  try {
    const cmd = parseCommand(argv);
    switch (cmd.kind) {
      case "help":
        console.log(cmd.text);
        return 0;
      case "info":
        return await runInfo(cmd.common);
      case "transform":
        return await runTransform(cmd);
      case "train":
        return await runTrain(cmd);
      case "score":
        return await runScore(cmd);
      case "eval":
        return await runEval(cmd);
      case "demo":
        return await runDemo(cmd);
      default: {
        const never: never = cmd;
        throw new Error(`unhandled command ${JSON.stringify(never)}`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    const write = outputFolderErrorFrom(e);
    if (write) {
      console.error(`error: ${write.message}`);
      if (verbose && (e as Error).stack) console.error((e as Error).stack);
      return USAGE_PROBLEMS.has(write.problem) ? 2 : 1;
    }
    const err = e as Error;
    console.error(`error: ${err?.message ?? String(e)}`);
    if (verbose && err?.stack) console.error(err.stack);
    else console.error("(run with --verbose for the stack trace)");
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
