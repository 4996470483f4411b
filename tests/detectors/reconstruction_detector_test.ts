import { assert, assertClose, equal, rejects, throws } from "../_assert.ts";
import { tf } from "../../src/tf.ts";
import { ReconstructionDetector } from "../../src/detectors/reconstruction_detector.ts";
import { images } from "./_images.ts";
import { VaeModel } from "../../src/model/vae_model.ts";
import { ShapeError } from "../../src/errors.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

function tinyModel(seed = 1): VaeModel {
  return VaeModel.create({
    inputShape: [8, 8, 1],
    latentDim: 4,
    widths: [4, 8],
    seed,
  });
}

// both sides are float32 sums of 64 squares of values in [0, 1]: 1e-6
// relative covers the different summation orders
const TOL = { atol: 1e-7, rtol: 1e-6 };

Deno.test("ReconstructionDetector.score() is the per-image MSE of model.reconstruct()", async () => {
  using model = tinyModel();
  const train = images(30, 1);
  const test = images(23, 2);
  // independent: the plain-array reconstruction, float64 mean in TypeScript
  const rec = await model.reconstruct(test.images, test.shape);
  const expected = Array.from({ length: 23 }, (_, i) => {
    let s = 0;
    for (let j = 0; j < 64; j++) {
      const d = test.images[i * 64 + j] - rec[i * 64 + j];
      s += d * d;
    }
    return s / 64;
  });
  // batchSize 5 leaves a last batch of 3
  const det = await new ReconstructionDetector({ model, batchSize: 5 }).fit(
    train,
  );
  equal(det.nFeatures, 64);
  assertClose(await det.score(test), expected, TOL);
  // flattened rows give the same scores as the dataset
  assertClose(
    await det.score({ data: test.images, rows: 23, cols: 64 }),
    expected,
    TOL,
  );
  equal(det.trainingScores.length, 30);
});

Deno.test("ReconstructionDetector leaks no tensors and does not dispose the model", async () => {
  using model = tinyModel();
  const before = tf.memory().numTensors;
  const det = await new ReconstructionDetector({ model, batchSize: 7 }).fit(
    images(20, 3),
  );
  await det.score(images(9, 4));
  await det.predict(images(9, 5));
  equal(tf.memory().numTensors, before);
  const r = await model.reconstruct(new Float32Array(64), [1, 8, 8, 1]);
  equal(r.length, 64);
});

Deno.test("ReconstructionDetector rejects inputs that do not fit the model", async () => {
  using model = tinyModel();
  await rejects(
    () => new ReconstructionDetector({ model }).fit([[0.1, 0.2, 0.3]]),
    (e: unknown) => {
      assert.ok(e instanceof ShapeError);
      equal(
        e.message,
        'Cannot fit ReconstructionDetector: images have "3" values but the model takes [8, 8, 1] = "64"; pass a Dataset of that shape or flattened rows',
      );
      return true;
    },
  );
  throws(
    () => new ReconstructionDetector({ model, batchSize: 0 }),
    {
      name: "RangeError",
      message:
        'Cannot create ReconstructionDetector: "batchSize" must be a positive integer, got "0"',
    },
  );
  throws(
    // deno-lint-ignore no-explicit-any
    () => new ReconstructionDetector({} as any),
    TypeError,
  );
});

Deno.test("ReconstructionDetector thresholdSample scores a seeded subset of the training images", async () => {
  using model = tinyModel();
  const train = images(40, 3);
  const full = await new ReconstructionDetector({ model }).fit(train);
  equal(full.trainingScores.length, 40);
  equal(full.thresholdRows.length, 40);
  const a = await new ReconstructionDetector({
    model,
    thresholdSample: 7,
    seed: 5,
  }).fit(train);
  const b = await new ReconstructionDetector({
    model,
    thresholdSample: 7,
    seed: 5,
  }).fit(train);
  equal(a.trainingScores.length, 7);
  assert.deepEqual(a.thresholdRows, b.thresholdRows); // seeded
  for (let i = 0; i < 7; i++) {
    const row = a.thresholdRows[i];
    if (i > 0) assert.ok(row > a.thresholdRows[i - 1]); // ascending, distinct
    assertClose(a.trainingScores[i], full.trainingScores[row], TOL);
  }
  // scores do not depend on the sample
  const test = images(5, 4);
  assert.deepEqual(await a.score(test), await full.score(test));
  throws(
    () => new ReconstructionDetector({ model, thresholdSample: 0 }),
    /thresholdSample/,
  );
  throws(
    () => new ReconstructionDetector({ model, thresholdSample: 2.5 }),
    /thresholdSample/,
  );
});
