import { assertClose, equal } from "../_assert.ts";
import { tf } from "../../src/_tf.ts";
import { VaeModel } from "../../src/model/vae_model.ts";
import { reconstructionScores } from "../../src/evaluate/_reconstruction.ts";

Deno.test("`reconstructionScores()` is the per-image pixel MSE of decode(mu(x))", async () => {
  using model = VaeModel.create({
    inputShape: [8, 8, 1],
    latentDim: 4,
    widths: [4],
    seed: 5,
  });
  const n = 5;
  const images = Float32Array.from(
    { length: n * 64 },
    (_, i) => (i * 37 % 101) / 100,
  );
  const before = tf.memory().numTensors;
  const s = await reconstructionScores(model, { images, shape: [n, 8, 8, 1] });
  equal(tf.memory().numTensors, before);
  // independent path: tensor reconstruction, float64 sum in JS
  const x = tf.tensor4d(images, [n, 8, 8, 1]);
  const r = model.reconstructTensor(x);
  const rec = await r.data();
  tf.dispose([x, r]);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (let p = 0; p < 64; p++) {
      acc += (images[i * 64 + p] - rec[i * 64 + p]) ** 2;
    }
    // float32 storage of the result: 1e-6 relative
    assertClose(s[i], acc / 64, { rtol: 1e-6 }, `image ${i}`);
  }
});
