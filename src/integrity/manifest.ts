/**
 * Integrity manifests of saved folders (models, checkpoints): a
 * `manifest.json` listing every file under the folder with its byte size and
 * SHA-256, written last by {@linkcode writeManifest} and checked by
 * {@linkcode verifyManifest} before a loader parses anything.
 *
 *     manifest.json  { format: "hsvae-manifest", formatVersion: 1,
 *                      algorithm: "SHA-256",
 *                      files: [{ path: "encoder/weights.bin", size: 1234, sha256: "ab12..." }, ...],
 *                      filesSha256: "..." }
 *
 * `path` is relative to the folder, `/`-separated, sorted. `filesSha256` is
 * the SHA-256 of `JSON.stringify(files)` (keys in the order above), so a
 * damaged manifest is told apart from a damaged file.
 *
 * Files present in the folder but not listed are ignored (a `.DS_Store` or a
 * note beside a model does not break it); loaders read only listed files,
 * through {@linkcode VerifiedFolder.readFile}, which returns the very bytes
 * that were hashed.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import { LIMITS } from "../limits.ts";
import { writeFileAtomic } from "../model/io.ts";
import { sha256Hex } from "./sha256.ts";

/** The `format` field of every `manifest.json`. */
export const MANIFEST_FORMAT = "hsvae-manifest";
/** The `formatVersion` this toolkit writes and reads. */
export const MANIFEST_FORMAT_VERSION = 1;
/** The manifest's file name inside the folder it describes. */
export const MANIFEST_FILE = "manifest.json";

/** Largest `manifest.json` read (a manifest lists a handful of files). */
const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** One file recorded in a manifest. */
export interface ManifestEntry {
  /** Path relative to the folder, `/`-separated. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the contents, 64 lowercase hex digits. */
  sha256: string;
}

/** The contents of a `manifest.json`. */
export interface Manifest {
  /** Always {@linkcode MANIFEST_FORMAT}. */
  format: typeof MANIFEST_FORMAT;
  /** Always {@linkcode MANIFEST_FORMAT_VERSION}. */
  formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** Always `"SHA-256"`. */
  algorithm: "SHA-256";
  /** Every file of the folder but the manifest, sorted by path. */
  files: ManifestEntry[];
  /** SHA-256 of `JSON.stringify(files)`. */
  filesSha256: string;
}

/** Options of {@linkcode verifyManifest}. */
export interface VerifyManifestOptions {
  /**
   * What the caller is doing, for the messages ("Cannot <action>: ...").
   * @default {"verify folder"}
   */
  action?: string;
  /**
   * What the user should do about a damaged folder, ending every message.
   * @default {"save it again"}
   */
  fix?: string;
}

/** A folder whose files matched its manifest. */
export interface VerifiedFolder {
  /** The folder. */
  dir: string;
  /** Its manifest. */
  manifest: Manifest;
  /**
   * The verified contents of a listed file.
   *
   * @param path Relative to the folder, `/`-separated.
   * @returns The bytes that were hashed (do not modify them).
   * @throws {DataFormatError} When the manifest does not list `path`.
   */
  readFile(path: string): Uint8Array;
}

function filesDigest(files: ManifestEntry[]): Promise<string> {
  return sha256Hex(JSON.stringify(
    files.map(({ path, size, sha256 }) => ({ path, size, sha256 })),
  ));
}

async function listFiles(
  dir: string,
  prefix: string,
  depth: number,
  out: string[],
): Promise<void> {
  if (depth > LIMITS.maxFolderDepth) {
    throw new RangeError(
      `Cannot write a manifest: "${dir}" nests deeper than ${LIMITS.maxFolderDepth} folders (LIMITS.maxFolderDepth)`,
    );
  }
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (rel === MANIFEST_FILE) continue;
    const info = e.isSymlink ? await Deno.stat(`${dir}/${rel}`) : e;
    if (info.isDirectory) await listFiles(dir, rel, depth + 1, out);
    else if (info.isFile) out.push(rel);
  }
}

