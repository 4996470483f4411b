import {
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  verifyManifest,
  writeManifest,
} from "../../src/integrity/manifest.ts";
import { DataFormatError } from "../../src/errors.ts";
import { deepEqual, equal, ok, rejects } from "../_assert.ts";

/** A folder with a nested file, a top-level file and an empty file. */
async function folder(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_manifest_test_" });
  await Deno.mkdir(`${dir}/enc`);
  await Deno.writeFile(`${dir}/enc/weights.bin`, new Uint8Array(64).fill(7));
  await Deno.writeTextFile(`${dir}/config.json`, '{"a":1}');
  await Deno.writeFile(`${dir}/empty.bin`, new Uint8Array(0));
  return dir;
}

/** Expects `verifyManifest(dir)` to throw a DataFormatError on `file`. */
async function refuses(dir: string, file: string, pattern: RegExp) {
  await rejects(
    verifyManifest(dir, { action: "load model", fix: "save the model again" }),
    (e: unknown) => {
      ok(e instanceof DataFormatError, String(e));
      equal(e.file, file);
      ok(pattern.test(e.message), e.message);
      ok(e.message.startsWith("Cannot load model: "), e.message);
      ok(e.message.endsWith("; save the model again"), e.message);
      return true;
    },
  );
}

Deno.test("writeManifest() records every file with its size and SHA-256, sorted", async () => {
  const dir = await folder();
  const m = await writeManifest(dir);
  equal(m.format, MANIFEST_FORMAT);
  equal(m.formatVersion, MANIFEST_FORMAT_VERSION);
  deepEqual(m.files.map((f) => [f.path, f.size]), [
    ["config.json", 7],
    ["empty.bin", 0],
    ["enc/weights.bin", 64],
  ]);
  // SHA-256 of the empty string
  equal(
    m.files[1].sha256,
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  );
  const onDisk = JSON.parse(await Deno.readTextFile(`${dir}/manifest.json`));
  deepEqual(onDisk, m);
  // writing again (the manifest itself is not listed) gives the same one
  deepEqual(await writeManifest(dir), m);
  const v = await verifyManifest(dir);
  deepEqual(v.readFile("enc/weights.bin"), new Uint8Array(64).fill(7));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("verifyManifest() names the file that differs and how", async (t) => {
  const dir = await folder();
  await writeManifest(dir);
  const w = `${dir}/enc/weights.bin`;
  const good = await Deno.readFile(w);
  await t.step("one flipped bit", async () => {
    const bad = good.slice();
    bad[40] ^= 0x10;
    await Deno.writeFile(w, bad);
    await refuses(
      dir,
      w,
      /"[^"]*enc\/weights\.bin" has SHA-256 [0-9a-f]{16}… but the manifest records [0-9a-f]{16}…; the file is corrupt/,
    );
  });
  await t.step("a changed size", async () => {
    await Deno.writeFile(w, good.subarray(0, 60));
    await refuses(
      dir,
      w,
      /holds 60 bytes but the manifest records 64; the file is truncated or corrupt/,
    );
    await Deno.writeFile(w, new Uint8Array([...good, 0]));
    await refuses(dir, w, /holds 65 bytes but the manifest records 64/);
  });
  await t.step("a missing file", async () => {
    await Deno.remove(w);
    await refuses(dir, w, /"[^"]*enc\/weights\.bin" is missing/);
  });
  await t.step("a folder where a file was", async () => {
    await Deno.mkdir(w);
    await refuses(dir, w, /is not a file/);
    await Deno.remove(w);
  });
  await Deno.writeFile(w, good);
  await t.step(
    "an extra, unlisted file is ignored and unreadable",
    async () => {
      await Deno.writeTextFile(`${dir}/.DS_Store`, "finder");
      const v = await verifyManifest(dir);
      deepEqual(v.manifest.files.map((f) => f.path), [
        "config.json",
        "empty.bin",
        "enc/weights.bin",
      ]);
      let threw: unknown;
      try {
        v.readFile(".DS_Store");
      } catch (e) {
        threw = e;
      }
      ok(threw instanceof DataFormatError);
      ok(/is not listed in/.test(threw.message), threw.message);
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("verifyManifest() refuses a missing, invalid or damaged manifest", async (t) => {
  const dir = await folder();
  const path = `${dir}/manifest.json`;
  await t.step("missing", async () => {
    await refuses(dir, path, /"[^"]*manifest\.json" is missing/);
  });
  const m = await writeManifest(dir);
  const text = await Deno.readTextFile(path);
  const cases: [string, string, RegExp][] = [
    ["invalid JSON", text.slice(0, text.length / 2), /is not valid JSON/],
    ["not an object", "[1, 2]", /is not a JSON object/],
    [
      "another format",
      JSON.stringify({ ...m, format: "zip" }),
      /has format "zip", expected "hsvae-manifest"/,
    ],
    [
      "another version",
      JSON.stringify({ ...m, formatVersion: 2 }),
      /has formatVersion 2, this hsvae reads version 1/,
    ],
    [
      "another algorithm",
      JSON.stringify({ ...m, algorithm: "MD5" }),
      /has algorithm "MD5"/,
    ],
    ["no files", JSON.stringify({ ...m, files: {} }), /has no "files" list/],
    [
      "a path leaving the folder",
      JSON.stringify({
        ...m,
        files: [{ ...m.files[0], path: "../../etc/passwd" }],
      }),
      /entry 0 .* relative path inside the folder/,
    ],
    [
      "a negative size",
      JSON.stringify({ ...m, files: [{ ...m.files[0], size: -1 }] }),
      /entry 0 /,
    ],
    [
      "a file listed twice",
      JSON.stringify({ ...m, files: [m.files[0], m.files[0]] }),
      /lists "config\.json" twice/,
    ],
    [
      "an edited size (the self-checksum catches it)",
      JSON.stringify({
        ...m,
        files: m.files.map((f, i) => i === 2 ? { ...f, size: 60 } : f),
      }),
      /does not match its own checksum "filesSha256"; the manifest is corrupt/,
    ],
    [
      "a dropped entry",
      JSON.stringify({ ...m, files: m.files.slice(1) }),
      /does not match its own checksum/,
    ],
  ];
  for (const [name, content, pattern] of cases) {
    await t.step(name, async () => {
      await Deno.writeTextFile(path, content);
      await refuses(dir, path, pattern);
    });
  }
  await t.step("not UTF-8", async () => {
    await Deno.writeFile(path, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    await refuses(dir, path, /is not UTF-8 text/);
  });
  await t.step("reformatted but equal JSON still verifies", async () => {
    await Deno.writeTextFile(path, JSON.stringify(m));
    await verifyManifest(dir);
  });
  await Deno.remove(dir, { recursive: true });
});
