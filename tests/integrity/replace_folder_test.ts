import {
  leftoverFolders,
  replaceFolder,
} from "../../src/integrity/replace_folder.ts";
import { writeManifest } from "../../src/integrity/manifest.ts";
import { loadModel } from "../../src/model/vae_model.ts";
import { DataFormatError } from "../../src/errors.ts";
import { selectBackend } from "../../src/backend.ts";
import { mulberry32 } from "../../src/random.ts";
import { deepEqual, equal, ok, rejects } from "../_assert.ts";
import { copyTree, modelDigest, tinyModel } from "./_artifacts.ts";

await selectBackend("wasm", { wasmThreads: 1 });

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("replaceFolder() swaps a folder in whole, or leaves the old one", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_replace_test_" });
  const target = `${dir}/nested/out`;
  await t.step("creates the target and its parent", async () => {
    await replaceFolder(target, async (tmp) => {
      await Deno.writeTextFile(`${tmp}/a.txt`, "one");
      await writeManifest(tmp);
    });
    deepEqual(names(target), ["a.txt", "manifest.json"]);
    deepEqual(names(`${dir}/nested`), ["out"]);
  });
  await t.step(
    "a fill that throws leaves the old folder and no sibling",
    async () => {
      await rejects(
        replaceFolder(target, async (tmp) => {
          await Deno.writeTextFile(`${tmp}/a.txt`, "two");
          throw new Error("disk full");
        }),
        /disk full/,
      );
      equal(await Deno.readTextFile(`${target}/a.txt`), "one");
      deepEqual(names(`${dir}/nested`), ["out"]);
    },
  );
  await t.step(
    "replaces, and removes leftovers of interrupted replacements",
    async () => {
      const stale = [
        `${target}.tmp-00000000-0000-4000-8000-000000000000`,
        `${target}.old-00000000-0000-4000-8000-000000000001`,
      ];
      for (const s of stale) await Deno.mkdir(s);
      await Deno.writeTextFile(`${stale[1]}/manifest.json`, "{}");
      deepEqual(await leftoverFolders(target), [
        { path: stale[1], kind: "old", complete: true },
        { path: stale[0], kind: "tmp", complete: false },
      ]);
      // a user's folder that merely looks similar is not a leftover
      await Deno.mkdir(`${target}.tmp-mine`);
      await replaceFolder(target, async (tmp) => {
        await Deno.writeTextFile(`${tmp}/b.txt`, "three");
        await writeManifest(tmp);
      });
      deepEqual(names(target), ["b.txt", "manifest.json"]);
      deepEqual(names(`${dir}/nested`), ["out", "out.tmp-mine"]);
      deepEqual(await leftoverFolders(target), []);
    },
  );
  await t.step(
    "refuses a file or a folder it did not write, untouched",
    async () => {
      await Deno.writeTextFile(`${dir}/file`, "x");
      await rejects(
        replaceFolder(`${dir}/file`, async () => {}),
        Deno.errors.AlreadyExists,
      );
      await Deno.mkdir(`${dir}/home`);
      await Deno.writeTextFile(`${dir}/home/notes.txt`, "keep me");
      await rejects(
        replaceFolder(`${dir}/home`, async () => {}),
        (e: unknown) =>
          e instanceof Deno.errors.AlreadyExists &&
          /is not a folder this toolkit wrote; choose a new or empty folder/
            .test(e.message),
      );
      equal(await Deno.readTextFile(`${dir}/home/notes.txt`), "keep me");
      equal(await Deno.readTextFile(`${dir}/file`), "x");
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("VaeModel.save() interrupted midway leaves the old model exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_replace_test_" });
  const target = `${dir}/model`;
  using a = tinyModel(1, "A");
  using b = tinyModel(2, "B");
  await a.save(target);
  const digestA = await modelDigest(a);
  // the decoder's save fails after the encoder was written
  const save = b.decoder.save.bind(b.decoder);
  b.decoder.save = () => Promise.reject(new Error("killed mid-save"));
  await rejects(b.save(target), /killed mid-save/);
  b.decoder.save = save;
  {
    using back = await loadModel(target);
    equal(await modelDigest(back), digestA);
  }
  deepEqual(names(dir), ["model"]);
  await b.save(target);
  using back = await loadModel(target);
  equal(await modelDigest(back), await modelDigest(b));
  deepEqual(names(dir), ["model"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() between the two renames names the complete leftover", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_replace_test_" });
  const target = `${dir}/model`;
  using a = tinyModel(1, "A");
  await a.save(`${dir}/saved`);
  const old = `${target}.old-12345678-1234-4123-8123-123456789abc`;
  await copyTree(`${dir}/saved`, old);
  await rejects(loadModel(target), (e: unknown) => {
    ok(e instanceof DataFormatError);
    equal(e.file, target);
    equal(
      e.message,
      `Cannot load model: "${target}" does not exist, but a save into it was interrupted: "${old}" holds the previous complete model; rename the one you want to "${target}"`,
    );
    return true;
  });
  await Deno.rename(old, target);
  using back = await loadModel(target);
  equal(await modelDigest(back), await modelDigest(a));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("VaeModel.save() refuses to replace a folder that is not a model", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_replace_test_" });
  await Deno.writeTextFile(`${dir}/notes.txt`, "keep me");
  using a = tinyModel(1, "A");
  await rejects(a.save(dir), Deno.errors.AlreadyExists);
  deepEqual(names(dir), ["notes.txt"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("VaeModel.save() killed with SIGKILL at random moments: old, new, or a clear refusal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_replace_test_" });
  const target = `${dir}/model`;
  using a = tinyModel(1, "A");
  using b = tinyModel(2, "B");
  const digests = new Map([
    [await modelDigest(a), "A"],
    [await modelDigest(b), "B"],
  ]);
  const rng = mulberry32(2024);
  const outcomes: string[] = [];
  for (let run = 0; run < 3; run++) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_save_loop.ts", import.meta.url).pathname,
        target,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    let seen = "";
    while (!seen.includes("ready")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the saving child exited early");
      seen += new TextDecoder().decode(value);
    }
    await new Promise((r) => setTimeout(r, 50 + 400 * rng()));
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    try {
      using back = await loadModel(target);
      const which = digests.get(await modelDigest(back));
      ok(which !== undefined, "the loaded model is neither A nor B: a mix");
      outcomes.push(which);
    } catch (e) {
      ok(e instanceof DataFormatError, String(e));
      ok(e.message.includes(target), e.message);
      outcomes.push("refused");
    }
    // a later save is not confused by what the kill left behind
    await a.save(target);
    using again = await loadModel(target);
    equal(digests.get(await modelDigest(again)), "A");
    deepEqual(names(dir), ["model"]);
  }
  console.log(`torn saves: ${outcomes.join(", ")}`);
  await Deno.remove(dir, { recursive: true });
});
