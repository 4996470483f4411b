/**
 * `hsvae transform`: Cartesian <-> hyperspherical on `.npy` files.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { selectBackend } from "../backend.ts";
import { loadNpy } from "../data/npy.ts";
import { saveNpy } from "../data/npy_write.ts";
import {
  angleCosines,
  fromHyperspherical,
  toHyperspherical,
} from "../hyperspherical.ts";
import type { Command } from "./parse.ts";
import { UsageError } from "./_args.ts";
import { emit } from "./_out.ts";

/** Refuses an `--output` that is a folder, or an existing file without `--overwrite`. */
async function checkOutput(output: string, overwrite: boolean): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(output);
  } catch {
    return; // missing (or unreadable): the write itself reports problems
  }
  if (info.isDirectory) {
    throw new UsageError(
      `Cannot use --output "${output}": it is a folder; give a file path such as ${output}/out.npy`,
    );
  }
  if (!overwrite) {
    throw new UsageError(
      `Cannot use --output "${output}": the file exists; pass --overwrite to replace it`,
    );
  }
}

/** Runs `transform`; returns the exit status. */
export async function runTransform(
  cmd: Extract<Command, { kind: "transform" }>,
): Promise<number> {
  await checkOutput(cmd.output, cmd.overwrite);
  await selectBackend(cmd.common.backend);
  let arr;
  try {
    arr = await loadNpy(cmd.input);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new UsageError(`Cannot use --input "${cmd.input}": no such file`);
    }
    throw e;
  }
  if (arr.shape.length !== 2 || arr.shape[1] < 2) {
    throw new UsageError(
      `Cannot use --input "${cmd.input}": expected a 2-D array N x n with n >= 2, got shape [${arr.shape}]`,
    );
  }
  const [rows, n] = arr.shape;
  const data = Float32Array.from(arr.data as ArrayLike<number>);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new UsageError(
        `Cannot use --input "${cmd.input}": value ${data[i]} at row ${
          Math.floor(i / n)
        }, column ${i % n}`,
      );
    }
  }
  const x = tf.tensor2d(data, [rows, n]);
  let out: tf.Tensor2D;
  if (cmd.inverse) {
    const r = tf.squeeze(tf.slice(x, [0, 0], [-1, 1]), [1]) as tf.Tensor1D;
    const a = tf.slice(x, [0, 1], [-1, n - 1]) as tf.Tensor2D;
    out = fromHyperspherical(r, a);
    tf.dispose([r, a]);
  } else if (cmd.to === "cosines") {
    const { radius, cosines } = angleCosines(x);
    out = tf.concat([tf.expandDims(radius, 1), cosines], 1) as tf.Tensor2D;
    tf.dispose([radius, cosines]);
  } else {
    const { radius, angles } = toHyperspherical(x);
    out = tf.concat([tf.expandDims(radius, 1), angles], 1) as tf.Tensor2D;
    tf.dispose([radius, angles]);
  }
  const values = (await out.data()) as Float32Array;
  await saveNpy(cmd.output, values, out.shape);
  tf.dispose([x, out]);
  const what = cmd.inverse ? "cartesian" : `radius + ${cmd.to}`;
  emit(
    cmd.common.json,
    {
      input: cmd.input,
      output: cmd.output,
      shape: [rows, n],
      output_columns: what,
    },
    `wrote ${cmd.output}: ${rows} x ${n} (${what})`,
  );
  return 0;
}
