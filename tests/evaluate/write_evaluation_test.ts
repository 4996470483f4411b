import type {
  EvaluationResult,
  MethodMetrics,
} from "../../src/evaluate/evaluate.ts";
import {
  evaluationCsv,
  evaluationJson,
  evaluationMarkdown,
} from "../../src/evaluate/write_evaluation.ts";
import { deepEqual, equal } from "../_assert.ts";

function metrics(auroc: number, t: number): MethodMetrics {
  return {
    auroc,
    fpr95: 0.25,
    fpr95Id: 0.5,
    auprIn: 0.75,
    auprOut: 1,
    trainSeconds: t,
    fitSeconds: 2 * t,
    scoreSeconds: 3 * t,
  };
}

/** Two seeds, two rows; the second row diverged (NaN metrics). */
function result(): EvaluationResult {
  return {
    format: "hsvae-evaluation",
    formatVersion: 1,
    protocol: {
      name: "toy",
      semiSupervised: false,
      inputShape: [2, 2, 1],
      nTrain: 4,
      nTestNormal: 2,
      nTestAnomaly: 1,
    },
    seeds: [0, 1],
    settings: {},
    rows: [
      {
        method: "knn-pixels",
        label: "kNN (pixels)",
        model: null,
        detector: "knn",
        mean: metrics(0.9, 0.123),
        std: metrics(0.05, 0.01),
        perSeed: [metrics(0.85, 0.123), metrics(0.95, 0.123)],
      },
      {
        method: "ae-knn",
        label: "AE + kNN",
        model: "ae",
        detector: "knn",
        mean: metrics(NaN, 1),
        std: metrics(NaN, 0),
        perSeed: [metrics(NaN, 1), metrics(0.5, 1)],
      },
    ],
    scores: {
      "knn-pixels": [Float32Array.of(0.1, 0.2, 0.9), Float32Array.of(0, 0, 1)],
    },
    testIsAnomaly: Uint8Array.of(0, 0, 1),
    testLabels: null,
    testIds: ["a", "b,c", "d"],
    histories: {},
    sphere: {},
    seconds: 1,
  };
}

Deno.test("evaluationMarkdown() writes the compact table with timings, ± over seeds and n/a", () => {
  equal(
    evaluationMarkdown(result()),
    [
      "# Anomaly detection: toy",
      "",
      "Train 4 images (2x2x1); test 2 normal + 1 anomalous; unsupervised; seeds 0, 1 (mean ± sample std).",
      "",
      "| Method | AUROC | FPR95 (OOD positive) | FPR95 (ID positive) | AUPR-In | AUPR-Out | Train s | Fit s | Score s |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      "| kNN (pixels) | 0.9000 ± 0.0500 | 0.2500 ± 0.2500 | 0.5000 ± 0.5000 | 0.7500 ± 0.7500 | 1.0000 ± 1.0000 | 0.12 ± 0.01 | 0.25 ± 0.02 | 0.37 ± 0.03 |",
      "| AE + kNN | n/a | 0.2500 ± 0.2500 | 0.5000 ± 0.5000 | 0.7500 ± 0.7500 | 1.0000 ± 1.0000 | 1.00 ± 0.00 | 2.00 ± 0.00 | 3.00 ± 0.00 |",
      "",
      "FPR95 (OOD positive): fraction of normal / ID samples flagged at the threshold that detects 95% of the anomalies (the paper's convention). FPR95 (ID positive): fraction of anomalies accepted at the threshold that accepts 95% of the normal samples (ODIN / KNN / CIDER). Train s is the row's model (shared by its rows); Score s includes encoding the test set.",
      "",
    ].join("\n"),
  );
});

Deno.test("evaluationMarkdown() shows single values with one seed", () => {
  const r = { ...result(), seeds: [0] };
  const row = evaluationMarkdown(r).split("\n")[6];
  equal(
    row,
    "| kNN (pixels) | 0.9000 | 0.2500 | 0.5000 | 0.7500 | 1.0000 | 0.12 | 0.25 | 0.37 |",
  );
});

Deno.test("evaluationCsv() quotes ids and names each seed's column", () => {
  deepEqual(evaluationCsv(result()).split("\n"), [
    "id,label,class,knn-pixels@seed0,knn-pixels@seed1",
    "a,0,,0.100000001,0",
    '"b,c",0,,0.200000003,0',
    "d,1,,0.899999976,1",
    "",
  ]);
});

Deno.test("evaluationJson() leaves the scores out and writes NaN as null", () => {
  const back = JSON.parse(evaluationJson(result()));
  equal(back.scores, "scores.csv");
  equal(back.rows[1].mean.auroc, null);
  deepEqual(back.testIsAnomaly, [0, 0, 1]);
});
