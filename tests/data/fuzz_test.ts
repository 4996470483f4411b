/**
 * Seeded fuzz loops over the loaders.
 *
 * 1. The byte-level parsers: damaged copies of valid fixtures (truncated at
 *    random offsets, random bytes overwritten with a bias to the header,
 *    bytes inserted) must each give either a valid result or a
 *    DataFormatError (LimitError for sizes past LIMITS); never another
 *    exception, never NaN in a dataset.
 * 2. The file loaders (IDX, gzip-wrapped IDX, NPY, NPZ, CIFAR): targeted
 *    corruptions written to disk: truncation, bit flips, header fields set to
 *    0 / max / "negative" at their real offsets (IDX dims, the NPY header
 *    dict, zip local/central/end-record fields, CIFAR label bytes), wrong
 *    dtypes, duplicated keys and member names. Each case must end within a
 *    time limit in a typed error (DataFormatError / LimitError / RangeError)
 *    naming the file, or in a correct dataset (consistent shape, finite
 *    pixels in [0, 1], labels in range; for gzip byte damage: exactly the
 *    original, since the CRC-32 must catch the rest), while the process's
 *    resident memory stays within a bound. Counts per format are printed.
 */
import { assert, equal } from "../_assert.ts";
import { gzipSync, zipSync } from "fflate";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError } from "../../src/limits.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { assertDataset } from "../../src/data/dataset.ts";
import { parseNpy } from "../../src/data/npy.ts";
import {
  loadNpyDataset,
  npyToDataset,
  parseNpz,
} from "../../src/data/npy_dataset.ts";
import { loadIdx, parseIdx, parseIdxDataset } from "../../src/data/idx.ts";
import { loadCifar, parseCifar } from "../../src/data/cifar.ts";
import { encodeNpy } from "../../src/data/npy_write.ts";
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

