/**
 * Output discipline of the CLI: result files under `--out` (default
 * `runs/<timestamp>-<command>`), opened through `openOutputFolder` (locked
 * for the run, a previous result refused unless `--overwrite` / `--resume`),
 * the human summary on stdout, progress and logs on stderr, `--json` for a
 * machine-readable stdout.
 *
 * @module
 */
import {
  openOutputFolder,
  type OutputFolder,
  outputFolderErrorFrom,
  type OutputFolderMode,
  type RunKind,
} from "../output_folder.ts";

/**
 * Opens the output folder of `command` for the whole run: `--out`, or a new
 * `runs/<timestamp>-<command>`.
 *
 * @param out `--out`, already checked by the parser.
 * @param command The command, for the default name.
 * @param kind Which files are the command's own.
 * @param mode `"overwrite"` with `--overwrite`, `"resume"` with `--resume`.
 * @returns The folder, locked until it is released.
 * @throws {OutputFolderError} When the folder cannot be used.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openOut } from "./_out.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/scores.csv`, "id,score\n");
 * await assert.rejects(openOut(dir, "score", "score", "new"), /pass --overwrite/);
 * (await openOut(dir, "score", "score", "overwrite")).release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openOut(
  out: string | undefined,
  command: string,
  kind: RunKind,
  mode: OutputFolderMode,
): Promise<OutputFolder> {
  const dir = out ??
    `runs/${new Date().toISOString().replace(/[:.]/g, "-")}-${command}`;
  return await openOutputFolder(dir, {
    kind,
    mode,
    hints: {
      overwrite: "--overwrite",
      resume: command === "train" ? "--resume" : undefined,
    },
  });
}

/**
 * Runs `work`, rewording the OS errors of writes under `folder` as
 * "Cannot write "<path>": <reason>; <fix>".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { openOut, writingInto } from "./_out.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await using folder = await openOut(`${dir}/run`, "score", "score", "new");
 * await Deno.writeTextFile(`${folder.path}/f`, "");
 * await assert.rejects(
 *   writingInto(folder, () => Deno.writeTextFile(`${folder.path}/f/x`, "")),
 *   /Cannot write ".*f\/x": a part of the path is a file/,
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writingInto<T>(
  folder: OutputFolder,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw outputFolderErrorFrom(e, folder.path) ?? e;
  }
}

/** Prints the summary: `json` to stdout as one JSON document, else `human`. */
export function emit(json: boolean, summary: unknown, human: string): void {
  if (json) console.log(JSON.stringify(summary, null, 2));
  else console.log(human);
}

/** A log line on stderr. */
export function log(msg: string): void {
  console.error(msg);
}