/**
 * Records every file under `dir` (but `manifest.json` itself) with its size
 * and SHA-256 in `dir/manifest.json`, written atomically. Call it after
 * every other file of the folder is written.
 *
 * @param dir The folder.
 * @returns The manifest written.
 * @throws {Deno.errors.NotFound} When `dir` does not exist.
 * @throws {RangeError} When `dir` nests deeper than `LIMITS.maxFolderDepth`.
 *
 * @example Record a folder, then verify it
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyManifest, writeManifest } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/sub`);
 * await Deno.writeTextFile(`${dir}/sub/a.txt`, "hello");
 * const m = await writeManifest(dir);
 * assert.deepEqual(m.files.map((f) => [f.path, f.size]), [["sub/a.txt", 5]]);
 * const v = await verifyManifest(dir);
 * assert.equal(new TextDecoder().decode(v.readFile("sub/a.txt")), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeManifest(dir: string): Promise<Manifest> {
  const paths: string[] = [];
  await listFiles(dir, "", 0, paths);
  paths.sort();
  const files: ManifestEntry[] = [];
  for (const path of paths) {
    const bytes = await Deno.readFile(`${dir}/${path}`);
    files.push({
      path,
      size: bytes.byteLength,
      sha256: await sha256Hex(bytes),
    });
  }
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    algorithm: "SHA-256",
    files,
    filesSha256: await filesDigest(files),
  };
  await writeFileAtomic(
    `${dir}/${MANIFEST_FILE}`,
    JSON.stringify(manifest, null, 1) + "\n",
  );
  return manifest;
}

/** `true` when `path` is relative, `/`-separated and stays inside the folder. */
function safeRelative(path: string): boolean {
  return path !== MANIFEST_FILE && !path.includes("\\") &&
    !path.includes("\0") &&
    path.split("/").every((s) => s !== "" && s !== "." && s !== "..");
}

function isEntry(e: unknown): e is ManifestEntry {
  if (e === null || typeof e !== "object") return false;
  const { path, size, sha256 } = e as Record<string, unknown>;
  return typeof path === "string" && safeRelative(path) &&
    typeof size === "number" && Number.isSafeInteger(size) && size >= 0 &&
    typeof sha256 === "string" && /^[0-9a-f]{64}$/.test(sha256);
}

/** Parses and validates `manifest.json`'s text. */
async function parseManifest(
  file: string,
  text: string,
  fail: (file: string, reason: string, offset?: number) => never,
): Promise<Manifest> {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(text);
  } catch (e) {
    fail(file, `"${file}" is not valid JSON (${(e as Error).message})`);
  }
  if (m === null || typeof m !== "object" || Array.isArray(m)) {
    fail(file, `"${file}" is not a JSON object`);
  }
  if (m.format !== MANIFEST_FORMAT) {
    fail(
      file,
      `"${file}" has format ${
        JSON.stringify(m.format)
      }, expected "${MANIFEST_FORMAT}"`,
    );
  }
  if (m.formatVersion !== MANIFEST_FORMAT_VERSION) {
    fail(
      file,
      `"${file}" has formatVersion ${
        JSON.stringify(m.formatVersion)
      }, this hsvae reads version ${MANIFEST_FORMAT_VERSION}; load the folder with the hsvae version that wrote it`,
    );
  }
  if (m.algorithm !== "SHA-256") {
    fail(
      file,
      `"${file}" has algorithm ${
        JSON.stringify(m.algorithm)
      }, expected "SHA-256"`,
    );
  }
  const files = m.files;
  if (!Array.isArray(files)) fail(file, `"${file}" has no "files" list`);
  const seen = new Set<string>();
  for (const [i, e] of files.entries()) {
    if (!isEntry(e)) {
      fail(
        file,
        `entry ${i} of "${file}" is not { path, size, sha256 } with a relative path inside the folder`,
      );
    }
    if (seen.has(e.path)) {
      fail(file, `"${file}" lists "${e.path}" twice`);
    }
    seen.add(e.path);
  }
  if (
    typeof m.filesSha256 !== "string" ||
    m.filesSha256 !== await filesDigest(files)
  ) {
    fail(
      file,
      `"${file}" does not match its own checksum "filesSha256"; the manifest is corrupt`,
    );
  }
  return m as unknown as Manifest;
}

function short(hash: string): string {
  return `${hash.slice(0, 16)}…`;
}

