import { assert, deepEqual, equal, throws } from "../_assert.ts";
import { gunzipSync, gzipSync } from "fflate";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError, LIMITS } from "../../src/limits.ts";
import { gunzip } from "../../src/data/_gunzip.ts";
import { fixture } from "./_fixtures.ts";

const raw = await Deno.readFile(fixture("idx/tiny-images-idx3-ubyte"));

/** A validator: a DataFormatError naming `file` whose message matches `re`. */
function formatError(re: RegExp, file = "x.gz") {
  return (err: unknown): boolean => {
    assert.ok(
      err instanceof DataFormatError,
      `expected DataFormatError, got ${err}`,
    );
    assert.match(err.message, re);
    equal(err.file, file);
    return true;
  };
}

Deno.test("gunzip() reads Python's concatenated members and header flags", async (t) => {
  await t.step(
    "two members (cat a.gz b.gz) inflate to their concatenation",
    async () => {
      const gz = await Deno.readFile(
        fixture("gzip/multi-images-idx3-ubyte.gz"),
      );
      const out = gunzip(gz, "m.gz");
      deepEqual(out.data, raw);
      equal(out.members, 2);
    },
  );
  await t.step("FEXTRA, FNAME, FCOMMENT and a correct FHCRC", async () => {
    const gz = await Deno.readFile(fixture("gzip/flags-images-idx3-ubyte.gz"));
    deepEqual(gunzip(gz, "f.gz").data, raw);
  });
});

Deno.test("gunzip() checks every member's trailer: CRC-32 and ISIZE", async (t) => {
  const gz = gzipSync(raw);
  const edit = (b: Uint8Array, at: number) => {
    const c = b.slice();
    c[at] ^= 0x01;
    return c;
  };
  await t.step("CRC-32", () => {
    throws(
      () => gunzip(edit(gz, gz.length - 8), "x.gz"),
      formatError(/gzip CRC-32 mismatch: the trailer at byte \d+ says/),
    );
  });
  await t.step("ISIZE", () => {
    throws(
      () => gunzip(edit(gz, gz.length - 4), "x.gz"),
      formatError(
        /gzip length mismatch: .* says 77 bytes, the member inflated to 76/,
      ),
    );
  });
  await t.step("the first of two members", async () => {
    const multi = await Deno.readFile(
      fixture("gzip/multi-images-idx3-ubyte.gz"),
    );
    // The second member starts at the second "1f 8b 08".
    let second = 1;
    while (
      !(multi[second] === 0x1f && multi[second + 1] === 0x8b &&
        multi[second + 2] === 8)
    ) second++;
    throws(
      () => gunzip(edit(multi, second - 8), "x.gz"),
      formatError(new RegExp(`trailer at byte ${second - 8} says`)),
    );
  });
  await t.step("a bit flip in the deflate data that still inflates", () => {
    // Find a flip that fflate's gunzipSync (which checks no CRC) inflates
    // to different bytes; the CRC-32 must catch it.
    const text = new TextEncoder().encode("hyperspherical VAE ".repeat(40));
    const good = gzipSync(text);
    let caught = 0;
    for (let at = 10; at < good.length - 8; at++) {
      const bad = edit(good, at);
      let out: Uint8Array;
      try {
        out = gunzipSync(bad);
      } catch {
        continue;
      }
      if (out.length === text.length && out.every((v, i) => v === text[i])) {
        continue;
      }
      throws(() => gunzip(bad, "x.gz"), formatError(/mismatch|corrupt/));
      caught++;
    }
    assert.ok(caught > 0, "no silent corruption found to check");
  });
});

