import { tf } from "../../src/tf.ts";
import { heapScan } from "../../src/kernels/wasm_scan.ts";
import type { Tensor } from "../../src/tf.ts";
import { equal, ok } from "../_assert.ts";
import { mulberry32 } from "../../src/random.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** The first 16-value group of `v[from..to)` with a value < t, or `to`. */
function reference(v: Float32Array, from: number, to: number, t: number) {
  for (let g = from; g < to; g += 16) {
    for (let i = g; i < g + 16; i++) if (v[i] < t) return g;
  }
  return to;
}

Deno.test("heapScan() finds the same groups as a plain loop, NaN and infinities included", async () => {
  await tf.setBackend("wasm");
  const scan = heapScan();
  ok(scan, "the SIMD scan instantiates against the wasm backend's memory");
  const rand = mulberry32(21);
  const special = [NaN, Infinity, -Infinity, 0, -0];
  for (let trial = 0; trial < 200; trial++) {
    const groups = 1 + Math.floor(rand() * 20);
    const v = Float32Array.from(
      { length: groups * 16 },
      () =>
        rand() < 0.05
          ? special[Math.floor(rand() * special.length)]
          : 10 * rand() - 5,
    );
    const t: Tensor = tf.tensor1d(v);
    const heap = (tf.backend() as unknown as {
      typedArrayFromHeap(t: Tensor): Float32Array;
    }).typedArrayFromHeap(t);
    const base = heap.byteOffset;
    const from = Math.floor(rand() * groups) * 16;
    const thresholds = [
      Infinity,
      -Infinity,
      NaN,
      v[Math.floor(rand() * v.length)],
      10 * rand() - 5,
      -4.99,
    ];
    for (const th of thresholds) {
      const want = reference(v, from, v.length, th);
      const got: number =
        (scan!(base + 4 * from, base + 4 * v.length, th) - base) / 4;
      equal(got, want, `trial ${trial}, threshold ${th}`);
    }
    t.dispose();
  }
});

Deno.test("heapScan() is null off the wasm backend", async () => {
  await tf.setBackend("cpu");
  equal(heapScan(), null);
  await tf.setBackend("wasm");
});
