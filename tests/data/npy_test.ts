import { assert, deepEqual, equal, throws } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError } from "../../src/limits.ts";
import { loadNpy, parseNpy } from "../../src/data/npy.ts";
import { fixture } from "./_fixtures.ts";

type Expected = Record<
  string,
  { dtype: string; shape: number[]; values: number[]; version: string }
>;
const expected: Expected = JSON.parse(
  await Deno.readTextFile(fixture("npy/expected.json")),
);

const ctor: Record<string, string> = {
  "<f4": "Float32Array",
  "<f8": "Float64Array",
  ">f8": "Float64Array",
  "|u1": "Uint8Array",
  "|b1": "Uint8Array",
  "|i1": "Int8Array",
  "<u2": "Uint16Array",
  "<i2": "Int16Array",
  "<i4": "Int32Array",
  ">i4": "Int32Array",
  "<u4": "Uint32Array",
  "<i8": "Float64Array",
};

Deno.test("parseNpy() reads every dtype and version NumPy wrote", async (t) => {
  for (const [name, e] of Object.entries(expected)) {
    await t.step(`${name} (${e.dtype}, v${e.version})`, async () => {
      const arr = await loadNpy(fixture(`npy/${name}.npy`));
      equal(arr.dtype, e.dtype);
      deepEqual(arr.shape, e.shape);
      equal(arr.data.constructor.name, ctor[e.dtype]);
      // float32 values compared after rounding the NumPy double to float32.
      const want = e.dtype === "<f4" ? e.values.map(Math.fround) : e.values;
      deepEqual(Array.from(arr.data), want);
    });
  }
});

Deno.test("loadNpy() reads the archived CIFAR-10 vs CIFAR-100 scores and labels", async (t) => {
  const dir = "../shared/fixtures/authors-cifar10-vs-cifar100";
  try {
    await Deno.stat(`${dir}/scores.npy`);
  } catch {
    console.log(`skipped: ${dir} is absent`);
    return;
  }
  await t.step("scores.npy: 20,000 finite float64", async () => {
    const s = await loadNpy(`${dir}/scores.npy`);
    equal(s.dtype, "<f8");
    deepEqual(s.shape, [20000]);
    assert.ok(s.data instanceof Float64Array);
    assert.ok(Array.from(s.data).every(Number.isFinite));
    // The README promises no ties.
    equal(new Set(s.data).size, 20000);
  });
  await t.step(
    "labels.npy: 20,000 labels, 10,000 of each of 0 and 1",
    async () => {
      const l = await loadNpy(`${dir}/labels.npy`);
      equal(l.dtype, "<i8");
      deepEqual(l.shape, [20000]);
      equal(Array.from(l.data).filter((v) => v === 1).length, 10000);
      equal(Array.from(l.data).filter((v) => v === 0).length, 10000);
    },
  );
});

Deno.test("parseNpy() rejects unsupported files with a DataFormatError", async (t) => {
  const cases: [string, RegExp][] = [
    ["bad_fortran", /fortran_order: True" is not supported/],
    ["bad_complex", /dtype "<c16" is not supported/],
    ["bad_str", /dtype "<U2" is not supported/],
    ["bad_struct", /structured dtypes are not supported/],
  ];
  for (const [name, re] of cases) {
    await t.step(name, async () => {
      const bytes = await Deno.readFile(fixture(`npy/${name}.npy`));
      throws(() => parseNpy(bytes, `${name}.npy`), (err: unknown) => {
        assert.ok(err instanceof DataFormatError);
        assert.match(err.message, re);
        assert.match(err.message, new RegExp(`^Cannot read NPY "${name}.npy"`));
        equal(err.file, `${name}.npy`);
        return true;
      });
    });
  }
});

/** Replaces text of the same length inside the header. */
function replaceText(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const text = new TextDecoder("latin1").decode(bytes);
  const at = text.indexOf(from);
  assert.ok(at > 0 && from.length === to.length);
  const out = bytes.slice();
  out.set(new TextEncoder().encode(to), at);
  return out;
}

Deno.test("parseNpy() names the problem in damaged files", async (t) => {
  const good = await Deno.readFile(fixture("npy/f8.npy"));
  const damaged = (f: (b: Uint8Array) => Uint8Array) => f(good.slice());
  const cases: [string, Uint8Array, RegExp][] = [
    [
      "bad magic",
      damaged((b) => (b[1] = 0x4f, b)),
      /expected magic "93 4e 55 4d 50 59".*found "93 4f/,
    ],
    [
      "version 4",
      damaged((b) => (b[6] = 4, b)),
      /expected format version "1.0", "2.0" or "3.0", found "4.0"/,
    ],
    [
      "truncated data",
      good.slice(0, good.length - 3),
      /needs 40 data bytes, found 37 \(truncated\?\)/,
    ],
    [
      "trailing byte",
      Uint8Array.from([...good, 0]),
      /needs 40 data bytes, found 41/,
    ],
    [
      "truncated header",
      good.slice(0, 50),
      /header claims 118 bytes but the file ends at byte 50/,
    ],
    ["short", good.slice(0, 5), /shorter than the 10-byte preamble/],
    [
      "no shape",
      replaceText(good, "'shape'", "'shapX'"),
      /header lacks "shape"/,
    ],
    [
      "bad dim",
      replaceText(good, "(5,)", "(x,)"),
      /expected non-negative integer dims in "shape", found "\(x,\)"/,
    ],
  ];
  for (const [name, bytes, re] of cases) {
    await t.step(name, () => {
      throws(
        () => parseNpy(bytes, "f8.npy"),
        (err: unknown) =>
          err instanceof DataFormatError && re.test(err.message),
      );
    });
  }
});

Deno.test("parseNpy() rejects int64 values beyond 2^53 and bool bytes other than 0/1", () => {
  const big = new Uint8Array(136);
  big.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]);
  big.set(
    new TextEncoder().encode(
      "{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }".padEnd(117) +
        "\n",
    ),
    10,
  );
  new DataView(big.buffer).setBigInt64(128, 2n ** 60n, true);
  throws(
    () => parseNpy(big, "big.npy"),
    /int64 value at index 0 is "1152921504606846976"/,
  );
  const b1 = new Uint8Array(129);
  b1.set(big.subarray(0, 128));
  b1.set(new TextEncoder().encode("'|b1'"), 20);
  b1[128] = 2;
  throws(() => parseNpy(b1, "b.npy"), /bool value at index 0 is 2/);
});

