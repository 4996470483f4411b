import { deepEqual, equal, rejects, throws } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { loadCifar, parseCifar } from "../../src/data/cifar.ts";
import { fixture } from "./_fixtures.ts";

// Fixture rule: record r, plane p (0 R, 1 G, 2 B), pixel q = (r*31 + p*80 + q) % 256.
const value = (r: number, p: number, q: number) =>
  Math.fround(((r * 31 + p * 80 + q) % 256) / 255);

Deno.test("loadCifar() reads a CIFAR-10 file and converts CHW planes to HWC", async () => {
  const ds = await loadCifar(fixture("cifar10/data_batch_1.bin"));
  deepEqual(ds.shape, [3, 32, 32, 3]);
  deepEqual(Array.from(ds.labels!), [0, 1, 2]);
  for (const [r, y, x] of [[0, 0, 0], [1, 5, 7], [2, 31, 31]]) {
    const q = y * 32 + x;
    const at = r * 3072 + q * 3;
    deepEqual(Array.from(ds.images.subarray(at, at + 3)), [
      value(r, 0, q),
      value(r, 1, q),
      value(r, 2, q),
    ]);
  }
  equal(ds.names![0], "airplane");
});

Deno.test("loadCifar() loads the test split of a CIFAR-10 directory with its names file", async () => {
  const ds = await loadCifar(fixture("cifar10"), { split: "test" });
  deepEqual(Array.from(ds.labels!), [3, 4]);
  equal(ds.names!.length, 10);
  equal(ds.images[0], value(3, 0, 0));
  // The train split needs data_batch_1..5; only 1 exists in the fixture.
  await rejects(
    loadCifar(fixture("cifar10"), { split: "train" }),
    Deno.errors.NotFound,
  );
});

Deno.test("loadCifar() reads CIFAR-100 fine and coarse labels", async () => {
  const fine = await loadCifar(fixture("cifar100"), { split: "train" });
  const coarse = await loadCifar(fixture("cifar100/train.bin"), {
    labels: "coarse",
  });
  deepEqual(Array.from(fine.labels!), [0, 7, 14]);
  deepEqual(Array.from(coarse.labels!), [0, 1, 2]);
  equal(fine.names![7], "fine7");
  deepEqual(fine.images, coarse.images);
  equal(fine.images[3 * 1024 * 1 + 0], value(1, 0, 0));
});

Deno.test("loadCifar() concatenates a list of files and honours limit", async () => {
  const ds = await loadCifar([
    fixture("cifar10/data_batch_1.bin"),
    fixture("cifar10/test_batch.bin"),
  ], { limit: 4 });
  deepEqual(Array.from(ds.labels!), [0, 1, 2, 3]);
  equal(
    (await loadCifar(fixture("cifar10/test_batch.bin"), { limit: 0 })).shape[0],
    0,
  );
});

Deno.test("parseCifar() names the problem in bad input", async (t) => {
  const c10 = await Deno.readFile(fixture("cifar10/data_batch_1.bin"));
  const c100 = await Deno.readFile(fixture("cifar100/train.bin"));
  const check = (re: RegExp) => (err: unknown) =>
    err instanceof DataFormatError && re.test(err.message);
  await t.step("truncated", () => {
    throws(
      () => parseCifar(c10.slice(0, 5000), "data_batch_1.bin"),
      check(
        /size 5000 is not a positive multiple of the cifar10 record size 3073/,
      ),
    );
  });
  await t.step("CIFAR-100 bytes read as CIFAR-10", () => {
    throws(
      () => parseCifar(c100, "x.bin", { format: "cifar10" }),
      check(/\(it is one of 3074: pass "format: \\"cifar100\\""\)/),
    );
  });
  await t.step("label out of range", () => {
    const bad = c10.slice();
    bad[3073] = 12;
    throws(
      () => parseCifar(bad, "data_batch_1.bin"),
      check(/record 1 has label 12, expected 0..9 for cifar10/),
    );
  });
  await t.step("unknown name", () => {
    throws(
      () => parseCifar(c10, "mystery.bin"),
      check(/cannot tell CIFAR-10 from CIFAR-100 by the name/),
    );
  });
  await t.step("bad labels option", () => {
    throws(
      () => parseCifar(c100, "train.bin", { labels: "medium" as "fine" }),
      RangeError,
    );
  });
  await t.step("empty", () => {
    throws(
      () => parseCifar(new Uint8Array(0), "test.bin"),
      check(/size 0 is not a positive multiple/),
    );
  });
  await t.step("directory without CIFAR files", async () => {
    await rejects(
      loadCifar(fixture("idx")),
      check(
        /expected "test_batch.bin" \(CIFAR-10\) or "train.bin"\/"test.bin"/,
      ),
    );
  });
});

Deno.test("parseCifar() checks both CIFAR-100 label bytes of every kept record", async (t) => {
  const c100 = await Deno.readFile(fixture("cifar100/train.bin"));
  const edit = (at: number, v: number) => {
    const b = c100.slice();
    b[at] = v;
    return b;
  };
  await t.step("a coarse label of 20 while reading fine labels", () => {
    throws(
      () => parseCifar(edit(3074, 20), "train.bin"),
      (e: unknown) =>
        e instanceof DataFormatError && e.file === "train.bin" &&
        e.offset === 3074 &&
        /record 1 has coarse label 20, expected 0\.\.19 for cifar100/.test(
          e.message,
        ),
    );
  });
  await t.step("a fine label of 100 while reading coarse labels", () => {
    throws(
      () =>
        parseCifar(edit(2 * 3074 + 1, 100), "train.bin", { labels: "coarse" }),
      (e: unknown) =>
        e instanceof DataFormatError && e.offset === 2 * 3074 + 1 &&
        /record 2 has fine label 100, expected 0\.\.99 for cifar100/.test(
          e.message,
        ),
    );
  });
});

Deno.test("loadCifar() reads regular files only and says how many records a limit skipped", async (t) => {
  await t.step("a device is refused", async () => {
    await rejects(
      loadCifar("/dev/null", { format: "cifar10" }),
      (e: unknown) =>
        e instanceof DataFormatError &&
        /^Cannot read "\/dev\/null": it is a character device/.test(e.message),
    );
  });
  await t.step("available counts every file, read or not", async () => {
    // data_batch_1.bin holds 3 records, test_batch.bin 2.
    const files = [
      fixture("cifar10/data_batch_1.bin"),
      fixture("cifar10/test_batch.bin"),
    ];
    equal((await loadCifar(files, { limit: 2 })).available, 5);
    equal((await loadCifar(files, { limit: 4 })).available, 5);
    equal((await loadCifar(files)).available, undefined);
  });
});
