/**
 * Reading a JSON file's top-level fields without trusting it: how a loader
 * reads a `format` / `formatVersion` to say "other version" before it
 * verifies the folder's manifest.
 *
 * @module
 */

/**
 * The file's JSON when it parses to an object; `null` when the file is
 * missing, unreadable, not JSON, or JSON of another kind (`null`, a number).
 *
 * @param file The JSON file.
 * @returns Its top-level object, or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { peekJsonObject } from "./peek_json_object.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.json`, '{"formatVersion": 2}');
 * await Deno.writeTextFile(`${dir}/b.json`, "not json");
 * assert.deepEqual(await peekJsonObject(`${dir}/a.json`), { formatVersion: 2 });
 * assert.equal(await peekJsonObject(`${dir}/b.json`), null);
 * assert.equal(await peekJsonObject(`${dir}/missing.json`), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function peekJsonObject(
  file: string,
): Promise<Record<string, unknown> | null> {
  try {
    const value = JSON.parse(await Deno.readTextFile(file));
    return value !== null && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}
