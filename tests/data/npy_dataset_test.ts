import { assert, deepEqual, equal, rejects, throws } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import {
  loadNpyDataset,
  npyToDataset,
  parseNpz,
} from "../../src/data/npy_dataset.ts";
import { fixture } from "./_fixtures.ts";

// make_npy.py: images_u1 = arange(12) * 20 as uint8, shape (3, 2, 2, 1); labels [2, 0, 1].
const expectedImages = Array.from(
  { length: 12 },
  (_, i) => Math.fround((i * 20) / 255),
);

Deno.test("loadNpyDataset() reads uint8 NHWC images scaled by 1/255", async () => {
  const ds = await loadNpyDataset(fixture("npy/images_u1.npy"));
  deepEqual(ds.shape, [3, 2, 2, 1]);
  deepEqual(Array.from(ds.images), expectedImages);
  equal(ds.labels, undefined);
});

Deno.test("loadNpyDataset() reads .npz archives, stored and deflated, with labels", async () => {
  for (const name of ["dataset.npz", "dataset_compressed.npz"]) {
    const ds = await loadNpyDataset(fixture(`npy/${name}`));
    deepEqual(Array.from(ds.images), expectedImages);
    deepEqual(Array.from(ds.labels!), [2, 0, 1]);
  }
  await rejects(
    loadNpyDataset(fixture("npy/dataset.npz"), { imagesKey: "nope" }),
    (err: unknown) =>
      err instanceof DataFormatError &&
      /no images member among "nope"; found "x", "y"/.test(err.message),
  );
});

Deno.test("loadNpyDataset() rejects NaN, naming the file and the first bad index", async () => {
  // NaN written at [1, 1, 0] of a (3, 2, 2) array: flat index 1*4 + 1*2 + 0 = 6.
  await rejects(
    loadNpyDataset(fixture("npy/images_nan.npy")),
    (err: unknown) => {
      assert.ok(err instanceof DataFormatError);
      assert.match(
        err.message,
        /images_nan\.npy": value at flat index 6 is NaN/,
      );
      return true;
    },
  );
});

Deno.test("npyToDataset() maps value ranges by the scale rule", async (t) => {
  const f = (values: number[], scale?: "auto" | number) =>
    npyToDataset(
      {
        data: Float32Array.from(values),
        dtype: "<f4",
        shape: [values.length, 1, 1, 1],
      },
      "f.npy",
      { scale },
    );
  await t.step(
    "[0, 1] floats kept",
    () => deepEqual(Array.from(f([0, 0.5, 1]).images), [0, 0.5, 1]),
  );
  await t.step(
    "[0, 255] floats divided",
    () =>
      deepEqual(
        Array.from(f([0, 51, 255]).images),
        [0, 0.2, 1].map(Math.fround),
      ),
  );
  await t.step(
    "explicit scale",
    () => deepEqual(Array.from(f([0, 2], 0.5).images), [0, 1]),
  );
  await t.step("negative values rejected", () => {
    throws(
      () => f([-1, 0.5]),
      /values span \[-1, 0.5\] \(dtype "<f4"\), which scale 1 does not map into \[0, 1\]/,
    );
  });
  await t.step(
    "Infinity rejected",
    () => throws(() => f([0, Infinity]), /flat index 1 is Infinity/),
  );
  await t.step("bad scale option", () => throws(() => f([0], -2), RangeError));
  await t.step("wrong rank", () => {
    throws(
      () =>
        npyToDataset(
          { data: new Uint8Array(2), dtype: "|u1", shape: [2] },
          "r.npy",
        ),
      /expected an N x H x W x C or N x H x W array, found shape "\(2\)"/,
    );
  });
  await t.step("label count mismatch", () => {
    throws(
      () =>
        npyToDataset(
          { data: new Uint8Array(2), dtype: "|u1", shape: [2, 1, 1] },
          "l.npy",
          { labels: [1] },
        ),
      /found 1 labels for 2 images/,
    );
  });
});

Deno.test("parseNpz() rejects bytes that are not a zip", () => {
  throws(
    () => parseNpz(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0]), "bad.npz"),
    (err: unknown) =>
      err instanceof DataFormatError &&
      /not a valid zip archive/.test(err.message),
  );
});