Deno.test("parsers give a valid result or a DataFormatError (LimitError) on damaged input", async (t) => {
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

// ---------------------------------------------------------------------------
// 2. Targeted corruptions through the file loaders.

/** Cases per format. */
const CASES = 150;
/** Wall-clock limit per case (generous: the machine may be shared). */
const CASE_MS = 5000;
/** Largest growth of the resident set over a format's cases. */
const RSS_BOUND = 768 * 2 ** 20;

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T =>
  xs[Math.floor(rng() * xs.length)];
const int = (rng: Rng, n: number) => Math.floor(rng() * n);

/** One damaged input: the bytes of the file it replaces, and what it is. */
interface Case {
  /** Which generator made it, for messages. */
  kind: string;
  bytes: Uint8Array;
  /** Loaded, it must equal the original (gzip damage the CRC must catch). */
  same?: boolean;
  /** It must be refused (a duplicated key or name, a label out of range). */
  mustRefuse?: boolean;
  /**
   * Extend the file (sparse: no disk blocks) to this size, past
   * `LIMITS.maxArrayBytes`, so that it holds what its header declares.
   */
  sparseTo?: number;
}

/** Past `LIMITS.maxArrayBytes` (2^34) whatever the machine's memory. */
const HUGE = 2 ** 35;

/** A format: its sources, its generators, how to load and check a file. */
interface Target {
  name: string;
  /** Fixture files (or generated bytes) with the file name to write them as. */
  sources: { name: string; bytes: Uint8Array }[];
  generators: ((src: Uint8Array, rng: Rng) => Case)[];
  /** Loads the file at `path` (written under the source's name). */
  load: (path: string, dir: string) => Promise<Dataset>;
  /** Extra checks on a loaded dataset (labels in range). */
  check?: (ds: Dataset, path: string) => void;
}

// Generic damage: truncation, bit flips, inserted bytes.
const truncate = (src: Uint8Array, rng: Rng): Case => ({
  kind: "truncate",
  bytes: src.slice(0, int(rng, src.length)),
});
const flip = (src: Uint8Array, rng: Rng): Case => {
  const out = src.slice();
  for (let f = 1 + int(rng, 3); f > 0; f--) {
    const at = rng() < 0.5
      ? int(rng, Math.min(64, out.length))
      : int(rng, out.length);
    out[at] ^= 1 << int(rng, 8);
  }
  return { kind: "flip", bytes: out };
};
const insert = (src: Uint8Array, rng: Rng): Case => {
  const at = int(rng, src.length + 1);
  const extra = Uint8Array.from(
    { length: 1 + int(rng, 8) },
    () => int(rng, 256),
  );
  return {
    kind: "insert",
    bytes: Uint8Array.from([
      ...src.subarray(0, at),
      ...extra,
      ...src.subarray(at),
    ]),
  };
};

/** 32-bit field values that break headers: 0, 1, max, "negative", off by one. */
function u32Value(rng: Rng, orig: number): number {
  return pick(rng, [
    0,
    1,
    0xffffffff,
    0x80000000,
    0x7fffffff,
    (orig + 1) >>> 0,
    (orig - 1) >>> 0,
    int(rng, 2 ** 32),
  ]);
}
function u16Value(rng: Rng, orig: number): number {
  return pick(rng, [
    0,
    1,
    0xffff,
    0x8000,
    (orig + 1) & 0xffff,
    (orig - 1) & 0xffff,
    int(rng, 65536),
  ]);
}

/** IDX: a dim (big-endian u32 at 4 + 4k), the type or rank byte. */
const idxHeader = (src: Uint8Array, rng: Rng): Case => {
  const out = src.slice();
  const v = new DataView(out.buffer);
  const ndim = src[3];
  if (rng() < 0.8) {
    const at = 4 + 4 * int(rng, ndim);
    v.setUint32(at, u32Value(rng, v.getUint32(at, false)), false);
  } else out[2 + int(rng, 2)] = pick(rng, [0, 1, 3, 8, 0x0d, 0xff]);
  return { kind: "idx-header", bytes: out };
};

/** IDX images whose header declares 2^35 bytes, in a file that long. */
const idxSparse = (src: Uint8Array, rng: Rng): Case => {
  if (src[3] !== 3) return idxHeader(src, rng);
  const out = src.slice(0, 16);
  const v = new DataView(out.buffer);
  v.setUint32(4, 2 ** 31, false);
  v.setUint32(8, 4, false);
  v.setUint32(12, 4, false);
  return { kind: "idx-sparse", bytes: out, sparseTo: 16 + HUGE };
};

/** A file of a whole number of `rec`-byte records, past the limit. */
const sparseRecords = (rec: number) => (src: Uint8Array): Case => ({
  kind: "sparse",
  bytes: src,
  sparseTo: rec * Math.ceil(HUGE / rec),
});

/** gzip: damage to the gzip bytes (header, deflate data, trailer). */
const gzipDamage = (src: Uint8Array, rng: Rng): Case => {
  const out = src.slice();
  const v = new DataView(out.buffer);
  const where = int(rng, 4);
  if (where === 0) out[int(rng, 10)] ^= 1 << int(rng, 8); // header
  else if (where === 1) out[10 + int(rng, out.length - 18)] ^= 1 << int(rng, 8); // deflate
  else {
    const at = out.length - (where === 2 ? 8 : 4); // CRC-32 or ISIZE
    v.setUint32(at, u32Value(rng, v.getUint32(at, true)), true);
  }
  return {
    kind: `gzip-${["header", "deflate", "crc", "isize"][where]}`,
    bytes: out,
    same: true,
  };
};

/** The NPY header dict, rewritten with wrong values, types, duplicates. */
/**
 * The NPY header dict, rewritten with wrong values and types, duplicated,
 * unknown or missing keys; half the time the values are the file's own,
 * so that only the key damage is wrong (and must be refused).
 */
function npyHeader(
  rng: Rng,
  dims: number[],
  own: string,
): { header: string; mustRefuse: boolean } {
  const keepOwn = rng() < 0.5;
  const shape = keepOwn ? `(${dims.join(", ")},)` : pick(rng, [
    `(${dims.join(", ")},)`,
    `(0, ${dims.slice(1).join(", ")})`,
    `(${dims[0]}, 0, ${dims.slice(2).join(", ")})`,
    `(${2 ** 62}, ${dims.slice(1).join(", ")})`,
    `(99999999999999999999, ${dims.slice(1).join(", ")})`,
    `(-1, ${dims.slice(1).join(", ")})`,
    `(${dims[0]}.5, ${dims.slice(1).join(", ")})`,
    `(${dims.reduce((a, b) => a * b, 1)},)`,
    `(${dims.join(", ")}, 1)`,
    `(${dims[0]})`,
    "()",
  ]);
  const descr = keepOwn ? own : pick(rng, [
    "|u1",
    "<f4",
    "<f8",
    "|b1",
    "<U5",
    "|O",
    "<c8",
    ">f4",
    "<i8",
    "|i1",
    "<u2",
    "<f2",
    "x",
  ]);
  const fortran = keepOwn
    ? "False"
    : pick(rng, ["False", "False", "True", "0"]);
  const entries = [
    `'descr': '${descr}'`,
    `'fortran_order': ${fortran}`,
    `'shape': ${shape}`,
  ];
  const r = rng();
  const alt = pick(rng, [
    "'descr': '<f8'",
    "'descr': '|u1'",
    "'fortran_order': True",
    "'shape': (1, 1, 1)",
  ]);
  if (r < 0.2) entries.push(alt); // a key twice (NumPy reads the last)
  else if (r < 0.3) entries.push("'extra': 1");
  else if (r < 0.4) entries.splice(int(rng, 3), 1); // a missing key
  if (rng() < 0.3) entries.reverse();
  return { header: `{${entries.join(", ")}, }`, mustRefuse: r < 0.4 };
}

/** `.npy` bytes with `header` (padded as NumPy pads) and `data`. */
function npyBytes(header: string, data: Uint8Array): Uint8Array {
  const len = Math.ceil((10 + header.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + len + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, len & 0xff, len >> 8]);
  out.set(new TextEncoder().encode(header.padEnd(len - 1) + "\n"), 10);
  out.set(data, 10 + len);
  return out;
}

/** The data section and dims of a valid version 1.0 `.npy`. */
function npyParts(
  src: Uint8Array,
): { data: Uint8Array; dims: number[]; descr: string } {
  const len = src[8] | src[9] << 8;
  const text = new TextDecoder("latin1").decode(src.subarray(10, 10 + len));
  const dims = /\(([^)]*)\)/.exec(text)![1].split(",").map((d) => d.trim())
    .filter((d) => d !== "").map(Number);
  const descr = /'descr': '([^']*)'/.exec(text)![1];
  return { data: src.subarray(10 + len), dims, descr };
}

