/**
 * Writing an {@linkcode EvaluationResult}: a Markdown table, a CSV of
 * per-sample scores and a JSON record.
 *
 * @module
 */
import type { EvaluationResult } from "./types.ts";
import { writeFileAtomic } from "../model/io.ts";
import {
  formatResultsTable,
  type MethodResult,
  RESULTS_COLUMNS,
  TIMING_COLUMNS,
} from "../report/results_table.ts";

/**
 * The result as a Markdown table ({@linkcode formatResultsTable} with the
 * timing columns and compact headers), one row per method, `mean ± std`
 * over seeds when there are several, `n/a` for a diverged row's metrics.
 * The header names both FPR95 conventions:
 * "FPR95 (OOD positive)" is the paper's (`fpr95`), "FPR95 (ID positive)"
 * the ODIN / KNN / CIDER papers' (`fpr95Id`).
 *
 * @param result What `evaluate` returned.
 * @returns The Markdown text, ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, evaluationMarkdown } from "@hsvae/hsvae";
 *
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], k: 1, progress: "none" });
 * const md = evaluationMarkdown(result);
 * assert.match(md, /\| kNN \(pixels\) \| 1\.0000 \|/);
 * assert.match(md, /FPR95 \(OOD positive\)/);
 * assert.match(md, /FPR95 \(ID positive\)/);
 * ```
 */
export function evaluationMarkdown(result: EvaluationResult): string {
  const p = result.protocol;
  const n = result.seeds.length;
  const head = `# Anomaly detection: ${
    p.name ?? "evaluation"
  }\n\nTrain ${p.nTrain} images (${
    p.inputShape.join("x")
  }); test ${p.nTestNormal} normal + ${p.nTestAnomaly} anomalous; ${
    p.semiSupervised ? "semi-supervised (class roll)" : "unsupervised"
  }; seeds ${result.seeds.join(", ")}${n > 1 ? " (mean ± sample std)" : ""}.`;
  const methods: MethodResult[] = result.rows.map((row) => ({
    name: row.label,
    ...row.mean,
    seeds: n > 1 ? { mean: { ...row.mean }, std: { ...row.std } } : undefined,
  }));
  const table = formatResultsTable(methods, {
    format: "markdown",
    columns: [...RESULTS_COLUMNS, ...TIMING_COLUMNS],
    headers: "short",
    notes: false,
  });
  const notes =
    "FPR95 (OOD positive): fraction of normal / ID samples flagged at the threshold that detects 95% of the anomalies (the paper's convention). " +
    "FPR95 (ID positive): fraction of anomalies accepted at the threshold that accepts 95% of the normal samples (ODIN / KNN / CIDER). " +
    "Train s is the row's model (shared by its rows); Score s includes encoding the test set.";
  return `${head}\n\n${table}\n${notes}\n`;
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The per-sample test scores as CSV: columns `id`, `label` (1 = anomaly /
 * OOD), `class` (the dataset label, empty when none), then one column per
 * method (higher = more anomalous), named by its id, or `<id>@seed<s>` for
 * each seed when there are several.
 *
 * @param result What `evaluate` returned.
 * @returns The CSV text with a header line, one line per test image.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, evaluationCsv } from "@hsvae/hsvae";
 *
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], k: 1, progress: "none" });
 * const lines = evaluationCsv(result).trim().split("\n");
 * assert.equal(lines[0], "id,label,class,knn-pixels");
 * assert.equal(lines[2], "1,1,,0.699999988");
 * ```
 */
export function evaluationCsv(result: EvaluationResult): string {
  const cols: Array<[string, Float32Array]> = [];
  for (const row of result.rows) {
    const per = result.scores[row.method] ?? [];
    per.forEach((s, i) =>
      cols.push([
        result.seeds.length > 1
          ? `${row.method}@seed${result.seeds[i]}`
          : row.method,
        s,
      ])
    );
  }
  const out = [["id", "label", "class", ...cols.map((c) => c[0])].join(",")];
  const labels = result.testLabels;
  for (let i = 0; i < result.testIsAnomaly.length; i++) {
    const fields = [
      csvField(result.testIds[i]),
      String(result.testIsAnomaly[i]),
      labels ? String(labels[i]) : "",
    ];
    for (const [, s] of cols) fields.push(String(+s[i].toPrecision(9)));
    out.push(fields.join(","));
  }
  return out.join("\n") + "\n";
}

/**
 * The result as JSON, without the per-sample scores (they are in
 * `scores.csv`) and the paths written (`files`); typed arrays become plain
 * arrays, NaN becomes `null`.
 *
 * @param result What `evaluate` returned.
 * @returns Pretty-printed JSON text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, evaluationJson } from "@hsvae/hsvae";
 *
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], k: 1, progress: "none" });
 * const back = JSON.parse(evaluationJson(result));
 * assert.equal(back.format, "hsvae-evaluation");
 * assert.equal(back.rows[0].mean.auroc, 1);
 * assert.deepEqual(back.testIsAnomaly, [0, 1]);
 * ```
 */
export function evaluationJson(result: EvaluationResult): string {
  const { scores: _scores, files: _files, ...rest } = result;
  return JSON.stringify(
    { ...rest, scores: "scores.csv" },
    (_key, value) =>
      ArrayBuffer.isView(value) && !(value instanceof DataView)
        ? Array.from(value as unknown as ArrayLike<number>)
        : value,
    2,
  ) + "\n";
}

/**
 * Writes `results.json` ({@linkcode evaluationJson}), `results.md`
 * ({@linkcode evaluationMarkdown}) and `scores.csv`
 * ({@linkcode evaluationCsv}) into `outDir` (created if needed), each
 * atomically.
 *
 * @param result What `evaluate` returned.
 * @param outDir The folder.
 * @returns The three paths, in that order.
 * @throws {Deno.errors.PermissionDenied} When the folder cannot be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, writeEvaluation } from "@hsvae/hsvae";
 *
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], k: 1, progress: "none" });
 * const dir = await Deno.makeTempDir();
 * const paths = await writeEvaluation(result, dir);
 * assert.equal(paths[1], `${dir}/results.md`);
 * assert.match(await Deno.readTextFile(paths[1]), /AUROC/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeEvaluation(
  result: EvaluationResult,
  outDir: string,
): Promise<string[]> {
  await Deno.mkdir(outDir, { recursive: true });
  const files: Array<[string, string]> = [
    [`${outDir}/results.json`, evaluationJson(result)],
    [`${outDir}/results.md`, evaluationMarkdown(result)],
    [`${outDir}/scores.csv`, evaluationCsv(result)],
  ];
  for (const [path, text] of files) await writeFileAtomic(path, text);
  return files.map(([path]) => path);
}
