/**
 * The divergence guard of the generic loop: a NaN or infinite loss,
 * validation loss or weight stops the run with a `DivergenceError` at the
 * right epoch and batch, and the checkpoint on disk stays the last good,
 * loadable one (no checkpoint, log line or `onEpoch` of a diverged state).
 */
import { deepEqual, equal, ok, rejects } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";
import { tf } from "../../src/tf.ts";
import type { Tensor1D } from "../../src/tf.ts";
import { mulberry32 } from "../../src/random.ts";
import { loadLayersModel } from "../../src/model/io.ts";
import { readCheckpoint } from "../../src/train/checkpoint.ts";
import { DivergenceError } from "../../src/train/divergence_error.ts";
import { trainLoop } from "../../src/train/loop.ts";
import type { LoopOptions } from "../../src/train/loop_options.ts";
import type { EpochSummary, TrainStep } from "../../src/train/train_step.ts";
import { trainVAE } from "../../src/train/train_vae.ts";
import { resolveTrainOptions } from "../../src/train/vae_options.ts";
import {
  createVaeStep,
  VAE_KIND,
  type VaeTrainStep,
} from "../../src/train/vae_step.ts";

await selectBackend("wasm", { wasmThreads: 1 });

const XS = Float32Array.from({ length: 32 }, (_, i) => i / 32);

/** Where the toy step poisons what. */
interface Poison {
  epoch: number;
  step: number;
  /** `loss`: the logged loss is NaN; `objective`: only the gradient is. */
  what: "loss" | "objective" | "validation";
}

/**
 * Regression y = 3x (one weight; 32 examples, batches of 8: 4 per epoch)
 * that turns NaN where `poison` says; the weight is saved as JSON.
 */
function toyStep(
  poison: Poison,
  init: number,
): TrainStep<{ x: Tensor1D }, EpochSummary> & { w: tf.Variable } {
  const w = tf.variable(tf.scalar(init));
  const nan = (on: boolean) => on ? NaN : 1;
  let at = { epoch: -1, step: -1 };
  return {
    w,
    variableGroups: [{ name: "w", variables: [w] }],
    batch: (idx) => ({ x: tf.tensor1d(idx.map((i) => XS[i])) }),
    losses: ({ x }, ctx) => {
      at = ctx;
      const hit = ctx.epoch === poison.epoch && ctx.step === poison.step;
      const mse = tf.mean(tf.square(tf.sub(tf.mul(w, x), tf.mul(x, 3))));
      const logged = tf.mul(mse, nan(hit && poison.what === "loss"));
      const objective = tf.mul(mse, nan(hit && poison.what !== "validation"));
      return {
        objective: objective as tf.Scalar,
        losses: { mse: logged as tf.Scalar },
      };
    },
    validationLosses: ({ x }, ctx) => {
      const hit = poison.what === "validation" && ctx.epoch === poison.epoch;
      const mse = tf.mean(tf.square(tf.sub(tf.mul(w, x), tf.mul(x, 3))));
      return { mse: tf.mul(mse, nan(hit)) as tf.Scalar };
    },
    epochLog: (s) => s,
    state: () => ({ at }),
    save: async (dir) =>
      await Deno.writeTextFile(
        `${dir}/w.json`,
        JSON.stringify((await w.data())[0]),
      ),
  };
}

const OPTS: LoopOptions<EpochSummary> = {
  kind: "toy",
  size: 32,
  epochs: 4,
  batchSize: 8,
  learningRate: 0.1,
  progress: "none",
};

/** Trains the toy step; returns the error, the epochs logged and `w`. */
async function diverge(
  poison: Poison,
  extra: Partial<LoopOptions<EpochSummary>> = {},
) {
  const logged: number[] = [];
  let step: ReturnType<typeof toyStep> | undefined;
  const err = await trainLoop<{ x: Tensor1D }, EpochSummary>(
    { ...OPTS, ...extra, onEpoch: (l) => logged.push(l.epoch) },
    async (ckpt) =>
      step = toyStep(
        poison,
        ckpt ? JSON.parse(await Deno.readTextFile(`${ckpt.path}/w.json`)) : 0,
      ),
  ).then(() => null, (e) => e);
  step!.w.dispose();
  ok(err instanceof DivergenceError, String(err));
  return { err: err as DivergenceError, logged };
}

/** The only checkpoint directory and its saved weight. */
async function onDisk(dir: string) {
  const ckpt = await readCheckpoint(dir, "toy");
  const names = [...Deno.readDirSync(`${dir}/checkpoints`)].map((e) => e.name)
    .filter((n) => n.startsWith("epoch-"));
  deepEqual(names, [ckpt!.path.split("/").at(-1)]);
  const w = JSON.parse(await Deno.readTextFile(`${ckpt!.path}/w.json`));
  const log = (await Deno.readTextFile(`${dir}/train.jsonl`)).trim();
  return {
    ckpt: ckpt!,
    w,
    logLines: log === "" ? 0 : log.split("\n").length,
  };
}

