import { assert, deepEqual, equal, throws } from "../_assert.ts";
import { zipSync } from "fflate";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError, LIMITS } from "../../src/limits.ts";
import { readZip } from "../../src/data/_zip.ts";
import { fixture } from "./_fixtures.ts";

/** Offset of the first `PK\x01\x02` (central directory entry) in `zip`. */
function central(zip: Uint8Array, from = 0): number {
  for (let i = from; i + 4 <= zip.length; i++) {
    if (
      zip[i] === 0x50 && zip[i + 1] === 0x4b && zip[i + 2] === 1 &&
      zip[i + 3] === 2
    ) return i;
  }
  throw new Error("no central directory entry");
}

function zipError(re: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.match(e.message, /^Cannot read zip "a\.zip": /);
    assert.match(e.message, re);
    equal(e.file, "a.zip");
    return true;
  };
}

Deno.test("readZip() reads NumPy's archives (zip64 local headers) and fflate's", async () => {
  const npz = readZip(await Deno.readFile(fixture("npy/dataset.npz")), "d.npz");
  deepEqual(npz.entries.map((e) => [e.name, e.method, e.size]), [[
    "x.npy",
    0,
    140,
  ], ["y.npy", 0, 152]]);
  equal(npz.extract(npz.entries[0]).length, 140);
  const deflated = readZip(
    await Deno.readFile(fixture("npy/dataset_compressed.npz")),
    "c.npz",
  );
  deepEqual(deflated.entries.map((e) => e.method), [8, 8]);
  equal(deflated.extract(deflated.entries[1]).length, deflated.entries[1].size);
  const text = new TextEncoder().encode("abc".repeat(100));
  const z = readZip(
    zipSync({ "t.txt": text, "e.txt": new Uint8Array(0) }, { level: 9 }),
    "f.zip",
  );
  deepEqual(z.extract(z.entries[0]), text);
  equal(z.extract(z.entries[1]).length, 0);
});

Deno.test("readZip() refuses damaged or unsupported directories", async (t) => {
  const good = zipSync({
    "a.npy": new Uint8Array(64).fill(7),
    "b.npy": new Uint8Array(3),
  });
  const edit = (f: (b: Uint8Array, v: DataView) => void) => {
    const b = good.slice();
    f(b, new DataView(b.buffer));
    return b;
  };
  const cd = central(good);
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "no end record (truncated)",
      good.subarray(0, good.length - 10),
      /no end-of-central-directory record/,
    ],
    [
      "directory past its end record",
      edit((_, v) => v.setUint32(good.length - 6, good.length, true)),
      /central directory \(bytes \d+\.\.\d+\) runs past its end record/,
    ],
    [
      "encrypted member",
      edit((_, v) => v.setUint16(cd + 8, 1, true)),
      /member "a\.npy" is encrypted/,
    ],
    [
      "method 12 (bzip2)",
      edit((_, v) => v.setUint16(cd + 10, 12, true)),
      /uses compression method 12; only 0 \(stored\) and 8 \(deflate\)/,
    ],
    [
      "several disks",
      edit((_, v) => v.setUint16(good.length - 18, 1, true)),
      /spanning several disks/,
    ],
    [
      "entry count beyond the directory",
      edit((_, v) => {
        v.setUint16(good.length - 14, 3, true);
        v.setUint16(good.length - 12, 3, true);
      }),
      /central directory entry 2 at byte \d+ is damaged/,
    ],
    [
      "zip64 markers without a locator",
      edit((_, v) => v.setUint32(good.length - 6, 0xffffffff, true)),
      /zip64 fields without a zip64 locator/,
    ],
    [
      "two members of one name",
      edit((b) => (b[central(good, cd + 4) + 46] = 0x61)),
      /two members named "a\.npy"/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    await t.step(
      name,
      () => throws(() => readZip(bytes, "a.zip"), zipError(re)),
    );
  }
});

