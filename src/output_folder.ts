/**
 * The folder a run writes into, with three guarantees: the path is usable
 * (not empty, not a file, its parents are folders), one run at a time owns it
 * (an exclusive lock on `<folder>/.hsvae.lock`), and a previous result is
 * never replaced or mixed with silently (mode `"new"` refuses it, `"resume"`
 * continues it, `"overwrite"` removes it first).
 *
 * A folder belongs to one kind of run; {@linkcode RUN_LAYOUTS} lists the
 * top-level names each kind writes. A name of that list marks a previous
 * result; any other name is a file hsvae did not write there, which mode
 * `"new"` and `"overwrite"` refuse, so nothing of the user's is ever removed
 * or mixed into a run folder.
 *
 * The lock is an OS file lock (`flock`), held through an open file handle:
 * the kernel releases it when the process ends, even on SIGKILL, so a crashed
 * run never leaves a stale lock. The lock file stays in the folder after the
 * run (removing it would let two runs lock two different files).
 *
 * {@linkcode outputFolderErrorFrom} turns the OS errors of writing anywhere
 * (`File exists (os error 17): mkdir ...`) into an
 * {@linkcode OutputFolderError} worded "Cannot write "<path>": <reason>;
 * <fix>".
 *
 * @example A run folder: create, lock, refuse a second owner
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputFolderError, openOutputFolder } from "@hsvae/hsvae";
 *
 * const dir = `${await Deno.makeTempDir()}/run`;
 * {
 *   await using folder = await openOutputFolder(dir, { kind: "score" });
 *   await Deno.writeTextFile(`${folder.path}/scores.csv`, "id,score\n");
 *   await assert.rejects(
 *     openOutputFolder(dir, { kind: "score", mode: "resume" }),
 *     (e: unknown) => e instanceof OutputFolderError && e.problem === "locked",
 *   );
 * }
 * // released; the previous result now needs mode "overwrite"
 * await assert.rejects(
 *   openOutputFolder(dir, { kind: "score" }),
 *   /holds a previous score result \("scores.csv"\)/,
 * );
 * const again = await openOutputFolder(dir, { kind: "score", mode: "overwrite" });
 * again.release();
 * await assert.rejects(Deno.stat(`${dir}/scores.csv`), Deno.errors.NotFound);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

/** The lock file's name inside every output folder. */
export const LOCK_FILE = ".hsvae.lock";

/**
 * The top-level names each kind of run writes into its folder (`*` matches
 * any characters). `*.tmp-*` are the leftovers of an interrupted atomic
 * write; `model.*` those of an interrupted model save.
 */
export const RUN_LAYOUTS: Readonly<{
  /** `trainVAE` (`train.jsonl`, `checkpoints/`) and `hsvae train` (`model/`). */
  train: readonly string[];
  /** `hsvae score`. */
  score: readonly string[];
  /** `evaluate` and `hsvae eval` / `hsvae demo` (with the per-class sweep). */
  eval: readonly string[];
}> = Object.freeze({
  train: Object.freeze([
    "model",
    "model.*",
    "train.jsonl",
    "checkpoints",
    "*.tmp-*",
  ]),
  score: Object.freeze(["scores.csv", "*.tmp-*"]),
  eval: Object.freeze([
    "results.json",
    "results.md",
    "scores.csv",
    "report.html",
    "report-*.svg",
    "summary.md",
    "summary.json",
    "class-*",
    "*.tmp-*",
  ]),
});

/** A kind of run, a key of {@linkcode RUN_LAYOUTS}. */
export type RunKind = keyof typeof RUN_LAYOUTS;

/**
 * What to do with a previous result in the folder: `"new"` refuses it,
 * `"resume"` keeps it (the run continues it), `"overwrite"` removes it.
 */
export type OutputFolderMode = "new" | "resume" | "overwrite";

