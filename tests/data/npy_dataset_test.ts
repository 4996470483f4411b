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

/** Offset of the first occurrence of `text` (latin1) in `bytes`. */
function find(bytes: Uint8Array, text: string, from = 0): number {
  const at = new TextDecoder("latin1").decode(bytes).indexOf(text, from);
  assert.ok(at >= 0, `"${text}" not found`);
  return at;
}

/** Writes `bytes` to a temporary `.npz` and loads it. */
async function loadBytes(bytes: Uint8Array) {
  const path = await Deno.makeTempFile({ suffix: ".npz" });
  await Deno.writeFile(path, bytes);
  try {
    return await loadNpyDataset(path);
  } finally {
    await Deno.remove(path);
  }
}

function npzError(re: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.match(e.message, /^Cannot read NPZ "[^"]+\.npz": /);
    assert.match(e.message, re);
    return true;
  };
}

Deno.test("loadNpyDataset() refuses .npz members that are damaged or ambiguous", async (t) => {
  await t.step("two members named x.npy (written by Python)", async () => {
    await rejects(
      loadNpyDataset(fixture("npy/dup.npz")),
      npzError(/two members named "x\.npy"/),
    );
  });
  const stored = await Deno.readFile(fixture("npy/dataset.npz"));
  await t.step("a stored member whose bytes fail its CRC-32", async () => {
    const bad = stored.slice();
    // The first pixel of x.npy: after its local header and 128-byte npy header.
    bad[find(bad, "NUMPY") - 1 + 128] ^= 0x01;
    await rejects(
      loadBytes(bad),
      npzError(/CRC-32 mismatch in member "x\.npy"/),
    );
  });
  const deflated = await Deno.readFile(fixture("npy/dataset_compressed.npz"));
  await t.step("a deflated member whose directory CRC differs", async () => {
    const bad = deflated.slice();
    const cd = find(bad, "PK\x01\x02"); // first central entry: images.npy
    bad[cd + 16] ^= 0x01;
    await rejects(
      loadBytes(bad),
      npzError(/CRC-32 mismatch in member "images\.npy"/),
    );
  });
  await t.step("a directory size beyond what deflate can reach", async () => {
    const bad = deflated.slice();
    const cd = find(bad, "PK\x01\x02");
    new DataView(bad.buffer).setUint32(cd + 24, 0xfffffff0, true);
    await rejects(
      loadBytes(bad),
      npzError(
        /member "images\.npy" declares 4294967280 inflated bytes, more than its \d+ compressed bytes can hold/,
      ),
    );
  });
});

Deno.test("npyToDataset() refuses labels that are not class indices and images without pixels", async (t) => {
  const arr = { data: new Uint8Array(3), dtype: "|u1", shape: [3, 1, 1] };
  for (const bad of [-1, 2 ** 31, 0.5, NaN]) {
    await t.step(`label ${bad}`, () => {
      throws(
        () => npyToDataset(arr, "l.npz", { labels: [0, bad, 1] }),
        (e: unknown) =>
          e instanceof DataFormatError && e.file === "l.npz" &&
          e.message ===
            `Cannot read NPY dataset "l.npz": label 1 is "${bad}", expected an integer in [0, 2147483647]`,
      );
    });
  }
  await t.step("H, W or C of 0", () => {
    throws(
      () =>
        npyToDataset(
          { data: new Uint8Array(0), dtype: "|u1", shape: [2, 0, 3, 1] },
          "e.npy",
        ),
      /shape "\(2, 0, 3, 1\)" describes images with no pixels/,
    );
  });
});

Deno.test("npyToDataset() keeps bool images as 0 and 1", () => {
  const ds = npyToDataset(
    { data: new Uint8Array([0, 1]), dtype: "|b1", shape: [2, 1, 1] },
    "mask.npy",
  );
  deepEqual(Array.from(ds.images), [0, 1]);
});

Deno.test("loadNpyDataset() applies limit and says how many images the file holds", async () => {
  for (
    const name of ["images_u1.npy", "dataset.npz", "dataset_compressed.npz"]
  ) {
    const ds = await loadNpyDataset(fixture(`npy/${name}`), { limit: 2 });
    deepEqual(ds.shape, [2, 2, 2, 1], name);
    deepEqual(Array.from(ds.images), expectedImages.slice(0, 8), name);
    equal(ds.available, 3, name);
  }
  const all = await loadNpyDataset(fixture("npy/dataset.npz"), { limit: 3 });
  equal(all.available, undefined);
});

Deno.test("loadNpyDataset() reads regular files only", async () => {
  await rejects(
    loadNpyDataset("/dev/null"),
    (e: unknown) =>
      e instanceof DataFormatError &&
      /^Cannot read "\/dev\/null": it is a character device/.test(e.message),
  );
});
