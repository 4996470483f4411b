import { assert, deepEqual, equal, rejects } from "../_assert.ts";
import {
  DATA_FORMATS,
  DataSourceError,
  detectFormat,
  loadAny,
} from "../../src/data/load_any.ts";
import { encodeNpy } from "../../src/data/npy_write.ts";
import { DataFormatError } from "../../src/errors.ts";
import { fixture } from "./_fixtures.ts";

/** Asserts `p` rejects with a DataSourceError of `problem` and `message`. */
async function rejectsSource(
  p: () => Promise<unknown>,
  problem: string,
  message: string,
): Promise<void> {
  await rejects(p, (e: unknown) => {
    assert.ok(e instanceof DataSourceError, String(e));
    equal(e.problem, problem);
    equal(e.message, message);
    return true;
  });
}

Deno.test("detectFormat() names the format from file and folder names", async (t) => {
  await t.step("files by extension or IDX suffix", async () => {
    equal(await detectFormat(fixture("npy/f4.npy")), "npy");
    equal(await detectFormat(fixture("npy/dataset.npz")), "npy");
    equal(await detectFormat(fixture("idx/tiny-images-idx3-ubyte")), "idx");
    equal(await detectFormat(fixture("idx/tiny-images-idx3-ubyte.gz")), "idx");
    equal(await detectFormat(fixture("cifar10/data_batch_1.bin")), "cifar");
  });
  await t.step("folders by what they hold", async () => {
    equal(await detectFormat(fixture("cifar10")), "cifar");
    equal(await detectFormat(fixture("folder")), "folder");
    // tiny-* names are not the train-images-idx3-ubyte a folder needs
    equal(await detectFormat(fixture("idx")), "folder");
  });
  await t.step(
    "a missing path and an unknown file are DataSourceErrors",
    async () => {
      const missing = fixture("no-such-thing");
      await rejectsSource(
        () => detectFormat(missing),
        "not-found",
        `Cannot load "${missing}": no such file or folder`,
      );
      const csv = fixture("flat/labels.csv");
      await rejectsSource(
        () => detectFormat(csv),
        "unknown-format",
        `Cannot detect the format of "${csv}": pass "format" (${
          DATA_FORMATS.join(", ")
        })`,
      );
    },
  );
});

Deno.test("loadAny() loads each format, with the test split when there is one", async (t) => {
  await t.step(
    "an IDX images file takes its labels file beside it",
    async () => {
      const d = await loadAny(fixture("idx/tiny-images-idx3-ubyte.gz"));
      assert.ok(d.train.labels !== undefined);
      equal(d.train.labels!.length, d.train.shape[0]);
      equal(d.test, undefined);
      equal(d.source, fixture("idx/tiny-images-idx3-ubyte.gz"));
    },
  );
  await t.step("an IDX folder gives train and t10k test", async () => {
    const dir = await Deno.makeTempDir();
    try {
      for (
        const [from, to] of [
          ["tiny-images-idx3-ubyte", "train-images-idx3-ubyte"],
          ["tiny-labels-idx1-ubyte", "train-labels-idx1-ubyte"],
          ["tiny-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz"],
        ]
      ) await Deno.copyFile(fixture(`idx/${from}`), `${dir}/${to}`);
      equal(await detectFormat(dir), "idx");
      const d = await loadAny(dir, { limit: 2 });
      equal(d.train.shape[0], 2);
      assert.ok(d.train.labels !== undefined);
      equal(d.test?.shape[0], 2);
      equal(d.test?.labels, undefined); // no t10k labels file
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("an IDX folder without training images", async () => {
    const dir = fixture("idx");
    await rejectsSource(
      () => loadAny(dir, { format: "idx" }),
      "no-train-images",
      `Cannot load IDX folder "${dir}": no train-images-idx3-ubyte(.gz) in it`,
    );
  });
  await t.step("a CIFAR folder has both splits, a batch file one", async () => {
    // the fixture folder has data_batch_1 only: a limit stops before batch 2
    const d = await loadAny(fixture("cifar10"), { limit: 2 });
    equal(d.train.shape[0], 2);
    equal(d.test?.shape[0], 2);
    deepEqual(d.train.shape.slice(1), [32, 32, 3]);
    const f = await loadAny(fixture("cifar10/test_batch.bin"));
    equal(f.test, undefined);
  });
  await t.step("npy honours limit", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = `${dir}/x.npy`;
      await Deno.writeFile(path, encodeNpy(new Float32Array(5 * 4), [5, 2, 2]));
      deepEqual((await loadAny(path)).train.shape, [5, 2, 2, 1]);
      deepEqual((await loadAny(path, { limit: 3 })).train.shape, [3, 2, 2, 1]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("an image folder", async () => {
    const d = await loadAny(fixture("folder"), { format: "folder" });
    assert.ok(d.train.shape[0] > 0);
    equal(d.source, fixture("folder"));
  });
  await t.step("the bundled subset, by path or by format", async () => {
    const a = await loadAny("bundled", { limit: 2 });
    const b = await loadAny("anything", { format: "bundled", limit: 2 });
    deepEqual(a.train.shape, [2, 28, 28, 1]);
    deepEqual(a.test?.shape, [2, 28, 28, 1]);
    deepEqual(Array.from(a.train.labels!), Array.from(b.train.labels!));
    equal(a.source, "bundled Fashion-MNIST subset (data/)");
  });
  await t.step("a missing path and an unknown format", async () => {
    await rejectsSource(
      () => loadAny("/no/such/path", { format: "npy" }),
      "not-found",
      'Cannot load "/no/such/path": no such file or folder',
    );
    await rejects(
      () => loadAny(fixture("npy/f4.npy"), { format: "csv" as "npy" }),
      {
        name: "RangeError",
        message: `Cannot load "${
          fixture("npy/f4.npy")
        }": "format" must be one of ${DATA_FORMATS.join(", ")}, got "csv"`,
      },
    );
  });
});

Deno.test("loadAny() applies limit to every format and reports what it kept", async () => {
  // Each fixture's image count: npy 3, npz 3, IDX 5, CIFAR-10 batch 3 + test 2.
  const cases: [string, number, number | undefined][] = [
    ["npy/images_u1.npy", 3, undefined],
    ["npy/dataset.npz", 3, undefined],
    ["npy/dataset_compressed.npz", 3, undefined],
    ["idx/tiny-images-idx3-ubyte", 5, undefined],
    ["idx/tiny-images-idx3-ubyte.gz", 5, undefined],
    ["cifar10/data_batch_1.bin", 3, undefined],
    ["cifar10", 3, 2],
  ];
  for (const [rel, train, test] of cases) {
    const d = await loadAny(fixture(rel), { limit: 1 });
    deepEqual(
      [
        d.train.shape[0],
        d.train.available,
        d.test?.shape[0],
        d.test?.available,
      ],
      [1, train, test && 1, test],
      rel,
    );
  }
});

Deno.test("loadAny() and detectFormat() refuse devices, whatever the format", async () => {
  // /dev/zero never ends: reading it whole would never return.
  for (const dev of ["/dev/null", "/dev/zero"]) {
    const device = (e: unknown) =>
      e instanceof DataFormatError && e.file === dev &&
      e.message ===
        `Cannot read "${dev}": it is a character device, not a regular file; copy the data into a file first`;
    for (const format of ["auto", "npy", "idx", "cifar", "folder"] as const) {
      await rejects(() => loadAny(dev, { format }), device, `${dev} ${format}`);
    }
    await rejects(() => detectFormat(dev), device);
  }
});
