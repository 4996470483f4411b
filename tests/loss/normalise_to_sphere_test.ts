import { tf } from "../../src/tf.ts";
import { normaliseToSphere } from "../../src/loss.ts";
import { assertClose, assertFinite, throws } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("normaliseToSphere() puts rows on radius sqrt(n) and keeps the zero row at zero", async () => {
  const z = tf.tensor2d([[1, 2, 2, 0, 0, 0, 0, 0, 0], [
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
  ], [
    -1,
    1,
    -1,
    1,
    -1,
    1,
    -1,
    1,
    -1,
  ]]);
  const out = await normaliseToSphere(z).array();
  // row 0: norm 3 -> scaled by sqrt(9) / 3 = 1
  assertClose(out[0], [1, 2, 2, 0, 0, 0, 0, 0, 0], { atol: 1e-6 });
  assertClose(out[1], new Array(9).fill(0), { atol: 0 });
  assertClose(out[2], [-1, 1, -1, 1, -1, 1, -1, 1, -1], { atol: 1e-6 });
  const custom = await normaliseToSphere(z, { radius: 6 }).array();
  assertClose(custom[0], [2, 4, 4, 0, 0, 0, 0, 0, 0], { atol: 1e-6 });
  const g = tf.grad((x: tf.Tensor) =>
    tf.sum(normaliseToSphere(x as tf.Tensor2D))
  )(z);
  assertFinite(await g.data());
  throws(() => normaliseToSphere(z, { minNorm: 0 }), RangeError);
  tf.dispose([z, g]);
});
