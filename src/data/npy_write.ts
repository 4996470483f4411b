/**
 * Writing NumPy `.npy` files (format 1.0, little-endian, C order).
 *
 * @module
 */
import { writeFileAtomic } from "../model/io.ts";

/**
 * Encodes a float array as `.npy` bytes (`<f4` for Float32Array, `<f8` for
 * Float64Array), readable by `numpy.load` and by `parseNpy`.
 *
 * @param data Values in C order.
 * @param shape The array's shape; its product must equal `data.length`.
 * @returns The file's bytes.
 * @throws {RangeError} When the shape does not match the data.
 *
 * @example A round trip through parseNpy
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeNpy } from "@hsvae/hsvae";
 * import { parseNpy } from "@hsvae/hsvae";
 *
 * const bytes = encodeNpy(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * const back = parseNpy(bytes);
 * assert.deepEqual(back.shape, [2, 3]);
 * assert.equal(back.dtype, "<f4");
 * assert.deepEqual(Array.from(back.data), [1, 2, 3, 4, 5, 6]);
 * ```
 */
export function encodeNpy(
  data: Float32Array | Float64Array,
  shape: number[],
): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (
    count !== data.length || shape.some((d) => !Number.isInteger(d) || d < 0)
  ) {
    throw new RangeError(
      `Cannot encode NPY: shape [${shape}] holds ${count} values, the data has ${data.length}`,
    );
  }
  const descr = data instanceof Float64Array ? "<f8" : "<f4";
  const shapeStr = shape.length === 1
    ? `(${shape[0]},)`
    : `(${shape.join(", ")})`;
  let header =
    `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // pad so that magic(6) + version(2) + length(2) + header is a multiple of 64
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  out.set(body, total); // little-endian hosts only (every Deno target)
  return out;
}

/**
 * Writes a float array as a `.npy` file, atomically (temp file + rename).
 *
 * @param path Destination file.
 * @param data Values in C order.
 * @param shape The array's shape.
 * @returns Resolves when the file is in place.
 * @throws {RangeError} When the shape does not match the data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { saveNpy } from "@hsvae/hsvae";
 * import { loadNpy } from "@hsvae/hsvae";
 *
 * const file = await Deno.makeTempFile({ suffix: ".npy" });
 * await saveNpy(file, new Float64Array([0.5, 1.5]), [2]);
 * assert.deepEqual(Array.from((await loadNpy(file)).data), [0.5, 1.5]);
 * await Deno.remove(file);
 * ```
 */
export async function saveNpy(
  path: string,
  data: Float32Array | Float64Array,
  shape: number[],
): Promise<void> {
  await writeFileAtomic(path, encodeNpy(data, shape));
}
