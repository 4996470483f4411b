import { tf } from "../../src/tf.ts";
import {
  loadModel,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  TOOLKIT_VERSION,
  VaeModel,
} from "../../src/model/vae_model.ts";
import { DataFormatError, ShapeError } from "../../src/errors.ts";
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
  await Deno.writeTextFile(path, JSON.stringify({ ...saved, format: "other" }));
  await rejects(
    loadModel(dir),
    (e: unknown) =>
      e instanceof DataFormatError &&
      /format "other", expected "hsvae-model"/.test(e.message),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadModel() names a corrupt or missing file", async (t) => {
  const { dir, model } = await savedModel({ bank: true });
  model.dispose();
  const before = tf.memory().numTensors;
  const expectFile = async (file: string, pattern: RegExp) => {
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
  await t.step("missing model.json", async () => {
    const json = `${dir}/encoder/model.json`;
    const text = await Deno.readTextFile(json);
    await Deno.remove(json);
    await expectFile(json, /is missing/);
    await Deno.writeTextFile(json, text.slice(0, 100));
    await expectFile(json, /is not valid JSON/);
    await Deno.writeTextFile(json, text);
  });
  await t.step("truncated bank", async () => {
    const bank = `${dir}/bank.bin`;
    await Deno.writeFile(bank, new Uint8Array(12));
    await expectFile(bank, /holds 12 bytes, shape "\[5, 8\]" needs 160/);
  });
  await t.step("corrupt config.json", async () => {
    const config = `${dir}/config.json`;
    await Deno.writeTextFile(config, "{ not json");
    await expectFile(config, /is not valid JSON/);
    await Deno.remove(config);
    await expectFile(config, /is missing/);
  });
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
