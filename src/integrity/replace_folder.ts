/**
 * Replacing a whole folder atomically: the new contents go into a fresh
 * sibling `<target>.tmp-<uuid>`, then `<target>` is renamed to
 * `<target>.old-<uuid>`, the new folder is renamed to `<target>`, and the old
 * one is removed. A crash at any point leaves the old complete folder, the
 * new complete folder, or (between the two renames) no `<target>` but a
 * complete sibling that {@linkcode leftoverFolders} finds.
 *
 * Two saves into the same target at the same time are not supported: the
 * later one removes the earlier one's leftovers.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { MANIFEST_FILE } from "./manifest.ts";
import { pathExists } from "./path_exists.ts";

/** Options of {@linkcode replaceFolder}. */
export interface ReplaceFolderOptions {
  /**
   * Whether an existing `target` may be replaced (and so deleted); a target
   * it refuses is left alone and the call throws.
   * @default {an empty folder, or one holding `manifest.json`}
   */
  replaceable?: (target: string) => Promise<boolean>;
}

/** A sibling left by an interrupted {@linkcode replaceFolder}. */
export interface LeftoverFolder {
  /** Its path. */
  path: string;
  /** `"tmp"`: new contents not yet swapped in; `"old"`: the replaced folder. */
  kind: "tmp" | "old";
  /** Whether it holds a `manifest.json` (its contents were finished). */
  complete: boolean;
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function emptyOrManifest(target: string): Promise<boolean> {
  for await (const _ of Deno.readDir(target)) {
    return await pathExists(`${target}/${MANIFEST_FILE}`);
  }
  return true;
}

/** fsync a folder so the renames in it survive a power cut (best effort). */
async function syncFolder(path: string): Promise<void> {
  try {
    using f = await Deno.open(path, { read: true });
    await f.sync();
  } catch {
    // not supported on every platform (Windows): the renames still happened
  }
}

/**
 * Finds the siblings an interrupted {@linkcode replaceFolder} of `target`
 * left behind (`<target>.tmp-<uuid>`, `<target>.old-<uuid>`).
 *
 * @param target The folder that was being replaced.
 * @returns The leftovers, sorted by path; empty when the parent is missing.
 *
 * @example No leftovers beside a fresh folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { leftoverFolders } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * assert.deepEqual(await leftoverFolders(`${dir}/model`), []);
 * await Deno.remove(dir);
 * ```
 */
export async function leftoverFolders(
  target: string,
): Promise<LeftoverFolder[]> {
  const abs = resolve(target);
  const parent = dirname(abs);
  const re = new RegExp(`^${escapeRegExp(basename(abs))}\\.(tmp|old)-${UUID}$`);
  const out: LeftoverFolder[] = [];
  try {
    for await (const e of Deno.readDir(parent)) {
      const m = e.isDirectory ? re.exec(e.name) : null;
      if (m === null) continue;
      const path = `${parent}/${e.name}`;
      out.push({
        path,
        kind: m[1] as "tmp" | "old",
        complete: await pathExists(`${path}/${MANIFEST_FILE}`),
      });
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Replaces the folder `target` with one that `fill` writes, atomically (see
 * the module doc). When `fill` throws, its folder is removed and `target` is
 * untouched. After a successful swap, leftovers of earlier interrupted
 * replacements of `target` are removed too.
 *
 * @param target The folder to create or replace; its parent is created if
 * missing.
 * @param fill Writes the new contents into the folder it is given.
 * @param options See {@linkcode ReplaceFolderOptions}.
 * @returns Resolves once `target` holds the new contents.
 * @throws {Deno.errors.AlreadyExists} When `target` exists and is not a
 * folder, or `options.replaceable` refuses it.
 * @throws Whatever `fill` throws.
 *
 * @example A failed fill leaves the old folder as it was
 * ```ts
 * import assert from "node:assert/strict";
 * import { replaceFolder } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * const target = `${dir}/out`;
 * await replaceFolder(target, (tmp) => Deno.writeTextFile(`${tmp}/a.txt`, "one"));
 * await assert.rejects(replaceFolder(target, async (tmp) => {
 *   await Deno.writeTextFile(`${tmp}/a.txt`, "two");
 *   throw new Error("disk full");
 * }, { replaceable: async () => true }), /disk full/);
 * assert.equal(await Deno.readTextFile(`${target}/a.txt`), "one");
 * assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["out"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function replaceFolder(
  target: string,
  fill: (tmp: string) => Promise<void>,
  options: ReplaceFolderOptions = {},
): Promise<void> {
  const abs = resolve(target);
  const parent = dirname(abs);
  const id = crypto.randomUUID();
  const tmp = `${abs}.tmp-${id}`;
  const old = `${abs}.old-${id}`;
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.lstat(abs);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (info !== null) {
    const replaceable = options.replaceable ?? emptyOrManifest;
    if (!info.isDirectory || !(await replaceable(abs))) {
      throw new Deno.errors.AlreadyExists(
        `Cannot replace "${target}": it exists and is not a folder this toolkit wrote; choose a new or empty folder`,
      );
    }
  }
  await Deno.mkdir(parent, { recursive: true });
  await Deno.mkdir(tmp);
  try {
    await fill(tmp);
    await syncFolder(tmp);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  let moved = false;
  try {
    if (info !== null) {
      await Deno.rename(abs, old);
      moved = true;
    }
    await Deno.rename(tmp, abs);
  } catch (e) {
    if (moved) await Deno.rename(old, abs).catch(() => {});
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  await syncFolder(parent);
  for (const left of await leftoverFolders(abs)) {
    await Deno.remove(left.path, { recursive: true }).catch(() => {});
  }
}