Deno.test("parseNpy() copies the data (no aliasing of the input)", async () => {
  const bytes = await Deno.readFile(fixture("npy/u1.npy"));
  const arr = parseNpy(bytes, "u1.npy");
  bytes[bytes.length - 1] = 0;
  equal(arr.data[arr.data.length - 1], 210);
});

/** A version 1.0 `.npy` file with `header` (padded as NumPy pads) and `data`. */
function npyWith(header: string, data: Uint8Array): Uint8Array {
  const len = Math.ceil((10 + header.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + len + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, len & 0xff, len >> 8]);
  out.set(new TextEncoder().encode(header.padEnd(len - 1) + "\n"), 10);
  out.set(data, 10 + len);
  return out;
}

Deno.test("parseNpy() reads the header as the dict NumPy writes, nothing looser", async (t) => {
  const eight = new Uint8Array(8); // two float32 zeros
  const ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  deepEqual(parseNpy(npyWith(ok, eight), "ok.npy").shape, [2]);
  const cases: [string, string, RegExp][] = [
    [
      "a key twice (NumPy would read the last one)",
      "{'descr': '<f4', 'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
      /header has the key "descr" twice/,
    ],
    [
      "shape twice",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (1,), }",
      /header has the key "shape" twice/,
    ],
    [
      "an unknown key",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
      /header has the key "extra"; expected only "descr", "fortran_order" and "shape"/,
    ],
    [
      "a shape that is not a tuple",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2), }",
      /"shape" must be a tuple, found "\(2\)" \(a 1-d shape is written "\(2,\)"\)/,
    ],
    [
      "entries without commas",
      "{'descr': '<f4' 'fortran_order': False 'shape': (2,)}",
      /header is not a dict literal: expected "," or "}" at character 16/,
    ],
    [
      "text after the dict",
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk",
      /expected a header dict/,
    ],
    [
      "fortran_order not a bool",
      "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }",
      /"fortran_order" must be True or False, found "0"/,
    ],
  ];
  for (const [name, header, re] of cases) {
    await t.step(name, () => {
      throws(() => parseNpy(npyWith(header, eight), "h.npy"), (e: unknown) => {
        assert.ok(e instanceof DataFormatError, String(e));
        assert.match(e.message, /^Cannot read NPY "h\.npy": /);
        assert.match(e.message, re);
        equal(e.file, "h.npy");
        return true;
      });
    });
  }
});

Deno.test("loadNpy() reads regular files only", async () => {
  await assert.rejects(loadNpy("/dev/null"), (e: unknown) => {
    assert.ok(e instanceof DataFormatError, String(e));
    assert.match(
      e.message,
      /^Cannot read "\/dev\/null": it is a character device/,
    );
    return true;
  });
});

Deno.test("loadNpy() checks the declared size before allocating", async () => {
  // A sparse file whose header declares 2^32 float64 (32 GiB) and that is
  // that long: refused by LIMITS before a byte of data is read.
  const header =
    "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296,), }";
  const head = npyWith(header, new Uint8Array(0));
  const path = await Deno.makeTempFile({ suffix: ".npy" });
  try {
    await Deno.writeFile(path, head);
    await Deno.truncate(path, head.length + 2 ** 35);
    await assert.rejects(
      loadNpy(path),
      (e: unknown) =>
        e instanceof LimitError && e.limit === "maxArrayBytes" &&
        e.requested === 2 ** 35,
    );
  } finally {
    await Deno.remove(path);
  }
});