/**
 * Why an output folder cannot be used:
 * - `"invalid"`: the path is empty, blank or holds a NUL byte;
 * - `"notAFolder"`: the path, or one of its parents, is a file;
 * - `"previousRun"`: it holds a previous result and the mode is `"new"`;
 * - `"foreignFiles"`: it holds files this kind of run does not write;
 * - `"locked"`: another run holds its lock;
 * - `"io"`: the OS refused a write (permissions, no space, ...).
 *
 * The first four are fixed by choosing another path or mode (the CLI exits
 * with status 2); the last two by the environment (status 1).
 */
export type OutputFolderProblem =
  | "invalid"
  | "notAFolder"
  | "previousRun"
  | "foreignFiles"
  | "locked"
  | "io";

/**
 * A folder, or a file in it, cannot be written. The message reads
 * "Cannot write "<path>": <reason>; <fix>"; `cause` holds the OS error when
 * there is one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OutputFolderError } from "@hsvae/hsvae";
 *
 * const e = new OutputFolderError("out", "locked", "another run holds it", "wait for it");
 * assert.equal(e.message, 'Cannot write "out": another run holds it; wait for it');
 * assert.equal(e.path, "out");
 * ```
 */
export class OutputFolderError extends Error {
  /** The path that cannot be written. */
  readonly path: string;
  /** Which kind of problem it is. */
  readonly problem: OutputFolderProblem;
  /**
   * Creates an output folder error.
   *
   * @param path The path that cannot be written.
   * @param problem Which kind of problem it is.
   * @param reason Why, e.g. "it is a file, not a folder".
   * @param fix What to do, e.g. "choose another folder".
   * @param options `cause`: the OS error.
   */
  constructor(
    path: string,
    problem: OutputFolderProblem,
    reason: string,
    fix: string,
    options?: ErrorOptions,
  ) {
    super(`Cannot write ${JSON.stringify(path)}: ${reason}; ${fix}`, options);
    this.name = "OutputFolderError";
    this.path = path;
    this.problem = problem;
  }
}

/**
 * Checks an output path before anything touches the disk and normalises it
 * (trailing slashes dropped, `/` kept).
 *
 * @param path The folder's path, as given.
 * @returns The path without trailing slashes.
 * @throws {OutputFolderError} With problem `"invalid"` for an empty or blank
 *   path, or one holding a NUL byte.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOutputPath } from "@hsvae/hsvae";
 *
 * assert.equal(checkOutputPath("runs/a/"), "runs/a");
 * assert.throws(() => checkOutputPath(""), /Cannot write "": the path is empty/);
 * ```
 */
export function checkOutputPath(path: string): string {
  if (typeof path !== "string" || path === "") {
    throw new OutputFolderError(
      String(path ?? ""),
      "invalid",
      "the path is empty (it would write into the current folder or the root)",
      "give a folder path such as runs/my-run",
    );
  }
  if (path.trim() === "") {
    throw new OutputFolderError(
      path,
      "invalid",
      "the path is blank",
      "give a folder path such as runs/my-run",
    );
  }
  if (path.includes("\0")) {
    throw new OutputFolderError(
      path,
      "invalid",
      "the path holds a NUL byte",
      "remove it from the path",
    );
  }
  const trimmed = path.replace(/\/+$/, "");
  return trimmed === "" ? "/" : trimmed;
}

/** Options of {@linkcode openOutputFolder}. */
export interface OpenOutputFolderOptions {
  /** The kind of run: which names of {@linkcode RUN_LAYOUTS} are its own. */
  kind: RunKind;
  /**
   * What to do with a previous result in the folder.
   * @default {"new"}
   */
  mode?: OutputFolderMode;
  /**
   * How messages name the ways out, e.g. `{ overwrite: "--overwrite" }`.
   * @default {{ overwrite: 'mode "overwrite"', resume: 'mode "resume"' }}
   */
  hints?: { overwrite?: string; resume?: string };
}

