import { assert, assertClose, deepEqual, equal, ok } from "../_assert.ts";
import { tf } from "../../src/tf.ts";
import { loadBundled } from "../../src/data/fashion_mnist.ts";
import { oneClass } from "../../src/data/protocols.ts";
import type { ProtocolSplit } from "../../src/data/protocols.ts";
import { ShapeError } from "../../src/errors.ts";
import {
  evaluate,
  type EvaluationProgress,
  METHOD_IDS,
} from "../../src/evaluate/mod.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

// One-class "Trouser" (class 1) on the bundled subset: 300 normal training
// images, 400 test images (stratified: 40 normal, 360 anomalous).
let cached: ProtocolSplit | undefined;
async function trouser(): Promise<ProtocolSplit> {
  cached ??= oneClass(await loadBundled(), 1, {
    trainLimit: 300,
    testLimit: 400,
    seed: 0,
  });
  return cached;
}

const TINY = {
  epochs: 2,
  latentDim: 16,
  widths: [4, 8],
  batchSize: 100,
  progress: "none",
} as const;

/** Mean distance to the 3 nearest training rows, float64, brute force. */
function knnScore(
  train: Float32Array,
  rows: number,
  q: Float32Array,
): number {
  const d = q.length;
  const dist: number[] = [];
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += (q[j] - train[i * d + j]) ** 2;
    dist.push(Math.sqrt(s));
  }
  dist.sort((a, b) => a - b);
  return (dist[0] + dist[1] + dist[2]) / 3;
}

/** Parses our CSV (no quoted fields in these files). */
function parseCsv(text: string): string[][] {
  return text.trim().split("\n").map((l) => l.split(","));
}

