/**
 * Progress reporting for long work: a bar with ETA on a terminal, plain
 * lines otherwise, always on stderr so stdout stays machine-readable.
 *
 * @module
 */

/** How progress is shown: `"auto"` picks `"bar"` on a TTY, else `"lines"`. */
export type ProgressMode = "auto" | "bar" | "lines" | "none";

/**
 * Formats seconds as `1h02m`, `3m05s` or `12s` (`?` when unknown).
 *
 * @param seconds A duration in seconds.
 * @returns The short form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "@hsvae/hsvae";
 *
 * assert.equal(formatDuration(185), "3m05s");
 * assert.equal(formatDuration(3720), "1h02m");
 * assert.equal(formatDuration(NaN), "?");
 * ```
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${
      String(Math.floor((s % 3600) / 60)).padStart(2, "0")
    }m`;
  }
  if (s >= 60) {
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
  return `${s}s`;
}

function isTty(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

/**
 * A progress reporter over `total` units of work.
 *
 * @example Counting silently
 * ```ts
 * import assert from "node:assert/strict";
 * import { Progress } from "@hsvae/hsvae";
 *
 * const p = new Progress("epoch 1", 10, { mode: "none" });
 * p.tick(4, "loss 1.0");
 * assert.equal(p.done, 4);
 * p.finish();
 * ```
 */
export class Progress {
  /** Units done so far. */
  done = 0;
  readonly #label: string;
  readonly #total: number;
  readonly #mode: Exclude<ProgressMode, "auto">;
  readonly #start = performance.now();
  #lastLine = 0;
  readonly #enc = new TextEncoder();

  /**
   * Creates a reporter; nothing is printed until the first tick.
   *
   * @param label Shown before the bar, e.g. `"epoch 3/10"`.
   * @param total Units of work (e.g. batches).
   * @param options `mode` (default `"auto"`).
   */
  constructor(
    label: string,
    total: number,
    options: { mode?: ProgressMode } = {},
  ) {
    this.#label = label;
    this.#total = Math.max(1, total);
    const mode = options.mode ?? "auto";
    this.#mode = mode === "auto" ? (isTty() ? "bar" : "lines") : mode;
  }

  #write(s: string): void {
    Deno.stderr.writeSync(this.#enc.encode(s));
  }

  /**
   * Advances by `n` units and redraws.
   *
   * @param n Units just finished.
   * @param note Short status, e.g. the running loss.
   */
  tick(n = 1, note = ""): void {
    this.done += n;
    if (this.#mode === "none") return;
    const elapsed = (performance.now() - this.#start) / 1000;
    const frac = Math.min(1, this.done / this.#total);
    const eta = frac > 0 ? elapsed * (1 - frac) / frac : NaN;
    if (this.#mode === "bar") {
      const width = 24;
      const full = Math.round(frac * width);
      const bar = "=".repeat(full) + " ".repeat(width - full);
      this.#write(
        `\r${this.#label} [${bar}] ${
          Math.round(frac * 100)
        }% ${this.done}/${this.#total} ETA ${
          formatDuration(eta)
        } ${note}\x1b[K`,
      );
    } else {
      // plain lines: at most one every 10% of the work
      const step = Math.floor(frac * 10);
      if (step > this.#lastLine || this.done === this.#total) {
        this.#lastLine = step;
        this.#write(
          `${this.#label}: ${this.done}/${this.#total} (${
            Math.round(frac * 100)
          }%), ETA ${formatDuration(eta)} ${note}\n`,
        );
      }
    }
  }

  /**
   * Ends the bar (newline on a terminal) and prints a final note.
   *
   * @param note Printed after the label, e.g. a summary.
   */
  finish(note = ""): void {
    if (this.#mode === "none") return;
    if (this.#mode === "bar") this.#write("\n");
    if (note) this.#write(`${this.#label}: ${note}\n`);
  }
}
