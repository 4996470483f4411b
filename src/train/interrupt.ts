/**
 * Graceful interruption of a training run: an `AbortSignal` or Ctrl-C
 * (SIGINT) asks the loop to stop after the current batch.
 *
 * @module
 */

/** A stop request being watched; dispose it to remove its listeners. */
export interface InterruptWatch extends Disposable {
  /** Whether a stop was requested (signal aborted or Ctrl-C). */
  readonly stopped: boolean;
}

/**
 * Watches `signal` and, with `handleSigint` (not on Windows), Ctrl-C: the
 * first Ctrl-C sets {@linkcode InterruptWatch.stopped} and prints that a
 * checkpoint follows; a second exits the process with status 130.
 *
 * @param signal Aborting it requests a stop.
 * @param handleSigint Listen for SIGINT too.
 * @returns The watch (use it with `using`).
 *
 * @example An aborted signal
 * ```ts
 * import assert from "node:assert/strict";
 * import { watchInterrupt } from "./interrupt.ts";
 *
 * const ac = new AbortController();
 * using watch = watchInterrupt(ac.signal, false);
 * assert.equal(watch.stopped, false);
 * ac.abort();
 * assert.equal(watch.stopped, true);
 * ```
 */
export function watchInterrupt(
  signal: AbortSignal | undefined,
  handleSigint: boolean,
): InterruptWatch {
  let stop = false;
  const onAbort = () => (stop = true);
  signal?.addEventListener("abort", onAbort);
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints > 1) Deno.exit(130);
    stop = true;
    console.error(
      "\ninterrupt: finishing this batch and writing a checkpoint (Ctrl-C again to quit now)",
    );
  };
  const sigint = handleSigint && Deno.build.os !== "windows";
  if (sigint) Deno.addSignalListener("SIGINT", onSigint);
  return {
    get stopped() {
      return stop || (signal?.aborted ?? false);
    },
    [Symbol.dispose]() {
      signal?.removeEventListener("abort", onAbort);
      if (sigint) Deno.removeSignalListener("SIGINT", onSigint);
    },
  };
}
