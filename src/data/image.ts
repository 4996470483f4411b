/**
 * Single-image helpers: PNG/JPEG decoding to `[0, 1]` floats (with the npm
 * libraries `fast-png` and `jpeg-js`), channel conversion, center crop and
 * separable resizing (bilinear or area).
 *
 * @module
 */
import {
  convertIndexedToRgb,
  decode as decodePng,
  hasPngSignature,
} from "fast-png";
import { Unzlib } from "fflate";
import jpeg from "jpeg-js";
import { DataFormatError } from "../errors.ts";
import { checkAllocation, checkSize } from "../limits.ts";

/** One decoded image, HWC, values in `[0, 1]`. */
export interface Image {
  /** `height * width * channels` values, row-major, channels last. */
  data: Float32Array;
  /** Rows. */
  height: number;
  /** Columns. */
  width: number;
  /** Values per pixel. */
  channels: number;
}

/**
 * Checks an image size before anything of that size is allocated: both
 * sides positive integers, each at most `LIMITS.maxImageSide`, their
 * product at most `LIMITS.maxImagePixels`.
 *
 * @param action What is being done, for messages (`load image folder "x"`).
 * @param size `[height, width]`.
 * @throws {RangeError} When a side is not a positive integer.
 * @throws {LimitError} When a side or the pixel count is beyond its limit.
 *
 * @example A resize target of 1e9 x 1e9 is refused before any allocation
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkImageSize, LimitError } from "@hsvae/hsvae";
 *
 * checkImageSize("resize image", [64, 64]);
 * assert.throws(
 *   () => checkImageSize("resize image", [1e9, 1e9]),
 *   (e: unknown) => e instanceof LimitError && e.limit === "maxImageSide",
 * );
 * assert.throws(() => checkImageSize("resize image", [0, 3]), RangeError);
 * ```
 */
export function checkImageSize(action: string, size: [number, number]): void {
  const [h, w] = Array.isArray(size) ? size : [NaN, NaN];
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new RangeError(
      `Cannot ${action}: "size" must be two positive integers [height, width], found "[${size}]"`,
    );
  }
  checkSize(`${action} (height)`, "maxImageSide", h);
  checkSize(`${action} (width)`, "maxImageSide", w);
  checkSize(`${action} (height x width)`, "maxImagePixels", h * w);
}

/** Big-endian unsigned 32-bit integer at `at`. */
function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) +
    (bytes[at + 2] << 8) + bytes[at + 3];
}

/** The 4-character type of the PNG chunk whose length field is at `at`. */
function chunkType(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at + 4, at + 8));
}

/** Samples per pixel of each PNG colour type. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Adam7 passes: x start, y start, x step, y step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * The bytes the IDAT stream of a PNG must inflate to (filter bytes
 * included), from its header; with an unknown depth or colour type (which
 * the decoder refuses) the largest any PNG of that size could need.
 */
function pngRawBytes(
  h: number,
  w: number,
  depth: number,
  colorType: number,
  interlace: number,
): number {
  const channels = PNG_CHANNELS[colorType];
  const bits = channels && [1, 2, 4, 8, 16].includes(depth)
    ? channels * depth
    : 64;
  const rows = (ph: number, pw: number) =>
    ph > 0 && pw > 0 ? ph * (1 + Math.ceil((pw * bits) / 8)) : 0;
  if (interlace !== 1) return rows(h, w);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    total += rows(Math.ceil((h - y0) / dy), Math.ceil((w - x0) / dx));
  }
  return total;
}

/**
 * Reads the size from a PNG's IHDR and checks it, and checks that the
 * compressed image data does not inflate past what that size needs, all
 * before the decoder (which would allocate for the header's size and
 * inflate the whole stream) runs.
 */