/** A dtype that divides the data, in a shape that fits it: wrong but loadable. */
function npyRetyped(rng: Rng, data: Uint8Array, own: string): string {
  if (rng() < 0.5) { // the file's own dtype, in another shape of the same size
    const n = data.length / (own === "|u1" ? 1 : 4);
    return `{'descr': '${own}', 'fortran_order': False, 'shape': ${
      pick(rng, [
        `(${n}, 1, 1)`,
        `(1, ${n}, 1)`,
        `(1, 1, ${n})`,
        `(${n / 4}, 2, 2)`,
      ])
    }, }`;
  }
  const [descr, size] = pick(
    rng,
    [
      ["|u1", 1],
      ["|b1", 1],
      ["|i1", 1],
      ["<u2", 2],
      [">i2", 2],
      ["<f4", 4],
      [">f4", 4],
      ["<i4", 4],
      ["<f8", 8],
      ["<i8", 8],
    ] as const,
  );
  const n = Math.floor(data.length / size);
  return `{'descr': '${descr}', 'fortran_order': False, 'shape': (${n}, 1, 1), }`;
}

const npyDamage = (src: Uint8Array, rng: Rng): Case => {
  const { data, dims, descr } = npyParts(src);
  const r = rng();
  if (r < 0.2) {
    const n = data.length - (data.length % 8);
    return {
      kind: "npy-dtype",
      bytes: npyBytes(
        npyRetyped(rng, data.subarray(0, n), descr),
        data.subarray(0, n),
      ),
    };
  }
  if (r < 0.3) {
    const head = npyBytes(
      pick(rng, [
        "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 1, 1), }",
        "{'descr': '|u1', 'fortran_order': False, 'shape': (34359738368, 1, 1), }",
      ]),
      new Uint8Array(0),
    );
    return { kind: "npy-sparse", bytes: head, sparseTo: head.length + HUGE };
  }
  if (r < 0.75) {
    const { header, mustRefuse } = npyHeader(rng, dims, descr);
    return { kind: "npy-header", bytes: npyBytes(header, data), mustRefuse };
  }
  const out = src.slice();
  if (rng() < 0.5) { // header length (u16 at 8)
    new DataView(out.buffer).setUint16(
      8,
      u16Value(rng, out[8] | out[9] << 8),
      true,
    );
  } else out[6] = pick(rng, [0, 2, 3, 4, 255]); // major version
  return { kind: "npy-preamble", bytes: out };
};

