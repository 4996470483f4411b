/**
 * A tiny `trainVAE` run for `fault_test.ts`, in its own process so the test
 * can SIGKILL it anywhere: 24 seeded 12x12 images, widths [4, 8], latent 8,
 * batches of 8 (3 per epoch), 4 epochs, always with `resume: true` into the
 * output directory given as the first argument (a fresh start when it holds
 * no checkpoint). It prints `step <epoch> <batch>` after every batch,
 * `epoch <epoch>` when an epoch's log and checkpoint are about to be
 * written, then one line `done <json>` with the loss history (timings
 * dropped) and the SHA-256 of the final weights. A second argument `seed`
 * changes the data (for the refusal test).
 */
import { selectBackend } from "../../src/backend.ts";
import { mulberry32 } from "../../src/random.ts";
import { trainVAE } from "../../src/train/train_vae.ts";

await selectBackend("wasm", { wasmThreads: 1 });

const [outDir, dataSeed = "7"] = Deno.args;
const N = 24;
const SIDE = 12;
const rng = mulberry32(Number(dataSeed));
const images = Float32Array.from({ length: N * SIDE * SIDE }, () => rng());

const enc = new TextEncoder();
const say = (line: string) => Deno.stdout.writeSync(enc.encode(line + "\n"));

const { model, history } = await trainVAE(
  { images, shape: [N, SIDE, SIDE, 1] },
  {
    preset: "paper",
    variant: "compressed",
    latentDim: 8,
    widths: [4, 8],
    epochs: 4,
    batchSize: 8,
    seed: 5,
    warmup: 2,
    fitBank: false,
    progress: "none",
    handleSigint: false,
    outDir,
    resume: true,
    dataSource: `seeded uniform noise (seed ${dataSeed})`,
    onStep: (epoch, step) => say(`step ${epoch} ${step}`),
    onEpoch: (log) => say(`epoch ${log.epoch}`),
  },
);
const bytes: Uint8Array[] = [];
for (const w of [...model.encoder.weights, ...model.decoder.weights]) {
  bytes.push(new Uint8Array((await w.read().data() as Float32Array).buffer));
}
const all = new Uint8Array(bytes.reduce((s, b) => s + b.length, 0));
let o = 0;
for (const b of bytes) {
  all.set(b, o);
  o += b.length;
}
const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
model.dispose();
say(`done ${
  JSON.stringify({
    weights: [...digest].map((b) => b.toString(16).padStart(2, "0")).join(""),
    history: history.map(({ seconds: _s, imagesPerSecond: _i, ...e }) => e),
  })
}`);
