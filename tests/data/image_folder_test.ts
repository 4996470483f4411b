import { assert, assertClose, deepEqual, equal, rejects } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError, LIMITS } from "../../src/limits.ts";
import { loadImageFolder } from "../../src/data/image_folder.ts";
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
      formatError(/unknown class "bag" \(CSV line 3\); expected one of "shoe"/),
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

Deno.test("loadImageFolder() refuses a labels.csv with a stray quote, naming the file and line", async () => {
  const dir = await copyTree("flat");
  try {
    // The unclosed quote on line 2 used to swallow the rows after it.
    await Deno.writeTextFile(
      `${dir}/labels.csv`,
      'file,label\nx1.png,"shoe\nx2.png,bag\nx3.png,shoe\n',
    );
    await rejects(loadImageFolder(dir), (err: unknown) => {
      assert.ok(err instanceof DataFormatError, `got ${err}`);
      equal(err.file, `${dir}/labels.csv`);
      assert.match(
        err.message,
        /labels\.csv": the quoted field opened on line 2 is never closed/,
      );
      return true;
    });
    await Deno.writeTextFile(
      `${dir}/labels.csv`,
      "file,label\nx1.png,shoe,extra\n",
    );
    await rejects(
      loadImageFolder(dir),
      formatError(/line 2 has 3 fields but the header line has 2/),
    );
    // A listed file that is missing names the CSV line (was NotFound).
    await Deno.writeTextFile(
      `${dir}/labels.csv`,
      "file,label\nx1.png,shoe\n\nx9.png,bag\n",
    );
    await rejects(
      loadImageFolder(dir),
      formatError(
        /x9\.png" is listed on line 4 of ".*labels\.csv" but does not exist/,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadImageFolder() follows symlinks, skips cycles and counts what it leaves out", async () => {
  const dir = await copyTree("folder");
  const elsewhere = await Deno.makeTempDir();
  try {
    const png = await Deno.readFile(`${dir}/cat/a.png`);
    // A class folder that is a link, an image that is a link, a nested
    // folder, a link back to the root (a cycle), and things to leave out.
    await Deno.writeFile(`${elsewhere}/x.png`, png);
    await Deno.symlink(elsewhere, `${dir}/bird`);
    await Deno.symlink(`${dir}/dog/c.jpg`, `${dir}/cat/link.jpg`);
    await Deno.mkdir(`${dir}/dog/sub`);
    await Deno.writeFile(`${dir}/dog/sub/d.png`, png);
    await Deno.symlink(dir, `${dir}/dog/sub/loop`);
    await Deno.symlink(`${dir}/missing.png`, `${dir}/dog/broken.png`);
    await Deno.writeFile(`${dir}/cat/.hidden.png`, png);
    await Deno.writeTextFile(`${dir}/cat/notes.txt`, "not an image");
    await Deno.writeFile(`${dir}/top.png`, png);
    const ds = await loadImageFolder(dir);
    deepEqual(ds.names, ["bird", "cat", "dog"]);
    deepEqual(ds.ids, [
      "bird/x.png",
      "cat/a.png",
      "cat/b.png",
      "cat/link.jpg",
      "dog/c.jpg",
      "dog/sub/d.png",
    ]);
    deepEqual(Array.from(ds.labels!), [0, 1, 1, 1, 2, 2]);
    deepEqual(ds.shape, [6, 6, 6, 3]);
    deepEqual(ds.skipped, {
      hidden: 1,
      unsupported: 1,
      outsideLayout: 1,
      brokenLinks: 1,
      symlinkCycles: 1,
      special: 0,
    });
    // The linked JPEG decodes like its target.
    deepEqual(
      ds.images.subarray(3 * 108, 4 * 108),
      ds.images.subarray(4 * 108, 5 * 108),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(elsewhere, { recursive: true });
  }
});

Deno.test("loadImageFolder() refuses sizes beyond LIMITS before allocating", async (t) => {
  await t.step("a side beyond maxImageSide", async () => {
    for (const size of [[20000, 8], [1e9, 1e9]] as [number, number][]) {
      await rejects(
        loadImageFolder(fixture("folder"), { size }),
        (err: unknown) =>
          err instanceof LimitError && err.limit === "maxImageSide" &&
          /^Cannot load image folder ".*folder" \(height\)/.test(err.message),
      );
    }
  });
  await t.step("folders nested deeper than maxFolderDepth", async () => {
    const dir = await copyTree("folder");
    try {
      // cat/ is depth 1, so maxFolderDepth more levels are one too many.
      const deep = `${dir}/cat/${
        Array(LIMITS.maxFolderDepth).fill("d").join("/")
      }`;
      await Deno.mkdir(deep, { recursive: true });
      await Deno.copyFile(`${dir}/cat/a.png`, `${deep}/a.png`);
      await rejects(
        loadImageFolder(dir),
        (err: unknown) =>
          err instanceof LimitError && err.limit === "maxFolderDepth" &&
          err.requested === LIMITS.maxFolderDepth + 1,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step(
    "a dataset beyond maxArrayBytes, before any decoding",
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        // 6 images of 16384 x 16384 x 3 floats are 6 * 3 GiB > 16 GiB; the
        // files are not even images: nothing may be read first.
        for (let i = 0; i < 6; i++) {
          await Deno.writeTextFile(`${dir}/${i}.png`, "not a png");
        }
        await rejects(
          loadImageFolder(dir, { size: [16384, 16384] }),
          (err: unknown) =>
            err instanceof LimitError &&
            (err.limit === "maxArrayBytes" || err.limit === "memory") &&
            /6 images of 16384x16384x3/.test(err.message),
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});
