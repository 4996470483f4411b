/**
 * An {@linkcode EvaluationResult} as the report's plain-data run: what
 * `evaluate({ report })` and `hsvae eval` draw the HTML report from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, evaluationReport } from "../../mod.ts";
 *
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], k: 1, progress: "none" });
 * assert.equal(evaluationReport(result).methods[0].name, "kNN (pixels)");
 * ```
 *
 * @module
 */
import type { ReportRun } from "../report/report_run.ts";
import type { EvaluationReportOptions, EvaluationResult } from "./types.ts";

/** The sphere views' display names, by model. */
const MODEL_NAMES: Record<string, string> = {
  vae: "VAE",
  compvae: "Comp.VAE",
  vmf: "Comp.VAE (vMF)",
  ae: "AE",
};

/**
 * Maps an evaluation to the report's run: one method per row with the
 * first seed's scores and the mean metrics (`mean ± std` of AUROC and both
 * FPR95 conventions over several seeds), the first seed's training curves
 * per model, the sphere views coloured by the anomaly flag, the protocol
 * facts and notes naming the FPR95 conventions.
 *
 * @param result What `evaluate` returned.
 * @param options The title (default: the protocol's name, else
 *   `"evaluation"`).
 * @returns The run, for `writeReport` or `renderReportHtml`.
 *
 * @example Several seeds show mean ± std
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, evaluationReport, renderReportHtml } from "../../mod.ts";
 *
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], seeds: [0, 1], k: 1, progress: "none" });
 * const run = evaluationReport(result, { title: "toy" });
 * assert.deepEqual(run.methods[0].seeds?.std, { auroc: 0, fpr95: 0, fpr95Id: 0 });
 * const html = await renderReportHtml(run, { plotlyJs: "" });
 * assert.ok(html.includes("<td>1.0000 ± 0.0000</td>"));
 * ```
 */
export function evaluationReport(
  result: EvaluationResult,
  options: Pick<EvaluationReportOptions, "title"> = {},
): ReportRun {
  const seed0 = 0;
  const methods = result.rows.map((r) => ({
    name: r.label,
    scores: result.scores[r.method]?.[seed0] ?? new Float32Array(0),
    auroc: r.mean.auroc,
    fpr95: r.mean.fpr95,
    fpr95Id: r.mean.fpr95Id,
    auprIn: r.mean.auprIn,
    auprOut: r.mean.auprOut,
    seeds: result.seeds.length > 1
      ? {
        mean: {
          auroc: r.mean.auroc,
          fpr95: r.mean.fpr95,
          fpr95Id: r.mean.fpr95Id,
        },
        std: { auroc: r.std.auroc, fpr95: r.std.fpr95, fpr95Id: r.std.fpr95Id },
      }
      : undefined,
  }));
  const training = Object.entries(result.histories).flatMap(([model, runs]) =>
    runs && runs[0] ? [{ name: model, history: runs[0] }] : []
  );
  const sphere = Object.entries(result.sphere).flatMap(([model, points]) =>
    points
      ? [{
        name: MODEL_NAMES[model] ?? model,
        points,
        labels: result.testIsAnomaly,
      }]
      : []
  );
  return {
    title: options.title ?? result.protocol.name ?? "evaluation",
    protocol: { ...result.protocol, seeds: result.seeds.join(", ") },
    methods,
    isAnomaly: result.testIsAnomaly,
    training,
    sphere,
    notes: [
      "fpr95: OOD positive (the paper's own convention); fpr95Id: ID positive (ODIN / KNN / CIDER convention).",
      "Scores: higher = more anomalous. Evaluation runs the encoders in inference mode.",
    ],
  };
}
