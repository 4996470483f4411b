/**
 * The counts a folder loader reports of what it left out on purpose.
 *
 * @module
 */

/**
 * What a folder loader (`loadImageFolder`, `loadMastcam`) left out on
 * purpose, by reason: every entry it listed and did not read is counted
 * once here.
 *
 * @example What a loader reports
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { loadImageFolder } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * const png = encode({ width: 1, height: 1, channels: 1, depth: 8, data: new Uint8Array(1) });
 * await Deno.writeFile(`${dir}/a.png`, png);
 * await Deno.writeFile(`${dir}/.b.png`, png);
 * await Deno.writeTextFile(`${dir}/notes.txt`, "");
 * const { skipped } = await loadImageFolder(dir);
 * await Deno.remove(dir, { recursive: true });
 * assert.equal(skipped.hidden, 1);
 * assert.equal(skipped.unsupported, 1);
 * ```
 */
export interface SkippedEntries {
  /** Files and folders whose name starts with `"."`. */
  hidden: number;
  /** Files of a type the loader does not read (by extension). */
  unsupported: number;
  /**
   * Files or folders where the layout reads none (an image beside the
   * class folders, a sub-folder of a Mastcam tile folder, Mastcam's
   * `test_novel/all/` when categories exist).
   */
  outsideLayout: number;
  /** Symbolic links whose target does not exist. */
  brokenLinks: number;
  /**
   * Folders reached through a symbolic link that leads back to a folder
   * already being read or already read (a cycle, or a second link to the
   * same folder): not read again.
   */
  symlinkCycles: number;
  /** Entries that are neither files nor folders (sockets, pipes, devices). */
  special: number;
}

/**
 * A {@linkcode SkippedEntries} with every count at 0.
 *
 * @returns Fresh counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { noneSkipped } from "@hsvae/hsvae";
 *
 * const s = noneSkipped();
 * s.hidden++;
 * assert.equal(Object.values(s).reduce((a, b) => a + b, 0), 1);
 * ```
 */
export function noneSkipped(): SkippedEntries {
  return {
    hidden: 0,
    unsupported: 0,
    outsideLayout: 0,
    brokenLinks: 0,
    symlinkCycles: 0,
    special: 0,
  };
}