Deno.test("readZip() extract() checks local header, size and CRC-32 before trusting a member", async (t) => {
  const data = new Uint8Array(64).fill(7);
  const stored = zipSync({ "a.npy": data }, { level: 0 });
  const deflated = zipSync({ "a.npy": data }, { level: 9 });
  const edited = (
    zip: Uint8Array,
    f: (b: Uint8Array, v: DataView, cd: number) => void,
  ) => {
    const b = zip.slice();
    f(b, new DataView(b.buffer), central(b));
    const z = readZip(b, "a.zip");
    return () => z.extract(z.entries[0]);
  };
  await t.step("a stored byte changed", () => {
    throws(
      edited(stored, (b) => (b[30 + 5 + 10] ^= 1)),
      zipError(/CRC-32 mismatch in member "a\.npy"/),
    );
  });
  await t.step("a local name that differs from the directory's", () => {
    throws(
      edited(stored, (b) => (b[30] = 0x62)),
      zipError(
        /member "a\.npy" \(local header at byte 0\) does not match the central directory/,
      ),
    );
  });
  await t.step("a local header offset past the data", () => {
    throws(
      edited(stored, (_, v, cd) => v.setUint32(cd + 42, 9999, true)),
      zipError(/local header of member "a\.npy" at byte 9999 is missing/),
    );
  });
  await t.step("a deflated member shorter than declared", () => {
    throws(
      edited(deflated, (_, v, cd) => v.setUint32(cd + 24, 65, true)),
      zipError(/inflates to 64 bytes, the directory says 65/),
    );
  });
  await t.step(
    "a deflated member longer than declared stops at the declared size",
    () => {
      throws(
        edited(deflated, (_, v, cd) => v.setUint32(cd + 24, 63, true)),
        zipError(/inflates to more than its declared 63 bytes/),
      );
    },
  );
  await t.step(
    "a zip64 size beyond maxInflatedBytes is a LimitError before inflating",
    () => {
      // 9 MB of "deflated" bytes may declare up to ~9.3 GB (deflate's 1032:1).
      const size = LIMITS.maxInflatedBytes + 1;
      const z = readZip(
        zip64("a.npy", new Uint8Array(9_000_000), size),
        "a.zip",
      );
      equal(z.entries[0].size, size);
      throws(
        () => z.extract(z.entries[0]),
        (e: unknown) =>
          e instanceof LimitError && e.limit === "maxInflatedBytes" &&
          e.requested === size && /"a\.zip:a\.npy"/.test(e.message),
      );
    },
  );
});

/**
 * A one-member archive whose directory gives the sizes in a zip64 extra
 * field: `data` as the deflated bytes, `size` as the inflated size.
 */
function zip64(name: string, data: Uint8Array, size: number): Uint8Array {
  const n = new TextEncoder().encode(name);
  const local = 30 + n.length;
  const cd = local + data.length;
  const entry = 46 + n.length + 20;
  const out = new Uint8Array(cd + entry + 22);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0x04034b50, true);
  v.setUint16(8, 8, true);
  v.setUint16(26, n.length, true);
  out.set(n, 30);
  out.set(data, local);
  v.setUint32(cd, 0x02014b50, true);
  v.setUint16(cd + 10, 8, true);
  v.setUint32(cd + 20, 0xffffffff, true);
  v.setUint32(cd + 24, 0xffffffff, true);
  v.setUint16(cd + 28, n.length, true);
  v.setUint16(cd + 30, 20, true);
  out.set(n, cd + 46);
  const x = cd + 46 + n.length;
  v.setUint16(x, 1, true);
  v.setUint16(x + 2, 16, true);
  v.setBigUint64(x + 4, BigInt(size), true);
  v.setBigUint64(x + 12, BigInt(data.length), true);
  const e = cd + entry;
  v.setUint32(e, 0x06054b50, true);
  v.setUint16(e + 8, 1, true);
  v.setUint16(e + 10, 1, true);
  v.setUint32(e + 12, entry, true);
  v.setUint32(e + 16, cd, true);
  return out;
}
