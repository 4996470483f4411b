/**
 * `trainVAE()` checks its input pixels: the decoder ends in a sigmoid, so
 * every variant needs values in [0, 1]; other ranges (0..255, standardised
 * values, NaN) are refused before any training instead of training to a
 * loss of ~1e13.
 */
import { rejects } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";
import { trainVAE } from "../../src/train/train_vae.ts";

await selectBackend("wasm", { wasmThreads: 1 });

const TINY = {
  latentDim: 8,
  widths: [4, 8],
  epochs: 1,
  batchSize: 4,
  fitBank: false,
  progress: "none" as const,
};

/** Four 8x8 images whose pixel `i` is `f(i)`. */
function images(f: (i: number) => number) {
  return {
    images: Float32Array.from({ length: 4 * 64 }, (_, i) => f(i)),
    shape: [4, 8, 8, 1] as [number, number, number, number],
  };
}

Deno.test("trainVAE() refuses pixel values outside [0, 1]", async (t) => {
  await t.step("0..255 bytes", async () => {
    await rejects(
      () => trainVAE(images((i) => i % 256), TINY),
      (e: Error) =>
        e instanceof RangeError &&
        e.message ===
          "Cannot train: pixel values span [0, 255], expected [0, 1]; divide by 255",
    );
  });
  await t.step("standardised values", async () => {
    await rejects(
      () => trainVAE(images((i) => (i % 5) - 2), TINY),
      /RangeError: Cannot train: pixel values span \[-2, 2\], expected \[0, 1\]; rescale to \[0, 1\]$/,
    );
  });
  await t.step("NaN", async () => {
    await rejects(
      () => trainVAE(images((i) => i === 7 ? NaN : 0.5), TINY),
      /RangeError: Cannot train: 1 pixel value\(s\) are NaN, expected values in \[0, 1\]; clean or drop those images$/,
    );
  });
});
