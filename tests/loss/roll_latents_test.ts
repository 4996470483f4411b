import { tf } from "../../src/tf.ts";
import { rollLatents } from "../../src/loss.ts";
import {
  assertClose,
  assertFinite,
  deepEqual,
  equal,
  throws,
} from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("rollLatents() puts class y's axis y * s first (closed form)", async () => {
  const n = 12;
  const s = 3;
  const labels = [0, 1, 2, 3, 2];
  const rows = labels.map((_, i) =>
    Array.from({ length: n }, (_, j) => 100 * i + j)
  );
  const z = tf.tensor2d(rows);
  const out = await rollLatents(z, Int32Array.from(labels), s).array();
  for (let i = 0; i < labels.length; i++) {
    // out[i][j] = z[i][(j + y_i s) mod n]
    const expected = rows[i].map((_, j) => rows[i][(j + labels[i] * s) % n]);
    deepEqual(out[i], expected, `row ${i}`);
    equal(out[i][0], rows[i][labels[i] * s]);
  }
  z.dispose();
});

Deno.test("rollLatents() agrees for host and tensor labels, and for every shift up to n - 1", async () => {
  const n = 7;
  const labels = [0, 1, 2, 3, 4, 5, 6];
  const z = tf.tensor2d(
    labels.map(() => Array.from({ length: n }, (_, j) => j)),
  );
  const y = tf.tensor1d(labels, "int32");
  const a = await rollLatents(z, labels, 1).array();
  const b = await rollLatents(z, y, 1).array();
  deepEqual(a, b);
  for (let i = 0; i < n; i++) {
    deepEqual(a[i], Array.from({ length: n }, (_, j) => (j + i) % n));
  }
  tf.dispose([z, y]);
});

Deno.test("rollLatents() passes gradients back through the roll", async () => {
  // d/dz sum(w * roll(z)) = roll^-1(w): the weight of column 0 lands on y s
  const z = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
  const w = tf.tensor2d([[1, 0, 0, 0], [1, 0, 0, 0]]);
  const g = tf.grad((x: tf.Tensor) =>
    tf.sum(tf.mul(rollLatents(x as tf.Tensor2D, [0, 1], 2), w))
  )(z);
  const v = await g.data();
  assertFinite(v);
  assertClose(v, [1, 0, 0, 0, 0, 0, 1, 0], { atol: 0 });
  tf.dispose([z, w, g]);
});

Deno.test("rollLatents() rejects n too small for the classes, with a fix", () => {
  const z = tf.zeros([2, 10]) as tf.Tensor2D;
  throws(
    () => rollLatents(z, [0, 1], 11),
    (e: Error) =>
      e instanceof RangeError &&
      e.message ===
        'Cannot compute rollLatents: latent dimension n = 10 is too small for 2 classes at "spacing" 11 (need n >= numClasses * spacing = 22; raise n or lower "spacing")',
  );
  throws(
    () => rollLatents(z, [0, -1], 2),
    /integers >= 0, got "-1" at index 1/,
  );
  throws(() => rollLatents(z, [0, 1], 0), /"spacing" must be an integer >= 1/);
  throws(() => rollLatents(z, [0], 1), (e: Error) => e.name === "ShapeError");
  const before = tf.memory().numTensors;
  rollLatents(z, [0, 0], 3).dispose();
  equal(tf.memory().numTensors, before);
  z.dispose();
});