/**
 * An output folder this process owns until {@linkcode OutputFolder.release}
 * (or the end of a `using` / `await using` block).
 */
export interface OutputFolder extends Disposable, AsyncDisposable {
  /** The folder's path (normalised by {@linkcode checkOutputPath}). */
  readonly path: string;
  /** The lock file's path. */
  readonly lockPath: string;
  /** Releases the lock; calling it again does nothing. */
  release(): void;
}

/** What the lock file records about its holder. */
interface LockHolder {
  pid: number;
  kind: string;
  started: string;
}

/** Whether `name` matches a layout pattern (`*` = any characters). */
function matches(name: string, pattern: string): boolean {
  if (!pattern.includes("*")) return name === pattern;
  const re = new RegExp(
    `^${
      pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")
    }$`,
  );
  return re.test(name);
}

/** `["a", "b"]` -> `"a", "b"`, at most three names then "and N more". */
function quoteNames(names: string[]): string {
  const shown = names.slice(0, 3).map((n) => JSON.stringify(n)).join(", ");
  return names.length > 3 ? `${shown} and ${names.length - 3} more` : shown;
}

/** The first existing ancestor of `path` that is not a folder, if any. */
async function fileInTheWay(path: string): Promise<string | undefined> {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) {
    const p = parts.slice(0, i).join("/");
    if (p === "" || p === ".") continue;
    try {
      const s = await Deno.stat(p);
      if (!s.isDirectory) return p;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The error for a failed stat or mkdir of `path`: a file in the way, or the OS error. */
async function creationError(path: string, e: unknown): Promise<unknown> {
  const file = await fileInTheWay(path);
  if (file === undefined) return osError(e, path);
  return new OutputFolderError(
    path,
    "notAFolder",
    `its parent ${JSON.stringify(file)} is a file, not a folder`,
    "remove the file or choose another folder",
    { cause: e },
  );
}

/** Creates the folder (and its parents); a failure becomes an OutputFolderError. */
async function createFolder(path: string): Promise<void> {
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) {
      throw await creationError(path, e);
    }
  }
  if (info && !info.isDirectory) {
    throw new OutputFolderError(
      path,
      "notAFolder",
      "it is a file, not a folder",
      "remove the file or choose another folder",
    );
  }
  if (info) return;
  try {
    await Deno.mkdir(path, { recursive: true });
  } catch (e) {
    throw await creationError(path, e);
  }
}

/** Reads who holds the lock, for the message; undefined when unreadable. */
async function readHolder(lockPath: string): Promise<LockHolder | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(lockPath));
    return typeof v?.pid === "number" ? v as LockHolder : undefined;
  } catch {
    return undefined;
  }
}

/** Opens and locks `<path>/.hsvae.lock`; the handle holds the lock. */
async function takeLock(path: string, kind: RunKind): Promise<Deno.FsFile> {
  const lockPath = `${path === "/" ? "" : path}/${LOCK_FILE}`;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPath, { read: true, write: true, create: true });
  } catch (e) {
    throw osError(e, lockPath);
  }
  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (e) {
    file.close();
    throw osError(e, lockPath);
  }
  if (!locked) {
    file.close();
    const holder = await readHolder(lockPath);
    const who = holder
      ? `another hsvae ${holder.kind} run (pid ${holder.pid}, started ${holder.started})`
      : "another hsvae run";
    throw new OutputFolderError(
      path,
      "locked",
      `${who} is writing into it (lock ${JSON.stringify(LOCK_FILE)})`,
      "wait for it to finish or choose another folder",
    );
  }
  try {
    const holder: LockHolder = {
      pid: Deno.pid,
      kind,
      started: new Date().toISOString(),
    };
    await file.truncate(0);
    await file.seek(0, Deno.SeekMode.Start);
    await file.write(new TextEncoder().encode(JSON.stringify(holder) + "\n"));
  } catch (e) {
    file.close();
    throw osError(e, lockPath);
  }
  return file;
}

