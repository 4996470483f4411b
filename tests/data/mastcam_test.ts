import { assert, deepEqual, equal, rejects } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { loadMastcam } from "../../src/data/mastcam.ts";
import { copyTree, fixture } from "./_fixtures.ts";

// Fixture rule: tile t of folder index f holds (t*40 + f*9 + k) % 256 at flat
// k; folders in order train_typical (0), validation_typical (1),
// test_typical (2), test_novel/all (4), bedrock (4), veins (5).
const v = (t: number, f: number, k: number) =>
  Math.fround(((t * 40 + f * 9 + k) % 256) / 255);

Deno.test("loadMastcam() reads the Zenodo layout into train/validation/test", async () => {
  const m = await loadMastcam(fixture("mastcam"));
  deepEqual(m.train.shape, [3, 4, 4, 6]);
  deepEqual(m.validation!.shape, [1, 4, 4, 6]);
  // 2 typical + 1 bedrock + 2 veins; "all" is skipped when categories exist.
  deepEqual(m.test.shape, [5, 4, 4, 6]);
  deepEqual(m.test.names, ["typical", "bedrock", "veins"]);
  deepEqual(Array.from(m.test.labels!), [0, 0, 1, 2, 2]);
  deepEqual(Array.from(m.testIsAnomaly), [0, 0, 1, 1, 1]);
  equal(m.train.images[96 + 5], v(1, 0, 5));
  equal(m.test.images[2 * 96], v(0, 4, 0));
  equal(m.test.images[4 * 96 + 95], v(1, 5, 95));
  deepEqual(m.test.ids![2], "test_novel/bedrock/tile0.npy");
});

Deno.test("loadMastcam() limits tiles per folder", async () => {
  const m = await loadMastcam(fixture("mastcam"), { limit: 1 });
  equal(m.train.shape[0], 1);
  deepEqual(Array.from(m.testIsAnomaly), [0, 1, 1]);
});

Deno.test("loadMastcam() names the missing folder and bad tiles", async () => {
  const dir = await copyTree("mastcam");
  try {
    await Deno.writeFile(
      `${dir}/test_typical/tile1.npy`,
      (await Deno.readFile(`${dir}/test_typical/tile1.npy`)).slice(0, 150),
    );
    await rejects(loadMastcam(dir), (err: unknown) => {
      assert.ok(err instanceof DataFormatError);
      assert.match(
        err.message,
        /tile1\.npy": shape "\(4, 4, 6\)" of "\|u1" needs 96 data bytes, found 22 \(truncated\?\)/,
      );
      return true;
    });
    await Deno.remove(`${dir}/test_novel`, { recursive: true });
    await rejects(loadMastcam(dir), /folder "test_novel\/" is missing/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadMastcam() follows symlinks, skips cycles and counts what it leaves out", async () => {
  const dir = await copyTree("mastcam");
  const elsewhere = await Deno.makeTempDir();
  try {
    const tile = await Deno.readFile(`${dir}/train_typical/tile0.npy`);
    // A linked tile, a linked category folder, a link back to the root,
    // a broken link, and files and folders the layout does not read.
    await Deno.symlink(
      `${dir}/train_typical/tile0.npy`,
      `${dir}/train_typical/tile9.npy`,
    );
    await Deno.writeFile(`${elsewhere}/tile0.npy`, tile);
    await Deno.symlink(elsewhere, `${dir}/test_novel/meteorite`);
    await Deno.symlink(dir, `${dir}/test_novel/veins/loop`);
    await Deno.symlink(`${dir}/nothing.npy`, `${dir}/test_typical/gone.npy`);
    await Deno.writeFile(`${dir}/train_typical/.tile5.npy`, tile);
    await Deno.writeTextFile(`${dir}/train_typical/README.txt`, "tiles");
    await Deno.mkdir(`${dir}/test_typical/extra`);
    const m = await loadMastcam(dir);
    deepEqual(m.train.shape, [4, 4, 4, 6]);
    deepEqual(m.train.ids![3], "train_typical/tile9.npy");
    deepEqual(m.train.images.subarray(3 * 96), m.train.images.subarray(0, 96));
    deepEqual(m.test.names, ["typical", "bedrock", "meteorite", "veins"]);
    deepEqual(Array.from(m.test.labels!), [0, 0, 1, 2, 3, 3]);
    deepEqual(m.skipped, {
      hidden: 1,
      unsupported: 1,
      // test_typical/extra, and test_novel/all beside the categories.
      outsideLayout: 2,
      brokenLinks: 1,
      // test_novel/veins/loop leads back to the root.
      symlinkCycles: 1,
      special: 0,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});
