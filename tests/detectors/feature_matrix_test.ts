import { assert, deepEqual, equal, rejects, throws } from "../_assert.ts";
import { tf } from "../../src/tf.ts";
import {
  type FeatureMatrix,
  isDataset,
  pixelFeatures,
  toFeatureMatrix,
} from "../../src/detectors/feature_matrix.ts";
import { images } from "./_images.ts";
import { ShapeError } from "../../src/errors.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("pixelFeatures() flattens a dataset without copying", async () => {
  const ds = images(5, 1);
  const m = pixelFeatures(ds);
  assert.ok(m.data === ds.images);
  deepEqual([m.rows, m.cols], [5, 64]);
  assert.ok(isDataset(ds));
  const z = tf.zeros([1, 1]) as tf.Tensor2D;
  assert.ok(!isDataset(z));
  z.dispose();
  equal((await toFeatureMatrix(ds)).cols, 64);
  throws(
    () => pixelFeatures({ images: new Float32Array(3), shape: [1, 2, 2, 1] }),
    ShapeError,
  );
});

Deno.test("toFeatureMatrix() rejects ragged and mis-sized input", async () => {
  await rejects(() => toFeatureMatrix([[1, 2], [3]], "fit X"), {
    name: "ShapeError",
    message:
      'Cannot fit X: "x" must be N x D nested arrays, row "1" has length "1" instead of "2"',
  });
  const bad: FeatureMatrix = { data: new Float32Array(5), rows: 2, cols: 3 };
  await rejects(() => toFeatureMatrix(bad), ShapeError);
  await rejects(() => toFeatureMatrix([]), ShapeError);
});

Deno.test("toFeatureMatrix() reads a rank-2 tensor without disposing it", async () => {
  const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const m = await toFeatureMatrix(x);
  deepEqual([m.rows, m.cols], [2, 3]);
  deepEqual([...m.data], [1, 2, 3, 4, 5, 6]);
  equal(x.isDisposed, false);
  x.dispose();
  const v = tf.tensor1d([1, 2]);
  await rejects(
    () => toFeatureMatrix(v as unknown as tf.Tensor2D, "fit X"),
    {
      name: "ShapeError",
      message:
        'Cannot fit X: "x" must be a rank-2 tensor [N, D], got shape "[2]"',
    },
  );
  v.dispose();
});

Deno.test("toFeatureMatrix() returns a FeatureMatrix input as is", async () => {
  const m: FeatureMatrix = { data: new Float32Array(6), rows: 3, cols: 2 };
  assert.ok((await toFeatureMatrix(m)) === m);
});
