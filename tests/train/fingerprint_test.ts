/**
 * A resume continues the same run or is refused: the checkpoint's
 * fingerprint of the data and options against the current ones, through
 * `compareFingerprints` and end to end through `trainVAE`.
 */
import { equal, notEqual, ok, rejects } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";
import { DataFormatError } from "../../src/errors.ts";
import { mulberry32 } from "../../src/random.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import {
  compareFingerprints,
  dataFingerprint,
} from "../../src/train/fingerprint.ts";
import { trainVAE } from "../../src/train/train_vae.ts";
import type { TrainOptions } from "../../src/train/vae_options.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** 16 seeded 12x12 noise images with labels 0..3. */
function noise(seed: number): Dataset {
  const rng = mulberry32(seed);
  return {
    images: Float32Array.from({ length: 16 * 144 }, () => rng()),
    shape: [16, 12, 12, 1],
    labels: Int32Array.from({ length: 16 }, (_, i) => i % 4),
  };
}

const TINY: TrainOptions = {
  preset: "paper",
  latentDim: 8,
  widths: [4, 8],
  batchSize: 8,
  epochs: 1,
  warmup: 1,
  beta: 1,
  fitBank: false,
  progress: "none",
};

Deno.test("dataFingerprint() hashes the image values and labels, not the buffers", async () => {
  const a = noise(1);
  const fa = await dataFingerprint(a, "a.npy");
  // a copy inside a larger buffer: only the view's bytes count
  const big = new Float32Array(a.images.length + 10);
  big.set(a.images, 5);
  const fb = await dataFingerprint({
    ...a,
    images: big.subarray(5, 5 + a.images.length),
  });
  equal(fb.imagesSha256, fa.imagesSha256);
  equal(fb.labelsSha256, fa.labelsSha256);
  equal(fb.source, null);
  const relabelled = await dataFingerprint({
    ...a,
    labels: a.labels!.map((l) => 3 - l),
  });
  equal(relabelled.imagesSha256, fa.imagesSha256);
  notEqual(relabelled.labelsSha256, fa.labelsSha256);
});

Deno.test("compareFingerprints() names what changed", async (t) => {
  const a = await dataFingerprint(noise(1), "a.npy");
  const b = await dataFingerprint(noise(2), "b.npy");
  await t.step("other data", () => {
    equal(
      compareFingerprints({ data: a }, { data: b }),
      `Cannot resume: the data differs from the checkpoint's (images sha256 ${
        a.imagesSha256.slice(0, 12)
      }… vs ${
        b.imagesSha256.slice(0, 12)
      }…, source "a.npy" vs "b.npy"); use the same data or a new outDir`,
    );
  });
  await t.step("the same data from another source resumes", () => {
    equal(
      compareFingerprints({ data: a }, { data: { ...a, source: "c" } }),
      null,
    );
  });
  await t.step("options: the first changed one, key order ignored", () => {
    const saved = { options: { beta: 1, loss: { x: 1, y: 2 } } };
    equal(
      compareFingerprints(saved, {
        options: { loss: { y: 2, x: 1 }, beta: 1 },
      }),
      null,
    );
    equal(
      compareFingerprints(saved, { options: { beta: 1 } }),
      'Cannot resume: option "loss" was {"x":1,"y":2} in the checkpoint, now unset; use the same options or a new outDir',
    );
  });
  await t.step("any JSON", () => {
    equal(compareFingerprints(null, null), null);
    equal(
      compareFingerprints({ run: "a" }, { run: "b" }),
      'Cannot resume: "run" was "a" in the checkpoint, now "b"; use the same inputs or a new outDir',
    );
    equal(
      compareFingerprints(null, { run: "b" }),
      `Cannot resume: the run's fingerprint was null in the checkpoint, now {"run":"b"}; use the same inputs or a new outDir`,
    );
  });
});

Deno.test("trainVAE() refuses a resume whose data or options differ", async (t) => {
  const a = noise(1);
  const dir = await Deno.makeTempDir();
  const resume = (ds: Dataset, extra: TrainOptions) =>
    trainVAE(ds, {
      ...TINY,
      epochs: 2,
      outDir: dir,
      resume: true,
      dataSource: "a.npy",
      ...extra,
    });
  try {
    await trainVAE(a, { ...TINY, outDir: dir, dataSource: "a.npy" });
    await t.step("other data of the same size, named", async () => {
      await rejects(
        () => resume(noise(2), { dataSource: "b.npy" }),
        (e: Error) =>
          e instanceof RangeError &&
          /^Cannot resume: the data differs from the checkpoint's \(images sha256 [0-9a-f]{12}… vs [0-9a-f]{12}…, source "a\.npy" vs "b\.npy"\); use the same data or a new outDir$/
            .test(e.message),
      );
    });
    await t.step("relabelled data", async () => {
      await rejects(
        () => resume({ ...a, labels: a.labels!.map((l) => 3 - l) }, {}),
        /labels sha256 [0-9a-f]{12}… vs [0-9a-f]{12}…, source "a\.npy" in both/,
      );
    });
    await t.step("a changed option, named", async () => {
      for (
        const [extra, re] of [
          [{ beta: 0.5 }, /option "beta" was 1 in the checkpoint, now 0\.5/],
          [
            { widths: [4, 4] },
            /option "widths" was \[4,8\] in the checkpoint, now \[4,4\]/,
          ],
          [
            { loss: { spacing: 1 } },
            /option "loss" was \{\} in the checkpoint, now \{"spacing":1\}/,
          ],
          [
            { lrMilestones: [1] },
            /option "lrMilestones" was \[\] in the checkpoint, now \[1\]/,
          ],
          [{ warmup: 2 }, /option "warmup" was 1 in the checkpoint, now 2/],
        ] as [TrainOptions, RegExp][]
      ) {
        await rejects(() => resume(a, extra), re, JSON.stringify(extra));
      }
    });
    await t.step(
      "the same data from another source, and more epochs, resume",
      async () => {
        const r = await resume(a, { dataSource: "copy-of-a.npy" });
        equal(r.history.length, 2);
        r.model.dispose();
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainVAE() refuses more epochs where the paper beta schedule spans them", async () => {
  const a = noise(1);
  const dir = await Deno.makeTempDir();
  try {
    const opts = { ...TINY, warmup: undefined, outDir: dir };
    (await trainVAE(a, opts)).model.dispose();
    await rejects(
      () => trainVAE(a, { ...opts, epochs: 2, resume: true }),
      /option "epochs" was 1 in the checkpoint, now 2/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainVAE() refuses a checkpoint of the previous format (no fingerprint)", async () => {
  const a = noise(1);
  const dir = await Deno.makeTempDir();
  try {
    (await trainVAE(a, { ...TINY, outDir: dir })).model.dispose();
    const root = `${dir}/checkpoints`;
    const { checkpoint } = JSON.parse(
      await Deno.readTextFile(`${root}/latest.json`),
    );
    const file = `${root}/${checkpoint}/state.json`;
    const { fingerprint, ...v2 } = JSON.parse(await Deno.readTextFile(file));
    ok(fingerprint.data.imagesSha256);
    await Deno.writeTextFile(file, JSON.stringify({ ...v2, formatVersion: 2 }));
    await rejects(
      () => trainVAE(a, { ...TINY, epochs: 2, outDir: dir, resume: true }),
      (e: Error) =>
        e instanceof DataFormatError &&
        /is format "hsvae-checkpoint" v2, this toolkit reads hsvae-checkpoint v3; start a new run/
          .test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