function checkPngHeader(bytes: Uint8Array, file: string): void {
  // Signature (8), IHDR length (4) and type (4), width, height, depth,
  // colour type, compression, filter, interlace.
  if (bytes.length < 29 || chunkType(bytes, 8) !== "IHDR") {
    throw new DataFormatError(
      `Cannot decode PNG "${file}": the IHDR header chunk is missing or truncated (${bytes.length} bytes); the file is damaged`,
      { file, offset: 8 },
    );
  }
  const w = u32(bytes, 16);
  const h = u32(bytes, 20);
  for (const [name, v, at] of [["width", w, 16], ["height", h, 20]] as const) {
    if (v === 0 || v > 0x7fffffff) {
      throw new DataFormatError(
        `Cannot decode PNG "${file}": the header gives ${name} "${v}", expected 1 to 2^31-1; the file is damaged`,
        { file, offset: at },
      );
    }
  }
  checkImageSize(`decode PNG "${file}"`, [h, w]);
  // Decoded samples (up to 4 channels of 16 bits) plus our float copy.
  checkAllocation(`decode PNG "${file}"`, h * w * 4 * (2 + 4));
  const raw = pngRawBytes(h, w, bytes[24], bytes[25], bytes[28]);
  let inflated = 0;
  const inflator = new Unzlib((chunk) => {
    inflated += chunk.length;
    if (inflated > raw) {
      throw new DataFormatError(
        `Cannot decode PNG "${file}": its image data inflates past the ${raw} bytes that a ${w}x${h} image needs; the file is damaged or a decompression bomb`,
        { file },
      );
    }
  });
  try {
    for (let at = 8; at + 12 <= bytes.length;) {
      const length = u32(bytes, at);
      const type = chunkType(bytes, at);
      if (type === "IEND" || at + 12 + length > bytes.length) break;
      if (type === "IDAT") {
        inflator.push(bytes.subarray(at + 8, at + 8 + length), false);
      }
      at += 12 + length;
    }
  } catch (err) {
    if (err instanceof DataFormatError) throw err;
    // A corrupt stream: the decoder reports it with its own words.
  }
}

/**
 * Reads the frame size from every SOF segment before the first scan of a
 * JPEG and checks it before the decoder allocates for it.
 */
function checkJpegHeader(bytes: Uint8Array, file: string): void {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return; // not a marker: the decoder says why
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (
      marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)
    ) {
      at += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return; // first scan, or end
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 &&
      marker !== 0xc8 && marker !== 0xcc;
    if (isSof && at + 9 <= bytes.length) {
      const h = (bytes[at + 5] << 8) | bytes[at + 6];
      const w = (bytes[at + 7] << 8) | bytes[at + 8];
      if (h === 0 || w === 0) {
        throw new DataFormatError(
          `Cannot decode JPEG "${file}": the frame header gives ${w}x${h} pixels, expected both sides at least 1 (a height set later by a DNL marker is not supported); the file is damaged`,
          { file, offset: at + 5 },
        );
      }
      checkImageSize(`decode JPEG "${file}"`, [h, w]);
      // RGBA decode buffer plus our float RGB copy.
      checkAllocation(`decode JPEG "${file}"`, h * w * (4 + 3 * 4));
    }
    at += 2 + length;
  }
}

/**
 * Decodes a PNG (8 or 16 bit, gray, gray+alpha, RGB, RGBA, indexed) or a
 * baseline/progressive JPEG to floats in `[0, 1]`. Format is detected from
 * the bytes, not the name. Alpha is kept as a channel (drop it with
 * {@linkcode toChannels}).
 *
 * @param bytes The file's bytes.
 * @param file The file name used in error messages.
 * @returns The image.
 * @throws {DataFormatError} When the bytes are neither PNG nor JPEG, the
 * header gives a zero (or, for PNG, above 2^31-1) side, the PNG data
 * inflates past what its header's size needs, or the decoder fails
 * (truncated, corrupt).
 * @throws {LimitError} When the header's size is beyond
 * `LIMITS.maxImageSide` / `maxImagePixels` or the memory available; the
 * header is read and checked before the decoder allocates anything.
 *
 * @example A 1x1 gray PNG made with fast-png
 * ```ts
 * import assert from "node:assert/strict";
 * import { encode } from "fast-png";
 * import { decodeImage } from "@hsvae/hsvae";
 *
 * const png = encode({ width: 1, height: 1, channels: 1, depth: 8, data: new Uint8Array([51]) });
 * const img = decodeImage(png, "a.png");
 * assert.deepEqual([img.height, img.width, img.channels], [1, 1, 1]);
 * assert.equal(img.data[0], Math.fround(0.2));
 * ```
 */
