/**
 * Saving and loading `tf.LayersModel`s in Deno without tfjs-node: tfjs's own
 * layers format (`model.json` + `weights.bin`) written through
 * `tf.io.withSaveHandler` and read back through `tf.io.fromMemory`. Every
 * file is written atomically (a temporary file in the same directory, flushed
 * to disk, then a rename), so a crash never leaves a half-written file
 * behind; a whole folder is replaced atomically by `replaceFolder`
 * (src/integrity/replace_folder.ts).
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import { tf } from "../tf.ts";
import type { io, LayersModel } from "../tf.ts";
import { DataFormatError } from "../errors.ts";

/** Name of the topology file inside a saved model directory. */
export const MODEL_JSON = "model.json";
/** Name of the weights file inside a saved model directory. */
export const WEIGHTS_BIN = "weights.bin";

/**
 * Writes `data` to `path` atomically: a temporary sibling file, flushed to
 * disk (`fsync`), then a rename over `path` (atomic on POSIX file systems),
 * so a crash or power cut leaves the old file or the complete new one, never
 * an empty or partial file under `path`.
 *
 * @param path Destination file.
 * @param data Bytes, or a string written as UTF-8.
 * @returns Resolves when the file is in place.
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/a.txt`, "hello");
 * assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "hello");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const bytes = typeof data === "string"
    ? new TextEncoder().encode(data)
    : data;
  const tmp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    {
      using file = await Deno.open(tmp, { write: true, createNew: true });
      for (let done = 0; done < bytes.byteLength;) {
        done += await file.write(bytes.subarray(done));
      }
      await file.sync();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

function joinBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out;
}

const BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/**
 * Saves a layers model to `dir` as `model.json` + `weights.bin` (tfjs's
 * layers format, readable by `tf.loadLayersModel` from a URL too).
 *
 * @param model The model.
 * @param dir Directory; created (with parents) if missing.
 * @returns Resolves when both files are written.
 * @throws {Deno.errors.PermissionDenied} Without write permission.
 *
 * @example Round trip of a tiny model
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { loadLayersModel, saveLayersModel } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
 * const dir = await Deno.makeTempDir();
 * await saveLayersModel(m, dir);
 * const back = await loadLayersModel(dir);
 * const x = tf.ones([1, 3]);
 * const a = m.predict(x) as tf.Tensor;
 * const b = back.predict(x) as tf.Tensor;
 * assert.deepEqual(await a.data(), await b.data());
 * tf.dispose([x, a, b]);
 * m.dispose();
 * back.dispose();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveLayersModel(
  model: LayersModel,
  dir: string,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = artifacts.weightData === undefined
      ? new Uint8Array(0)
      : joinBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
    const json = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format ?? "layers-model",
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{
        paths: [`./${WEIGHTS_BIN}`],
        weights: artifacts.weightSpecs ?? [],
      }],
    };
    await writeFileAtomic(`${dir}/${WEIGHTS_BIN}`, weights);
    await writeFileAtomic(`${dir}/${MODEL_JSON}`, JSON.stringify(json));
    return {
      modelArtifactsInfo: {
        dateSaved: new Date(),
        modelTopologyType: "JSON",
        weightDataBytes: weights.byteLength,
      },
    };
  }));
}

async function readOrFail(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DataFormatError(
        `Cannot load model: file "${path}" is missing; save the model again`,
        { file: path },
      );
    }
    throw e;
  }
}

/** Options of {@linkcode loadLayersModel}. */
export interface LoadLayersModelOptions {
  /**
   * Reads a file of the model by its path (`<dir>/model.json`,
   * `<dir>/weights.bin`); e.g. the verified bytes of a folder checked by
   * `verifyManifest`, so that what is parsed is what was hashed.
   * @default {`Deno.readFile`, a missing file being a `DataFormatError`}
   */
  read?: (path: string) => Uint8Array | Promise<Uint8Array>;
}

function isSpec(s: unknown): s is io.WeightsManifestEntry {
  if (s === null || typeof s !== "object") return false;
  const { name, shape, dtype } = s as Record<string, unknown>;
  return typeof name === "string" && typeof dtype === "string" &&
    Array.isArray(shape) &&
    shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0);
}

