/**
 * The ablation table: {@linkcode evaluate} trains the AE, VAE and Comp.VAE
 * variants a selection of rows needs, scores the test set with k-NN,
 * Isolation Forest or reconstruction error, and reports AUROC, both FPR95
 * conventions and AUPR per row, optionally writing `results.json`,
 * `results.md`, `scores.csv` and the HTML report (`report: true`).
 *
 * @example The pixel k-NN row on a toy protocol
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluate, METHOD_IDS } from "@hsvae/hsvae";
 *
 * assert.equal(METHOD_IDS.length, 12);
 * const result = await evaluate({
 *   train: { images: Float32Array.from([0, 0.1, 0.2, 0.1]), shape: [4, 1, 1, 1] },
 *   test: { images: Float32Array.from([0.1, 0.9]), shape: [2, 1, 1, 1] },
 *   testIsAnomaly: [0, 1],
 * }, { methods: ["knn-pixels"], k: 1, progress: "none" });
 * assert.equal(result.rows[0].mean.auroc, 1);
 * ```
 *
 * @module
 */
export type {
  EvaluateOptions,
  EvaluationFiles,
  EvaluationProgress,
  EvaluationProtocol,
  EvaluationReportOptions,
  EvaluationResult,
  EvaluationRow,
  EvaluationTrainOptions,
  MethodMetrics,
} from "./types.ts";
export { evaluate } from "./evaluate.ts";
export { defaultSigmaAngleGain } from "./options.ts";
export type { DetectorKind, MethodId, MethodSpec, ModelId } from "./methods.ts";
export { METHOD_IDS, METHODS, selectMethods } from "./methods.ts";
export {
  evaluationCsv,
  evaluationJson,
  evaluationMarkdown,
  writeEvaluation,
} from "./write_evaluation.ts";
export { evaluationReport } from "./evaluation_report.ts";