/** Splits the folder's entries into this kind's own and foreign ones. */
async function classify(
  path: string,
  layout: readonly string[],
): Promise<{ own: string[]; foreign: string[] }> {
  const own: string[] = [];
  const foreign: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) {
      if (e.name === LOCK_FILE) continue;
      (layout.some((p) => matches(e.name, p)) ? own : foreign).push(e.name);
    }
  } catch (e) {
    throw osError(e, path);
  }
  return { own: own.sort(), foreign: foreign.sort() };
}

/** Checks the folder's content against the mode; removes it for "overwrite". */
async function prepare(
  path: string,
  options: OpenOutputFolderOptions,
): Promise<void> {
  const mode = options.mode ?? "new";
  if (mode === "resume") return;
  const overwrite = options.hints?.overwrite ?? 'mode "overwrite"';
  const resume = options.hints?.resume;
  const { own, foreign } = await classify(path, RUN_LAYOUTS[options.kind]);
  if (foreign.length > 0) {
    throw new OutputFolderError(
      path,
      "foreignFiles",
      `it holds files hsvae ${options.kind} does not write (${
        quoteNames(foreign)
      })`,
      mode === "overwrite"
        ? "nothing was removed; move those files away or choose another folder"
        : "choose an empty or new folder",
    );
  }
  if (own.length === 0) return;
  if (mode === "new") {
    throw new OutputFolderError(
      path,
      "previousRun",
      `it holds a previous ${options.kind} result (${quoteNames(own)})`,
      `pass ${overwrite} to replace it${
        resume ? `, ${resume} to continue it` : ""
      }, or choose another folder`,
    );
  }
  for (const name of own) {
    const p = `${path === "/" ? "" : path}/${name}`;
    try {
      await Deno.remove(p, { recursive: true });
    } catch (e) {
      throw osError(e, p);
    }
  }
}

/**
 * Opens an output folder for one run: checks the path, creates the folder,
 * takes its lock and checks (or, with `mode: "overwrite"`, removes) a
 * previous result. Hold the handle for the whole run: `await using folder =
 * await openOutputFolder(dir, { kind: "train" })`.
 *
 * Modes: `"new"` (default) accepts a missing or empty folder only;
 * `"overwrite"` removes a previous result of this kind first; `"resume"`
 * keeps whatever is there. `"new"` and `"overwrite"` refuse a folder holding
 * names this kind does not write ({@linkcode RUN_LAYOUTS}), and remove
 * nothing then.
 *
 * @param path The folder.
 * @param options The kind of run, the mode, the wording of the fixes.
 * @returns The folder, locked until released.
 * @throws {OutputFolderError} When the path is unusable (`"invalid"`,
 *   `"notAFolder"`), holds a previous result (`"previousRun"`) or others'
 *   files (`"foreignFiles"`), another run holds it (`"locked"`), or the OS
 *   refuses (`"io"`).
 *
 * @example A file in the way, a previous result, a resume
 * ```ts
 * import assert from "node:assert/strict";
 * import { openOutputFolder } from "@hsvae/hsvae";
 *
 * const tmp = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${tmp}/file`, "x");
 * await assert.rejects(
 *   openOutputFolder(`${tmp}/file`, { kind: "train" }),
 *   /Cannot write ".*file": it is a file, not a folder/,
 * );
 * await Deno.mkdir(`${tmp}/run`);
 * await Deno.writeTextFile(`${tmp}/run/train.jsonl`, "{}\n");
 * await assert.rejects(
 *   openOutputFolder(`${tmp}/run`, { kind: "train" }),
 *   /previous train result \("train.jsonl"\)/,
 * );
 * using folder = await openOutputFolder(`${tmp}/run`, { kind: "train", mode: "resume" });
 * assert.equal(await Deno.readTextFile(`${folder.path}/train.jsonl`), "{}\n");
 * folder.release();
 * await Deno.remove(tmp, { recursive: true });
 * ```
 */