Deno.test("gunzip() refuses bad headers and trailing bytes", async (t) => {
  const gz = gzipSync(raw);
  await t.step("reserved flag bits", () => {
    const b = gz.slice();
    b[3] = 0x20;
    throws(
      () => gunzip(b, "x.gz"),
      formatError(/sets reserved flag bits \(flags "0x20"\)/),
    );
  });
  await t.step("a method other than deflate", () => {
    const b = gz.slice();
    b[2] = 7;
    throws(
      () => gunzip(b, "x.gz"),
      formatError(/compression method is 7, expected 8/),
    );
  });
  await t.step("a header CRC-16 that does not match", async () => {
    const b = (await Deno.readFile(fixture("gzip/flags-images-idx3-ubyte.gz")))
      .slice();
    b[20] ^= 0x01; // inside FNAME
    throws(
      () => gunzip(b, "x.gz"),
      formatError(
        /gzip header CRC-16 is "0x[0-9a-f]{4}" but the header hashes to/,
      ),
    );
  });
  await t.step("trailing bytes after the last member", () => {
    for (const extra of [1, 3, 12]) {
      throws(
        () =>
          gunzip(Uint8Array.from([...gz, ...new Uint8Array(extra)]), "x.gz"),
        DataFormatError,
      );
    }
  });
  await t.step("truncation anywhere", () => {
    for (let n = 0; n < gz.length; n += 3) {
      throws(() => gunzip(gz.subarray(0, n), "x.gz"), DataFormatError);
    }
  });
});

Deno.test("gunzip() bounds the output by the plan and LIMITS", async (t) => {
  // 8 MiB of zeros in about 8 KB of gzip: a small bomb.
  const bomb = gzipSync(new Uint8Array(1 << 23));
  await t.step("stops past the size the header declares", () => {
    let seen = 0;
    throws(
      () =>
        gunzip(bomb, "x.gz", {
          headBytes: 16,
          plan: (head) => (seen = head.length, { size: 17 }),
        }),
      formatError(
        /inflates to more than the 17 bytes the header declares \(trailing bytes\)/,
      ),
    );
    equal(seen, 16);
  });
  await t.step(
    "a declared size beyond maxInflatedBytes is a LimitError",
    () => {
      // Stored blocks: 8.4 MB of gzip could hold ~8.7 GB, past the limit.
      const stored = gzipSync(new Uint8Array(8_400_000), { level: 0 });
      throws(
        () =>
          gunzip(stored, "x.gz", {
            headBytes: 4,
            plan: () => ({ size: LIMITS.maxInflatedBytes + 1 }),
          }),
        (e: unknown) =>
          e instanceof LimitError && e.limit === "maxInflatedBytes" &&
          /"x\.gz"/.test(e.message),
      );
    },
  );
  await t.step(
    "a declared size the data cannot hold is refused before inflating",
    () => {
      throws(
        () =>
          gunzip(gzipSync(raw), "x.gz", {
            headBytes: 4,
            plan: () => ({ size: 1e9 }),
          }),
        formatError(
          /declares 1000000000 inflated bytes, more than \d+ bytes of gzip data can hold/,
        ),
      );
    },
  );
  await t.step("the plan can refuse from the head alone", () => {
    throws(
      () =>
        gunzip(bomb, "x.gz", {
          headBytes: 4,
          plan: () => {
            throw new DataFormatError('Cannot read IDX "x.gz": bad magic', {
              file: "x.gz",
            });
          },
        }),
      formatError(/bad magic/),
    );
  });
  await t.step(
    "keep stores a prefix; the whole stream is still checked",
    () => {
      const gz = gzipSync(raw);
      const out = gunzip(gz, "x.gz", {
        headBytes: 16,
        plan: () => ({ size: 76, keep: 20 }),
      });
      deepEqual(out.data, raw.subarray(0, 20));
      equal(out.size, 76);
      const bad = gz.slice();
      bad[bad.length - 7] ^= 0x10;
      throws(() =>
        gunzip(bad, "x.gz", {
          headBytes: 16,
          plan: () => ({ size: 76, keep: 20 }),
        }), formatError(/CRC-32 mismatch/));
    },
  );
});
