import { assert, assertClose, deepEqual, equal, rejects } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError } from "../../src/limits.ts";
import { loadGalaxyZoo } from "../../src/data/galaxy_zoo.ts";
import { copyTree, fixture } from "./_fixtures.ts";

// Fixture: galaxies 100..105 with Class6.1 = 0.1, 0.95, 0.3, 0.9, 0.91, 0;
// 48x48 JPEGs, black sky, a flat square of 40*i+20 in the central 24x24.

Deno.test("loadGalaxyZoo() flags Class6.1 > 0.9 and draws as many normals", async () => {
  const gz = await loadGalaxyZoo(fixture("galaxy_zoo"), {
    crop: 24,
    size: [4, 4],
    seed: 3,
  });
  // 0.9 itself is not above the threshold.
  deepEqual(gz.counts, { train: 2, testNormal: 2, testAnomaly: 2 });
  equal(gz.test.shape[0], 4);
  deepEqual(gz.test.ids!.filter((_, i) => gz.testIsAnomaly[i] === 1), [
    "101",
    "104",
  ]);
  deepEqual([...gz.train.ids!, ...gz.test.ids!].sort(), [
    "100",
    "101",
    "102",
    "103",
    "104",
    "105",
  ]);
  deepEqual(gz.train.shape, [2, 4, 4, 3]);
  // The crop keeps only the flat square: every pixel is 40*i+20 (JPEG slack).
  for (const [k, id] of gz.test.ids!.entries()) {
    const want = (40 * (Number(id) - 100) + 20) / 255;
    assertClose(
      gz.test.images.subarray(k * 48, (k + 1) * 48),
      new Array(48).fill(want),
      { atol: 4 / 255 },
      id,
    );
  }
  const again = await loadGalaxyZoo(fixture("galaxy_zoo"), {
    crop: 24,
    size: [4, 4],
    seed: 3,
  });
  deepEqual(again.test.ids, gz.test.ids);
});

Deno.test("loadGalaxyZoo() without crop sees the dark sky", async () => {
  const gz = await loadGalaxyZoo(fixture("galaxy_zoo"), {
    crop: 0,
    size: [2, 2],
    channels: 1,
    limit: 3,
  });
  deepEqual(gz.counts, { train: 1, testNormal: 1, testAnomaly: 1 });
  // Each 24x24 quadrant is 1/4 square: mean value/4.
  const i = gz.test.ids!.indexOf("101");
  assertClose(gz.test.images[i * 4], 60 / 255 / 4, { atol: 3 / 255 });
});

Deno.test("loadGalaxyZoo() names the problem in bad trees", async (t) => {
  const dir = await copyTree("galaxy_zoo");
  try {
    await t.step("missing image", async () => {
      await Deno.remove(`${dir}/images_training_rev1/101.jpg`);
      await rejects(loadGalaxyZoo(dir, { crop: 24 }), (err: unknown) => {
        assert.ok(err instanceof DataFormatError);
        assert.match(
          err.message,
          /GalaxyID "101" is in the CSV but its image is missing/,
        );
        return true;
      });
    });
    await t.step("crop larger than the image", async () => {
      await rejects(
        loadGalaxyZoo(fixture("galaxy_zoo")),
        /it is 48x48, smaller than the 212-pixel crop/,
      );
    });
    await t.step("missing column", async () => {
      await Deno.writeTextFile(
        `${dir}/training_solutions_rev1.csv`,
        "GalaxyID,Class1.1\n100,0.5\n",
      );
      await rejects(
        loadGalaxyZoo(dir),
        /expected columns "GalaxyID" and "Class6.1", found "GalaxyID,Class1.1"/,
      );
    });
    await t.step("non-numeric value", async () => {
      await Deno.writeTextFile(
        `${dir}/training_solutions_rev1.csv`,
        "GalaxyID,Class6.1\n100,abc\n",
      );
      await rejects(
        loadGalaxyZoo(dir),
        /line 2 has GalaxyID "100" and Class6.1 "abc"/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGalaxyZoo() refuses damaged label rows, naming the file and line", async (t) => {
  const dir = await copyTree("galaxy_zoo");
  const csv = `${dir}/training_solutions_rev1.csv`;
  const head = "GalaxyID,Class1.1,Class1.2,Class6.1,Class6.2\n";
  const refuses = async (body: string, re: RegExp) => {
    await Deno.writeTextFile(csv, head + body);
    await rejects(loadGalaxyZoo(dir, { crop: 24, size: [4, 4] }), (err) => {
      assert.ok(err instanceof DataFormatError, `got ${err}`);
      equal(err.file, csv);
      assert.match(err.message, re);
      return true;
    });
  };
  try {
    await t.step(
      "a stray quote no longer swallows the rows after it",
      async () => {
        await refuses(
          '100,0.5,0.5,0.1,0.9\n101,"0.5,0.5,0.95,0.05\n102,0.5,0.5,0.3,0.7\n',
          /the quoted field opened on line 3 is never closed/,
        );
      },
    );
    await t.step("a ragged row", async () => {
      await refuses(
        "100,0.5,0.5,0.1\n",
        /line 2 has 4 fields but the header line has 5/,
      );
    });
    await t.step("vote fractions outside [0, 1]", async () => {
      await refuses(
        "100,0.5,0.5,0.1,0.9\n101,0.5,0.5,1.5,0.05\n",
        /line 3 gives Class6.1 "1.5" for GalaxyID "101", expected a vote fraction in \[0, 1\]/,
      );
      await refuses("100,-0.2,0.5,0.1,0.9\n", /gives Class1.1 "-0.2"/);
      await refuses("100,0.5,,0.1,0.9\n", /gives Class1.2 ""/);
    });
    await t.step("answers to a whole question not summing to 1", async () => {
      await refuses(
        "100,0.5,0.5,0.95,0.45\n",
        /line 2 has Class6.1 \+ Class6.2 = 1.4 for GalaxyID "100", expected 1/,
      );
      // Class1.3 is absent: Class1.1 + Class1.2 may be below 1, not above.
      await refuses(
        "100,0.7,0.5,0.1,0.9\n",
        /Class1.1 \+ Class1.2 = 1.2 for GalaxyID "100", expected at most 1/,
      );
    });
    await t.step("a GalaxyID twice", async () => {
      await refuses(
        "100,0.5,0.5,0.1,0.9\n101,0.5,0.5,0.1,0.9\n100,0.5,0.5,0.1,0.9\n",
        /GalaxyID "100" is on lines 2 and 4/,
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGalaxyZoo() refuses an output size beyond LIMITS before allocating", async () => {
  for (const size of [[20000, 4], [1e9, 1e9]] as [number, number][]) {
    await rejects(
      loadGalaxyZoo(fixture("galaxy_zoo"), { crop: 24, size }),
      (err: unknown) =>
        err instanceof LimitError && err.limit === "maxImageSide" &&
        /^Cannot load Galaxy Zoo \(height\)/.test(err.message),
    );
  }
});