export async function openOutputFolder(
  path: string,
  options: OpenOutputFolderOptions,
): Promise<OutputFolder> {
  const dir = checkOutputPath(path);
  if (!(options?.kind in RUN_LAYOUTS)) {
    throw new TypeError(
      `Cannot open the output folder: unknown kind "${options?.kind}"; use one of ${
        Object.keys(RUN_LAYOUTS).join(", ")
      }`,
    );
  }
  await createFolder(dir);
  const file = await takeLock(dir, options.kind);
  const key = await realPathOf(dir);
  try {
    await prepare(dir, options);
  } catch (e) {
    file.close();
    throw e;
  }
  HELD.add(key);
  let open = true;
  const release = () => {
    if (!open) return;
    open = false;
    HELD.delete(key);
    file.close(); // closing the handle releases the flock
  };
  return {
    path: dir,
    lockPath: `${dir === "/" ? "" : dir}/${LOCK_FILE}`,
    release,
    [Symbol.dispose]: release,
    [Symbol.asyncDispose]: () => Promise.resolve(release()),
  };
}

/** Real paths of the folders this process holds open. */
const HELD = new Set<string>();

async function realPathOf(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path;
  }
}

/**
 * Whether this process already holds `path` through
 * {@linkcode openOutputFolder} (and has not released it). Library code that
 * writes into a folder its caller may have opened (`trainVAE({ outDir })`
 * under `hsvae train`) takes the lock itself only when this is false.
 *
 * @param path The folder.
 * @returns True while an open {@linkcode OutputFolder} of this process holds it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { holdsOutputFolder, openOutputFolder } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * const folder = await openOutputFolder(dir, { kind: "train", mode: "resume" });
 * assert.equal(await holdsOutputFolder(dir), true);
 * folder.release();
 * assert.equal(await holdsOutputFolder(dir), false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function holdsOutputFolder(path: string): Promise<boolean> {
  return HELD.has(await realPathOf(path));
}

/** Reason and fix per OS error code. */
const OS_PROBLEMS: Record<string, [reason: string, fix: string]> = {
  EEXIST: [
    "a file or folder of that name is in the way",
    "remove it or choose another folder",
  ],
  ENOTDIR: [
    "a part of the path is a file, not a folder",
    "remove that file or choose another folder",
  ],
  EISDIR: [
    "it is a folder where a file is expected",
    "remove the folder or choose another path",
  ],
  ENOENT: [
    "its folder does not exist (removed during the run?)",
    "create it or choose another folder",
  ],
  EACCES: [
    "permission denied",
    "make the folder writable (chmod u+w) or choose another folder",
  ],
  EPERM: [
    "operation not permitted",
    "make the folder writable or choose another folder",
  ],
  EROFS: [
    "the file system is read-only",
    "choose a folder on a writable disk",
  ],
  ENOSPC: [
    "no space left on the device",
    "free some disk space or choose a folder on another disk",
  ],
  EDQUOT: [
    "the disk quota is exceeded",
    "free some space or choose a folder on another disk",
  ],
  ENAMETOOLONG: ["the path is too long", "choose a shorter path"],
  ELOOP: [
    "too many symbolic links in the path",
    "fix the links or choose another folder",
  ],
  EIO: ["an input/output error", "check the disk and try again"],
};

/** Deno's error classes, for errors without a `code`. */
const CLASS_CODES: Record<string, string> = {
  AlreadyExists: "EEXIST",
  NotADirectory: "ENOTDIR",
  IsADirectory: "EISDIR",
  NotFound: "ENOENT",
  PermissionDenied: "EACCES",
};

/** Operations in Deno's messages that write (`open` may read: see below). */
/** The temporary file of `writeFileAtomic`: opening it is a write. */
const ATOMIC_TEMP = /\.tmp-[0-9a-f-]{36}$/;

