/**
 * Output discipline of the CLI: result files under `--out` (default
 * `runs/<timestamp>-<command>`), the human summary on stdout, progress and
 * logs on stderr, `--json` for a machine-readable stdout.
 *
 * @module
 */

/** Resolves and creates the output folder. */
export async function outDir(
  out: string | undefined,
  command: string,
): Promise<string> {
  const dir = out ??
    `runs/${new Date().toISOString().replace(/[:.]/g, "-")}-${command}`;
  await Deno.mkdir(dir, { recursive: true });
  return dir;
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
