/**
 * The reference architecture: a small ResNet-18-like encoder and its mirrored
 * decoder (0.1 to 1 M parameters), built as `tf.LayersModel`s so they can be
 * saved and loaded with tfjs's own model format.
 *
 * Encoder (reference shape for 28x28x1, widths `[16, 32, 64, 64]`):
 *
 *     conv3x3(C -> 16) @28, ResBlock(16),
 *     conv3x3/2 (-> 32) @14, ResBlock(32),
 *     conv3x3/2 (-> 64) @7,  ResBlock(64),
 *     conv3x3/2 (-> 64) @4,  relu, flatten, dense -> 2n  (mu, log-variance)
 *
 * `ResBlock(c) = x + conv(relu(conv(relu(x))))`, no batch norm. The decoder
 * mirrors it: dense n -> 4x4x64, relu, then per stage nearest-neighbour
 * upsampling x2, a crop to the encoder's size at that stage (4 -> 8 -> 7 for
 * 28x28 inputs), conv3x3 to the stage width and a ResBlock; finally relu,
 * conv3x3 to C channels and a sigmoid. Stage sizes are `ceil(size / 2)` per
 * stride-2 conv, so any H x W works; 32x32 inputs run 32 -> 16 -> 8 -> 4 and
 * 64x64 inputs get one more stage (default widths `[16, 32, 64, 64, 64]`).
 *
 * Only kernels with a fast training path on `wasm` are used (conv, dense,
 * relu, add, nearest upsampling, slice); importing this module registers the
 * conv gradient kernels of `../kernels/wasm_conv.ts`.
 *
 * Parameter counts with the defaults (latentDim 128), encoder + decoder:
 *
 * | input | widths | encoder | decoder | total |
 * | --- | --- | --- | --- | --- |
 * | 28x28x1 | 16,32,64,64 | 419,616 | 289,249 | 708,865 |
 * | 32x32x3 | 16,32,64,64 | 419,904 | 289,539 | 709,443 |
 * | 64x64x3 | 16,32,64,64,64 | 530,688 | 400,323 | 931,011 |
 * | 64x64x6 | 16,32,64,64,64 | 531,120 | 400,758 | 931,878 |
 *
 * @module
 */
import { tf } from "../tf.ts";
import "../kernels/wasm_conv.ts";
import "../kernels/wasm_training_kernels.ts";
import type { LayersModel, SymbolicTensor } from "../tf.ts";
import { ShapeError } from "../errors.ts";
import { DEFAULT_LATENT_DIM } from "../presets.ts";

/** The architecture of an encoder / decoder pair; JSON-serialisable. */
export interface ModelConfig {
  /** Input image shape `[H, W, C]`. */
  inputShape: [number, number, number];
  /** Latent dimension n; the encoder outputs 2n values (mu, log-variance). */
  latentDim: number;
  /**
   * Channel width of each resolution stage, from the input resolution down to
   * the bottleneck; `widths.length - 1` stride-2 convolutions.
   */
  widths: number[];
  /** Seed of the weight initialisers; `null` draws fresh random weights. */
  seed: number | null;
}

/** Options of {@linkcode resolveModelConfig}, {@linkcode buildEncoder} and {@linkcode buildDecoder}. */
export interface ModelConfigOptions {
  /**
   * Input image shape `[H, W, C]`.
   * @default {[28, 28, 1]}
   */
  inputShape?: [number, number, number];
  /**
   * Latent dimension n.
   * @default {128 (`DEFAULT_LATENT_DIM`, src/presets.ts)}
   */
  latentDim?: number;
  /**
   * Width of each stage.
   * @default {[16, 32, 64, 64] for inputs up to 32 pixels, [16, 32, 64, 64, 64] above}
   */
  widths?: number[];
  /**
   * Seed of the weight initialisers (reproducible weights); `null` for random.
   * @default {null}
   */
  seed?: number | null;
}

function positiveInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/**
 * Fills the defaults of a model configuration and validates it.
 *
 * @param options Partial configuration; see {@linkcode ModelConfigOptions}.
 * @returns A complete {@linkcode ModelConfig}.
 * @throws {ShapeError} When `inputShape` is not three positive integers.
 * @throws {RangeError} When `latentDim` or a width is not a positive integer, or
 * `widths` is empty.
 *
 * @example Defaults for 64x64 RGB images
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveModelConfig } from "@hsvae/hsvae";
 *
 * const c = resolveModelConfig({ inputShape: [64, 64, 3] });
 * assert.deepEqual(c.widths, [16, 32, 64, 64, 64]);
 * assert.equal(c.latentDim, 128);
 * ```
 */