/** Offsets of the zip structures in a valid archive. */
function zipLayout(
  b: Uint8Array,
): { locals: number[]; centrals: number[]; eocd: number } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = b.length - 22;
  while (v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const centrals: number[] = [];
  const locals: number[] = [];
  let at = v.getUint32(eocd + 16, true);
  for (let k = 0; k < v.getUint16(eocd + 10, true); k++) {
    centrals.push(at);
    locals.push(v.getUint32(at + 42, true));
    at += 46 + v.getUint16(at + 28, true) + v.getUint16(at + 30, true) +
      v.getUint16(at + 32, true);
  }
  return { locals, centrals, eocd };
}

/** zip: a local, central or end-record field; a duplicated member name. */
const zipDamage = (src: Uint8Array, rng: Rng): Case => {
  const out = src.slice();
  const v = new DataView(out.buffer);
  const { locals, centrals, eocd } = zipLayout(out);
  const r = rng();
  if (r < 0.15) { // the second member renamed to the first's name
    const name = out.subarray(
      centrals[0] + 46,
      centrals[0] + 46 + v.getUint16(centrals[0] + 28, true),
    );
    const renamed = v.getUint16(centrals[1] + 28, true) === name.length;
    if (renamed) out.set(name, centrals[1] + 46);
    if (rng() < 0.5 && v.getUint16(locals[1] + 26, true) === name.length) {
      out.set(name, locals[1] + 30);
    }
    return { kind: "zip-dup-name", bytes: out, mustRefuse: renamed };
  }
  const fields: [string, number, 16 | 32][] = [];
  for (const l of locals) {
    fields.push(
      ["local-method", l + 8, 16],
      ["local-csize", l + 18, 32],
      ["local-size", l + 22, 32],
      ["local-namelen", l + 26, 16],
      ["local-extralen", l + 28, 16],
    );
  }
  for (const c of centrals) {
    fields.push(
      ["cd-method", c + 10, 16],
      ["cd-crc", c + 16, 32],
      ["cd-csize", c + 20, 32],
      ["cd-size", c + 24, 32],
      ["cd-namelen", c + 28, 16],
      ["cd-extralen", c + 30, 16],
      ["cd-offset", c + 42, 32],
      ["cd-flags", c + 8, 16],
    );
  }
  fields.push(
    ["eocd-count", eocd + 10, 16],
    ["eocd-disk-count", eocd + 8, 16],
    ["eocd-cd-size", eocd + 12, 32],
    ["eocd-cd-offset", eocd + 16, 32],
    ["eocd-comment", eocd + 20, 16],
  );
  const [name, at, bits] = pick(rng, fields);
  const before = bits === 16 ? v.getUint16(at, true) : v.getUint32(at, true);
  if (bits === 16) v.setUint16(at, u16Value(rng, before), true);
  else v.setUint32(at, u32Value(rng, before), true);
  const after = bits === 16 ? v.getUint16(at, true) : v.getUint32(at, true);
  // Both members are read, so a CRC that changed must be caught.
  return {
    kind: `zip-${name}`,
    bytes: out,
    mustRefuse: name === "cd-crc" && after !== before,
  };
};

/** NPZ rebuilt from damaged members: an NPY header, or bad labels. */
function npzRebuilt(x: Uint8Array, y: Uint8Array) {
  return (_src: Uint8Array, rng: Rng): Case => {
    const compress = rng() < 0.5;
    const labels = pick(rng, [[2, 0, 1], [-1, 0, 1], [0.5, 1, 2], [NaN, 0, 1], [
      2 ** 31,
      0,
      0,
    ], [0, 1]]);
    const damagedLabels = rng() < 0.5 ? npyDamage(y, rng) : undefined;
    const lab = damagedLabels?.bytes ??
      encodeNpy(Float64Array.from(labels), [labels.length]);
    const damagedImages = rng() < 0.5 ? npyDamage(x, rng) : undefined;
    const img = damagedImages?.bytes ?? x;
    const badLabels = !damagedLabels && labels.join() !== "2,0,1";
    return {
      kind: "npz-members",
      bytes: zipSync({ "x.npy": img, "y.npy": lab }, {
        level: compress ? 6 : 0,
      }),
      mustRefuse: !!(damagedImages?.mustRefuse || damagedLabels?.mustRefuse) ||
        (badLabels && !damagedImages),
    };
  };
}

/** The record size of a CIFAR source: CIFAR-10 3073, CIFAR-100 3074. */
const recordOf = (src: Uint8Array) => src.length % 3073 === 0 ? 3073 : 3074;

