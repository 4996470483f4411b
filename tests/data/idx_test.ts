import { assert, deepEqual, equal, rejects, throws } from "../_assert.ts";
import { gzipSync } from "fflate";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError } from "../../src/limits.ts";
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

Deno.test("parseIdx() checks the gzip trailer and reads concatenated members", async (t) => {
  const raw = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte"));
  const gz = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte.gz"));
  await t.step("a CRC-32 that differs from the data is refused", () => {
    const bad = gz.slice();
    bad[bad.length - 6] ^= 0x40;
    throws(
      () => parseIdx(bad, "x.gz", 3),
      isFormatError(/^Cannot read "x\.gz": gzip CRC-32 mismatch/, "x.gz"),
    );
  });
  await t.step("an ISIZE that differs from the data is refused", () => {
    const bad = gz.slice();
    bad[bad.length - 4] += 1;
    throws(
      () => parseIdx(bad, "x.gz", 3),
      isFormatError(/gzip length mismatch/, "x.gz"),
    );
  });
  await t.step("two members (written by Python) read as one file", async () => {
    const multi = await Deno.readFile(
      fixture("gzip/multi-images-idx3-ubyte.gz"),
    );
    deepEqual(parseIdx(multi, "m.gz", 3).data, raw.subarray(16));
  });
});

/** IDX image bytes: header of `dims`, then `data`. */
function idx3(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 8, 3]);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  out.set(data, 16);
  return out;
}

Deno.test("parseIdx() bounds gzip inflation by the header's size and LIMITS", async (t) => {
  await t.step("a bomb behind a 1x1x1 header stops past 17 bytes", () => {
    // 8 MiB of zeros after a header that declares one pixel.
    const bomb = gzipSync(idx3([1, 1, 1], new Uint8Array(1 << 23)));
    throws(
      () => parseIdx(bomb, "bomb.gz", 3),
      isFormatError(
        /inflates to more than the 17 bytes the header declares \(trailing bytes\)/,
        "bomb.gz",
      ),
    );
  });
  await t.step("a header declaring more than maxInflatedBytes", () => {
    // Stored blocks: 8.4 MB of gzip could hold ~8.7 GB, so the header's
    // 8.6 GB are not plainly impossible, only beyond the limit.
    const gz = gzipSync(idx3([8600, 1000, 1000], new Uint8Array(8_400_000)), {
      level: 0,
    });
    throws(
      () => parseIdx(gz, "big.gz", 3),
      (e: unknown) =>
        e instanceof LimitError && e.limit === "maxInflatedBytes" &&
        /"big\.gz"/.test(e.message),
    );
  });
  await t.step("a header declaring more than the data can hold", () => {
    const gz = gzipSync(idx3([65535, 65535, 4], new Uint8Array(1000)));
    throws(
      () => parseIdx(gz, "big.gz", 3),
      isFormatError(
        /more than \d+ bytes of gzip data can hold \(truncated\?\)/,
      ),
    );
  });
});

Deno.test("parseIdxDataset() refuses labels beyond the class names and empty images", async (t) => {
  const img = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte"));
  await t.step("label 3 with three names", () => {
    const lab = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 5, 0, 1, 2, 3, 0]);
    throws(
      () =>
        parseIdxDataset(img, lab, {
          names: ["a", "b", "c"],
          labelsFile: "l.idx",
        }),
      (e: unknown) => {
        isFormatError(
          /^Cannot read IDX labels "l\.idx": label 3 is 3, expected 0\.\.2 \(3 classes\)/,
          "l.idx",
        )(e);
        equal((e as DataFormatError).offset, 8 + 3);
        return true;
      },
    );
    // Without names there is no class count to check against.
    equal(parseIdxDataset(img, lab).labels![3], 3);
  });
  await t.step("images of 0 pixels", () => {
    throws(
      () => parseIdxDataset(idx3([2, 0, 4], new Uint8Array(0))),
      isFormatError(/header dims \[2,0,4\] describe images with no pixels/),
    );
  });
});

Deno.test("loadIdx() reads regular files only and reports what a limit kept", async (t) => {
  await t.step("a device is refused before it is read", async () => {
    await rejects(
      loadIdx("/dev/null"),
      isFormatError(
        /^Cannot read "\/dev\/null": it is a character device, not a regular file/,
        "/dev/null",
      ),
    );
  });
  await t.step("available says how many images the files hold", async () => {
    for (const suffix of ["", ".gz"]) {
      const ds = await loadIdx(
        fixture(`idx/tiny-images-idx3-ubyte${suffix}`),
        fixture(`idx/tiny-labels-idx1-ubyte${suffix}`),
        { limit: 2 },
      );
      deepEqual(ds.shape, [2, 3, 4, 1]);
      deepEqual(Array.from(ds.labels!), [0, 1]);
      equal(ds.available, 5);
    }
  });
});