Deno.test("`evaluate()` produces every row on bundled Fashion-MNIST and writes the three files", async () => {
  const p = await trouser();
  const dir = await Deno.makeTempDir();
  const events: EvaluationProgress[] = [];
  const before = tf.memory().numTensors;
  const result = await evaluate(
    { ...p, name: "fashion-mnist one-class 1" },
    { ...TINY, outDir: dir, onProgress: (e) => events.push(e) },
  );
  // no tensor leaks through training, encoding, kNN and disposal
  equal(tf.memory().numTensors, before);

  deepEqual(result.rows.map((r) => r.method), [...METHOD_IDS]);
  for (const row of result.rows) {
    for (const key of ["auroc", "fpr95", "fpr95Id", "auprIn", "auprOut"]) {
      const v = row.mean[key as "auroc"];
      ok(v >= 0 && v <= 1, `${row.method} ${key} = ${v}`);
    }
    ok(row.mean.fitSeconds >= 0 && row.mean.scoreSeconds > 0, row.method);
    equal(row.perSeed.length, 1);
    equal(row.std.auroc, 0);
    equal(result.scores[row.method]![0].length, 400);
  }
  const byId = Object.fromEntries(result.rows.map((r) => [r.method, r]));
  ok(
    byId["knn-pixels"].mean.auroc > 0.9,
    `pixel kNN AUROC ${byId["knn-pixels"].mean.auroc}`,
  );
  equal(byId["knn-pixels"].mean.trainSeconds, 0);
  ok(byId["compvae-knn"].mean.trainSeconds > 0);

  // pixel kNN scores match a float64 brute-force search (float32 matmul:
  // about 1e-4 relative error on distances of ~10)
  const f = 28 * 28;
  const knn = result.scores["knn-pixels"]![0];
  for (const i of [0, 1, 57, 399]) {
    const expected = knnScore(
      p.train.images,
      300,
      p.test.images.subarray(i * f, (i + 1) * f),
    );
    assertClose(knn[i], expected, { rtol: 1e-4 }, `test image ${i}`);
  }

  // one model per model-using group, each trained once; the controls too
  deepEqual(
    events.filter((e) => e.kind === "model").map((e) =>
      e.kind === "model" ? e.model : ""
    ),
    ["ae", "vae", "vmf", "compvae", "radius", "random"],
  );
  equal(events.filter((e) => e.kind === "method").length, 12);
  for (const m of ["ae", "vae", "vmf", "compvae", "radius"] as const) {
    equal(result.histories[m]!.length, 1);
    equal(result.histories[m]![0].length, 2);
  }
  equal(result.histories.random, undefined);
  // baselines use the paper preset (beta 1 schedule), Comp.VAE the authors'
  // (auto-tuned beta in epoch 1) with the Fashion-MNIST G_sig
  equal(result.histories.vae![0][1].beta, 1);
  ok(result.histories.compvae![0][1].beta !== 1);
  equal(result.settings.sigmaAngleGain, 2.25e5);
  equal(result.settings.baselinePreset, "paper");

  // sphere points: unit vectors for the VAE and Comp.VAE test mus
  for (const m of ["vae", "vmf", "compvae"] as const) {
    const s = result.sphere[m]!;
    equal(s.length, 400 * 3);
    for (let i = 0; i < 400; i += 37) {
      assertClose(Math.hypot(s[3 * i], s[3 * i + 1], s[3 * i + 2]), 1, {
        atol: 1e-6,
      });
    }
  }

  // the files, parsed back
  const csv = parseCsv(await Deno.readTextFile(`${dir}/scores.csv`));
  deepEqual(csv[0], ["id", "label", "class", ...METHOD_IDS]);
  equal(csv.length, 401);
  for (let i = 0; i < 400; i++) {
    equal(Number(csv[i + 1][1]), p.testIsAnomaly[i]);
    equal(Number(csv[i + 1][2]), p.test.labels![i]);
    equal(csv[i + 1][0], p.test.ids![i]);
  }
  assertClose(Number(csv[1][3]), knn[0], { rtol: 1e-7 });
  const json = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
  equal(json.format, "hsvae-evaluation");
  deepEqual(
    json.rows.map((r: { method: string }) => r.method),
    [...METHOD_IDS],
  );
  equal(json.rows[0].mean.auroc, byId["knn-pixels"].mean.auroc);
  deepEqual(json.protocol, {
    name: "fashion-mnist one-class 1",
    semiSupervised: false,
    inputShape: [28, 28, 1],
    nTrain: 300,
    nTestNormal: 40,
    nTestAnomaly: 360,
  });
  equal(json.sphere.compvae.length, 1200);
  const md = await Deno.readTextFile(`${dir}/results.md`);
  const header = md.split("\n").find((l) => l.startsWith("| Method"))!;
  ok(header.includes("FPR95 (OOD positive)"), header);
  ok(header.includes("FPR95 (ID positive)"), header);
  equal(md.split("\n").filter((l) => l.startsWith("| ")).length, 14);
  ok(
    md.includes(
      `| kNN (pixels) | ${byId["knn-pixels"].mean.auroc.toFixed(4)} |`,
    ),
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("`evaluate()` reports mean ± std over seeds for a subset of methods", async () => {
  const p = await trouser();
  const trained: string[] = [];
  const result = await evaluate(p, {
    ...TINY,
    epochs: 1,
    methods: ["ae-knn", "iforest-pixels", "knn-pixels"],
    seeds: [0, 1],
    onProgress: (e) => {
      if (e.kind === "model") trained.push(`${e.model}@${e.seed}`);
    },
  });
  // table order, only the AE trained, once per seed
  deepEqual(result.rows.map((r) => r.method), [
    "knn-pixels",
    "iforest-pixels",
    "ae-knn",
  ]);
  deepEqual(trained, ["ae@0", "ae@1"]);
  deepEqual(Object.keys(result.histories), ["ae"]);
  deepEqual(Object.keys(result.sphere), []);
  for (const row of result.rows) {
    equal(row.perSeed.length, 2);
    const [a, b] = row.perSeed.map((m) => m.auroc);
    assertClose(row.mean.auroc, (a + b) / 2, { atol: 1e-15 });
    // sample std of two values: |a - b| / sqrt(2)
    assertClose(row.std.auroc, Math.abs(a - b) / Math.SQRT2, { atol: 1e-15 });
    ok(row.mean.auroc > 0.5, `${row.method} ${row.mean.auroc}`);
  }
  // pixel kNN does not depend on the seed; the forest and the AE do
  const s = result.scores;
  deepEqual(s["knn-pixels"]![0], s["knn-pixels"]![1]);
  equal(result.rows[0].std.auroc, 0);
  assert.notDeepEqual(s["iforest-pixels"]![0], s["iforest-pixels"]![1]);
  assert.notDeepEqual(s["ae-knn"]![0], s["ae-knn"]![1]);
});

Deno.test("`evaluate()` with jobs: 2 trains in workers and gives the jobs: 1 results", async () => {
  const p = await trouser();
  const methods = ["ae-mse", "compvae-knn", "random-knn"];
  const run = async (jobs: number) => {
    const epochs: string[] = [];
    const result = await evaluate(p, {
      ...TINY,
      epochs: 1,
      methods,
      seeds: [0, 1],
      jobs,
      train: { onEpoch: (log) => epochs.push(`${log.epoch}`) },
    });
    return { result, epochs };
  };
  const one = await run(1);
  const two = await run(2);
  deepEqual(two.result.rows.map((r) => r.method), methods);
  // 2 trained models x 2 seeds, one epoch each, reported from the workers
  deepEqual(two.epochs, ["0", "0", "0", "0"]);
  deepEqual(one.epochs, two.epochs);
  for (const m of methods) {
    for (const seed of [0, 1]) {
      const a = one.result.scores[m as "ae-mse"]![seed];
      const b = two.result.scores[m as "ae-mse"]![seed];
      // seeded training on a one-thread backend in a worker reproduces the
      // in-process (all-thread) run bit for bit: XNNPACK splits work across
      // threads by output tiles, never inside a sum
      deepEqual(b, a);
    }
    const row = (r: typeof one.result) => r.rows.find((x) => x.method === m)!;
    equal(row(two.result).mean.auroc, row(one.result).mean.auroc);
  }
  deepEqual(Object.keys(two.result.histories).sort(), ["ae", "compvae"]);
  equal(two.result.histories.compvae!.length, 2);
  equal(tf.getBackend(), "wasm");
});

Deno.test("`evaluate()` rejects bad methods, seeds and flags before training", async (t) => {
  const p = await trouser();
  await t.step("unknown method id lists the valid ids", async () => {
    try {
      await evaluate(p, { methods: ["knn-pixels", "ae-knn-typo"] });
      assert.fail("no error");
    } catch (e) {
      ok(e instanceof RangeError);
      ok((e as Error).message.includes('"ae-knn-typo"'), (e as Error).message);
      for (const id of METHOD_IDS) ok((e as Error).message.includes(id), id);
    }
  });
  await t.step("empty seeds", async () => {
    await assert.rejects(evaluate(p, { seeds: [] }), RangeError);
  });
  await t.step("one flag per test image", async () => {
    await assert.rejects(
      evaluate({ ...p, testIsAnomaly: p.testIsAnomaly.subarray(1) }),
      ShapeError,
    );
  });
  await t.step("a test set without normals", async () => {
    await assert.rejects(
      evaluate({ ...p, testIsAnomaly: new Uint8Array(400).fill(1) }),
      /needs normals and anomalies/,
    );
  });
});

Deno.test("`evaluate()` uses the class roll for the Comp.VAE rows only", async () => {
  const p = await trouser();
  // drop the labels: the roll then cannot run, the baselines do not care
  const unlabelled = {
    ...p,
    train: { images: p.train.images, shape: p.train.shape },
    semiSupervised: true,
  };
  const r = await evaluate(unlabelled, {
    ...TINY,
    epochs: 1,
    methods: ["vae-knn"],
  });
  equal(r.protocol.semiSupervised, true);
  ok(r.rows[0].mean.auroc > 0.5);
  await assert.rejects(
    evaluate(unlabelled, { ...TINY, epochs: 1, methods: ["compvae-knn"] }),
    (e: unknown) => e instanceof ShapeError && /no labels/.test(e.message),
  );
  // without semiSupervised the same unlabelled set trains the Comp.VAE
  const plain = await evaluate({ ...unlabelled, semiSupervised: false }, {
    ...TINY,
    epochs: 1,
    methods: ["compvae-knn"],
  });
  equal(plain.rows[0].method, "compvae-knn");
});

Deno.test("`evaluate()` with report writes the CLI's files into outDir and says where", async () => {
  const p = await trouser();
  const parent = await Deno.makeTempDir({ prefix: "hsvae_eval_report_" });
  const dir = `${parent}/out`;
  try {
    const result = await evaluate(
      { ...p, name: "trouser" },
      {
        ...TINY,
        epochs: 1,
        methods: ["knn-pixels", "vae-knn"],
        outDir: dir,
        report: true,
      },
    );
    const names = [
      "report-histograms.svg",
      "report-roc.svg",
      "report-sphere.svg",
      "report-training.svg",
      "report.html",
      "results.json",
      "results.md",
      "scores.csv",
    ];
    // nothing outside outDir, nothing else (no temp files) inside it
    const list = async (d: string) =>
      (await Array.fromAsync(Deno.readDir(d))).map((e) => e.name).sort();
    deepEqual(await list(parent), ["out"]);
    deepEqual(await list(dir), names);
    deepEqual(result.files, {
      dir,
      results: ["results.json", "results.md", "scores.csv"].map((f) =>
        `${dir}/${f}`
      ),
      report: {
        html: `${dir}/report.html`,
        svg: ["roc", "histograms", "training", "sphere"].map((f) =>
          `${dir}/report-${f}.svg`
        ),
      },
    });
    const html = await Deno.readTextFile(`${dir}/report.html`);
    ok(html.includes("<title>trouser</title>"));
    ok(
      html.includes('data-figures="7"'),
      "roc, 2 histograms, 3 training, 1 sphere",
    );
    ok(html.includes("FPR95 (OOD positive)"));
    // the paths are not part of results.json
    const json = JSON.parse(await Deno.readTextFile(`${dir}/results.json`));
    equal(json.files, undefined);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("`evaluate()` rejects a bad outDir or report before training, naming the option", async (t) => {
  const p = await trouser();
  const trained: string[] = [];
  const options = {
    ...TINY,
    methods: ["vae-knn"],
    onProgress: (e: EvaluationProgress) => trained.push(e.kind),
  };
  await t.step("report without outDir", async () => {
    await assert.rejects(
      evaluate(p, { ...options, report: true }),
      (e: unknown) =>
        e instanceof TypeError && /"report" needs "outDir"/.test(e.message),
    );
  });
  await t.step("an empty outDir", async () => {
    await assert.rejects(
      evaluate(p, { ...options, outDir: "" }),
      (e: unknown) =>
        e instanceof TypeError &&
        /"outDir" must be a folder path, got ""/.test(e.message),
    );
  });
  await t.step("an outDir below a file", async () => {
    const file = await Deno.makeTempFile();
    try {
      await assert.rejects(
        evaluate(p, { ...options, outDir: `${file}/out`, report: true }),
        (e: unknown) =>
          e instanceof Deno.errors.NotADirectory &&
          e.message.startsWith(
            `Cannot evaluate: cannot create "outDir" "${file}/out"`,
          ),
      );
    } finally {
      await Deno.remove(file);
    }
  });
  deepEqual(trained, []);
});
