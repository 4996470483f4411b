/**
 * A seeded fuzz loop over the byte-level parsers: damaged copies of valid
 * fixtures (truncated at random offsets, random bytes overwritten with a
 * bias to the header, bytes inserted) must each give either a valid result
 * or a DataFormatError (a LimitError for a header asking for more than
 * LIMITS allow); never another exception, never NaN in a dataset.
 */
import { assert, equal } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError } from "../../src/limits.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { assertDataset } from "../../src/data/dataset.ts";
import { parseNpy } from "../../src/data/npy.ts";
import { npyToDataset, parseNpz } from "../../src/data/npy_dataset.ts";
import { parseIdx, parseIdxDataset } from "../../src/data/idx.ts";
import { parseCifar } from "../../src/data/cifar.ts";
import { decodeImage } from "../../src/data/image.ts";
import { mulberry32 } from "../../src/random.ts";
import { fixture } from "./_fixtures.ts";

const ROUNDS = 150;

function mutate(src: Uint8Array, rng: () => number): Uint8Array {
  const kind = Math.floor(rng() * 3);
  if (kind === 0) return src.slice(0, Math.floor(rng() * src.length));
  const out = src.slice();
  if (kind === 1) {
    const flips = 1 + Math.floor(rng() * 4);
    for (let f = 0; f < flips; f++) {
      // Half of the flips hit the first 160 bytes (headers).
      const at = rng() < 0.5
        ? Math.floor(rng() * Math.min(160, out.length))
        : Math.floor(rng() * out.length);
      out[at] = Math.floor(rng() * 256);
    }
    return out;
  }
  const at = Math.floor(rng() * src.length);
  const extra = Uint8Array.from(
    { length: 1 + Math.floor(rng() * 8) },
    () => Math.floor(rng() * 256),
  );
  return Uint8Array.from([
    ...src.subarray(0, at),
    ...extra,
    ...src.subarray(at),
  ]);
}

function checkDataset(ds: Dataset): void {
  assertDataset(ds);
  for (let i = 0; i < ds.images.length; i++) {
    const v = ds.images[i];
    if (!(v >= 0 && v <= 1)) assert.fail(`pixel ${i} is ${v}`);
  }
}

async function fuzz(
  name: string,
  files: string[],
  parse: (bytes: Uint8Array, file: string) => void,
  seed: number,
): Promise<{ ok: number; rejected: number }> {
  const sources = await Promise.all(
    files.map((f) => Deno.readFile(fixture(f))),
  );
  const rng = mulberry32(seed);
  let ok = 0;
  let rejected = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const k = r % sources.length;
    const bytes = mutate(sources[k], rng);
    try {
      parse(bytes, files[k]);
      ok++;
    } catch (err) {
      if (!(err instanceof DataFormatError || err instanceof LimitError)) {
        assert.fail(
          `${name} round ${r} (${
            files[k]
          }, ${bytes.length} bytes) threw ${err}`,
        );
      }
      assert.match(err.message, /^Cannot /);
      rejected++;
    }
  }
  return { ok, rejected };
}

Deno.test("parsers give a valid result or a DataFormatError on damaged input", async (t) => {
  const cases: [string, string[], (b: Uint8Array, f: string) => void][] = [
    ["parseNpy", [
      "npy/f4.npy",
      "npy/i8.npy",
      "npy/be_i4.npy",
      "npy/v3.npy",
      "npy/b1.npy",
    ], (b, f) => {
      const a = parseNpy(b, f);
      equal(a.data.length, a.shape.reduce((p, d) => p * d, 1));
    }],
    [
      "npyToDataset",
      ["npy/images_u1.npy", "npy/images_nan.npy"],
      (b, f) => checkDataset(npyToDataset(parseNpy(b, f), f)),
    ],
    ["parseNpz", ["npy/dataset.npz", "npy/dataset_compressed.npz"], (b, f) => {
      const arrays = parseNpz(b, f);
      if (arrays.x) checkDataset(npyToDataset(arrays.x, f));
    }],
    ["parseIdx", [
      "idx/tiny-images-idx3-ubyte",
      "idx/tiny-images-idx3-ubyte.gz",
      "idx/tiny-labels-idx1-ubyte",
    ], (b, f) => {
      const a = parseIdx(b, f, f.includes("labels") ? 1 : 3);
      equal(a.data.length, a.dims.reduce((p, d) => p * d, 1));
    }],
    [
      "parseIdxDataset",
      ["idx/tiny-images-idx3-ubyte.gz"],
      (b) => checkDataset(parseIdxDataset(b)),
    ],
    [
      "parseCifar",
      ["cifar10/test_batch.bin", "cifar100/test.bin"],
      (b, f) => checkDataset(parseCifar(b, f)),
    ],
    [
      "decodeImage",
      ["folder/cat/a.png", "folder/dog/c.jpg", "flat/x1.png"],
      (b, f) => {
        const img = decodeImage(b, f);
        equal(img.data.length, img.height * img.width * img.channels);
        assert.ok(img.data.every((v) => v >= 0 && v <= 1));
      },
    ],
  ];
  for (const [k, [name, files, parse]] of cases.entries()) {
    await t.step(name, async () => {
      const { ok, rejected } = await fuzz(name, files, parse, 1000 + k);
      equal(ok + rejected, ROUNDS);
      // Damage must be caught at least sometimes (else the loop tests nothing).
      assert.ok(
        rejected > ROUNDS / 10,
        `${name}: only ${rejected} of ${ROUNDS} rejected`,
      );
    });
  }
});
