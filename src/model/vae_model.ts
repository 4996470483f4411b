/**
 * A trained VAE as one object: encoder + decoder + a JSON-serialisable
 * configuration + an optional latent bank (e.g. the training set's `mu`, used
 * by k-NN scoring), saved to and loaded from a directory:
 *
 *     dir/config.json          { format: "hsvae-model", formatVersion: 1, toolkitVersion,
 *                                createdAt, model: ModelConfig, training: {...},
 *                                bank?: { file: "bank.bin", shape: [M, n], dtype: "float32" } }
 *     dir/encoder/model.json   tfjs layers format
 *     dir/encoder/weights.bin
 *     dir/decoder/model.json
 *     dir/decoder/weights.bin
 *     dir/bank.bin             M x n float32, little-endian, row-major (when a bank is set)
 *     dir/manifest.json        size and SHA-256 of every file above, written last
 *                              (src/integrity/manifest.ts)
 *
 * @module
 */
import { ensureBackend } from "../backend.ts";
import { tf } from "../tf.ts";
import type { LayersModel, Tensor2D, Tensor4D } from "../tf.ts";
import { DataFormatError, ShapeError } from "../errors.ts";
import { normaliseToSphere } from "../loss/normalise_to_sphere.ts";
import { isVariant, variantNormalisesZ } from "../presets.ts";
import {
  buildDecoder,
  buildEncoder,
  type ModelConfig,
  type ModelConfigOptions,
  resolveModelConfig,
} from "./resnet.ts";
import { loadLayersModel, saveLayersModel, writeFileAtomic } from "./io.ts";
import {
  MANIFEST_FILE,
  type VerifiedFolder,
  verifyManifest,
  writeManifest,
} from "../integrity/manifest.ts";
import { leftoverFolders, replaceFolder } from "../integrity/replace_folder.ts";
import { pathExists } from "../integrity/path_exists.ts";
import { peekJsonObject } from "../integrity/peek_json_object.ts";
import { splitEncoderHead } from "./encoder_head.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** The `format` field of a saved model's `config.json`. */
export const MODEL_FORMAT = "hsvae-model";
/** The `formatVersion` this toolkit writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

/** The toolkit version written into `config.json`. */
export const TOOLKIT_VERSION: string = denoJson.version;

/** A JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/** A JSON object (free-form training metadata). */
export type JsonObject = { [key: string]: JsonValue };

/** A bank of latent vectors: `shape[0]` rows of `shape[1]` values, row-major. */
export interface LatentBank {
  /** The values, `shape[0] * shape[1]` of them. */
  data: Float32Array;
  /** `[M, n]`. */
  shape: [number, number];
}

/** The contents of a saved model's `config.json`. */
export interface SavedModelConfig {
  /** Always `"hsvae-model"`. */
  format: string;
  /** The layout version, {@linkcode MODEL_FORMAT_VERSION}. */
  formatVersion: number;
  /** The hsvae version that wrote the file. */
  toolkitVersion: string;
  /** ISO 8601 time of saving. */
  createdAt: string;
  /** The architecture. */
  model: ModelConfig;
  /** Free metadata from the trainer (variant, preset, priors, gains, normalisation, ...). */
  training: JsonObject;
  /** Where the latent bank is, when one was saved. */
  bank?: { file: string; shape: [number, number]; dtype: "float32" };
}

/** Encoder outputs as tensors, `[N, n]` each; the caller disposes them. */
export interface EncodingTensors {
  /** Posterior means. */
  mu: Tensor2D;
  /** Posterior log-variances. */
  logVar: Tensor2D;
}

/** Encoder outputs as plain arrays, `[N, n]` row-major. */
export interface Encoding {
  /** Posterior means, `N * n` values. */
  mu: Float32Array;
  /** Posterior log-variances, `N * n` values. */
  logVar: Float32Array;
  /** `[N, n]`. */
  shape: [number, number];
}

/** Options of the plain-array methods of {@linkcode VaeModel}. */
export interface BatchOptions {
  /**
   * Rows run through the network at a time (bounds memory).
   * @default {256}
   */
  batchSize?: number;
}