export function decodeImage(bytes: Uint8Array, file: string): Image {
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 &&
    bytes[2] === 0xff;
  if (hasPngSignature(bytes)) {
    checkPngHeader(bytes, file);
    let png: ReturnType<typeof decodePng>;
    let data: ArrayLike<number>;
    let channels: number;
    try {
      png = decodePng(bytes);
      ({ data, channels } = png);
      if (png.palette) {
        data = convertIndexedToRgb(png);
        channels = png.palette[0].length;
      }
    } catch (err) {
      throw new DataFormatError(
        `Cannot decode PNG "${file}": ${
          err instanceof Error ? err.message : String(err)
        }`,
        { file },
      );
    }
    const n = png.width * png.height * channels;
    if (data.length < n || png.width === 0 || png.height === 0) {
      throw new DataFormatError(
        `Cannot decode PNG "${file}": expected ${n} values for ${png.width}x${png.height}x${channels}, found ${data.length}`,
        { file },
      );
    }
    const max = png.depth === 16
      ? 65535
      : png.depth === 8 || png.palette
      ? 255
      : (1 << png.depth) - 1;
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = data[i] / max;
    return { data: out, height: png.height, width: png.width, channels };
  }
  if (isJpeg) {
    checkJpegHeader(bytes, file);
    let img;
    try {
      img = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: false,
        maxResolutionInMP: 100,
      });
    } catch (err) {
      throw new DataFormatError(
        `Cannot decode JPEG "${file}": ${
          err instanceof Error ? err.message : String(err)
        }`,
        { file },
      );
    }
    const n = img.width * img.height * 3;
    if (img.width === 0 || img.height === 0 || img.data.length < n) {
      throw new DataFormatError(
        `Cannot decode JPEG "${file}": expected ${n} values for ${img.width}x${img.height}x3, found ${img.data.length}`,
        { file },
      );
    }
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = img.data[i] / 255;
    return { data: out, height: img.height, width: img.width, channels: 3 };
  }
  const head = Array.from(
    bytes.subarray(0, 4),
    (b) => b.toString(16).padStart(2, "0"),
  ).join(" ");
  throw new DataFormatError(
    `Cannot decode image "${file}": expected a PNG ("89 50 4e 47") or JPEG ("ff d8 ff") signature, found "${head}"`,
    { file, offset: 0 },
  );
}

/**
 * Converts an image to 1 (gray, ITU-R BT.601 luma `0.299 R + 0.587 G +
 * 0.114 B`) or 3 (RGB; gray is replicated) channels; alpha is dropped.
 *
 * @param img The image (1 to 4 channels).
 * @param channels `1` or `3`.
 * @returns A new image with `channels` channels (the input when it already
 * has them).
 * @throws {RangeError} When `channels` is not 1 or 3.
 *
 * @example RGB to gray
 * ```ts
 * import assert from "node:assert/strict";
 * import { toChannels } from "@hsvae/hsvae";
 *
 * const g = toChannels({ data: new Float32Array([1, 0, 0]), height: 1, width: 1, channels: 3 }, 1);
 * assert.equal(g.data[0], Math.fround(0.299));
 * ```
 */
export function toChannels(img: Image, channels: 1 | 3): Image {
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(
      `Cannot convert image: "channels" must be 1 or 3, found "${channels}"`,
    );
  }
  const c = img.channels;
  if (c === channels) return img;
  const px = img.height * img.width;
  const out = new Float32Array(px * channels);
  const color = c >= 3;
  for (let p = 0; p < px; p++) {
    const s = p * c;
    if (channels === 1) {
      out[p] = color
        ? 0.299 * img.data[s] + 0.587 * img.data[s + 1] +
          0.114 * img.data[s + 2]
        : img.data[s];
    } else if (color) {
      out[3 * p] = img.data[s];
      out[3 * p + 1] = img.data[s + 1];
      out[3 * p + 2] = img.data[s + 2];
    } else {
      out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = img.data[s];
    }
  }
  return { data: out, height: img.height, width: img.width, channels };
}

/**
 * Cuts the central `size x size` square (or `[h, w]` rectangle); when the
 * margin is odd the extra pixel is dropped at the bottom/right.
 *
 * @param img The image.
 * @param size Side, or `[height, width]`, of the crop; at most the image's.
 * @returns The cropped image.
 * @throws {RangeError} When the crop is larger than the image or not a
 * positive integer.
 *
 * @example 4x4 -> center 2x2
 * ```ts
 * import assert from "node:assert/strict";
 * import { centerCrop } from "@hsvae/hsvae";
 *
 * const data = Float32Array.from({ length: 16 }, (_, i) => i / 16);
 * const c = centerCrop({ data, height: 4, width: 4, channels: 1 }, 2);
 * assert.deepEqual(Array.from(c.data), [5, 6, 9, 10].map((v) => v / 16));
 * ```
 */
