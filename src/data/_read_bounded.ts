/**
 * Reading files with bounds, for every loader of this folder: only regular
 * files are opened (a device such as `/dev/zero` or a FIFO never ends, and
 * opening a FIFO blocks), the size is taken from `stat` and checked against
 * {@linkcode LIMITS} and the available memory *before* anything is
 * allocated, and reads are of exactly the bytes asked for (a header first,
 * then the bytes it declares).
 *
 * @example Header first, then only the bytes it declares
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBounded } from "./_read_bounded.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array([2, 7, 9, 0, 0]));
 * using file = await openBounded(path);
 * const [n] = await file.read(0, 1);
 * assert.deepEqual(Array.from(await file.read(1, n)), [7, 9]);
 * assert.equal(file.size, 5);
 * await Deno.remove(path);
 * ```
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { DataFormatError } from "../errors.ts";
import { checkAllocation, checkSize, type LimitName } from "../limits.ts";

/** What a non-regular file is, for messages. */
function kindOf(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a folder";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** The path of `path` as a string, for messages. */
export function pathName(path: string | URL): string {
  return typeof path === "string"
    ? path
    : path.protocol === "file:"
    ? fileURLToPath(path)
    : path.href;
}

/**
 * Throws unless `info` describes a regular file.
 *
 * @param path The file, for the message.
 * @param info Its `Deno.stat` (symlinks followed).
 * @throws {DataFormatError} Naming what the path is instead (a device, a
 * FIFO, a socket, a folder), with `offset` 0.
 *
 * @example `/dev/null` is a device
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertRegularFile } from "./_read_bounded.ts";
 *
 * assert.throws(
 *   () => assertRegularFile("/dev/null", Deno.statSync("/dev/null")),
 *   /Cannot read "\/dev\/null": it is a character device, not a regular file/,
 * );
 * ```
 */
export function assertRegularFile(path: string, info: Deno.FileInfo): void {
  if (info.isFile) return;
  const kind = kindOf(info);
  throw new DataFormatError(
    `Cannot read "${path}": it is ${kind}${
      kind.startsWith("not") ? "" : ", not a regular file"
    }; copy the data into a file first`,
    { file: path, offset: 0 },
  );
}

/**
 * A regular file opened for reads of declared ranges; close it (or declare
 * it with `using`) when done.
 */
export interface BoundedFile extends Disposable {
  /** The path, for messages. */
  readonly path: string;
  /** The size in bytes when it was opened. */
  readonly size: number;
  /**
   * Reads exactly `length` bytes at `offset`, after checking that the range
   * lies inside the file and that `length` bytes may be allocated.
   *
   * @throws {DataFormatError} When the range goes past the end of the file
   * (the message says "truncated?").
   * @throws {LimitError} When `length` is beyond `LIMITS.maxArrayBytes` or
   * the available memory.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Closes the file. */
  close(): void;
}

/**
 * Opens a regular file for bounded reads; devices, FIFOs, sockets and
 * folders are refused before they are opened.
 *
 * @param path The file (a path or a `file:` URL).
 * @returns The open file with its size.
 * @throws {DataFormatError} When `path` is not a regular file.
 * @throws {Deno.errors.NotFound} When it does not exist.
 *
 * @example Reading past the end says so
 * ```ts
 * import assert from "node:assert/strict";
 * import { openBounded } from "./_read_bounded.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeFile(path, new Uint8Array(4));
 * using file = await openBounded(path);
 * await assert.rejects(() => file.read(2, 8), /needs bytes 2\.\.10 but the file has 4 bytes/);
 * await Deno.remove(path);
 * ```
 */
export async function openBounded(path: string | URL): Promise<BoundedFile> {
  const name = pathName(path);
  assertRegularFile(name, await Deno.stat(path));
  const file = await Deno.open(path, { read: true });
  let size: number;
  try {
    const info = await file.stat();
    assertRegularFile(name, info);
    size = info.size;
  } catch (err) {
    file.close();
    throw err;
  }
  let closed = false;
  const close = () => {
    if (!closed) file.close();
    closed = true;
  };
  return {
    path: name,
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (
        !(Number.isSafeInteger(offset) && Number.isSafeInteger(length) &&
          offset >= 0 && length >= 0 && offset + length <= size)
      ) {
        throw new DataFormatError(
          `Cannot read "${name}": it needs bytes ${offset}..${
            offset + length
          } but the file has ${size} bytes (truncated?)`,
          { file: name, offset: Math.min(size, Math.max(0, offset)) },
        );
      }
      checkAllocation(`read "${name}"`, length);
      const out = new Uint8Array(length);
      await file.seek(offset, Deno.SeekMode.Start);
      let at = 0;
      while (at < length) {
        const n = await file.read(out.subarray(at));
        if (n === null) {
          throw new DataFormatError(
            `Cannot read "${name}": the file ended at byte ${
              offset + at
            } while being read (it shrank?)`,
            { file: name, offset: offset + at },
          );
        }
        at += n;
      }
      return out;
    },
    close,
    [Symbol.dispose]: close,
  };
}

/** Options of {@linkcode readFileBounded}. */
export interface ReadBoundedOptions {
  /**
   * The byte bound of {@linkcode LIMITS} the file's size is checked
   * against (besides `maxArrayBytes` and the available memory, always
   * checked): `"maxInflatedBytes"` suits a compressed file.
   * @default {"maxArrayBytes"}
   */
  limit?: Extract<LimitName, "maxArrayBytes" | "maxInflatedBytes">;
}

/**
 * Reads a whole regular file, its size checked first: the file must be a
 * regular file (not `/dev/zero`, a FIFO or a socket), and its `stat` size
 * within `LIMITS[limit]`, `LIMITS.maxArrayBytes` and the available memory.
 * Exactly that many bytes are read, even if the file grows meanwhile.
 *
 * @param path The file (a path or a `file:` URL).
 * @param options The limit to check the size against.
 * @returns The file's bytes.
 * @throws {DataFormatError} When `path` is not a regular file.
 * @throws {LimitError} When the file is too large.
 * @throws {Deno.errors.NotFound} When it does not exist.
 *
 * @example A small file, and a device refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileBounded } from "./_read_bounded.ts";
 * import { DataFormatError } from "../errors.ts";
 *
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, "abc");
 * assert.equal((await readFileBounded(path)).length, 3);
 * await Deno.remove(path);
 * await assert.rejects(() => readFileBounded("/dev/zero"), DataFormatError);
 * ```
 */
export async function readFileBounded(
  path: string | URL,
  options: ReadBoundedOptions = {},
): Promise<Uint8Array> {
  using file = await openBounded(path);
  checkSize(`read "${file.path}"`, options.limit ?? "maxArrayBytes", file.size);
  return await file.read(0, file.size);
}
