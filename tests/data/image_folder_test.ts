import { assert, assertClose, deepEqual, equal, rejects } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { loadImageFolder, parseCsv } from "../../src/data/image_folder.ts";
import { copyTree, fixture } from "./_fixtures.ts";

function formatError(re: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(
      err instanceof DataFormatError,
      `expected DataFormatError, got ${err}`,
    );
    assert.match(err.message, re);
    return true;
  };
}

Deno.test("loadImageFolder() reads class sub-folders of PNG and JPEG", async () => {
  const ds = await loadImageFolder(fixture("folder"));
  deepEqual(ds.shape, [3, 6, 6, 3]);
  deepEqual(ds.names, ["cat", "dog"]);
  deepEqual(Array.from(ds.labels!), [0, 0, 1]);
  deepEqual(ds.ids, ["cat/a.png", "cat/b.png", "dog/c.jpg"]);
  // cat/b.png is a flat 10; dog/c.jpg a flat 200 (JPEG: 2 levels slack).
  assertClose(ds.images.subarray(108, 216), new Array(108).fill(10 / 255), {
    atol: 1e-7,
  });
  assertClose(ds.images.subarray(216), new Array(108).fill(200 / 255), {
    atol: 2 / 255,
  });
});

Deno.test("loadImageFolder() resizes to gray 3x3 and keeps the given class order", async () => {
  const ds = await loadImageFolder(fixture("folder"), {
    size: [3, 3],
    channels: 1,
    classes: ["dog", "cat"],
  });
  deepEqual(ds.shape, [3, 3, 3, 1]);
  deepEqual(Array.from(ds.labels!), [1, 1, 0]);
  // A flat image stays flat under area resizing; gray of flat RGB 10 is 10.
  assertClose(ds.images.subarray(9, 18), new Array(9).fill(10 / 255), {
    atol: 1e-6,
  });
});

Deno.test("loadImageFolder() reads a flat folder with labels.csv", async () => {
  const ds = await loadImageFolder(fixture("flat"), { channels: 1 });
  deepEqual(ds.names, ["bag", "shoe"]);
  deepEqual(Array.from(ds.labels!), [1, 0, 1]);
  deepEqual(
    Array.from(ds.images.subarray(0, 4)),
    [0, 64 / 255, 128 / 255, 1].map(Math.fround),
  );
});

Deno.test("loadImageFolder() names the problem in bad folders", async (t) => {
  await t.step("empty folder", async () => {
    const dir = await Deno.makeTempDir();
    await rejects(
      loadImageFolder(dir),
      formatError(/no ".png", ".jpg" or ".jpeg" images found/),
    );
    await Deno.remove(dir);
  });
  await t.step("mixed sizes without resize", async () => {
    await rejects(
      loadImageFolder(fixture("mixed"), { channels: 1 }),
      formatError(/b.png" is 3x2 but ".*a.png" is 2x2; pass "size: \[H, W\]"/),
    );
    const ok = await loadImageFolder(fixture("mixed"), {
      channels: 1,
      size: [2, 2],
    });
    deepEqual(ok.shape, [2, 2, 2, 1]);
  });
  await t.step("unknown class name", async () => {
    await rejects(
      loadImageFolder(fixture("flat"), { classes: ["shoe"] }),
      formatError(/unknown class "bag" \(CSV row 3\); expected one of "shoe"/),
    );
    await rejects(
      loadImageFolder(fixture("folder"), { classes: ["cat"] }),
      formatError(/unknown class "dog" \(folder "dog"\)/),
    );
  });
  await t.step("CSV without a label column", async () => {
    const dir = await copyTree("flat");
    await Deno.writeTextFile(`${dir}/labels.csv`, "file,class\nx1.png,shoe\n");
    await rejects(
      loadImageFolder(dir),
      formatError(
        /expected a header with columns "file" and "label", found "file,class"/,
      ),
    );
    await Deno.remove(dir, { recursive: true });
  });
  await t.step("undecodable file", async () => {
    const dir = await copyTree("folder");
    await Deno.writeFile(
      `${dir}/dog/c.jpg`,
      new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]),
    );
    await rejects(
      loadImageFolder(dir),
      formatError(/^Cannot decode JPEG ".*c.jpg"/),
    );
    await Deno.remove(dir, { recursive: true });
  });
  await t.step("bad channels option", async () => {
    await rejects(
      loadImageFolder(fixture("flat"), { channels: 2 as 1 }),
      RangeError,
    );
  });
});

Deno.test("parseCsv() handles quotes, CRLF and blank lines", () => {
  deepEqual(parseCsv('a,b\r\n"x ""y""",2\r\n\r\n'), [["a", "b"], [
    'x "y"',
    "2",
  ]]);
  equal(parseCsv("").length, 0);
});