/** Options of {@linkcode VaeModel.create}. */
export interface CreateVaeModelOptions extends ModelConfigOptions {
  /**
   * Free training metadata stored in `config.json`.
   * @default {{}}
   */
  training?: JsonObject;
}

function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * Encoder + decoder + configuration + optional latent bank.
 *
 * Tensor-level methods (`encodeTensor`, `decodeTensor`, `reconstructTensor`)
 * take and return tensors the caller owns (dispose them); the plain-array
 * methods (`encode`, `decode`, `reconstruct`) take `Float32Array` + shape or a
 * tensor (not disposed) and return plain `Float32Array`s, leaking nothing.
 *
 * @example Build, encode, reconstruct
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { VaeModel } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * using model = VaeModel.create({ inputShape: [28, 28, 1], latentDim: 8, seed: 1 });
 * const x = new Float32Array(2 * 28 * 28).fill(0.5);
 * const { mu, shape } = await model.encode(x, [2, 28, 28, 1]);
 * assert.deepEqual(shape, [2, 8]);
 * assert.equal(mu.length, 16);
 * const xHat = await model.reconstruct(x, [2, 28, 28, 1]);
 * assert.equal(xHat.length, 2 * 28 * 28);
 * ```
 */
export class VaeModel {
  #encoder: LayersModel;
  #decoder: LayersModel;
  #config: ModelConfig;
  #training: JsonObject;
  #bank: LatentBank | null = null;
  #disposed = false;

  /**
   * Wraps existing networks (no copy); see {@linkcode VaeModel.create} to build
   * fresh ones.
   *
   * @param encoder Images `[N, H, W, C]` to `[N, 2n]` (mu, log-variance).
   * @param decoder Latents `[N, n]` to images `[N, H, W, C]`.
   * @param config The architecture both were built from.
   * @param training Free training metadata.
   * @throws {ShapeError} When the networks' shapes disagree with `config`.
   */
  constructor(
    encoder: LayersModel,
    decoder: LayersModel,
    config: ModelConfig,
    training: JsonObject = {},
  ) {
    const n = config.latentDim;
    const inShape = encoder.inputs[0].shape.slice(1);
    const encOut = encoder.outputs[0].shape.slice(1);
    const decIn = decoder.inputs[0].shape.slice(1);
    const decOut = decoder.outputs[0].shape.slice(1);
    const image = shapeStr(config.inputShape);
    if (
      shapeStr(inShape as number[]) !== image ||
      shapeStr(encOut as number[]) !== shapeStr([2 * n]) ||
      shapeStr(decIn as number[]) !== shapeStr([n]) ||
      shapeStr(decOut as number[]) !== image
    ) {
      throw new ShapeError(
        `Cannot create VaeModel: encoder ${shapeStr(inShape as number[])} -> ${
          shapeStr(encOut as number[])
        } and decoder ${shapeStr(decIn as number[])} -> ${
          shapeStr(decOut as number[])
        } do not match the config (image "${image}", latentDim "${n}")`,
        `encoder ${image} -> [${2 * n}], decoder [${n}] -> ${image}`,
        `encoder ${shapeStr(inShape as number[])} -> ${
          shapeStr(encOut as number[])
        }`,
      );
    }
    this.#encoder = encoder;
    this.#decoder = decoder;
    this.#config = structuredClone(config);
    this.#training = structuredClone(training);
  }

  /**
   * Builds a fresh model with the reference architecture.
   *
   * @param options Architecture (see {@linkcode ModelConfigOptions}) and training metadata.
   * @returns A new, untrained model.
   * @throws {ShapeError} When `inputShape` is malformed.
   * @throws {RangeError} When `latentDim` or `widths` is invalid.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ inputShape: [32, 32, 3], latentDim: 16 });
   * assert.deepEqual(m.config.inputShape, [32, 32, 3]);
   * ```
   */
  static create(options: CreateVaeModelOptions = {}): VaeModel {
    const config = resolveModelConfig(options);
    // different seeds for the two networks, both derived from the one seed
    const encoder = buildEncoder(config);
    const decoder = buildDecoder({
      ...config,
      seed: config.seed === null ? null : config.seed + 1_000_003,
    });
    return new VaeModel(encoder, decoder, config, options.training ?? {});
  }

  /** The architecture (a copy). */
  get config(): ModelConfig {
    return structuredClone(this.#config);
  }

  /** Training metadata saved in `config.json` (a copy; set to replace it). */
  get training(): JsonObject {
    return structuredClone(this.#training);
  }
  set training(value: JsonObject) {
    this.#training = structuredClone(value);
  }

  /** The encoder network (owned by this model; trainable). */
  get encoder(): LayersModel {
    this.#alive("use the encoder");
    return this.#encoder;
  }

  /** The decoder network (owned by this model; trainable). */
  get decoder(): LayersModel {
    this.#alive("use the decoder");
    return this.#decoder;
  }

  /**
   * The latent bank, or `null`. Setting validates the shape `[M, n]` and
   * stores a copy.
   *
   * @throws {ShapeError} When setting a bank whose shape is not `[M, n]` or whose
   * data length is not `M * n`.
   */
  get bank(): LatentBank | null {
    return this.#bank;
  }
  set bank(value: LatentBank | null) {
    if (value === null) {
      this.#bank = null;
      return;
    }
    const n = this.#config.latentDim;
    const { data, shape } = value;
    if (
      !(data instanceof Float32Array) || !Array.isArray(shape) ||
      shape.length !== 2 || shape[1] !== n || !Number.isInteger(shape[0]) ||
      shape[0] < 0 || data.length !== shape[0] * shape[1]
    ) {
      throw new ShapeError(
        `Cannot set the latent bank: shape "${
          JSON.stringify(shape)
        }" with ${data?.length} values is not [M, ${n}] with M * ${n} values`,
        `[M, ${n}]`,
        JSON.stringify(shape),
      );
    }
    this.#bank = { data: data.slice(), shape: [shape[0], shape[1]] };
  }

  #alive(action: string): void {
    if (this.#disposed) {
      throw new Error(`Cannot ${action}: the model was disposed`);
    }
  }

  #checkImages(shape: readonly number[], action: string): void {
    const [h, w, c] = this.#config.inputShape;
    if (
      shape.length !== 4 || shape[1] !== h || shape[2] !== w || shape[3] !== c
    ) {
      throw new ShapeError(
        `Cannot ${action}: images have shape "${
          shapeStr(shape)
        }", the model takes [N, ${h}, ${w}, ${c}]`,
        `[N, ${h}, ${w}, ${c}]`,
        shapeStr(shape),
      );
    }
  }

  /**
   * Encodes images to the posterior's mean and log-variance (tensors). The
   * log-variance is clipped to `[-30, 20]` as in training
   * (`splitEncoderHead`), so it is the one the loss saw.
   *
   * @param x Images `[N, H, W, C]`, values as in training (usually [0, 1]).
   * @returns `{ mu, logVar }`, `[N, n]` each; the caller disposes them.
   * @throws {ShapeError} When `x` is not `[N, H, W, C]` of the model.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { tf } from "@hsvae/hsvae/tf";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ latentDim: 4, seed: 3 });
   * const x = tf.zeros([3, 28, 28, 1]) as tf.Tensor4D;
   * const { mu, logVar } = m.encodeTensor(x);
   * assert.deepEqual(mu.shape, [3, 4]);
   * assert.deepEqual(logVar.shape, [3, 4]);
   * tf.dispose([x, mu, logVar]);
   * ```
   */
  encodeTensor(x: Tensor4D): EncodingTensors {
    this.#alive("encode");
    this.#checkImages(x.shape, "encode");
    const n = this.#config.latentDim;
    return tf.tidy(() => {
      const out = this.#encoder.predict(x) as Tensor2D;
      return splitEncoderHead(out, n);
    });
  }

  /**
   * Decodes latents to images (a tensor).
   *
   * @param z Latents `[N, n]`.
   * @returns Images `[N, H, W, C]` in (0, 1); the caller disposes them.
   * @throws {ShapeError} When `z` is not `[N, n]`.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { tf } from "@hsvae/hsvae/tf";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ latentDim: 4, seed: 3 });
   * const z = tf.zeros([2, 4]) as tf.Tensor2D;
   * const x = m.decodeTensor(z);
   * assert.deepEqual(x.shape, [2, 28, 28, 1]);
   * tf.dispose([z, x]);
   * ```
   */
  decodeTensor(z: Tensor2D): Tensor4D {
    this.#alive("decode");
    const n = this.#config.latentDim;
    if (z.shape.length !== 2 || z.shape[1] !== n) {
      throw new ShapeError(
        `Cannot decode: latents have shape "${
          shapeStr(z.shape)
        }", the model takes [N, ${n}]`,
        `[N, ${n}]`,
        shapeStr(z.shape),
      );
    }
    return tf.tidy(() => this.#decoder.predict(z) as Tensor4D);
  }

  /**
   * Reconstructs images through the posterior mean: `decode(mu(x))`, or
   * `decode(sqrt(n) mu / ||mu||)` for a model trained as `compressed` or `vmf`
   * (their decoders only ever saw z on that sphere).
   *
   * @param x Images `[N, H, W, C]`.
   * @returns Reconstructions `[N, H, W, C]`; the caller disposes them.
   * @throws {ShapeError} When `x` is not `[N, H, W, C]` of the model.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { tf } from "@hsvae/hsvae/tf";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ latentDim: 4, seed: 3 });
   * const x = tf.zeros([1, 28, 28, 1]) as tf.Tensor4D;
   * const r = m.reconstructTensor(x);
   * assert.deepEqual(r.shape, x.shape);
   * tf.dispose([x, r]);
   * ```
   */
  reconstructTensor(x: Tensor4D): Tensor4D {
    const { mu, logVar } = this.encodeTensor(x);
    logVar.dispose();
    // compressed / vMF decoders were trained on z on the sphere of radius
    // sqrt(n): decode the deterministic point they know, normalise(mu)
    const variant = this.#training.variant;
    const z = isVariant(variant) && variantNormalisesZ(variant)
      ? normaliseToSphere(mu)
      : mu;
    const out = this.decodeTensor(z);
    if (z !== mu) z.dispose();
    mu.dispose();
    return out;
  }

  async #batched(
    data: Float32Array,
    shape: number[],
    rowOut: number,
    run: (t: tf.Tensor) => tf.Tensor[],
    outs: number,
    batchSize: number,
  ): Promise<Float32Array[]> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot run the model: batchSize "${batchSize}" is not a positive integer`,
      );
    }
    const rows = shape[0];
    const rowIn = shape.slice(1).reduce((a, b) => a * b, 1);
    if (data.length !== rows * rowIn) {
      throw new ShapeError(
        `Cannot run the model: ${data.length} values do not fill shape "${
          shapeStr(shape)
        }"`,
        `${rows * rowIn} values`,
        `${data.length} values`,
      );
    }
    const results = Array.from(
      { length: outs },
      () => new Float32Array(rows * rowOut),
    );
    for (let start = 0; start < rows; start += batchSize) {
      const m = Math.min(batchSize, rows - start);
      const chunk = data.subarray(start * rowIn, (start + m) * rowIn);
      const t = tf.tensor(chunk, [m, ...shape.slice(1)], "float32");
      const ys = run(t);
      t.dispose();
      for (let k = 0; k < outs; k++) {
        results[k].set(await ys[k].data() as Float32Array, start * rowOut);
      }
      tf.dispose(ys);
    }
    return results;
  }

  /**
   * Encodes images to plain arrays, in batches.
   *
   * @param x Images: a `Float32Array` with `shape`, or a `Tensor4D` (not disposed).
   * @param shape `[N, H, W, C]`, required with a `Float32Array`.
   * @param options See {@linkcode BatchOptions}.
   * @returns `{ mu, logVar, shape: [N, n] }`.
   * @throws {ShapeError} When the shape is not `[N, H, W, C]` of the model or the
   * data length does not match it.
   * @throws {RangeError} When `batchSize` is not a positive integer.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ latentDim: 4, seed: 3 });
   * const e = await m.encode(new Float32Array(784), [1, 28, 28, 1]);
   * assert.deepEqual(e.shape, [1, 4]);
   * assert.ok(e.mu.every(Number.isFinite));
   * ```
   */
  async encode(
    x: Float32Array | Tensor4D,
    shape?: [number, number, number, number],
    options: BatchOptions = {},
  ): Promise<Encoding> {
    this.#alive("encode");
    const data = x instanceof Float32Array ? x : await x.data() as Float32Array;
    const s = x instanceof Float32Array ? shape : x.shape;
    if (s === undefined) {
      throw new ShapeError(
        "Cannot encode: a Float32Array needs its shape [N, H, W, C]",
        "[N, H, W, C]",
        "undefined",
      );
    }
    this.#checkImages(s, "encode");
    const n = this.#config.latentDim;
    const [mu, logVar] = await this.#batched(
      data,
      [...s],
      n,
      (t) => {
        const e = this.encodeTensor(t as Tensor4D);
        return [e.mu, e.logVar];
      },
      2,
      options.batchSize ?? 256,
    );
    return { mu, logVar, shape: [s[0], n] };
  }

  /**
   * Decodes latents to plain image arrays, in batches.
   *
   * @param z Latents: a `Float32Array` with `shape`, or a `Tensor2D` (not disposed).
   * @param shape `[N, n]`, required with a `Float32Array`.
   * @param options See {@linkcode BatchOptions}.
   * @returns `N * H * W * C` values, row-major `[N, H, W, C]`.
   * @throws {ShapeError} When the shape is not `[N, n]` or the data does not fill it.
   * @throws {RangeError} When `batchSize` is not a positive integer.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ latentDim: 4, seed: 3 });
   * const x = await m.decode(new Float32Array(8), [2, 4]);
   * assert.equal(x.length, 2 * 784);
   * assert.ok(x.every((v) => v > 0 && v < 1));
   * ```
   */
  async decode(
    z: Float32Array | Tensor2D,
    shape?: [number, number],
    options: BatchOptions = {},
  ): Promise<Float32Array> {
    this.#alive("decode");
    const data = z instanceof Float32Array ? z : await z.data() as Float32Array;
    const s = z instanceof Float32Array ? shape : z.shape;
    const n = this.#config.latentDim;
    if (s === undefined || s.length !== 2 || s[1] !== n) {
      throw new ShapeError(
        `Cannot decode: latents have shape "${
          s === undefined ? "undefined" : shapeStr(s)
        }", the model takes [N, ${n}]`,
        `[N, ${n}]`,
        s === undefined ? "undefined" : shapeStr(s),
      );
    }
    const [h, w, c] = this.#config.inputShape;
    const [out] = await this.#batched(
      data,
      [...s],
      h * w * c,
      (t) => [this.decodeTensor(t as Tensor2D)],
      1,
      options.batchSize ?? 256,
    );
    return out;
  }

  /**
   * Reconstructs images through the posterior mean, as plain arrays.
   *
   * @param x Images: a `Float32Array` with `shape`, or a `Tensor4D` (not disposed).
   * @param shape `[N, H, W, C]`, required with a `Float32Array`.
   * @param options See {@linkcode BatchOptions}.
   * @returns `N * H * W * C` values, row-major.
   * @throws {ShapeError} When the shape is not `[N, H, W, C]` of the model.
   * @throws {RangeError} When `batchSize` is not a positive integer.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * using m = VaeModel.create({ latentDim: 4, seed: 3 });
   * const r = await m.reconstruct(new Float32Array(784), [1, 28, 28, 1]);
   * assert.equal(r.length, 784);
   * ```
   */
  async reconstruct(
    x: Float32Array | Tensor4D,
    shape?: [number, number, number, number],
    options: BatchOptions = {},
  ): Promise<Float32Array> {
    this.#alive("reconstruct");
    const data = x instanceof Float32Array ? x : await x.data() as Float32Array;
    const s = x instanceof Float32Array ? shape : x.shape;
    if (s === undefined) {
      throw new ShapeError(
        "Cannot reconstruct: a Float32Array needs its shape [N, H, W, C]",
        "[N, H, W, C]",
        "undefined",
      );
    }
    this.#checkImages(s, "reconstruct");
    const [h, w, c] = this.#config.inputShape;
    const [out] = await this.#batched(
      data,
      [...s],
      h * w * c,
      (t) => [this.reconstructTensor(t as Tensor4D)],
      1,
      options.batchSize ?? 256,
    );
    return out;
  }

  /**
   * Saves the model to a directory, atomically: everything is written into a
   * fresh sibling folder, `manifest.json` (sizes and SHA-256 of every file)
   * last, and that folder then replaces `dir` (`replaceFolder`), so a crash
   * leaves the old complete model or the new one, never a mix. See the
   * module doc for the layout.
   *
   * @param dir Target directory: new, empty, or a saved model (replaced).
   * @returns Resolves when the new model is in place.
   * @throws {Deno.errors.AlreadyExists} When `dir` exists and is neither empty
   * nor a saved model (it is left alone).
   * @throws {Deno.errors.PermissionDenied} Without write permission.
   *
   * @example Save and load give identical encodings
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { loadModel, VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * const dir = await Deno.makeTempDir();
   * using m = VaeModel.create({ latentDim: 4, seed: 5, training: { variant: "vae" } });
   * await m.save(dir);
   * using back = await loadModel(dir);
   * assert.deepEqual(back.training, { variant: "vae" });
   * const x = new Float32Array(784).fill(0.3);
   * const a = await m.encode(x, [1, 28, 28, 1]);
   * const b = await back.encode(x, [1, 28, 28, 1]);
   * assert.deepEqual(b.mu, a.mu);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  async save(dir: string): Promise<void> {
    this.#alive("save");
    await replaceFolder(dir, (tmp) => this.#write(tmp), {
      replaceable: isModelFolderOrEmpty,
    });
  }

  /** Writes every file of the model into the fresh folder `dir`. */
  async #write(dir: string): Promise<void> {
    await saveLayersModel(this.#encoder, `${dir}/encoder`);
    await saveLayersModel(this.#decoder, `${dir}/decoder`);
    const saved: SavedModelConfig = {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      toolkitVersion: TOOLKIT_VERSION,
      createdAt: new Date().toISOString(),
      model: this.#config,
      training: this.#training,
    };
    if (this.#bank !== null) {
      const { data, shape } = this.#bank;
      await writeFileAtomic(
        `${dir}/${BANK_FILE}`,
        new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      );
      saved.bank = { file: BANK_FILE, shape, dtype: "float32" };
    }
    await writeFileAtomic(
      `${dir}/${CONFIG_FILE}`,
      JSON.stringify(saved, null, 2) + "\n",
    );
    await writeManifest(dir);
  }

  /**
   * Frees the networks' weights. Further use throws; a second call does nothing.
   *
   * @example
   * ```ts
   * import { selectBackend } from "@hsvae/hsvae";
   * import assert from "node:assert/strict";
   * import { VaeModel } from "@hsvae/hsvae";
   * await selectBackend("wasm");
   *
   * const m = VaeModel.create({ latentDim: 4 });
   * m.dispose();
   * await assert.rejects(m.encode(new Float32Array(784), [1, 28, 28, 1]), /disposed/);
   * ```
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#encoder.dispose();
    this.#decoder.dispose();
    this.#bank = null;
  }

  /** Same as {@linkcode VaeModel.dispose}, for `using model = ...`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

const CONFIG_FILE = "config.json";
const BANK_FILE = "bank.bin";
const FIX = "save the model again";

/** A folder `save` may replace: empty, or one a save wrote. */
async function isModelFolderOrEmpty(dir: string): Promise<boolean> {
  for await (const _ of Deno.readDir(dir)) {
    return await pathExists(`${dir}/${MANIFEST_FILE}`) ||
      await pathExists(`${dir}/${CONFIG_FILE}`);
  }
  return true;
}

function fail(file: string, reason: string, offset?: number): never {
  throw new DataFormatError(`Cannot load model: ${reason}`, { file, offset });
}

function otherVersion(configPath: string, saved: Record<string, unknown>) {
  fail(
    configPath,
    `"${configPath}" has formatVersion "${saved.formatVersion}" (written by hsvae "${saved.toolkitVersion}"), this hsvae "${TOOLKIT_VERSION}" reads version "${MODEL_FORMAT_VERSION}"; load it with the hsvae version that wrote it, or train and save the model again`,
  );
}

/** Refuses a missing folder, naming a complete leftover of an interrupted save. */
async function missingFolder(dir: string): Promise<never> {
  const left = (await leftoverFolders(dir)).filter((l) => l.complete);
  if (left.length > 0) {
    fail(
      dir,
      `"${dir}" does not exist, but a save into it was interrupted: ${
        left.map((l) =>
          `"${l.path}" holds the ${
            l.kind === "old" ? "previous" : "new"
          } complete model`
        ).join(", ")
      }; rename the one you want to "${dir}"`,
    );
  }
  fail(
    dir,
    `"${dir}" does not exist; pass a folder written by VaeModel.save()`,
  );
}

/**
 * Checks the folder against its manifest before anything is parsed; a
 * folder of another `formatVersion` is told so first (it may be laid out
 * differently), and one without a manifest (saved by an hsvae before
 * manifests, or by an interrupted save) is refused with the way out.
 */
async function verifyModelFolder(dir: string): Promise<VerifiedFolder> {
  const configPath = `${dir}/${CONFIG_FILE}`;
  const manifestPath = `${dir}/${MANIFEST_FILE}`;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return await missingFolder(dir);
    throw e;
  }
  if (!info.isDirectory) {
    fail(
      dir,
      `"${dir}" is not a folder; pass a folder written by VaeModel.save()`,
    );
  }
  if (!(await pathExists(manifestPath))) {
    if (!(await pathExists(configPath))) {
      fail(
        configPath,
        `"${configPath}" is missing; is "${dir}" a directory written by VaeModel.save()?`,
      );
    }
    const saved = await peekJsonObject(configPath);
    if (saved !== null && saved.format !== MODEL_FORMAT) {
      fail(
        configPath,
        `"${configPath}" has format "${saved.format}", expected "${MODEL_FORMAT}"; this directory was not written by hsvae`,
      );
    }
    if (saved !== null && saved.formatVersion !== MODEL_FORMAT_VERSION) {
      otherVersion(configPath, saved);
    }
    fail(
      manifestPath,
      `"${manifestPath}" is missing: the model was saved without a manifest (by hsvae "${
        saved?.toolkitVersion ?? "?"
      }", before integrity manifests, or by a save that did not finish); save the model again with this hsvae, or, if you trust its files, record them with writeManifest("${dir}")`,
    );
  }
  try {
    return await verifyManifest(dir, { action: "load model", fix: FIX });
  } catch (e) {
    if (e instanceof DataFormatError) {
      const saved = await peekJsonObject(configPath);
      if (
        saved !== null && saved.format === MODEL_FORMAT &&
        typeof saved.formatVersion === "number" &&
        saved.formatVersion !== MODEL_FORMAT_VERSION
      ) {
        otherVersion(configPath, saved);
      }
    }
    throw e;
  }
}