/** The weight specs of a parsed `model.json`, validated. */
function weightSpecs(
  jsonPath: string,
  manifest: unknown[],
): io.WeightsManifestEntry[] {
  const specs: io.WeightsManifestEntry[] = [];
  for (const group of manifest) {
    const weights = group !== null && typeof group === "object"
      ? (group as { weights?: unknown }).weights ?? []
      : null;
    if (!Array.isArray(weights) || !weights.every(isSpec)) {
      throw new DataFormatError(
        `Cannot load model: "${jsonPath}" has a "weightsManifest" entry that is not a list of { name, shape, dtype }; save the model again`,
        { file: jsonPath },
      );
    }
    specs.push(...weights);
  }
  return specs;
}

/**
 * Loads a layers model saved by {@linkcode saveLayersModel}.
 *
 * @param dir Directory holding `model.json` and `weights.bin`.
 * @param options Where the bytes come from; see {@linkcode LoadLayersModelOptions}.
 * @returns The model, with its saved weights.
 * @throws {DataFormatError} When a file is missing, `model.json` is not valid
 * JSON or lacks the topology, or `weights.bin` does not hold exactly the bytes
 * the manifest lists; the error's `file` names the file.
 *
 * @example A missing directory names the file it looked for
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadLayersModel } from "@hsvae/hsvae";
 * import { DataFormatError } from "@hsvae/hsvae";
 *
 * await assert.rejects(loadLayersModel("/nonexistent"), (e: unknown) =>
 *   e instanceof DataFormatError && e.file === "/nonexistent/model.json");
 * ```
 */
export async function loadLayersModel(
  dir: string,
  options: LoadLayersModelOptions = {},
): Promise<LayersModel> {
  await ensureBackend();
  const read = options.read ?? readOrFail;
  const jsonPath = `${dir}/${MODEL_JSON}`;
  const weightsPath = `${dir}/${WEIGHTS_BIN}`;
  let json: {
    modelTopology?: object;
    weightsManifest?: unknown[];
  };
  try {
    json = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(await read(jsonPath)),
    );
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    throw new DataFormatError(
      `Cannot load model: "${jsonPath}" is not valid JSON (${
        (e as Error).message
      }); save the model again`,
      { file: jsonPath },
    );
  }
  if (
    json === null || typeof json !== "object" ||
    json.modelTopology === null || typeof json.modelTopology !== "object" ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new DataFormatError(
      `Cannot load model: "${jsonPath}" lacks "modelTopology" or "weightsManifest"; save the model again`,
      { file: jsonPath },
    );
  }
  const specs = weightSpecs(jsonPath, json.weightsManifest);
  let expected = 0;
  for (const s of specs) {
    const per = BYTES[s.dtype];
    if (per === undefined || s.quantization !== undefined) {
      throw new DataFormatError(
        `Cannot load model: weight "${s.name}" in "${jsonPath}" has unsupported dtype "${s.dtype}"`,
        { file: jsonPath },
      );
    }
    expected += per * s.shape.reduce((a, b) => a * b, 1);
  }
  const weights = await read(weightsPath);
  if (weights.byteLength !== expected) {
    throw new DataFormatError(
      `Cannot load model: "${weightsPath}" holds ${weights.byteLength} bytes, the manifest needs ${expected}; the file is truncated or corrupt, save the model again`,
      { file: weightsPath, offset: Math.min(weights.byteLength, expected) },
    );
  }
  const buffer = weights.buffer.slice(
    weights.byteOffset,
    weights.byteOffset + weights.byteLength,
  ) as ArrayBuffer;
  if (specs.every((s) => s.dtype === "float32")) {
    // NaN or Inf in the weights means a corrupt file (or a diverged model)
    const values = new Float32Array(buffer);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new DataFormatError(
          `Cannot load model: "${weightsPath}" holds a non-finite weight at byte ${
            4 * i
          }; the file is corrupt or the model diverged`,
          { file: weightsPath, offset: 4 * i },
        );
      }
    }
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: specs,
      weightData: buffer,
    }));
  } catch (e) {
    throw new DataFormatError(
      `Cannot load model: "${jsonPath}" does not describe a valid model (${
        (e as Error).message
      }); save the model again`,
      { file: jsonPath },
    );
  }
}