Deno.test("trainLoop() stops at the first NaN loss and keeps the last good checkpoint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { err, logged } = await diverge(
      { epoch: 2, step: 1, what: "loss" },
      { outDir: dir },
    );
    equal(err.epoch, 2);
    equal(err.step, 1);
    equal(err.loss, "mse");
    ok(Number.isNaN(err.value));
    const disk = await onDisk(dir);
    equal(err.checkpoint, disk.ckpt.path);
    equal(
      err.message,
      `Cannot train: loss "mse" became NaN at epoch 3/4, batch 2/4; the last good checkpoint is "${disk.ckpt.path}"; try a lower learning rate (now 0.1)`,
    );
    equal(disk.ckpt.state.epochsDone, 2);
    equal(disk.ckpt.state.partial, null);
    ok(Number.isFinite(disk.w) && disk.w > 0, `w ${disk.w}`);
    deepEqual(logged, [0, 1]);
    equal(disk.logLines, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainLoop() never checkpoints NaN weights behind a finite loss", async (t) => {
  await t.step("at the end of an epoch", async () => {
    const dir = await Deno.makeTempDir();
    try {
      // the last batch of epoch 1 applies a NaN gradient; its logged loss is finite
      const { err, logged } = await diverge(
        { epoch: 1, step: 3, what: "objective" },
        { outDir: dir },
      );
      equal(err.loss, "weights");
      equal(err.epoch, 1);
      equal(err.step, 3);
      ok(
        /^Cannot train: a weight became NaN or infinite at epoch 2\/4, batch 4\/4; the last good checkpoint is ".*epoch-0001-[^"]+"/
          .test(err.message),
        err.message,
      );
      const disk = await onDisk(dir);
      equal(disk.ckpt.state.epochsDone, 1);
      ok(Number.isFinite(disk.w));
      deepEqual(logged, [0]);
      equal(disk.logLines, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("when interrupted right after the bad batch", async () => {
    const dir = await Deno.makeTempDir();
    try {
      const ac = new AbortController();
      const { err } = await diverge(
        { epoch: 1, step: 1, what: "objective" },
        {
          outDir: dir,
          signal: ac.signal,
          onStep: (e, s) => e === 1 && s === 1 && ac.abort(),
        },
      );
      equal(err.loss, "weights");
      equal(err.step, 1);
      const disk = await onDisk(dir);
      equal(disk.ckpt.state.epochsDone, 1);
      equal(disk.ckpt.state.partial, null);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step(
    "without outDir the returned weights are never NaN",
    async () => {
      const { err } = await diverge({ epoch: 3, step: 3, what: "objective" });
      equal(err.checkpoint, null);
      ok(/; no good checkpoint was written; /.test(err.message), err.message);
    },
  );
});

Deno.test("trainLoop() stops at a NaN validation loss", async () => {
  const { err, logged } = await diverge(
    { epoch: 1, step: -1, what: "validation" },
    { validationSplit: 0.25 },
  );
  equal(err.loss, "validation.mse");
  equal(err.epoch, 1);
  ok(
    /^Cannot train: validation loss "mse" became NaN after epoch 2\/4; no good checkpoint/
      .test(err.message),
    err.message,
  );
  deepEqual(logged, [0]);
});

/** 24 seeded 12x12 noise images. */
function noise() {
  const rng = mulberry32(3);
  return {
    images: Float32Array.from({ length: 24 * 144 }, () => rng()),
    shape: [24, 12, 12, 1] as [number, number, number, number],
  };
}

Deno.test("trainVAE() with a huge learning rate throws DivergenceError and leaks nothing", async () => {
  const before = tf.memory().numTensors;
  await rejects(
    () =>
      trainVAE(noise(), {
        preset: "paper",
        latentDim: 8,
        widths: [4, 8],
        epochs: 2,
        batchSize: 8,
        learningRate: 1000,
        progress: "none",
      }),
    (e: Error) =>
      e instanceof DivergenceError && e.epoch === 0 &&
      /^Cannot train: loss "loss" became (NaN|Infinity) at epoch 1\/2, batch \d\/3; no good checkpoint was written; try a lower learning rate \(now 1000\)$/
        .test(e.message),
  );
  equal(tf.memory().numTensors, before);
});

Deno.test("trainLoop() on the VAE step: the checkpoint left by a divergence loads", async (t) => {
  const ds = noise();
  const opts = resolveTrainOptions({
    preset: "paper",
    latentDim: 8,
    batchSize: 8,
    epochs: 3,
    warmup: 1,
  });
  for (const [at, loss] of [[0, "loss"], [2, "weights"]] as const) {
    await t.step(`a weight poisoned after epoch 1, batch ${at}`, async () => {
      const dir = await Deno.makeTempDir();
      let step: VaeTrainStep | undefined;
      try {
        const err = await trainLoop({
          kind: VAE_KIND,
          size: 24,
          epochs: 3,
          batchSize: 8,
          minBatchSize: 2,
          outDir: dir,
          progress: "none",
          onStep: (e, s) => {
            if (e !== 1 || s !== at) return;
            const v = step!.variableGroups[0].variables[0];
            const bad = tf.fill(v.shape, NaN);
            v.assign(bad);
            bad.dispose();
          },
        }, async (c) => step = await createVaeStep(ds, opts, [4, 8], c))
          .then(() => null, (e) => e);
        ok(err instanceof DivergenceError, String(err));
        equal(err.loss, loss);
        equal(err.epoch, 1);
        equal(err.step, at === 0 ? 1 : 2);
        const ckpt = await readCheckpoint(dir, VAE_KIND);
        equal(err.checkpoint, ckpt!.path);
        equal(ckpt!.state.epochsDone, 1);
        const enc = await loadLayersModel(`${ckpt!.path}/encoder`);
        for (const w of enc.weights) {
          ok((await w.read().data()).every(Number.isFinite), w.name);
        }
        enc.dispose();
      } finally {
        step?.net.encoder.dispose();
        step?.net.decoder.dispose();
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});