export function resolveModelConfig(
  options: ModelConfigOptions = {},
): ModelConfig {
  const inputShape = options.inputShape ?? [28, 28, 1];
  if (
    !Array.isArray(inputShape) || inputShape.length !== 3 ||
    !inputShape.every(positiveInt)
  ) {
    throw new ShapeError(
      `Cannot build the model: inputShape "${
        JSON.stringify(inputShape)
      }" is not [H, W, C] with positive integers`,
      "[H, W, C]",
      JSON.stringify(inputShape),
    );
  }
  const latentDim = options.latentDim ?? DEFAULT_LATENT_DIM;
  if (!positiveInt(latentDim)) {
    throw new RangeError(
      `Cannot build the model: latentDim "${latentDim}" is not a positive integer`,
    );
  }
  const widths = options.widths ??
    (Math.max(inputShape[0], inputShape[1]) > 32
      ? [16, 32, 64, 64, 64]
      : [16, 32, 64, 64]);
  if (
    !Array.isArray(widths) || widths.length < 1 || !widths.every(positiveInt)
  ) {
    throw new RangeError(
      `Cannot build the model: widths "${
        JSON.stringify(widths)
      }" must be a non-empty list of positive integers`,
    );
  }
  const seed = options.seed ?? null;
  if (seed !== null && (!Number.isInteger(seed) || seed < 0)) {
    throw new RangeError(
      `Cannot build the model: seed "${seed}" is not null or an integer >= 0`,
    );
  }
  return {
    inputShape: [inputShape[0], inputShape[1], inputShape[2]],
    latentDim,
    widths: [...widths],
    seed,
  };
}

/** Spatial sizes `[h, w]` of each stage: the input, then `ceil(/2)` per stride-2 conv. */
function stageSizes(config: ModelConfig): Array<[number, number]> {
  const sizes: Array<[number, number]> = [[
    config.inputShape[0],
    config.inputShape[1],
  ]];
  for (let i = 1; i < config.widths.length; i++) {
    const [h, w] = sizes[i - 1];
    sizes.push([Math.ceil(h / 2), Math.ceil(w / 2)]);
  }
  return sizes;
}

/**
 * Deterministic initialisers: one seed per layer, derived from the config's
 * seed. tfjs treats a seed of 0 as "no seed" (it falls back to Math.random),
 * so layer k of seed s gets `s * 1009 + k + 1`, never 0.
 */
class Init {
  readonly #base: number | null;
  #k = 0;
  constructor(seed: number | null) {
    this.#base = seed;
  }
  kernel(): ReturnType<typeof tf.initializers.glorotUniform> {
    if (this.#base === null) return tf.initializers.glorotUniform({});
    return tf.initializers.glorotUniform({
      seed: this.#base * 1009 + this.#k++ + 1,
    });
  }
}

function conv(
  x: SymbolicTensor,
  filters: number,
  strides: number,
  name: string,
  init: Init,
): SymbolicTensor {
  return tf.layers.conv2d({
    filters,
    kernelSize: 3,
    strides,
    padding: "same",
    kernelInitializer: init.kernel(),
    name,
  }).apply(x) as SymbolicTensor;
}

function relu(x: SymbolicTensor, name: string): SymbolicTensor {
  return tf.layers.reLU({ name }).apply(x) as SymbolicTensor;
}

function resBlock(
  x: SymbolicTensor,
  channels: number,
  name: string,
  init: Init,
): SymbolicTensor {
  let y = relu(x, `${name}_relu1`);
  y = conv(y, channels, 1, `${name}_conv1`, init);
  y = relu(y, `${name}_relu2`);
  y = conv(y, channels, 1, `${name}_conv2`, init);
  return tf.layers.add({ name: `${name}_add` }).apply([x, y]) as SymbolicTensor;
}

/**
 * Builds the encoder: images `[N, H, W, C]` (values in [0, 1]) to
 * `[N, 2n]`, the first n columns mu, the last n the log-variance.
 *
 * @param options See {@linkcode ModelConfigOptions}; defaults to 28x28x1, n = 128.
 * @returns An uncompiled `tf.LayersModel` named `"encoder"`.
 * @throws {ShapeError} When `inputShape` is malformed.
 * @throws {RangeError} When `latentDim` or `widths` is invalid.
 *
 * @example The reference encoder for Fashion-MNIST
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { buildEncoder, countParams } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const enc = buildEncoder({ inputShape: [28, 28, 1], seed: 1 });
 * assert.equal(countParams(enc), 419616);
 * const x = tf.zeros([2, 28, 28, 1]);
 * const y = enc.predict(x) as tf.Tensor;
 * assert.deepEqual(y.shape, [2, 256]);
 * tf.dispose([x, y]);
 * enc.dispose();
 * ```
 */
export function buildEncoder(options: ModelConfigOptions = {}): LayersModel {
  const config = resolveModelConfig(options);
  const init = new Init(config.seed);
  const { widths } = config;
  const input = tf.input({ shape: config.inputShape, name: "image" });
  let x = conv(input, widths[0], 1, "enc_stem", init);
  for (let i = 0; i < widths.length - 1; i++) {
    x = resBlock(x, widths[i], `enc_block${i}`, init);
    x = conv(x, widths[i + 1], 2, `enc_down${i}`, init);
  }
  if (widths.length === 1) x = resBlock(x, widths[0], "enc_block0", init);
  x = relu(x, "enc_relu");
  x = tf.layers.flatten({ name: "enc_flatten" }).apply(x) as SymbolicTensor;
  const out = tf.layers.dense({
    units: 2 * config.latentDim,
    kernelInitializer: init.kernel(),
    name: "enc_mu_logvar",
  }).apply(x) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "encoder" });
}

