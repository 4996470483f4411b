import { deepEqual, equal, throws } from "../_assert.ts";
import { ShapeError } from "../../src/errors.ts";
import {
  assertDataset,
  concatDatasets,
  type Dataset,
  datasetInfo,
  subset,
} from "../../src/data/dataset.ts";

const toy = (): Dataset => ({
  images: Float32Array.from({ length: 3 * 2 * 1 * 2 }, (_, i) => i / 11),
  shape: [3, 2, 1, 2],
  labels: Int32Array.from([1, 0, 1]),
  names: ["a", "b"],
  ids: ["p", "q", "r"],
});

Deno.test("datasetInfo() reports sizes, range and the label histogram", () => {
  const info = datasetInfo(toy());
  deepEqual(info, {
    n: 3,
    height: 2,
    width: 1,
    channels: 2,
    features: 4,
    min: 0,
    max: 1,
    labelCounts: [1, 2],
  });
  equal(
    Number.isNaN(
      datasetInfo({ images: new Float32Array(0), shape: [0, 2, 2, 1] }).min,
    ),
    true,
  );
});

Deno.test("subset() copies whole images with their labels and ids", () => {
  const ds = toy();
  const s = subset(ds, [2, 2, 0]);
  deepEqual(s.shape, [3, 2, 1, 2]);
  deepEqual(
    Array.from(s.images.subarray(0, 4)),
    Array.from(ds.images.subarray(8, 12)),
  );
  deepEqual(
    Array.from(s.images.subarray(8, 12)),
    Array.from(ds.images.subarray(0, 4)),
  );
  deepEqual(s.ids, ["r", "r", "p"]);
  s.images[0] = 5;
  equal(ds.images[8], Math.fround(8 / 11));
  throws(() => subset(ds, [3]), /index 3 at position 0 is outside \[0, 3\)/);
});

Deno.test("concatDatasets() stacks along N and rejects other image sizes", () => {
  const c = concatDatasets([toy(), subset(toy(), [1])]);
  deepEqual(c.shape, [4, 2, 1, 2]);
  deepEqual(Array.from(c.labels!), [1, 0, 1, 0]);
  const other: Dataset = { images: new Float32Array(4), shape: [1, 2, 2, 1] };
  throws(() => concatDatasets([toy(), other]), ShapeError);
  throws(
    () => datasetInfo({ images: new Float32Array(3), shape: [1, 2, 2, 1] }),
    /"images" has 3 values, expected N\*H\*W\*C = 4/,
  );
});

Deno.test("assertDataset() checks available against N", () => {
  const ds = {
    images: new Float32Array(2),
    shape: [2, 1, 1, 1] as [number, number, number, number],
  };
  assertDataset({ ...ds, available: 60000 });
  throws(
    () => assertDataset({ ...ds, available: 1 }),
    /"available" is 1, expected an integer >= N = 2/,
  );
  throws(() => assertDataset({ ...ds, available: 2.5 }), ShapeError);
});