function isBankEntry(b: unknown): b is NonNullable<SavedModelConfig["bank"]> {
  if (b === null || typeof b !== "object") return false;
  const { file, shape, dtype } = b as Record<string, unknown>;
  return typeof file === "string" && dtype === "float32" &&
    Array.isArray(shape) && shape.length === 2 &&
    shape.every((d) => Number.isSafeInteger(d) && d >= 0);
}

/** The bank's values, checked against its shape and for non-finite rows. */
function readBank(
  folder: VerifiedFolder,
  entry: NonNullable<SavedModelConfig["bank"]>,
): Float32Array {
  const bankPath = `${folder.dir}/${entry.file}`;
  const bytes = folder.readFile(entry.file);
  const [m, n] = entry.shape;
  if (bytes.byteLength !== 4 * m * n) {
    fail(
      bankPath,
      `"${bankPath}" holds ${bytes.byteLength} bytes, shape "[${m}, ${n}]" needs ${
        4 * m * n
      }; the file is truncated or corrupt`,
      Math.min(bytes.byteLength, 4 * m * n),
    );
  }
  const data = new Float32Array(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      fail(
        bankPath,
        `row ${Math.floor(i / n)} of "${bankPath}" holds ${data[i]} at byte ${
          4 * i
        }; the bank is corrupt or the encoder diverged, ${FIX}`,
        4 * i,
      );
    }
  }
  return data;
}

