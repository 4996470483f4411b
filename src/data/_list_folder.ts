/**
 * Private folder listing shared by the folder loaders (image folders,
 * Mastcam): symlinks followed with loop protection, every entry left out
 * counted in a {@linkcode SkippedEntries}, the number of entries and the
 * nesting depth bounded by `LIMITS`.
 *
 * @module
 */
import { checkSize, LIMITS } from "../limits.ts";
import { noneSkipped, type SkippedEntries } from "./skipped_entries.ts";

/** State of one load: the counts, the folders read, the entries listed. */
export interface ListState {
  /** What the loader does, for limit messages (`load image folder "x"`). */
  action: string;
  /** What was left out. */
  skipped: SkippedEntries;
  /** Real paths of the folders read so far. */
  visited: Set<string>;
  /** Entries listed so far (bounded by `LIMITS.maxFolderFiles`). */
  listed: number;
}

/** A fresh {@linkcode ListState}. */
export function listState(action: string): ListState {
  return { action, skipped: noneSkipped(), visited: new Set(), listed: 0 };
}

/** A sub-folder found by {@linkcode listFolder}. */
export interface SubFolder {
  /** Its name in the listed folder. */
  name: string;
  /** Its real path (symlinks resolved). */
  real: string;
}

/** The files and sub-folders of one folder, names sorted. */
export interface Listing {
  /** The real path of the listed folder. */
  real: string;
  /** File names (symlinks to files included). */
  files: string[];
  /** Sub-folders (symlinks to folders included, cycles left out). */
  dirs: SubFolder[];
}

/**
 * Starts reading folder `path`: resolves its real path and refuses a
 * nesting deeper than `LIMITS.maxFolderDepth`. Returns `undefined` (and
 * counts a symlink cycle) when the folder was read before.
 *
 * @param path The folder.
 * @param state The load's state.
 * @param depth Nesting below the loader's root (0 for the root).
 */
export async function enterFolder(
  path: string,
  state: ListState,
  depth: number,
): Promise<string | undefined> {
  checkSize(`${state.action}: read "${path}"`, "maxFolderDepth", depth);
  const real = await Deno.realPath(path);
  if (state.visited.has(real)) {
    state.skipped.symlinkCycles++;
    return undefined;
  }
  state.visited.add(real);
  return real;
}

/**
 * Lists one folder: hidden entries, broken links and special files are
 * counted and left out; symlinks are followed (a link to a folder that is
 * `path` itself or one of `ancestors` is a cycle: counted, left out).
 *
 * @param path The folder.
 * @param real Its real path (from {@linkcode enterFolder}).
 * @param state The load's state.
 * @param ancestors Real paths of the folders above `path` in this walk.
 * @throws {LimitError} When the load lists more than
 * `LIMITS.maxFolderFiles` entries.
 */
export async function listFolder(
  path: string,
  real: string,
  state: ListState,
  ancestors: ReadonlySet<string> = new Set(),
): Promise<Listing> {
  const files: string[] = [];
  const dirs: SubFolder[] = [];
  const skipped = state.skipped;
  for await (const e of Deno.readDir(path)) {
    if (++state.listed > LIMITS.maxFolderFiles) {
      checkSize(
        `${state.action}: list "${path}"`,
        "maxFolderFiles",
        state.listed,
      );
    }
    if (e.name.startsWith(".")) {
      skipped.hidden++;
      continue;
    }
    let isFile = e.isFile;
    let isDirectory = e.isDirectory;
    if (e.isSymlink) {
      try {
        const info = await Deno.stat(`${path}/${e.name}`);
        isFile = info.isFile;
        isDirectory = info.isDirectory;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          skipped.brokenLinks++;
          continue;
        }
        if (err instanceof Deno.errors.FilesystemLoop) {
          skipped.symlinkCycles++;
          continue;
        }
        throw err;
      }
    }
    if (isFile) files.push(e.name);
    else if (isDirectory) {
      const target = e.isSymlink
        ? await Deno.realPath(`${path}/${e.name}`)
        : `${real}/${e.name}`;
      if (target === real || ancestors.has(target)) {
        skipped.symlinkCycles++;
        continue;
      }
      dirs.push({ name: e.name, real: target });
    } else skipped.special++;
  }
  files.sort();
  dirs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { real, files, dirs };
}

/**
 * All files under folder `path` whose names `keep` accepts, as paths
 * relative to `path` (sorted), following sub-folders and symlinks; files
 * `keep` refuses count as `unsupported`.
 *
 * @param path The folder.
 * @param state The load's state.
 * @param keep Which file names to return.
 * @param depth Nesting of `path` below the loader's root.
 * @param ancestors Real paths of the folders above `path`.
 * @throws {LimitError} Past `LIMITS.maxFolderDepth` or `maxFolderFiles`.
 */
export async function walkFiles(
  path: string,
  state: ListState,
  keep: (name: string) => boolean,
  depth: number,
  ancestors: ReadonlySet<string>,
): Promise<string[]> {
  const out: string[] = [];
  const walk = async (
    at: string,
    rel: string,
    d: number,
    ancestors: Set<string>,
  ): Promise<void> => {
    const real = await enterFolder(at, state, d);
    if (real === undefined) return;
    const { files, dirs } = await listFolder(at, real, state, ancestors);
    for (const f of files) {
      if (keep(f)) out.push(rel + f);
      else state.skipped.unsupported++;
    }
    const below = new Set(ancestors).add(real);
    for (const sub of dirs) {
      await walk(`${at}/${sub.name}`, `${rel}${sub.name}/`, d + 1, below);
    }
  };
  await walk(path, "", depth, new Set(ancestors));
  return out.sort();
}
