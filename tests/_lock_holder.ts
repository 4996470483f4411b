/**
 * Another process holding an output folder's lock, for the tests that
 * check a second run is refused and that the lock dies with its holder.
 *
 * @module
 */
import type { OutputFolderMode, RunKind } from "../src/output_folder.ts";

/** A child process that holds `openOutputFolder(dir)` until killed. */
export interface LockHolder extends AsyncDisposable {
  /** The child's process id. */
  pid: number;
  /** SIGKILLs the child and waits for it to end (twice is fine). */
  kill(): Promise<void>;
}

/**
 * Starts a `deno eval` child that opens `dir` with `openOutputFolder` and
 * waits; resolves once it holds the lock.
 *
 * @param dir The folder.
 * @param options The child's `kind` and `mode`.
 * @returns The holder; `await using` kills it at the end of the scope.
 */
export async function holdOutputFolder(
  dir: string,
  options: { kind: RunKind; mode?: OutputFolderMode },
): Promise<LockHolder> {
  const module = new URL("../src/output_folder.ts", import.meta.url).href;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `const { openOutputFolder } = await import(${JSON.stringify(module)});
       await openOutputFolder(${JSON.stringify(dir)}, ${
        JSON.stringify(options)
      });
       console.log("locked");
       await new Promise(() => setInterval(() => {}, 1000));`,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let killed = false;
  const kill = async () => {
    if (killed) return;
    killed = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await child.stdout.cancel().catch(() => {});
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream())
    .getReader();
  let seen = "";
  while (!seen.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) {
      await kill();
      throw new Error(`the lock holder exited early: ${seen}`);
    }
    seen += value;
  }
  reader.releaseLock();
  return { pid: child.pid, kill, [Symbol.asyncDispose]: kill };
}
