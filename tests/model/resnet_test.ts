import { tf } from "../../src/tf.ts";
import {
  buildDecoder,
  buildEncoder,
  countParams,
  type ModelConfig,
  resolveModelConfig,
} from "../../src/model/resnet.ts";
import { ShapeError } from "../../src/errors.ts";
import type { Scalar, Tensor, Tensor2D, Tensor4D } from "../../src/tf.ts";
import { assert, deepEqual, equal, ok, throws } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** Parameter count by hand: conv3x3 = 9 cin cout + cout, dense = (in + 1) out. */
function expectedParams(c: ModelConfig): { encoder: number; decoder: number } {
  const conv = (i: number, o: number) => 9 * i * o + o;
  const w = c.widths;
  let [h, wd] = [c.inputShape[0], c.inputShape[1]];
  for (let i = 1; i < w.length; i++) {
    [h, wd] = [Math.ceil(h / 2), Math.ceil(wd / 2)];
  }
  const flat = h * wd * w[w.length - 1];
  let enc = conv(c.inputShape[2], w[0]) + (flat + 1) * 2 * c.latentDim;
  let dec = (c.latentDim + 1) * flat + conv(w[0], c.inputShape[2]);
  for (let i = 0; i < w.length - 1; i++) {
    enc += 2 * conv(w[i], w[i]) + conv(w[i], w[i + 1]);
    dec += 2 * conv(w[i], w[i]) + conv(w[i + 1], w[i]);
  }
  return { encoder: enc, decoder: dec };
}

Deno.test("countParams() matches the hand count for every supported input", async (t) => {
  const shapes: Array<[number, number, number]> = [
    [28, 28, 1],
    [32, 32, 3],
    [64, 64, 3],
    [64, 64, 6],
  ];
  for (const inputShape of shapes) {
    await t.step(inputShape.join("x"), () => {
      const config = resolveModelConfig({ inputShape });
      const enc = buildEncoder(config);
      const dec = buildDecoder(config);
      const want = expectedParams(config);
      equal(countParams(enc), want.encoder);
      equal(countParams(dec), want.decoder);
      const total = want.encoder + want.decoder;
      ok(total >= 1e5 && total <= 1e6, `total ${total} outside 0.1-1 M`);
      enc.dispose();
      dec.dispose();
    });
  }
  // the reference numbers quoted in the module documentation
  equal(expectedParams(resolveModelConfig()).encoder, 419616);
  equal(expectedParams(resolveModelConfig()).decoder, 289249);
});

Deno.test("buildEncoder() and buildDecoder() produce the stage shapes", async (t) => {
  const cases: Array<[[number, number, number], number[]]> = [
    [[28, 28, 1], [28, 14, 7, 4]],
    [[32, 32, 3], [32, 16, 8, 4]],
    [[64, 64, 6], [64, 32, 16, 8, 4]],
    [[13, 9, 2], [13, 7, 4, 2]],
  ];
  for (const [inputShape, sizes] of cases) {
    await t.step(inputShape.join("x"), () => {
      const enc = buildEncoder({ inputShape, latentDim: 10, seed: 1 });
      const dec = buildDecoder({ inputShape, latentDim: 10, seed: 2 });
      const downs = enc.layers.filter((l) => l.name.startsWith("enc_down"));
      deepEqual(
        downs.map((l) => (l.outputShape as number[])[1]),
        sizes.slice(1),
      );
      deepEqual(enc.outputs[0].shape, [null, 20]);
      deepEqual(dec.outputs[0].shape, [null, ...inputShape]);
      const convs = dec.layers.filter((l) => /^dec_conv\d$/.test(l.name));
      deepEqual(
        convs.map((l) => (l.outputShape as number[])[1]),
        sizes.slice(0, -1).reverse(),
      );
      enc.dispose();
      dec.dispose();
    });
  }
});

Deno.test("buildEncoder() with a seed gives identical weights", async () => {
  const a = buildEncoder({ latentDim: 8, seed: 7 });
  const b = buildEncoder({ latentDim: 8, seed: 7 });
  const c = buildEncoder({ latentDim: 8, seed: 8 });
  const wa = await a.weights[0].read().data();
  const wb = await b.weights[0].read().data();
  const wc = await c.weights[0].read().data();
  deepEqual(wa, wb);
  ok(wa.some((v, i) => v !== wc[i]));
  a.dispose();
  b.dispose();
  c.dispose();
});