export function centerCrop(img: Image, size: number | [number, number]): Image {
  const [ch, cw] = typeof size === "number" ? [size, size] : size;
  if (
    !Number.isInteger(ch) || !Number.isInteger(cw) || ch < 1 || cw < 1 ||
    ch > img.height || cw > img.width
  ) {
    throw new RangeError(
      `Cannot crop image: crop "${ch}x${cw}" must be positive integers within the image "${img.height}x${img.width}"`,
    );
  }
  const top = Math.floor((img.height - ch) / 2);
  const left = Math.floor((img.width - cw) / 2);
  const c = img.channels;
  const out = new Float32Array(ch * cw * c);
  for (let y = 0; y < ch; y++) {
    const src = ((top + y) * img.width + left) * c;
    out.set(img.data.subarray(src, src + cw * c), y * cw * c);
  }
  return { data: out, height: ch, width: cw, channels: c };
}

/** Per output index: the input indices and weights (summing to 1). */
type Taps = { index: number[]; weight: number[] }[];

function bilinearTaps(inSize: number, outSize: number): Taps {
  const taps: Taps = [];
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    // Half-pixel centers (tf.image.resizeBilinear with halfPixelCenters).
    let x = (o + 0.5) * scale - 0.5;
    x = Math.min(Math.max(x, 0), inSize - 1);
    const i0 = Math.floor(x);
    const i1 = Math.min(i0 + 1, inSize - 1);
    const f = x - i0;
    taps.push(
      i1 === i0
        ? { index: [i0], weight: [1] }
        : { index: [i0, i1], weight: [1 - f, f] },
    );
  }
  return taps;
}

function areaTaps(inSize: number, outSize: number): Taps {
  const taps: Taps = [];
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const a = o * scale;
    const b = (o + 1) * scale;
    const index: number[] = [];
    const weight: number[] = [];
    for (let i = Math.floor(a); i < Math.ceil(b - 1e-9); i++) {
      const w = Math.min(b, i + 1) - Math.max(a, i);
      if (w > 1e-12) {
        index.push(Math.min(i, inSize - 1));
        weight.push(w / scale);
      }
    }
    taps.push({ index, weight });
  }
  return taps;
}

/**
 * Resizes an image to `[height, width]`, separably.
 *
 * *Method*: `"bilinear"` interpolates with half-pixel centers (the
 * convention of `tf.image.resizeBilinear(..., halfPixelCenters=true)` and
 * PIL), clamping at the borders; `"area"` averages each output pixel's
 * footprint exactly (fractional overlaps weighted), which is an exact box
 * mean for integer downscales and the better choice when shrinking.
 *
 * @param img The image.
 * @param size `[height, width]` of the result.
 * @param method `"bilinear"` or `"area"`.
 * @returns A new image (the input itself when the size is unchanged).
 * @throws {RangeError} On a non-positive size or unknown method.
 * @throws {LimitError} When `size` is beyond `LIMITS.maxImageSide` or
 * `maxImagePixels` (checked before allocating).
 *
 * @example Area-downscaling 2x2 to 1x1 is the mean
 * ```ts
 * import assert from "node:assert/strict";
 * import { resizeImage } from "@hsvae/hsvae";
 *
 * const r = resizeImage({ data: new Float32Array([0, 0.25, 0.5, 1]), height: 2, width: 2, channels: 1 }, [1, 1], "area");
 * assert.equal(r.data[0], 0.4375);
 * ```
 */
export function resizeImage(
  img: Image,
  size: [number, number],
  method: "bilinear" | "area" = "area",
): Image {
  checkImageSize("resize image", size);
  const [oh, ow] = size;
  if (method !== "bilinear" && method !== "area") {
    throw new RangeError(
      `Cannot resize image: "method" must be "bilinear" or "area", found "${method}"`,
    );
  }
  if (oh === img.height && ow === img.width) return img;
  checkAllocation(
    "resize image",
    (oh * img.width * 8 + oh * ow * 4) * img.channels,
  );
  const taps = method === "area" ? areaTaps : bilinearTaps;
  const ty = taps(img.height, oh);
  const tx = taps(img.width, ow);
  const c = img.channels;
  // Rows first: [H, W, C] -> [oh, W, C].
  const mid = new Float64Array(oh * img.width * c);
  for (let y = 0; y < oh; y++) {
    const { index, weight } = ty[y];
    for (let k = 0; k < index.length; k++) {
      const src = index[k] * img.width * c;
      const wk = weight[k];
      const dst = y * img.width * c;
      for (let j = 0; j < img.width * c; j++) {
        mid[dst + j] += wk * img.data[src + j];
      }
    }
  }
  const out = new Float32Array(oh * ow * c);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const { index, weight } = tx[x];
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = 0; k < index.length; k++) {
          s += weight[k] * mid[(y * img.width + index[k]) * c + ch];
        }
        out[(y * ow + x) * c + ch] = Math.min(1, Math.max(0, s));
      }
    }
  }
  return { data: out, height: oh, width: ow, channels: c };
}
