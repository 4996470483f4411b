import { deepEqual } from "../_assert.ts";
import { encode } from "fast-png";
import { loadAny } from "../../src/data/load_any.ts";
import { loadNotes } from "../../src/data/load_notes.ts";

Deno.test("loadNotes() reports what a folder load skipped and what a limit cut", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const png = encode({
      width: 2,
      height: 2,
      channels: 1,
      depth: 8,
      data: new Uint8Array(4),
    });
    for (const c of ["a", "b"]) {
      await Deno.mkdir(`${dir}/${c}`);
      for (const i of [0, 1, 2]) {
        await Deno.writeFile(`${dir}/${c}/${i}.png`, png);
      }
    }
    await Deno.writeFile(`${dir}/a/.hidden.png`, png);
    await Deno.writeTextFile(`${dir}/b/notes.txt`, "x");
    await Deno.writeTextFile(`${dir}/b/more.csv.bak`, "x");
    await Deno.symlink(`${dir}/nowhere.png`, `${dir}/a/broken.png`);
    const data = await loadAny(dir, { format: "folder", limit: 4 });
    deepEqual(loadNotes(data), [
      "kept 4 of 6 train images (limit)",
      `skipped 4 entries in "${dir}": 1 hidden, 2 not .png/.jpg/.jpeg, 1 broken links`,
    ]);
    // a clean folder read whole: nothing to say
    deepEqual(loadNotes(await loadAny(`${dir}/b`, { format: "folder" })), [
      `skipped 2 entries in "${dir}/b": 2 not .png/.jpg/.jpeg`,
    ]);
    await Deno.remove(`${dir}/b/notes.txt`);
    await Deno.remove(`${dir}/b/more.csv.bak`);
    deepEqual(loadNotes(await loadAny(`${dir}/b`, { format: "folder" })), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
