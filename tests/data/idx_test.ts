import { assert, deepEqual, equal, rejects, throws } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { loadIdx, parseIdx, parseIdxDataset } from "../../src/data/idx.ts";
import { fixture } from "./_fixtures.ts";

// Fixture rule (scripts/make_data_fixtures.ts): 5 images of 3x4, pixel k of
// image i = (i * 50 + k * 7) % 256, label i % 3.
const pixel = (i: number, k: number) => ((i * 50 + k * 7) % 256) / 255;

function isFormatError(re: RegExp, file?: string) {
  return (err: unknown): boolean => {
    assert.ok(
      err instanceof DataFormatError,
      `expected DataFormatError, got ${err}`,
    );
    assert.match(err.message, re);
    if (file !== undefined) equal(err.file, file);
    return true;
  };
}

Deno.test("loadIdx() reads raw and gzip files to the same dataset", async () => {
  const raw = await loadIdx(
    fixture("idx/tiny-images-idx3-ubyte"),
    fixture("idx/tiny-labels-idx1-ubyte"),
  );
  const gz = await loadIdx(
    fixture("idx/tiny-images-idx3-ubyte.gz"),
    fixture("idx/tiny-labels-idx1-ubyte.gz"),
  );
  deepEqual(raw.shape, [5, 3, 4, 1]);
  deepEqual(Array.from(raw.labels!), [0, 1, 2, 0, 1]);
  for (let i = 0; i < 5; i++) {
    for (let k = 0; k < 12; k++) {
      equal(raw.images[i * 12 + k], Math.fround(pixel(i, k)));
    }
  }
  deepEqual(gz, { ...raw, ids: raw.ids });
});

Deno.test("loadIdx() honours limit and works without labels", async () => {
  const ds = await loadIdx(
    fixture("idx/tiny-images-idx3-ubyte.gz"),
    undefined,
    { limit: 2 },
  );
  deepEqual(ds.shape, [2, 3, 4, 1]);
  equal(ds.labels, undefined);
  await rejects(
    loadIdx(fixture("idx/tiny-images-idx3-ubyte"), undefined, { limit: -1 }),
    RangeError,
  );
});

Deno.test("parseIdx() names the problem in damaged headers and sizes", async (t) => {
  const img = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte"));
  const lab = await Deno.readFile(fixture("idx/tiny-labels-idx1-ubyte"));
  const edit = (b: Uint8Array, at: number, v: number) => {
    const c = b.slice();
    c[at] = v;
    return c;
  };
  await t.step("wrong magic", () => {
    throws(
      () => parseIdx(edit(img, 0, 1), "x", 3),
      isFormatError(/expected magic "0x00000803", found "0x01000803"/, "x"),
    );
  });
  await t.step("label file given as images", () => {
    throws(
      () => parseIdx(lab, "l", 3),
      isFormatError(
        /expected magic "0x00000803" \(3 dims\), found "0x00000801" \(1 dims\)/,
      ),
    );
  });
  await t.step("dtype byte not 0x08", () => {
    throws(
      () => parseIdx(edit(img, 2, 0x0d), "x", 3),
      isFormatError(/expected data type byte "0x08".*found "0x0d"/),
    );
  });
  await t.step("wrong dims", () => {
    throws(
      () => parseIdx(edit(img, 7, 6), "x", 3),
      isFormatError(/header dims \[6,3,4\] need 88 bytes, found 76/),
    );
  });
  await t.step("truncated", () => {
    throws(
      () => parseIdx(img.slice(0, 40), "x", 3),
      isFormatError(/need 76 bytes, found 40 \(truncated\?\)/),
    );
    throws(
      () => parseIdx(img.slice(0, 9), "x", 3),
      isFormatError(/shorter than the 16-byte header/),
    );
    throws(
      () => parseIdx(img.slice(0, 2), "x", 3),
      isFormatError(/shorter than the 4-byte magic/),
    );
  });
  await t.step("trailing bytes", () => {
    throws(
      () => parseIdx(Uint8Array.from([...img, 0]), "x", 3),
      isFormatError(/found 77 \(trailing bytes\)/),
    );
  });
  await t.step("truncated gzip", async () => {
    const gz = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte.gz"));
    throws(
      () => parseIdx(gz.slice(0, 20), "x.gz", 3),
      isFormatError(/gzip data is corrupt or truncated|need 76 bytes/),
    );
  });
  await t.step(".gz name without gzip magic", () => {
    throws(
      () => parseIdx(img, "x.gz", 3),
      isFormatError(/name ends in ".gz" but the gzip magic "1f 8b" is missing/),
    );
  });
});

Deno.test("parseIdxDataset() rejects a label count that differs from the image count", async () => {
  const img = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte"));
  const lab = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 4, 1, 2, 3, 4]);
  throws(
    () => parseIdxDataset(img, lab, { imagesFile: "i", labelsFile: "l" }),
    isFormatError(
      /Cannot read IDX labels "l": found 4 labels for 5 images in "i"/,
      "l",
    ),
  );
});
