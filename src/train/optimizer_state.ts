/**
 * Exact save and restore of an Adam optimiser's state for checkpoints.
 *
 * @module
 */
import { tf } from "../tf.ts";
import { writeFileAtomic } from "../model/io.ts";
import { DataFormatError } from "../errors.ts";

/** What a checkpoint keeps of one optimiser besides its weight file. */
export interface SavedOptimizer {
  /** tfjs weight specs of the iteration count and the moments. */
  specs: tf.io.WeightsManifestEntry[];
  /** Adam's running powers of beta1 and beta2. */
  accBeta: [number, number];
}

function fail(file: string, reason: string): never {
  throw new DataFormatError(
    `Cannot restore the optimiser: ${reason}; delete the checkpoint's run folder to start over`,
    { file },
  );
}

function isWordSpec(s: unknown): s is tf.io.WeightsManifestEntry {
  if (s === null || typeof s !== "object") return false;
  const { name, shape, dtype, quantization } = s as Record<string, unknown>;
  return typeof name === "string" &&
    (dtype === "float32" || dtype === "int32") &&
    quantization === undefined && Array.isArray(shape) &&
    shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** Adam's running powers of beta1 / beta2 (protected in tfjs). */
type AdamInternals = { accBeta1: tf.Variable; accBeta2: tf.Variable };

/**
 * Saves Adam's moments and iteration count to `path`, and returns them with
 * its running powers of the betas: tfjs's `setWeights` recomputes those as
 * `pow(beta, t + 1)`, which differs from the running product in the last
 * bits, so a resume would not be exact without them.
 *
 * @param optimizer The optimiser (its moments exist after one step).
 * @param path The weight file to write (atomically).
 * @returns The specs and the beta powers, for the checkpoint's JSON.
 *
 * @example Round trip
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { loadOptimizer, saveOptimizer } from "./optimizer_state.ts";
 * await selectBackend("wasm");
 *
 * const w = tf.variable(tf.tensor1d([1, 2]));
 * const a = tf.train.adam(0.1);
 * a.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
 * const dir = await Deno.makeTempDir();
 * const saved = await saveOptimizer(a, `${dir}/opt.bin`);
 * const b = tf.train.adam(0.1);
 * await loadOptimizer(b, `${dir}/opt.bin`, saved);
 * assert.deepEqual((await saveOptimizer(b, `${dir}/again.bin`)).accBeta, saved.accBeta);
 * tf.dispose([w]);
 * a.dispose();
 * b.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveOptimizer(
  optimizer: tf.AdamOptimizer,
  path: string,
): Promise<SavedOptimizer> {
  const named = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  // the iteration count comes as a fresh scalar; the moments are the
  // optimiser's own variables
  for (const { tensor } of named) {
    if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
  await writeFileAtomic(path, new Uint8Array(data as ArrayBuffer));
  const internals = optimizer as unknown as AdamInternals;
  const accBeta: [number, number] = [
    (await internals.accBeta1.data())[0],
    (await internals.accBeta2.data())[0],
  ];
  return { specs, accBeta };
}

/**
 * Restores what {@linkcode saveOptimizer} saved into a fresh Adam with the
 * same hyperparameters.
 *
 * @param optimizer The optimiser to restore into.
 * @param path The weight file.
 * @param saved The specs and beta powers from the checkpoint.
 * @returns When the state is restored.
 * @throws {DataFormatError} When the file is missing or does not hold
 *   exactly the 4-byte weights its specs describe.
 *
 * @example See {@linkcode saveOptimizer}
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { loadOptimizer, saveOptimizer } from "./optimizer_state.ts";
 * await selectBackend("wasm");
 *
 * const w = tf.variable(tf.scalar(3));
 * const a = tf.train.adam(0.1);
 * a.minimize(() => tf.square(w) as tf.Scalar);
 * const dir = await Deno.makeTempDir();
 * const saved = await saveOptimizer(a, `${dir}/opt.bin`);
 * const b = tf.train.adam(0.1);
 * await loadOptimizer(b, `${dir}/opt.bin`, saved);
 * assert.equal(b.iterations, a.iterations);
 * w.dispose();
 * a.dispose();
 * b.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadOptimizer(
  optimizer: tf.AdamOptimizer,
  path: string,
  saved: SavedOptimizer,
): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      fail(path, `"${path}" is missing`);
    }
    throw e;
  }
  const specs = saved.specs;
  if (!Array.isArray(specs) || !specs.every(isWordSpec)) {
    fail(
      path,
      `the specs of "${path}" are not float32 or int32 { name, shape }`,
    );
  }
  const expected = specs.reduce(
    (sum, s) => sum + 4 * s.shape.reduce((a, b) => a * b, 1),
    0,
  );
  if (bytes.byteLength !== expected) {
    fail(
      path,
      `"${path}" holds ${bytes.byteLength} bytes, its specs need ${expected}; the file is truncated or corrupt`,
    );
  }
  const map = tf.io.decodeWeights(bytes.slice().buffer, saved.specs);
  await optimizer.setWeights(
    saved.specs.map((s) => ({ name: s.name, tensor: map[s.name] })),
  );
  // the optimiser's variables hold their own references to the data
  tf.dispose(Object.values(map));
  const internals = optimizer as unknown as AdamInternals;
  tf.tidy(() => {
    internals.accBeta1.assign(tf.scalar(saved.accBeta[0]));
    internals.accBeta2.assign(tf.scalar(saved.accBeta[1]));
  });
}
