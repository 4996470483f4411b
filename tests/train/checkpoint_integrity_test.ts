/**
 * Checkpoints carry a manifest that `readCheckpoint` verifies: a zeroed or
 * changed file of the latest checkpoint is refused, naming the file and
 * what to do, instead of resuming from damaged state.
 */
import { readCheckpoint } from "../../src/train/checkpoint.ts";
import { writeManifest } from "../../src/integrity/manifest.ts";
import { DataFormatError } from "../../src/errors.ts";
import { selectBackend } from "../../src/backend.ts";
import { deepEqual, equal, ok, rejects } from "../_assert.ts";
import {
  checkpointDigest,
  filesUnder,
  tinyCheckpoint,
} from "../integrity/_artifacts.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** Expects the resume to be refused on `file`, with `pattern`. */
async function refuses(dir: string, file: string, pattern: RegExp) {
  await rejects(readCheckpoint(dir, "vae"), (e: unknown) => {
    ok(e instanceof DataFormatError, String(e));
    equal(e.file, file);
    ok(pattern.test(e.message), e.message);
    ok(e.message.startsWith("Cannot resume: "), e.message);
    return true;
  });
}

Deno.test("writeCheckpoint() writes a manifest of every file of the checkpoint", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_ckpt_test_" });
  const path = await tinyCheckpoint(dir);
  deepEqual(await filesUnder(path), [
    "decoder/model.json",
    "decoder/weights.bin",
    "encoder/model.json",
    "encoder/weights.bin",
    "manifest.json",
    "opt-vae.bin",
    "state.json",
  ]);
  const m = JSON.parse(await Deno.readTextFile(`${path}/manifest.json`));
  deepEqual(
    m.files.map((f: { path: string }) => f.path),
    (await filesUnder(path)).filter((f) => f !== "manifest.json"),
  );
  // nothing but the checkpoint and the pointer in checkpoints/
  deepEqual(
    (await filesUnder(`${dir}/checkpoints`)).filter((f) => !f.includes("/")),
    ["latest.json"],
  );
  ok(typeof await checkpointDigest(dir) === "string");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCheckpoint() refuses a zeroed or changed file, naming it", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_ckpt_test_" });
  const path = await tinyCheckpoint(dir);
  const root = `${dir}/checkpoints`;
  const digest = await checkpointDigest(dir);
  const fix = `delete "${root}" to start over`;
  for (const name of ["opt-vae.bin", "state.json", "encoder/weights.bin"]) {
    await t.step(`zeroed ${name}`, async () => {
      const file = `${path}/${name}`;
      const good = await Deno.readFile(file);
      await Deno.writeFile(file, new Uint8Array(good.length));
      await refuses(
        dir,
        file,
        new RegExp(
          `has SHA-256 [0-9a-f]{16}… but the manifest records [0-9a-f]{16}…; the file is corrupt; ${fix}$`,
        ),
      );
      await Deno.writeFile(file, good);
      equal(await checkpointDigest(dir), digest);
    });
  }
  await t.step("a missing optimiser file", async () => {
    const file = `${path}/opt-vae.bin`;
    const good = await Deno.readFile(file);
    await Deno.remove(file);
    await refuses(dir, file, /"[^"]*opt-vae\.bin" is missing/);
    await Deno.writeFile(file, good);
  });
  await t.step(
    "a missing manifest (a checkpoint of an older hsvae)",
    async () => {
      const file = `${path}/manifest.json`;
      const good = await Deno.readFile(file);
      await Deno.remove(file);
      await refuses(
        dir,
        file,
        new RegExp(
          `is missing: the checkpoint was written without a manifest \\(by an hsvae before integrity manifests\\); ${fix}$`,
        ),
      );
      await Deno.writeFile(file, good);
    },
  );
  await t.step("a damaged latest.json", async () => {
    const pointer = `${root}/latest.json`;
    const good = await Deno.readFile(pointer);
    for (
      const [text, pattern] of [
        ["null", /does not name a checkpoint directory/],
        ['{"checkpoint": "../../etc"}', /does not name a checkpoint directory/],
        [
          '{"checkpoint": "epoch-9999-x"}',
          /names "epoch-9999-x", which is missing/,
        ],
        ["{", /is not valid JSON/],
      ] as const
    ) {
      await Deno.writeTextFile(pointer, text);
      await refuses(dir, pointer, pattern);
    }
    await Deno.writeFile(pointer, good);
    equal(await checkpointDigest(dir), digest);
  });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCheckpoint() names an older complete checkpoint to fall back to", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_ckpt_test_" });
  const root = `${dir}/checkpoints`;
  const older = await tinyCheckpoint(dir, 1);
  const keep = `${dir}/older`;
  await Deno.rename(older, keep);
  const latest = await tinyCheckpoint(dir, 2);
  // as if a crash came between the pointer flip and the removal of older ones
  await Deno.rename(keep, older);
  const name = older.slice(root.length + 1);
  const file = `${latest}/encoder/weights.bin`;
  await Deno.writeFile(file, new Uint8Array((await Deno.stat(file)).size));
  await refuses(
    dir,
    file,
    new RegExp(
      `; delete "${root}" to start over, or make "${root}/latest.json" name "${name}" to resume from that older checkpoint$`,
    ),
  );
  await Deno.writeTextFile(
    `${root}/latest.json`,
    JSON.stringify({ checkpoint: name }),
  );
  equal((await readCheckpoint(dir, "vae"))?.path, older);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readCheckpoint() checks the state the manifest vouches for", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_ckpt_test_" });
  const path = await tinyCheckpoint(dir);
  const file = `${path}/state.json`;
  const good = JSON.parse(await Deno.readTextFile(file));
  for (
    const [field, value] of [
      ["epochsDone", -1],
      ["partial", 3],
      ["history", {}],
      ["optimizers", [{ name: "../x", specs: [], accBeta: [0, 0] }]],
      ["loop", null],
    ] as const
  ) {
    await t.step(`"${field}": ${JSON.stringify(value)}`, async () => {
      await Deno.writeTextFile(
        file,
        JSON.stringify({ ...good, [field]: value }),
      );
      await writeManifest(path);
      await refuses(dir, file, new RegExp(`has an invalid "${field}" entry`));
    });
  }
  await t.step("an optimiser the manifest does not list", async () => {
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        ...good,
        optimizers: [{ ...good.optimizers[0], name: "other" }],
      }),
    );
    await writeManifest(path);
    await refuses(dir, `${path}/opt-other.bin`, /is not listed in/);
  });
  await Deno.remove(dir, { recursive: true });
});
