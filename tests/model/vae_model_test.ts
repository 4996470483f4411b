import { tf } from "../../src/tf.ts";
import {
  loadModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  TOOLKIT_VERSION,
  VaeModel,
} from "../../src/model/vae_model.ts";
import { DataFormatError, ShapeError } from "../../src/errors.ts";
import { writeManifest } from "../../src/integrity/manifest.ts";
import type { Tensor4D } from "../../src/tf.ts";
import { deepEqual, equal, ok, rejects, throws } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** Deterministic pixel values in [0, 1). */
function pixels(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** Bitwise equality of two float arrays (NaN-safe, distinguishes -0). */
function bitwiseEqual(a: Float32Array, b: Float32Array): boolean {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return ua.length === ub.length && ua.every((v, i) => v === ub[i]);
}

async function savedModel(
  options: { bank?: boolean } = {},
): Promise<{ dir: string; model: VaeModel }> {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_model_test_" });
  const model = VaeModel.create({
    inputShape: [28, 28, 1],
    latentDim: 8,
    seed: 11,
    training: { variant: "compressed", preset: "authors", gains: [1, 2.5] },
  });
  if (options.bank) {
    model.bank = { data: pixels(5 * 8, 3), shape: [5, 8] };
  }
  await model.save(dir);
  return { dir, model };
}

Deno.test("VaeModel.save() and loadModel() give bitwise identical encodings", async () => {
  const { dir, model } = await savedModel({ bank: true });
  using back = await loadModel(dir);
  const x = pixels(3 * 784, 1);
  const a = await model.encode(x, [3, 28, 28, 1]);
  const b = await back.encode(x, [3, 28, 28, 1]);
  ok(bitwiseEqual(a.mu, b.mu), "mu differs");
  ok(bitwiseEqual(a.logVar, b.logVar), "logVar differs");
  const za = await model.decode(a.mu, [3, 8]);
  const zb = await back.decode(a.mu, [3, 8]);
  ok(bitwiseEqual(za, zb), "decodings differ");
  deepEqual(back.config, model.config);
  deepEqual(back.training, {
    variant: "compressed",
    preset: "authors",
    gains: [1, 2.5],
  });
  deepEqual(back.bank?.shape, [5, 8]);
  ok(bitwiseEqual(back.bank!.data, model.bank!.data), "bank differs");
  const saved = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
  equal(saved.format, MODEL_FORMAT);
  equal(saved.formatVersion, MODEL_FORMAT_VERSION);
  equal(saved.toolkitVersion, TOOLKIT_VERSION);
  ok(!Number.isNaN(Date.parse(saved.createdAt)));
  deepEqual(saved.bank, { file: "bank.bin", shape: [5, 8], dtype: "float32" });
  // no temporary files left behind by the atomic writes
  for (const sub of [".", "encoder", "decoder"]) {
    for (const e of Deno.readDirSync(`${dir}/${sub}`)) {
      ok(!e.name.includes(".tmp-"), e.name);
    }
  }
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("VaeModel.save() without a bank removes a stale bank file", async () => {
  const { dir, model } = await savedModel({ bank: true });
  model.bank = null;
  await model.save(dir);
  using back = await loadModel(dir);
  equal(back.bank, null);
  await rejects(Deno.stat(`${dir}/bank.bin`), Deno.errors.NotFound);
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() rejects another formatVersion and says what to do", async () => {
  const { dir, model } = await savedModel();
  model.dispose();
  const path = `${dir}/config.json`;
  const saved = JSON.parse(await Deno.readTextFile(path));
  await Deno.writeTextFile(
    path,
    JSON.stringify({ ...saved, formatVersion: 2, toolkitVersion: "9.0.0" }),
  );
  await rejects(loadModel(dir), (e: unknown) => {
    ok(e instanceof DataFormatError);
    equal(e.file, path);
    equal(
      e.message,
      `Cannot load model: "${path}" has formatVersion "2" (written by hsvae "9.0.0"), this hsvae "${TOOLKIT_VERSION}" reads version "1"; load it with the hsvae version that wrote it, or train and save the model again`,
    );
    return true;
  });
  // a folder another program wrote has no hsvae manifest
  await Deno.remove(`${dir}/manifest.json`);
  await Deno.writeTextFile(path, JSON.stringify({ ...saved, format: "other" }));
  await rejects(
    loadModel(dir),
    (e: unknown) =>
      e instanceof DataFormatError &&
      /format "other", expected "hsvae-model"/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() checks what the manifest vouches for: sizes, NaN, JSON", async (t) => {
  // each file is damaged and the manifest written again over it (as a
  // diverged trainer or another tool would): the checks behind the manifest
  // still name the file
  const { dir, model } = await savedModel({ bank: true });
  model.dispose();
  const before = tf.memory().numTensors;
  const expectFile = async (file: string, pattern: RegExp) => {
    await writeManifest(dir);
    await rejects(loadModel(dir), (e: unknown) => {
      ok(e instanceof DataFormatError, String(e));
      equal(e.file, file);
      ok(pattern.test(e.message), e.message);
      return true;
    });
    equal(tf.memory().numTensors, before, "a failed load leaked tensors");
  };
  const weights = `${dir}/decoder/weights.bin`;
  const good = await Deno.readFile(weights);
  await t.step("truncated weights", async () => {
    await Deno.writeFile(weights, good.subarray(0, good.length - 7));
    await expectFile(weights, /holds \d+ bytes, the manifest needs \d+/);
  });
  await t.step("NaN in the weights", async () => {
    const bad = good.slice();
    new DataView(bad.buffer).setFloat32(40, NaN, true);
    await Deno.writeFile(weights, bad);
    await expectFile(weights, /non-finite weight at byte 40/);
    await Deno.writeFile(weights, good);
  });
  await t.step("invalid model.json", async () => {
    const json = `${dir}/encoder/model.json`;
    const text = await Deno.readTextFile(json);
    await Deno.writeTextFile(json, text.slice(0, 100));
    await expectFile(json, /is not valid JSON/);
    await Deno.writeTextFile(
      json,
      JSON.stringify({
        ...JSON.parse(text),
        weightsManifest: [{ weights: 3 }],
      }),
    );
    await expectFile(json, /not a list of \{ name, shape, dtype \}/);
    await Deno.writeTextFile(json, text);
  });
  const bank = `${dir}/bank.bin`;
  const goodBank = await Deno.readFile(bank);
  await t.step("truncated bank", async () => {
    await Deno.writeFile(bank, new Uint8Array(12));
    await expectFile(bank, /holds 12 bytes, shape "\[5, 8\]" needs 160/);
  });
  await t.step("a bank row of NaN or infinity", async () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const b = goodBank.slice();
      new DataView(b.buffer).setFloat32(4 * (3 * 8 + 5), bad, true);
      await Deno.writeFile(bank, b);
      await expectFile(
        bank,
        new RegExp(
          `^Cannot load model: row 3 of ".*bank\\.bin" holds ${bad} at byte 116; the bank is corrupt or the encoder diverged`,
        ),
      );
    }
    await Deno.writeFile(bank, goodBank);
  });
  await t.step("corrupt config.json", async () => {
    const config = `${dir}/config.json`;
    const text = await Deno.readTextFile(config);
    await Deno.writeTextFile(config, "{ not json");
    await expectFile(config, /is not valid JSON/);
    for (
      const [entry, pattern] of [
        [{ bank: { file: "bank.bin", shape: "5x8" } }, /"bank" entry/],
        [
          { bank: { file: "../x", shape: [5, 8], dtype: "float32" } },
          /not listed/,
        ],
        [{ training: 7 }, /"training" entry that is not an object/],
        [{ model: { latentDim: -1 } }, /invalid "model" entry/],
      ] as const
    ) {
      await Deno.writeTextFile(
        config,
        JSON.stringify({ ...JSON.parse(text), ...entry }),
      );
      const file = "file" in (entry.bank ?? {}) && entry.bank!.file === "../x"
        ? `${dir}/../x`
        : config;
      await expectFile(file, pattern);
    }
    await Deno.writeTextFile(config, text);
  });
  await writeManifest(dir);
  using back = await loadModel(dir);
  deepEqual(back.bank?.shape, [5, 8]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() refuses files that differ from the manifest", async (t) => {
  const { dir, model } = await savedModel({ bank: true });
  const reference = await model.encode(pixels(784, 4), [1, 28, 28, 1]);
  model.dispose();
  const before = tf.memory().numTensors;
  const refuses = async (file: string, pattern: RegExp) => {
    await rejects(loadModel(dir), (e: unknown) => {
      ok(e instanceof DataFormatError, String(e));
      equal(e.file, file);
      ok(pattern.test(e.message), e.message);
      ok(e.message.startsWith("Cannot load model: "), e.message);
      return true;
    });
    equal(tf.memory().numTensors, before, "a failed load leaked tensors");
  };
  const restore = async (file: string, bytes: Uint8Array) => {
    await Deno.writeFile(file, bytes);
    using ok_ = await loadModel(dir);
    const e = await ok_.encode(pixels(784, 4), [1, 28, 28, 1]);
    ok(bitwiseEqual(e.mu, reference.mu), "restored model differs");
  };
  const sha =
    /has SHA-256 [0-9a-f]{16}… but the manifest records [0-9a-f]{16}…; the file is corrupt; save the model again$/;
  await t.step("half of the encoder's weights zeroed", async () => {
    const file = `${dir}/encoder/weights.bin`;
    const good = await Deno.readFile(file);
    await Deno.writeFile(
      file,
      new Uint8Array([
        ...good.subarray(0, good.length / 2),
        ...new Uint8Array(good.length - good.length / 2),
      ]),
    );
    await refuses(file, sha);
    await restore(file, good);
  });
  await t.step("a bank row of NaN", async () => {
    const file = `${dir}/bank.bin`;
    const good = await Deno.readFile(file);
    const bad = good.slice();
    new Float32Array(bad.buffer).fill(NaN, 8, 16);
    await Deno.writeFile(file, bad);
    await refuses(file, sha);
    await restore(file, good);
  });
  await t.step("a zeroed decoder and a truncated model.json", async () => {
    const file = `${dir}/decoder/weights.bin`;
    const good = await Deno.readFile(file);
    await Deno.writeFile(file, new Uint8Array(good.length));
    await refuses(file, sha);
    await Deno.writeFile(file, good.subarray(1));
    await refuses(
      file,
      /holds \d+ bytes but the manifest records \d+; the file is truncated or corrupt/,
    );
    await restore(file, good);
  });
  await t.step("an edited config.json", async () => {
    const file = `${dir}/config.json`;
    const good = await Deno.readFile(file);
    const saved = JSON.parse(new TextDecoder().decode(good));
    saved.training.preset = "AUTHORS"; // same length: only the hash differs
    await Deno.writeTextFile(file, JSON.stringify(saved, null, 2) + "\n");
    await refuses(file, sha);
    await restore(file, good);
  });
  await t.step(
    "a missing manifest (a folder saved before manifests)",
    async () => {
      const file = `${dir}/manifest.json`;
      const good = await Deno.readFile(file);
      await Deno.remove(file);
      await refuses(
        file,
        new RegExp(
          `"${file}" is missing: the model was saved without a manifest \\(by hsvae "${TOOLKIT_VERSION}", before integrity manifests, or by a save that did not finish\\); save the model again with this hsvae, or, if you trust its files, record them with writeManifest\\("${dir}"\\)$`,
        ),
      );
      await Deno.writeFile(file, good.subarray(0, 50));
      await refuses(file, /is not valid JSON/);
      await restore(file, good);
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("VaeModel.encodeTensor() splits mu and logVar and leaks nothing", async () => {
  using model = VaeModel.create({ latentDim: 6, seed: 2 });
  const x = tf.tensor4d(pixels(2 * 784, 5), [2, 28, 28, 1]);
  const before = tf.memory().numTensors;
  const { mu, logVar } = model.encodeTensor(x);
  const raw = model.encoder.predict(x) as tf.Tensor;
  const all = await raw.array() as number[][];
  deepEqual(
    await mu.array(),
    all.map((r) => r.slice(0, 6)).map((r) => r.map(Math.fround)),
  );
  deepEqual(
    await logVar.array(),
    all.map((r) => r.slice(6)).map((r) => r.map(Math.fround)),
  );
  tf.dispose([mu, logVar, raw]);
  const r = model.reconstructTensor(x);
  r.dispose();
  await model.encode(x);
  await model.reconstruct(x);
  await model.decode(new Float32Array(12), [2, 6]);
  equal(tf.memory().numTensors, before);
  x.dispose();
});

Deno.test("VaeModel.encode() gives the same result in any batch size", async () => {
  using model = VaeModel.create({ latentDim: 6, seed: 2 });
  const x = pixels(5 * 784, 9);
  const whole = await model.encode(x, [5, 28, 28, 1], { batchSize: 5 });
  const parts = await model.encode(x, [5, 28, 28, 1], { batchSize: 2 });
  // per-row results do not depend on the batch; allow float32 reordering
  for (let i = 0; i < whole.mu.length; i++) {
    ok(
      Math.abs(whole.mu[i] - parts.mu[i]) <= 1e-5 * (1 + Math.abs(whole.mu[i])),
    );
  }
  deepEqual(parts.shape, [5, 6]);
});

Deno.test("VaeModel rejects wrong shapes and use after dispose", async () => {
  const model = VaeModel.create({ latentDim: 6 });
  await rejects(
    model.encode(new Float32Array(784), [1, 28, 28, 3]),
    (e: unknown) =>
      e instanceof ShapeError &&
      e.message ===
        'Cannot encode: images have shape "[1, 28, 28, 3]", the model takes [N, 28, 28, 1]',
  );
  await rejects(
    model.encode(new Float32Array(783), [1, 28, 28, 1]),
    ShapeError,
  );
  await rejects(model.decode(new Float32Array(5), [1, 5]), ShapeError);
  throws(
    () => (model.bank = { data: new Float32Array(10), shape: [2, 5] }),
    ShapeError,
  );
  model.dispose();
  model.dispose();
  throws(
    () => model.encodeTensor(tf.zeros([1, 28, 28, 1]) as Tensor4D),
    /disposed/,
  );
});
