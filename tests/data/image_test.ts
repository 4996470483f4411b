import { assert, assertClose, deepEqual, equal, throws } from "../_assert.ts";
import { tf } from "../../src/tf.ts";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError } from "../../src/limits.ts";
import {
  centerCrop,
  decodeImage,
  type Image,
  resizeImage,
  toChannels,
} from "../../src/data/image.ts";
import { encode } from "fast-png";
import { zlibSync } from "fflate";
import { mulberry32 } from "../../src/random.ts";
import { fixture } from "./_fixtures.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

function randomImage(h: number, w: number, c: number, seed: number): Image {
  const r = mulberry32(seed);
  return {
    data: Float32Array.from({ length: h * w * c }, () => r()),
    height: h,
    width: w,
    channels: c,
  };
}

Deno.test("decodeImage() decodes the PNG fixture exactly", async () => {
  // scripts/make_data_fixtures.ts: cat/a.png is 6x6 RGB, value ((y*6+x)*7 + c*20) % 256 (Uint8Array wrap).
  const img = decodeImage(
    await Deno.readFile(fixture("folder/cat/a.png")),
    "a.png",
  );
  deepEqual([img.height, img.width, img.channels], [6, 6, 3]);
  for (const [y, x, c] of [[0, 0, 0], [2, 3, 1], [5, 5, 2]]) {
    equal(
      img.data[(y * 6 + x) * 3 + c],
      Math.fround((((y * 6 + x) * 7 + c * 20) % 256) / 255),
    );
  }
});

Deno.test("decodeImage() decodes the JPEG fixture within JPEG error", async () => {
  const img = decodeImage(
    await Deno.readFile(fixture("folder/dog/c.jpg")),
    "c.jpg",
  );
  deepEqual([img.height, img.width, img.channels], [6, 6, 3]);
  // A flat gray 200 at quality 95: lossy, allow 2 levels.
  assertClose(img.data, new Array(108).fill(200 / 255), { atol: 2 / 255 });
});

Deno.test("decodeImage() reads 16-bit and indexed PNGs", () => {
  const g16 = encode({
    width: 2,
    height: 1,
    channels: 1,
    depth: 16,
    data: new Uint16Array([0, 65535]),
  });
  deepEqual(Array.from(decodeImage(g16, "g16.png").data), [0, 1]);
  const pal = encode({
    width: 2,
    height: 1,
    channels: 1,
    depth: 8,
    data: new Uint8Array([1, 0]),
    palette: [[255, 0, 0], [0, 0, 255]],
  });
  deepEqual(Array.from(decodeImage(pal, "p.png").data), [0, 0, 1, 1, 0, 0]);
});

Deno.test("decodeImage() rejects truncated and unknown files with DataFormatError", async (t) => {
  const png = await Deno.readFile(fixture("folder/cat/a.png"));
  const jpg = await Deno.readFile(fixture("folder/dog/c.jpg"));
  await t.step("unknown signature", () => {
    throws(
      () => decodeImage(new Uint8Array([1, 2, 3, 4]), "x.bmp"),
      (err: unknown) =>
        err instanceof DataFormatError &&
        /expected a PNG \("89 50 4e 47"\) or JPEG \("ff d8 ff"\) signature, found "01 02 03 04"/
          .test(err.message),
    );
  });
  await t.step("truncated PNG", () => {
    throws(
      () => decodeImage(png.slice(0, 40), "a.png"),
      (err: unknown) =>
        err instanceof DataFormatError &&
        /^Cannot decode PNG "a.png"/.test(err.message),
    );
  });
  await t.step("truncated JPEG", () => {
    throws(
      () => decodeImage(jpg.slice(0, 100), "c.jpg"),
      (err: unknown) =>
        err instanceof DataFormatError &&
        /^Cannot decode JPEG "c.jpg"/.test(err.message),
    );
  });
});

Deno.test("resizeImage() bilinear matches tf.image.resizeBilinear with half-pixel centers", () => {
  const before = tf.memory().numTensors;
  for (
    const [h, w, oh, ow, seed] of [[7, 5, 3, 4, 1], [4, 4, 9, 6, 2], [
      10,
      3,
      10,
      7,
      3,
    ]]
  ) {
    const img = randomImage(h, w, 3, seed);
    const ours = resizeImage(img, [oh, ow], "bilinear");
    const ref = tf.tidy(() =>
      tf.image.resizeBilinear(
        tf.tensor3d(img.data, [h, w, 3]),
        [oh, ow],
        false,
        true,
      ).dataSync()
    );
    // float32 arithmetic in tfjs vs float64 in ours: 1e-5 absolute.
    assertClose(ours.data, ref, { atol: 1e-5 }, `${h}x${w}->${oh}x${ow}`);
  }
  equal(tf.memory().numTensors, before);
});

Deno.test("resizeImage() area equals average pooling for integer factors and preserves the mean", () => {
  const img = randomImage(8, 6, 2, 9);
  const ours = resizeImage(img, [4, 2], "area");
  const ref = tf.tidy(() =>
    tf.avgPool(tf.tensor3d(img.data, [8, 6, 2]), [2, 3], [2, 3], "valid")
      .dataSync()
  );
  assertClose(ours.data, ref, { atol: 1e-6 });
  // Fractional factor 7 -> 3: every output is a convex average, and the
  // image mean is preserved exactly (each input pixel's weights sum to 3/7).
  const odd = randomImage(7, 7, 1, 4);
  const small = resizeImage(odd, [3, 3], "area");
  const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
  assertClose(mean(small.data), mean(odd.data), { atol: 1e-6 });
  throws(() => resizeImage(odd, [0, 3]), RangeError);
});