const WRITE_OPS = new Set([
  "mkdir",
  "writefile",
  "rename",
  "remove",
  "copy",
  "copyfile",
  "link",
  "symlink",
  "truncate",
  "ftruncate",
  "chmod",
  "chown",
  "utime",
  "maketempfile",
  "maketempdir",
  "write",
  "fsync",
  "fdatasync",
]);

/** `path` made absolute against the working folder, `.` and `..` resolved. */
function absolute(path: string): string {
  const full = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const out: string[] = [];
  for (const part of full.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

/** Whether `path` is `folder` or lies under it. */
function isInside(path: string, folder: string): boolean {
  const p = absolute(path);
  const f = absolute(folder);
  return p === f || p.startsWith(f === "/" ? "/" : `${f}/`);
}

/** The OS error's reason and fix, or null when `error` is no OS error. */
function describe(error: Error): [reason: string, fix: string] | null {
  const code = (error as { code?: unknown }).code;
  const key = typeof code === "string" && code in OS_PROBLEMS
    ? code
    : CLASS_CODES[error.name];
  if (key !== undefined) return OS_PROBLEMS[key];
  const m = error.message.match(/^(.*?)\s*\(os error \d+\)/);
  return m
    ? [m[1].toLowerCase() || "the OS refused", "choose another folder"]
    : null;
}

/** An OS error about `path`, whatever the operation, as an OutputFolderError. */
function osError(error: unknown, path: string): unknown {
  if (!(error instanceof Error) || error instanceof OutputFolderError) {
    return error;
  }
  const d = describe(error);
  return d
    ? new OutputFolderError(path, "io", d[0], d[1], { cause: error })
    : error;
}

/**
 * Turns an OS error of a write into an {@linkcode OutputFolderError}
 * "Cannot write "<path>": <reason>; <fix>" (problem `"io"`), or returns
 * `null` for any other error (reads, non-OS errors), which the caller
 * rethrows as it is. The path is the one Deno's message names (`mkdir
 * '/a/b'`). With `folder`, every OS error about a path inside it counts
 * (an `open` there is a write), and `folder` stands in when the message names
 * no path (a write through an open file).
 *
 * @param error What was thrown.
 * @param folder The folder being written.
 * @returns The error to show, or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { outputFolderErrorFrom } from "@hsvae/hsvae";
 *
 * const os = new Deno.errors.AlreadyExists("File exists (os error 17): mkdir 'out/model'");
 * assert.equal(
 *   outputFolderErrorFrom(os)?.message,
 *   'Cannot write "out/model": a file or folder of that name is in the way; remove it or choose another folder',
 * );
 * const read = new Deno.errors.NotFound("No such file or directory (os error 2): readfile 'a.npy'");
 * assert.equal(outputFolderErrorFrom(read), null);
 * ```
 */
export function outputFolderErrorFrom(
  error: unknown,
  folder?: string,
): OutputFolderError | null {
  if (error instanceof OutputFolderError) return error;
  if (!(error instanceof Error)) return null;
  if (error instanceof Deno.errors.NotCapable) {
    const m = error.message.match(/Requires write access to "([^"]*)"/);
    if (!m) return null;
    return new OutputFolderError(
      m[1],
      "io",
      "Deno was not given write permission",
      "run with --allow-write (or -A)",
      { cause: error },
    );
  }
  const d = describe(error);
  if (!d) return null;
  const m = error.message.match(/\(os error \d+\):\s*(\w+)\s+'([^']*)'/);
  const op = m?.[1].toLowerCase();
  const path = m?.[2];
  const counts = path === undefined
    ? folder !== undefined
    : WRITE_OPS.has(op!) || ATOMIC_TEMP.test(path) ||
      (folder !== undefined && isInside(path, folder));
  if (!counts) return null;
  // name the file being written, not the temporary file of an atomic write
  const target = (path ?? folder!).replace(ATOMIC_TEMP, "");
  return new OutputFolderError(target, "io", d[0], d[1], { cause: error });
}