/**
 * Builds the decoder: latents `[N, n]` to images `[N, H, W, C]` in (0, 1)
 * (sigmoid output), mirroring {@linkcode buildEncoder}.
 *
 * @param options See {@linkcode ModelConfigOptions}; defaults to 28x28x1, n = 128.
 * @returns An uncompiled `tf.LayersModel` named `"decoder"`.
 * @throws {ShapeError} When `inputShape` is malformed.
 * @throws {RangeError} When `latentDim` or `widths` is invalid.
 *
 * @example The reference decoder maps latents back to 28x28 images
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { buildDecoder, countParams } from "@hsvae/hsvae";
 * import { tf } from "@hsvae/hsvae/tf";
 * await selectBackend("wasm");
 *
 * const dec = buildDecoder({ inputShape: [28, 28, 1], seed: 1 });
 * assert.equal(countParams(dec), 289249);
 * const z = tf.zeros([2, 128]);
 * const y = dec.predict(z) as tf.Tensor;
 * assert.deepEqual(y.shape, [2, 28, 28, 1]);
 * assert.ok(Math.abs((await y.data())[0] - 0.5) < 0.5);
 * tf.dispose([z, y]);
 * dec.dispose();
 * ```
 */
export function buildDecoder(options: ModelConfigOptions = {}): LayersModel {
  const config = resolveModelConfig(options);
  const init = new Init(config.seed);
  const { widths } = config;
  const sizes = stageSizes(config);
  const last = widths.length - 1;
  const [bh, bw] = sizes[last];
  const input = tf.input({ shape: [config.latentDim], name: "latent" });
  let x = tf.layers.dense({
    units: bh * bw * widths[last],
    kernelInitializer: init.kernel(),
    name: "dec_dense",
  }).apply(input) as SymbolicTensor;
  x = tf.layers.reshape({
    targetShape: [bh, bw, widths[last]],
    name: "dec_reshape",
  })
    .apply(x) as SymbolicTensor;
  x = relu(x, "dec_relu0");
  for (let i = last - 1; i >= 0; i--) {
    x = tf.layers.upSampling2d({ size: [2, 2], name: `dec_up${i}` })
      .apply(x) as SymbolicTensor;
    const [h, w] = sizes[i];
    const [h2, w2] = sizes[i + 1];
    if (2 * h2 !== h || 2 * w2 !== w) {
      x = tf.layers.cropping2D({
        cropping: [[0, 2 * h2 - h], [0, 2 * w2 - w]],
        name: `dec_crop${i}`,
      }).apply(x) as SymbolicTensor;
    }
    x = conv(x, widths[i], 1, `dec_conv${i}`, init);
    x = resBlock(x, widths[i], `dec_block${i}`, init);
  }
  if (widths.length === 1) x = resBlock(x, widths[0], "dec_block0", init);
  x = relu(x, "dec_relu");
  x = conv(x, config.inputShape[2], 1, "dec_out", init);
  const out = tf.layers.activation({
    activation: "sigmoid",
    name: "dec_sigmoid",
  })
    .apply(x) as SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: "decoder" });
}

/**
 * Counts the scalar parameters (trainable and not) of a model.
 *
 * @param model A `tf.LayersModel`, e.g. from {@linkcode buildEncoder}.
 * @returns The number of parameters.
 *
 * @example
 * ```ts
 * import { selectBackend } from "@hsvae/hsvae";
 * import assert from "node:assert/strict";
 * import { buildDecoder, countParams } from "@hsvae/hsvae";
 * await selectBackend("wasm");
 *
 * const dec = buildDecoder({ inputShape: [32, 32, 3] });
 * assert.equal(countParams(dec), 289539);
 * dec.dispose();
 * ```
 */
export function countParams(model: LayersModel): number {
  let total = 0;
  for (const w of model.weights) {
    total += w.shape.reduce((a: number, b) => a * (b ?? 1), 1);
  }
  return total;
}