Deno.test("centerCrop() and toChannels() follow their closed forms", () => {
  const img = randomImage(5, 4, 3, 5);
  const c = centerCrop(img, [2, 2]);
  // Margins 3 and 2: top = floor(3/2) = 1, left = 1.
  deepEqual(
    Array.from(c.data.subarray(0, 3)),
    Array.from(img.data.subarray((1 * 4 + 1) * 3, (1 * 4 + 1) * 3 + 3)),
  );
  throws(() => centerCrop(img, 6), RangeError);
  const g = toChannels(img, 1);
  assertClose(
    g.data[0],
    0.299 * img.data[0] + 0.587 * img.data[1] + 0.114 * img.data[2],
    { atol: 1e-6 },
  );
  const back = toChannels(g, 3);
  deepEqual([back.data[0], back.data[1], back.data[2]], [
    g.data[0],
    g.data[0],
    g.data[0],
  ]);
  assert.ok(toChannels(img, 3) === img);
});

/** A copy of `png` with IHDR width and height (big-endian at 16 and 20) set. */
function withPngSize(png: Uint8Array, w: number, h: number): Uint8Array {
  const out = png.slice();
  const view = new DataView(out.buffer);
  view.setUint32(16, w);
  view.setUint32(20, h);
  return out;
}

/** Offset of the first SOF0/SOF2 marker of a JPEG. */
function sofOffset(jpg: Uint8Array): number {
  for (let i = 2; i + 1 < jpg.length; i++) {
    if (jpg[i] === 0xff && (jpg[i + 1] === 0xc0 || jpg[i + 1] === 0xc2)) {
      return i;
    }
  }
  throw new Error("no SOF in fixture");
}

Deno.test("decodeImage() checks the PNG and JPEG header sizes before decoding", async (t) => {
  const png = encode({
    width: 2,
    height: 2,
    channels: 1,
    depth: 8,
    data: new Uint8Array(4),
  });
  await t.step("PNG width 0 or 0xFFFFFFFF is a damaged header", () => {
    for (const w of [0, 0xffffffff]) {
      throws(
        () => decodeImage(withPngSize(png, w, 2), "big.png"),
        (err: unknown) =>
          err instanceof DataFormatError && err.offset === 16 &&
          err.file === "big.png" &&
          new RegExp(`header gives width "${w}"`).test(err.message),
      );
    }
  });
  await t.step("PNG sides beyond maxImageSide are a LimitError", () => {
    for (const [w, h] of [[20000, 2], [2, 0x7fffffff]]) {
      throws(
        () => decodeImage(withPngSize(png, w, h), "big.png"),
        (err: unknown) =>
          err instanceof LimitError && err.limit === "maxImageSide" &&
          /^Cannot decode PNG "big\.png"/.test(err.message),
      );
    }
  });
  await t.step("JPEG SOF sides of 0 and 65535", async () => {
    const jpg = await Deno.readFile(fixture("folder/dog/c.jpg"));
    const at = sofOffset(jpg);
    const zero = jpg.slice();
    zero[at + 5] = zero[at + 6] = 0;
    throws(
      () => decodeImage(zero, "z.jpg"),
      (err: unknown) =>
        err instanceof DataFormatError && err.offset === at + 5 &&
        /gives 6x0 pixels/.test(err.message),
    );
    const huge = jpg.slice();
    huge.fill(0xff, at + 5, at + 9);
    throws(
      () => decodeImage(huge, "h.jpg"),
      (err: unknown) =>
        err instanceof LimitError && err.limit === "maxImageSide" &&
        /^Cannot decode JPEG "h\.jpg"/.test(err.message),
    );
  });
  await t.step("a PNG whose data inflates past its size is refused", () => {
    // 1x1 gray needs 2 inflated bytes (filter byte + pixel); this IDAT
    // inflates to 1 MiB.
    const idat = zlibSync(new Uint8Array(1 << 20));
    const chunk = (type: string, data: Uint8Array) => {
      const out = new Uint8Array(12 + data.length);
      new DataView(out.buffer).setUint32(0, data.length);
      out.set(new TextEncoder().encode(type), 4);
      out.set(data, 8);
      return out;
    };
    const ihdr = new Uint8Array([0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]);
    const bomb = Uint8Array.from([
      ...png.subarray(0, 8),
      ...chunk("IHDR", ihdr),
      ...chunk("IDAT", idat),
      ...chunk("IEND", new Uint8Array(0)),
    ]);
    throws(
      () => decodeImage(bomb, "bomb.png"),
      (err: unknown) =>
        err instanceof DataFormatError && err.file === "bomb.png" &&
        /inflates past the 2 bytes that a 1x1 image needs/.test(err.message),
    );
  });
});

Deno.test("resizeImage() refuses a size beyond LIMITS before allocating", () => {
  const img = randomImage(2, 2, 1, 1);
  for (const size of [[20000, 1], [1e9, 1e9]] as [number, number][]) {
    throws(
      () => resizeImage(img, size),
      (err: unknown) =>
        err instanceof LimitError && err.limit === "maxImageSide" &&
        /^Cannot resize image \(height\)/.test(err.message),
    );
  }
});
