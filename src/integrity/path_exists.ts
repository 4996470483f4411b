/**
 * Whether a path exists, without following a final symbolic link: the
 * check the save, load and checkpoint code make before trusting a folder.
 *
 * @module
 */

/**
 * True when `path` names anything (a file, a folder, a link, even a
 * broken one); false when it does not exist.
 *
 * @param path The path.
 * @returns Whether `Deno.lstat` finds it.
 * @throws Any error of `lstat` other than `NotFound` (no permission, ...).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pathExists } from "./path_exists.ts";
 *
 * const dir = await Deno.makeTempDir();
 * assert.equal(await pathExists(dir), true);
 * assert.equal(await pathExists(`${dir}/nothing`), false);
 * await Deno.remove(dir);
 * ```
 */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}