/**
 * Loads a model saved by {@linkcode VaeModel.save}. Every file is first
 * checked against the folder's `manifest.json` (sizes and SHA-256), then
 * parsed from the very bytes that were checked; the bank is checked against
 * its shape and for rows holding NaN or infinity.
 *
 * A folder without `manifest.json` (saved by an hsvae before manifests) is
 * refused; the message says to save it again, or to record its files with
 * `writeManifest(dir)` when they are trusted. A missing folder beside the
 * complete leftover of an interrupted save names that leftover.
 *
 * @param dir The model directory.
 * @returns The model, with its configuration, training metadata and bank.
 * @throws {DataFormatError} When a file is missing, damaged (size or SHA-256
 * differ from the manifest) or invalid (its `file` names it), the manifest
 * is missing, or `config.json` has another `format` or `formatVersion` (the
 * message says what to do).
 *
 * @example A missing directory is named
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadModel } from "@hsvae/hsvae";
 * import { DataFormatError } from "@hsvae/hsvae";
 *
 * await assert.rejects(loadModel("/nonexistent"), (e: unknown) =>
 *   e instanceof DataFormatError && e.file === "/nonexistent" &&
 *   /does not exist/.test(e.message));
 * ```
 */
export async function loadModel(dir: string): Promise<VaeModel> {
  await ensureBackend();
  const folder = await verifyModelFolder(dir);
  const configPath = `${dir}/${CONFIG_FILE}`;
  let saved: SavedModelConfig;
  try {
    saved = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(
        folder.readFile(CONFIG_FILE),
      ),
    );
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    fail(
      configPath,
      `"${configPath}" is not valid JSON (${(e as Error).message})`,
    );
  }
  if (saved === null || typeof saved !== "object" || Array.isArray(saved)) {
    fail(configPath, `"${configPath}" is not a JSON object`);
  }
  if (saved.format !== MODEL_FORMAT) {
    fail(
      configPath,
      `"${configPath}" has format "${saved.format}", expected "${MODEL_FORMAT}"; this directory was not written by hsvae`,
    );
  }
  if (saved.formatVersion !== MODEL_FORMAT_VERSION) {
    otherVersion(configPath, saved as unknown as Record<string, unknown>);
  }
  if (
    saved.model === null || typeof saved.model !== "object" ||
    Array.isArray(saved.model)
  ) {
    fail(configPath, `"${configPath}" has no "model" object`);
  }
  let config: ModelConfig;
  try {
    config = resolveModelConfig(saved.model);
  } catch (e) {
    fail(
      configPath,
      `"${configPath}" has an invalid "model" entry (${(e as Error).message})`,
    );
  }
  const training = saved.training ?? {};
  if (
    training === null || typeof training !== "object" || Array.isArray(training)
  ) {
    fail(
      configPath,
      `"${configPath}" has a "training" entry that is not an object`,
    );
  }
  if (saved.bank !== undefined && !isBankEntry(saved.bank)) {
    fail(
      configPath,
      `"${configPath}" has a "bank" entry that is not { file, shape: [M, n], dtype: "float32" }`,
    );
  }
  const bank = saved.bank === undefined ? null : readBank(folder, saved.bank);
  const read = (path: string) => folder.readFile(path.slice(dir.length + 1));
  const encoder = await loadLayersModel(`${dir}/encoder`, { read });
  let decoder: LayersModel;
  try {
    decoder = await loadLayersModel(`${dir}/decoder`, { read });
  } catch (e) {
    encoder.dispose();
    throw e;
  }
  let model: VaeModel;
  try {
    model = new VaeModel(encoder, decoder, config, training);
  } catch (e) {
    encoder.dispose();
    decoder.dispose();
    fail(
      configPath,
      `the networks do not match "${configPath}" (${(e as Error).message})`,
    );
  }
  if (bank !== null) {
    try {
      model.bank = { data: bank, shape: saved.bank!.shape };
    } catch (e) {
      model.dispose();
      fail(
        configPath,
        `"${configPath}" has a bank entry that does not fit the model (${
          (e as Error).message
        })`,
      );
    }
  }
  return model;
}
