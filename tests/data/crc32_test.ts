import { equal } from "../_assert.ts";
import { crc32 } from "../../src/data/_crc32.ts";
import { fixture } from "./_fixtures.ts";

// gzip/crc32.json is written by tests/fixtures/data/make_gzip.py with Python's zlib.crc32.
const vectors = JSON.parse(
  await Deno.readTextFile(fixture("gzip/crc32.json")),
) as {
  strings: { text: string; crc: number }[];
  range256: number;
  rule: { n: number; crc: number };
};

Deno.test("crc32() matches the check value and Python's zlib.crc32", async (t) => {
  await t.step('the standard check value of "123456789"', () => {
    equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  });
  await t.step("zlib.crc32 of strings, of 0..255, of 1 MB", () => {
    for (const { text, crc } of vectors.strings) {
      equal(crc32(new TextEncoder().encode(text)), crc, text);
    }
    equal(
      crc32(Uint8Array.from({ length: 256 }, (_, i) => i)),
      vectors.range256,
    );
    const rule = Uint8Array.from(
      { length: vectors.rule.n },
      (_, i) => (i * 31) % 256,
    );
    equal(crc32(rule), vectors.rule.crc);
  });
  await t.step("chunk by chunk equals all at once", () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 256);
    let c = 0;
    for (let at = 0; at < bytes.length; at += 97) {
      c = crc32(bytes.subarray(at, at + 97), c);
    }
    equal(c, crc32(bytes));
  });
});
