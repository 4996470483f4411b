/**
 * What a load left out on purpose, as lines for a log: images beyond
 * `limit` (from `Dataset.available`) and the entries a folder loader
 * skipped (from {@linkcode SkippedEntries}). The CLI prints them on stderr,
 * so nothing is dropped without a word.
 *
 * @module
 */
import type { LoadedData } from "./load_any.ts";
import type { SkippedEntries } from "./skipped_entries.ts";

/** How each skip reason reads in a note. */
const REASONS: Readonly<Record<keyof SkippedEntries, string>> = Object.freeze({
  hidden: "hidden",
  unsupported: "not .png/.jpg/.jpeg",
  outsideLayout: "outside the class folders",
  brokenLinks: "broken links",
  symlinkCycles: "symlink cycles (read once)",
  special: "special files",
});

/**
 * The notes of a load: one line per split cut by `limit`, one line for the
 * skipped entries (non-zero reasons only); none when nothing was left out.
 *
 * @param data What {@linkcode loadAny} returned.
 * @returns Lines such as `kept 100 of 6000 train images (limit)` and
 *   `skipped 3 entries in "imgs": 1 hidden, 2 not .png/.jpg/.jpeg`.
 *
 * @example A limited load says what it kept
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadAny, loadNotes } from "@hsvae/hsvae";
 *
 * const data = await loadAny("bundled", { limit: 10 });
 * assert.match(loadNotes(data)[0], /^kept 10 of \d+ train images \(limit\)$/);
 * assert.deepEqual(loadNotes(await loadAny("bundled")), []);
 * ```
 */
export function loadNotes(data: LoadedData): string[] {
  const notes: string[] = [];
  const splits = [["train", data.train], ["test", data.test]] as const;
  for (const [name, ds] of splits) {
    if (ds?.available !== undefined && ds.available > ds.shape[0]) {
      notes.push(
        `kept ${ds.shape[0]} of ${ds.available} ${name} images (limit)`,
      );
    }
  }
  if (data.skipped) {
    const parts = (Object.keys(REASONS) as (keyof SkippedEntries)[])
      .filter((k) => data.skipped![k] > 0)
      .map((k) => `${data.skipped![k]} ${REASONS[k]}`);
    const total = Object.values(data.skipped).reduce((a, b) => a + b, 0);
    if (total > 0) {
      notes.push(
        `skipped ${total} entries in "${data.source}": ${parts.join(", ")}`,
      );
    }
  }
  return notes;
}
