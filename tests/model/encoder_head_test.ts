import { tf } from "../../src/tf.ts";
import type { Tensor2D } from "../../src/tf.ts";
import {
  LOG_VAR_RANGE,
  splitEncoderHead,
} from "../../src/model/encoder_head.ts";
import { VaeModel } from "../../src/model/vae_model.ts";
import { deepEqual, equal } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("splitEncoderHead() splits [N, 2n] into mu and a clipped log-variance", async (t) => {
  await t.step("inside the range nothing changes (bit for bit)", async () => {
    const row = [0.1, -3.7, 1e-8, 19.99, -29.99, 0];
    const out = tf.tensor2d([row, row.map((v) => -v / 2)]);
    const { mu, logVar } = splitEncoderHead(out, 3);
    deepEqual(mu.shape, [2, 3]);
    deepEqual(logVar.shape, [2, 3]);
    const f = row.map(Math.fround);
    deepEqual(await mu.array(), [
      f.slice(0, 3),
      f.slice(0, 3).map((v) => -v / 2),
    ]);
    deepEqual(await logVar.array(), [
      f.slice(3),
      f.slice(3).map((v) => -v / 2),
    ]);
    tf.dispose([out, mu, logVar]);
  });
  await t.step(
    "beyond the range the log-variance is clipped, mu is not",
    async () => {
      const out = tf.tensor2d([[1e6, -1e6, 1e6, -1e6], [0, 0, 20, -30]]);
      const { mu, logVar } = splitEncoderHead(out, 2);
      deepEqual(await mu.array(), [[1e6, -1e6], [0, 0]]);
      deepEqual(await logVar.array(), [[20, -30], [20, -30]]);
      deepEqual([...LOG_VAR_RANGE], [-30, 20]);
      tf.dispose([out, mu, logVar]);
    },
  );
  await t.step("n = 1 and inside tidy nothing leaks", async () => {
    const out = tf.tensor2d([[2, 50]]);
    const before = tf.memory().numTensors;
    const v = tf.tidy(() => {
      const { mu, logVar } = splitEncoderHead(out as Tensor2D, 1);
      return tf.concat([mu, logVar], 1);
    });
    equal(tf.memory().numTensors, before + 1);
    deepEqual(await v.array(), [[2, 20]]);
    tf.dispose([out, v]);
  });
});

Deno.test("VaeModel.encodeTensor() reads the head through splitEncoderHead()", async () => {
  using model = VaeModel.create({ latentDim: 4, widths: [4, 8], seed: 5 });
  const x = tf.randomUniform([3, 28, 28, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const { mu, logVar } = model.encodeTensor(x);
  const raw = model.encoder.predict(x) as Tensor2D;
  const ref = splitEncoderHead(raw, 4);
  deepEqual(await mu.data(), await ref.mu.data());
  deepEqual(await logVar.data(), await ref.logVar.data());
  tf.dispose([x, mu, logVar, raw, ref.mu, ref.logVar]);
});