Deno.test("resolveModelConfig() rejects malformed options", () => {
  throws(
    () => resolveModelConfig({ inputShape: [28, 28] as never }),
    (e: unknown) =>
      e instanceof ShapeError &&
      /Cannot build the model: inputShape/.test(e.message),
  );
  throws(
    () => resolveModelConfig({ latentDim: 0 }),
    (e: unknown) => e instanceof RangeError && /latentDim "0"/.test(e.message),
  );
  throws(
    () => resolveModelConfig({ widths: [] }),
    (e: unknown) => e instanceof RangeError && /widths "\[\]"/.test(e.message),
  );
  deepEqual(resolveModelConfig({ inputShape: [32, 32, 3] }).widths, [
    16,
    32,
    64,
    64,
  ]);
});

/** Reads the first `count` images of a gzipped IDX3 file, scaled to [0, 1]. */
async function readIdxImages(
  path: string,
  count: number,
): Promise<{ data: Float32Array; rows: number; cols: number }> {
  const file = await Deno.open(path);
  const reader = file.readable.pipeThrough(new DecompressionStream("gzip"))
    .getReader();
  const chunks: Uint8Array[] = [];
  let have = 0;
  let need = 16;
  let header: DataView | null = null;
  while (have < need) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Cannot read "${path}": truncated`);
    chunks.push(value);
    have += value.length;
    if (header === null && have >= 16) {
      const head = new Uint8Array(have);
      let o = 0;
      for (const c of chunks) (head.set(c, o), (o += c.length));
      header = new DataView(head.buffer, 0, 16);
      equal(header.getUint32(0), 0x803, "IDX3 magic");
      need = 16 + count * header.getUint32(8) * header.getUint32(12);
    }
  }
  await reader.cancel();
  const all = new Uint8Array(have);
  let o = 0;
  for (const c of chunks) (all.set(c, o), (o += c.length));
  const rows = header!.getUint32(8);
  const cols = header!.getUint32(12);
  const data = new Float32Array(count * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = all[16 + i] / 255;
  return { data, rows, cols };
}

const FASHION = [
  "data/fashion-mnist-subset/train-images-idx3-ubyte.gz",
  "/work/shared/data/fashion-mnist/train-images-idx3-ubyte.gz",
].find((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

Deno.test({
  name: "buildEncoder() and buildDecoder() train on Fashion-MNIST on wasm",
  ignore: FASHION === undefined, // the data is not in this checkout
  async fn() {
    await tf.setBackend("wasm");
    const batch = 32;
    const n = 32;
    const { data } = await readIdxImages(FASHION!, batch);
    const x = tf.tensor4d(data, [batch, 28, 28, 1]);
    const enc = buildEncoder({ latentDim: n, seed: 1 });
    const dec = buildDecoder({ latentDim: n, seed: 2 });
    const opt = tf.train.adam(2e-3);
    const loss = (): Scalar => {
      const out = enc.apply(x) as Tensor2D;
      const [mu, logVar] = tf.split(out, 2, 1);
      const eps = tf.randomNormal([batch, n], 0, 1, "float32", 1);
      const z = mu.add(logVar.mul(0.5).exp().mul(eps));
      const xHat = dec.apply(z) as Tensor4D;
      const mse = xHat.sub(x).square().sum().div(batch);
      const kl = logVar.exp().add(mu.square()).sub(1).sub(logVar).sum()
        .mul(0.5 / batch);
      return mse.add(kl) as Scalar;
    };
    const before = tf.memory().numTensors;
    const losses: number[] = [];
    for (let step = 0; step < 8; step++) {
      const l = tf.tidy(() => opt.minimize(loss, true) as Scalar);
      losses.push((await l.data())[0]);
      l.dispose();
    }
    // Adam's two moment slots per weight are the only tensors steps may add
    equal(
      tf.memory().numTensors - before,
      2 * (enc.weights.length + dec.weights.length),
    );
    assert.ok(losses.every(Number.isFinite));
    // the sigmoid decoder starts near 0.5 everywhere (summed MSE ~ 100-200 per
    // image); a few steps must cut it clearly (best of the last three: Adam
    // at lr 2e-3 may overshoot on one step)
    assert.ok(
      Math.min(...losses.slice(-3)) < 0.8 * losses[0],
      `loss ${losses.map((v) => v.toFixed(1)).join(" ")}`,
    );
    tf.dispose([x as Tensor]);
    opt.dispose();
    enc.dispose();
    dec.dispose();
  },
});