/** CIFAR: a label byte of a record set to the edge of its range or past it. */
const cifarLabel = (src: Uint8Array, rng: Rng): Case => {
  const rec = recordOf(src);
  const out = src.slice();
  const r = int(rng, src.length / rec);
  const byte = int(rng, rec - 3072); // CIFAR-100: 0 coarse, 1 fine
  const value = pick(rng, [
    9,
    10,
    19,
    20,
    99,
    100,
    255,
    int(rng, 256),
  ]);
  out[r * rec + byte] = value;
  const max = rec === 3073 ? 9 : byte === 0 ? 19 : 99;
  return { kind: "cifar-label", bytes: out, mustRefuse: value > max };
};
const cifarExtra = (src: Uint8Array, rng: Rng): Case => ({
  kind: "cifar-extra",
  bytes: Uint8Array.from([...src, ...new Uint8Array(1 + int(rng, 3074))]),
});

function checkLabels(ds: Dataset, max: number, what: string): void {
  if (!ds.labels) return;
  for (const l of ds.labels) {
    if (!(Number.isInteger(l) && l >= 0 && l <= max)) {
      assert.fail(`${what}: label ${l}`);
    }
  }
}

/** Runs `p` under the per-case time limit. */
async function timed<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(`${what}: no answer within ${CASE_MS} ms (a hang?)`),
            ),
          CASE_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function fuzzLoader(t: Target, seed: number) {
  const rng = mulberry32(seed);
  const dir = await Deno.makeTempDir();
  const counts = {
    loaded: 0,
    DataFormatError: 0,
    LimitError: 0,
    RangeError: 0,
  };
  const kinds = new Map<string, number>();
  const rss0 = Deno.memoryUsage().rss;
  let rssMax = rss0;
  try {
    // The originals, for the cases that must load to exactly them.
    const originals = new Map<string, Dataset>();
    for (const s of t.sources) {
      await Deno.writeFile(`${dir}/${s.name}`, s.bytes);
    }
    for (const s of t.sources) {
      originals.set(s.name, await t.load(`${dir}/${s.name}`, dir));
    }
    for (let r = 0; r < CASES; r++) {
      const src = t.sources[r % t.sources.length];
      const c = pick(rng, t.generators)(src.bytes, rng);
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      const path = `${dir}/${src.name}`;
      await Deno.writeFile(path, c.bytes);
      if (c.sparseTo !== undefined) await Deno.truncate(path, c.sparseTo);
      const what = `${t.name} case ${r} (${c.kind}, ${c.bytes.length} bytes)`;
      const start = performance.now();
      try {
        const ds = await timed(t.load(path, dir), what);
        if (c.mustRefuse) assert.fail(`${what}: loaded, must be refused`);
        checkDataset(ds);
        t.check?.(ds, path);
        if (c.same) {
          const o = originals.get(src.name)!;
          assert.deepEqual(ds.images, o.images, `${what}: loaded other pixels`);
          assert.deepEqual(ds.labels, o.labels, `${what}: loaded other labels`);
        }
        counts.loaded++;
      } catch (err) {
        const name = err instanceof DataFormatError
          ? "DataFormatError"
          : err instanceof LimitError
          ? "LimitError"
          : err instanceof RangeError
          ? "RangeError"
          : undefined;
        if (name === undefined) assert.fail(`${what} threw ${err}`);
        const e = err as Error;
        assert.match(e.message, /^Cannot /, what);
        // The message names the file (or the archive member in it).
        assert.ok(
          e.message.includes(path) || e.message.includes(src.name),
          `${what}: "${e.message}" does not name the file`,
        );
        if (err instanceof DataFormatError && err.file !== undefined) {
          assert.ok(
            err.file.startsWith(path),
            `${what}: file is "${err.file}"`,
          );
        }
        counts[name]++;
      }
      assert.ok(performance.now() - start < CASE_MS, `${what} took too long`);
      await Deno.writeFile(path, src.bytes); // the next case starts clean
      rssMax = Math.max(rssMax, Deno.memoryUsage().rss);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const refused = counts.DataFormatError + counts.LimitError +
    counts.RangeError;
  console.log(
    `fuzz ${t.name}: ${CASES} cases: ${refused} refused (DataFormatError ${counts.DataFormatError}, LimitError ${counts.LimitError}, RangeError ${counts.RangeError}), ${counts.loaded} loaded; rss +${
      Math.round((rssMax - rss0) / 2 ** 20)
    } MiB; kinds ${JSON.stringify(Object.fromEntries(kinds))}`,
  );
  assert.ok(
    rssMax - rss0 < RSS_BOUND,
    `${t.name}: resident memory grew by ${rssMax - rss0} bytes`,
  );
  return { ...counts, refused };
}

Deno.test("file loaders refuse targeted corruptions with a typed error naming the file, or load correctly", async (t) => {
  const read = (rel: string) => Deno.readFile(fixture(rel));
  const idxImages = await read("idx/tiny-images-idx3-ubyte");
  const idxLabels = await read("idx/tiny-labels-idx1-ubyte");
  const gzImages = gzipSync(idxImages);
  const npyU1 = await read("npy/images_u1.npy");
  const npyF4 = encodeNpy(Float32Array.from({ length: 12 }, (_, i) => i / 11), [
    3,
    2,
    2,
    1,
  ]);
  const labelsNpy = encodeNpy(Float64Array.from([2, 0, 1]), [3]);
  const names = ["a", "b", "c"]; // the tiny IDX labels are i % 3
  const targets: Target[] = [
    {
      name: "idx",
      sources: [
        { name: "tiny-images-idx3-ubyte", bytes: idxImages },
        { name: "tiny-labels-idx1-ubyte", bytes: idxLabels },
      ],
      generators: [
        truncate,
        flip,
        insert,
        idxHeader,
        idxHeader,
        idxHeader,
        idxSparse,
      ],
      load: (_path, dir) =>
        loadIdx(
          `${dir}/tiny-images-idx3-ubyte`,
          `${dir}/tiny-labels-idx1-ubyte`,
          { names },
        ),
      check: (ds) => checkLabels(ds, 2, "idx"),
    },
    {
      name: "gz",
      sources: [
        { name: "tiny-images-idx3-ubyte.gz", bytes: gzImages },
        { name: "tiny-labels-idx1-ubyte.gz", bytes: gzipSync(idxLabels) },
      ],
      generators: [
        truncate,
        gzipDamage,
        gzipDamage,
        gzipDamage,
        // IDX header damage inside a valid gzip stream.
        (src, rng) => ({
          kind: "gz-idx-header",
          bytes: gzipSync(
            idxHeader(src === gzImages ? idxImages : idxLabels, rng).bytes,
          ),
        }),
        // A gzip file past the limit (its first bytes valid).
        (src) => ({ kind: "gz-sparse", bytes: src, sparseTo: HUGE }),
      ],
      load: (_path, dir) =>
        loadIdx(
          `${dir}/tiny-images-idx3-ubyte.gz`,
          `${dir}/tiny-labels-idx1-ubyte.gz`,
          { names },
        ),
      check: (ds) => checkLabels(ds, 2, "gz"),
    },
    {
      name: "npy",
      sources: [{ name: "u1.npy", bytes: npyU1 }, {
        name: "f4.npy",
        bytes: npyF4,
      }],
      generators: [truncate, flip, insert, npyDamage, npyDamage, npyDamage],
      load: (path) => loadNpyDataset(path),
    },
    {
      name: "npz",
      sources: [
        { name: "dataset.npz", bytes: await read("npy/dataset.npz") },
        {
          name: "dataset_compressed.npz",
          bytes: await read("npy/dataset_compressed.npz"),
        },
      ],
      generators: [
        truncate,
        flip,
        insert,
        zipDamage,
        zipDamage,
        zipDamage,
        npzRebuilt(npyU1, labelsNpy),
      ],
      load: (path) => loadNpyDataset(path),
      check: (ds) => checkLabels(ds, 2 ** 31 - 1, "npz"),
    },
    {
      name: "cifar",
      sources: [
        {
          name: "data_batch_1.bin",
          bytes: await read("cifar10/data_batch_1.bin"),
        },
        { name: "train.bin", bytes: await read("cifar100/train.bin") },
      ],
      generators: [
        truncate,
        flip,
        insert,
        cifarExtra,
        cifarLabel,
        cifarLabel,
        cifarLabel,
        cifarLabel,
        (src) => sparseRecords(recordOf(src))(src),
      ],
      load: (path) => loadCifar(path),
      check: (ds, path) =>
        checkLabels(ds, path.endsWith("train.bin") ? 99 : 9, "cifar"),
    },
  ];
  for (const [k, target] of targets.entries()) {
    await t.step(target.name, async () => {
      const c = await fuzzLoader(target, 2000 + k);
      // Damage must be caught, and some cases load (else the loop tests little).
      assert.ok(
        c.refused > CASES / 4,
        `${target.name}: only ${c.refused} refused`,
      );
      assert.ok(c.loaded > 0, `${target.name}: nothing loaded`);
    });
  }
});
