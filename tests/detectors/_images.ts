/**
 * Seeded pixels in [0, 1) as an 8x8x1 dataset (an LCG), shared by the
 * detector tests.
 *
 * @module
 */
import type { Dataset } from "../../src/data/dataset.ts";

/** `n` seeded 8x8x1 images with values in [0, 1). */
export function images(n: number, seed: number): Dataset {
  let a = seed >>> 0;
  const data = new Float32Array(n * 64);
  for (let i = 0; i < data.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    data[i] = a / 2 ** 32;
  }
  return { images: data, shape: [n, 8, 8, 1] };
}
