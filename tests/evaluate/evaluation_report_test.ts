import { evaluationReport } from "../../src/evaluate/evaluation_report.ts";
import type { EvaluationResult } from "../../src/evaluate/types.ts";
import type { EpochLog } from "../../src/train.ts";
import { deepEqual, equal, ok } from "../_assert.ts";

function metrics(auroc: number) {
  return {
    auroc,
    fpr95: 0.1,
    fpr95Id: 0.2,
    auprIn: 0.3,
    auprOut: 0.4,
    trainSeconds: 1,
    fitSeconds: 1,
    scoreSeconds: 1,
  };
}

function result(seeds: number[]): EvaluationResult {
  // only the fields the report reads
  const epoch = { epoch: 0, loss: 3, rec: 2, kl: 1 } as unknown as EpochLog;
  return {
    format: "hsvae-evaluation",
    formatVersion: 1,
    protocol: {
      name: "toy",
      semiSupervised: false,
      inputShape: [1, 1, 3],
      nTrain: 2,
      nTestNormal: 1,
      nTestAnomaly: 1,
    },
    seeds,
    settings: {},
    rows: [{
      method: "vae-knn",
      label: "VAE + kNN",
      model: "vae",
      detector: "knn",
      mean: metrics(0.75),
      std: metrics(0.05),
      perSeed: seeds.map(() => metrics(0.75)),
    }],
    scores: { "vae-knn": seeds.map((s) => Float32Array.of(s, s + 1)) },
    testIsAnomaly: Uint8Array.of(0, 1),
    testLabels: null,
    testIds: ["0", "1"],
    histories: { vae: seeds.map(() => [epoch]) },
    sphere: { vae: Float32Array.of(1, 0, 0, 0, 1, 0) },
    seconds: 1,
  };
}

Deno.test("evaluationReport() maps rows, first-seed scores, curves and sphere views", () => {
  const run = evaluationReport(result([4, 5]));
  equal(run.title, "toy");
  equal(run.methods[0].name, "VAE + kNN");
  deepEqual([...run.methods[0].scores], [4, 5]); // the first seed's
  deepEqual(run.methods[0].seeds, {
    mean: { auroc: 0.75, fpr95: 0.1, fpr95Id: 0.2 },
    std: { auroc: 0.05, fpr95: 0.1, fpr95Id: 0.2 },
  });
  deepEqual(run.training?.map((t) => t.name), ["vae"]);
  equal(run.sphere?.[0].name, "VAE");
  deepEqual([...run.sphere![0].labels!], [0, 1]);
  equal(run.protocol?.seeds, "4, 5");
  ok(run.notes?.[0].includes("fpr95Id: ID positive"));
});

Deno.test("evaluationReport() takes a title and shows one seed without ±", () => {
  const run = evaluationReport(result([0]), { title: "mine" });
  equal(run.title, "mine");
  equal(run.methods[0].seeds, undefined);
  const unnamed = result([0]);
  unnamed.protocol.name = null;
  equal(evaluationReport(unnamed).title, "evaluation");
});
