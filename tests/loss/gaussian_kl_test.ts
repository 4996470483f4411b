import { tf } from "../../src/tf.ts";
import { gaussianKl, sigmaFromLogVar } from "../../src/loss.ts";
import { assertClose, equal, throws } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("gaussianKl() matches the closed form, summed or averaged over dims", async () => {
  // KL = 0.5 (mu^2 + e^lv - 1 - lv) per entry
  const mu = [[1, -2, 0.5], [0, 0.3, -1]];
  const lv = [[0, -1, 0.7], [-2, 0.2, 0]];
  const e = mu.map((r, i) =>
    r.map((m, j) => 0.5 * (m * m + Math.exp(lv[i][j]) - 1 - lv[i][j]))
  );
  const sum = e.map((r) => r.reduce((a, b) => a + b, 0));
  const m = tf.tensor2d(mu);
  const l = tf.tensor2d(lv);
  const before = tf.memory().numTensors;
  const s = gaussianKl(m, l);
  const a = gaussianKl(m, l, { reduce: "mean" });
  assertClose((await s.data())[0], (sum[0] + sum[1]) / 2, { rtol: 1e-6 });
  assertClose((await a.data())[0], (sum[0] + sum[1]) / 6, { rtol: 1e-6 });
  tf.dispose([s, a]);
  equal(tf.memory().numTensors, before);
  throws(
    () => gaussianKl(m, tf.zeros([2, 2]) as tf.Tensor2D),
    (e: Error) => e.name === "ShapeError",
  );
  throws(() => gaussianKl(m, l, { reduce: "max" as "sum" }), RangeError);
  tf.dispose([m, l]);
});

Deno.test("sigmaFromLogVar() is exp(logVar / 2)", async () => {
  const l = tf.tensor2d([[0, 2, -4]]);
  const s = sigmaFromLogVar(l);
  assertClose(await s.data(), [1, Math.E, Math.exp(-2)], { rtol: 1e-6 });
  tf.dispose([l, s]);
});
