import { assertClose, deepEqual, equal, throws } from "../_assert.ts";
import { LatentFeatures } from "../../src/detectors/features.ts";
import { pixelFeatures } from "../../src/detectors/feature_matrix.ts";
import { KnnDetector } from "../../src/detectors/knn_detector.ts";
import { IsolationForest } from "../../src/detectors/isolation_forest.ts";
import { images } from "./_images.ts";
import { VaeModel } from "../../src/model/vae_model.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("LatentFeatures.extract() returns model.encode()'s mu", async () => {
  using model = VaeModel.create({
    inputShape: [8, 8, 1],
    latentDim: 4,
    widths: [4, 8],
    seed: 2,
  });
  const ds = images(11, 2);
  const f = new LatentFeatures(model, { batchSize: 4 });
  equal(f.name, "latent mu (n = 4)");
  const m = await f.extract(ds);
  const e = await model.encode(ds.images, ds.shape);
  deepEqual([m.rows, m.cols], [11, 4]);
  // batches of 4 vs 256 may round differently in the last bits
  assertClose(m.data, e.mu, { atol: 1e-6, rtol: 1e-5 });
  throws(() => new LatentFeatures(model, { batchSize: 0 }), RangeError);
});

Deno.test("KnnDetector and IsolationForest accept a Dataset as pixels or as latent mus", async (t) => {
  using model = VaeModel.create({
    inputShape: [8, 8, 1],
    latentDim: 4,
    widths: [4, 8],
    seed: 3,
  });
  const train = images(40, 3);
  const test = images(9, 4);
  await t.step("pixels (default): same as the flattened matrix", async () => {
    using a = await new KnnDetector().fit(train);
    using b = await new KnnDetector().fit(pixelFeatures(train));
    equal(a.nFeatures, 64);
    deepEqual([...(await a.score(test))], [
      ...(await b.score(pixelFeatures(test))),
    ]);
    const f = await new IsolationForest({ seed: 1 }).fit(train);
    const g = await new IsolationForest({ seed: 1 }).fit(pixelFeatures(train));
    deepEqual([...(await f.score(test))], [
      ...(await g.score(pixelFeatures(test))),
    ]);
  });
  await t.step("LatentFeatures: same as fitting on the mu matrix", async () => {
    const features = new LatentFeatures(model);
    using a = await new KnnDetector({ features }).fit(train);
    const muTrain = await model.encode(train.images, train.shape);
    const muTest = await model.encode(test.images, test.shape);
    using b = await new KnnDetector().fit({
      data: muTrain.mu,
      rows: 40,
      cols: 4,
    });
    equal(a.nFeatures, 4);
    assertClose(
      await a.score(test),
      await b.score({ data: muTest.mu, rows: 9, cols: 4 }),
      { atol: 1e-6, rtol: 1e-5 },
    );
    // features already computed are taken as they are
    equal((await a.score({ data: muTest.mu, rows: 9, cols: 4 })).length, 9);
  });
  throws(
    // deno-lint-ignore no-explicit-any
    () => new KnnDetector({ features: "latent" as any }),
    {
      name: "TypeError",
      message:
        'Cannot create KnnDetector: "features" must be "pixels" or a FeatureExtractor such as new LatentFeatures(model), got "latent"',
    },
  );
});
