import { assert, deepEqual, equal, rejects } from "../_assert.ts";
import { gunzipSync, gzipSync } from "fflate";
import { DataFormatError } from "../../src/errors.ts";
import {
  fullDataDir,
  loadBundled,
  loadFashionMnist,
} from "../../src/data/fashion_mnist.ts";
import { datasetInfo } from "../../src/data/dataset.ts";

async function hasFull(): Promise<boolean> {
  try {
    return (await Deno.stat(fullDataDir()!)).isDirectory;
  } catch {
    return false;
  }
}

/** Sum and position-weighted sum (weights 1..784) of the raw bytes of image 0. */
function checksum(images: Float32Array): [number, number] {
  let s = 0;
  let ws = 0;
  for (let k = 0; k < 784; k++) {
    const b = Math.round(images[k] * 255);
    s += b;
    ws += (k + 1) * b;
  }
  return [s, ws];
}

Deno.test("loadBundled() returns the stratified 10,000 + 2,000 subset", async () => {
  const { train, test } = await loadBundled();
  const tr = datasetInfo(train);
  const te = datasetInfo(test);
  deepEqual(train.shape, [10000, 28, 28, 1]);
  deepEqual(test.shape, [2000, 28, 28, 1]);
  deepEqual(tr.labelCounts, new Array(10).fill(1000));
  deepEqual(te.labelCounts, new Array(10).fill(200));
  equal(tr.min, 0);
  equal(tr.max, 1);
  // ids are indices into the full set, ascending (the draw keeps file order).
  const ids = train.ids!.map(Number);
  deepEqual(ids, ids.slice().sort((a, b) => a - b));
  equal(new Set(ids).size, 10000);
});

Deno.test("loadFashionMnist() reads the full set: counts, label histogram and first-image checksum", async () => {
  if (!await hasFull()) {
    console.log(
      `skipped: the full Fashion-MNIST is absent at ${fullDataDir()!}`,
    );
    return;
  }
  const fm = await loadFashionMnist();
  equal(fm.source, "full");
  deepEqual(fm.train.shape, [60000, 28, 28, 1]);
  deepEqual(fm.test.shape, [10000, 28, 28, 1]);
  deepEqual(datasetInfo(fm.train).labelCounts, new Array(10).fill(6000));
  deepEqual(datasetInfo(fm.test).labelCounts, new Array(10).fill(1000));
  // Computed independently with Python:
  //   d = np.frombuffer(gzip.open(".../train-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
  //   d[:784].sum() -> 76247; (d[:784] * np.arange(1, 785)).sum() -> 35954273; label 9.
  //   Same for t10k: 33456 and 16008570.
  deepEqual(checksum(fm.train.images), [76247, 35954273]);
  equal(fm.train.labels![0], 9);
  deepEqual(checksum(fm.test.images), [33456, 16008570]);
});

Deno.test("loadBundled() images equal the full set's images at the recorded indices", async () => {
  if (!await hasFull()) {
    console.log(
      `skipped: the full Fashion-MNIST is absent at ${fullDataDir()!}`,
    );
    return;
  }
  const full = await loadFashionMnist({ source: "full" });
  const sub = await loadBundled();
  for (
    const [split, s, f] of [["train", sub.train, full.train], [
      "test",
      sub.test,
      full.test,
    ]] as const
  ) {
    for (const [k, id] of s.ids!.entries()) {
      const i = Number(id);
      equal(s.labels![k], f.labels![i], `${split} ${k}`);
      if (k % 97 === 0) {
        deepEqual(
          s.images.subarray(k * 784, (k + 1) * 784),
          f.images.subarray(i * 784, (i + 1) * 784),
        );
      }
    }
  }
});

Deno.test("loadFashionMnist() falls back to the bundled subset and validates source", async () => {
  const fm = await loadFashionMnist({
    dir: "/nonexistent/fashion-mnist",
    limit: 3,
  });
  equal(fm.source, "bundled");
  equal(fm.train.shape[0], 3);
  await rejects(
    loadFashionMnist({ source: "full", dir: "/nonexistent/fm" }),
    Deno.errors.NotFound,
  );
  await rejects(loadFashionMnist({ source: "web" as "full" }), RangeError);
  assert.ok(fm.train.names!.includes("Sneaker"));
});

Deno.test("loadFashionMnist() refuses a label outside the ten classes", async () => {
  // The bundled files in a folder of their own, with train label 5 set to 10.
  const from = new URL("../../data/fashion-mnist-subset/", import.meta.url);
  const dir = await Deno.makeTempDir();
  for (const f of ["train-images", "t10k-images", "t10k-labels"]) {
    const name = `${f}-idx${f.endsWith("images") ? 3 : 1}-ubyte.gz`;
    await Deno.copyFile(new URL(name, from), `${dir}/${name}`);
  }
  const labels = gunzipSync(
    await Deno.readFile(new URL("train-labels-idx1-ubyte.gz", from)),
  );
  labels[8 + 5] = 10;
  const path = `${dir}/train-labels-idx1-ubyte.gz`;
  await Deno.writeFile(path, gzipSync(labels));
  try {
    await rejects(
      loadFashionMnist({ source: "full", dir, limit: 20 }),
      (e: unknown) => {
        assert.ok(e instanceof DataFormatError, String(e));
        equal(
          e.message,
          `Cannot read IDX labels "${path}": label 5 is 10, expected 0..9 (10 classes)`,
        );
        equal(e.file, path);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadBundled() with a limit says how many images each split holds", async () => {
  const { train, test } = await loadBundled({ limit: 5 });
  deepEqual([train.shape[0], train.available], [5, 10000]);
  deepEqual([test.shape[0], test.available], [5, 2000]);
});