/**
 * Checks every file listed in `dir/manifest.json`: present, a file, of the
 * recorded size and SHA-256. Unlisted files are ignored (see the module
 * doc).
 *
 * @param dir The folder.
 * @param options The action and the fix named in error messages.
 * @returns The folder with its manifest and the verified bytes of every
 * listed file.
 * @throws {DataFormatError} When `manifest.json` is missing, not valid JSON,
 * of another format or version, or damaged; or a listed file is missing,
 * has another size or another SHA-256. `file` names the file; the message
 * says what differs and ends with `options.fix`.
 *
 * @example A flipped byte names the file and both hashes
 * ```ts
 * import assert from "node:assert/strict";
 * import { DataFormatError, verifyManifest, writeManifest } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeFile(`${dir}/w.bin`, new Uint8Array([1, 2, 3]));
 * await writeManifest(dir);
 * await Deno.writeFile(`${dir}/w.bin`, new Uint8Array([1, 2, 4]));
 * await assert.rejects(
 *   verifyManifest(dir, { action: "load model", fix: "save the model again" }),
 *   (e: unknown) =>
 *     e instanceof DataFormatError && e.file === `${dir}/w.bin` &&
 *     /^Cannot load model: ".*w\.bin" has SHA-256 \w+… but the manifest records \w+…; the file is corrupt; save the model again$/
 *       .test(e.message),
 * );
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function verifyManifest(
  dir: string,
  options: VerifyManifestOptions = {},
): Promise<VerifiedFolder> {
  const action = options.action ?? "verify folder";
  const fix = options.fix ?? "save it again";
  const fail: (file: string, reason: string, offset?: number) => never = (
    file,
    reason,
    offset,
  ) => {
    throw new DataFormatError(`Cannot ${action}: ${reason}; ${fix}`, {
      file,
      offset,
    });
  };
  const manifestPath = `${dir}/${MANIFEST_FILE}`;
  let text: string;
  try {
    const info = await Deno.stat(manifestPath);
    if (!info.isFile || info.size > MAX_MANIFEST_BYTES) {
      fail(
        manifestPath,
        `"${manifestPath}" is not a file of at most ${MAX_MANIFEST_BYTES} bytes`,
      );
    }
    text = new TextDecoder("utf-8", { fatal: true }).decode(
      await Deno.readFile(manifestPath),
    );
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    if (e instanceof Deno.errors.NotFound) {
      fail(manifestPath, `"${manifestPath}" is missing`);
    }
    if (e instanceof TypeError) {
      fail(manifestPath, `"${manifestPath}" is not UTF-8 text`);
    }
    throw e;
  }
  const manifest = await parseManifest(manifestPath, text, fail);
  const contents = new Map<string, Uint8Array>();
  for (const entry of manifest.files) {
    const file = `${dir}/${entry.path}`;
    let bytes: Uint8Array;
    try {
      const info = await Deno.stat(file);
      if (!info.isFile) fail(file, `"${file}" is not a file`);
      if (info.size !== entry.size) {
        fail(
          file,
          `"${file}" holds ${info.size} bytes but the manifest records ${entry.size}; the file is truncated or corrupt`,
          Math.min(info.size, entry.size),
        );
      }
      bytes = await Deno.readFile(file);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        fail(file, `"${file}" is missing`);
      }
      throw e;
    }
    if (bytes.byteLength !== entry.size) {
      fail(
        file,
        `"${file}" holds ${bytes.byteLength} bytes but the manifest records ${entry.size}; the file changed while it was read`,
      );
    }
    const actual = await sha256Hex(bytes);
    if (actual !== entry.sha256) {
      fail(
        file,
        `"${file}" has SHA-256 ${short(actual)} but the manifest records ${
          short(entry.sha256)
        }; the file is corrupt`,
      );
    }
    contents.set(entry.path, bytes);
  }
  return {
    dir,
    manifest,
    readFile(path: string): Uint8Array {
      const bytes = contents.get(path);
      if (bytes === undefined) {
        fail(
          `${dir}/${path}`,
          `"${dir}/${path}" is not listed in "${manifestPath}"`,
        );
      }
      return bytes;
    },
  };
}
