/**
 * All figures of a report, in page order: ROC, score histograms, training
 * curves, latent sphere.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildFigures } from "./build_figures.ts";
 *
 * const figs = buildFigures({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 1],
 * }, 4);
 * assert.deepEqual(figs.svg.map((f) => f.file), ["roc", "histograms"]);
 * ```
 *
 * @module
 */
import type { ReportRun } from "../report_run.ts";
import type { FigureSet } from "./figure.ts";
import { histogramFigures } from "./histograms.ts";
import { rocFigures } from "./roc.ts";
import { sphereFigures } from "./sphere.ts";
import { trainingFigures } from "./training.ts";

/**
 * All figures of a run, for Plotly (the page) and Vega-Lite (the SVG
 * files), built from the same prepared arrays so the two show the same
 * numbers: {@linkcode rocFigures}, {@linkcode histogramFigures},
 * {@linkcode trainingFigures} (when the run has training histories) and
 * {@linkcode sphereFigures} (when it has sphere views), in that order.
 *
 * @param run The run (validated by the caller).
 * @param bins Histogram bins per method.
 * @returns The page's figures and the SVG specs, in order.
 *
 * @example One method, no extras: one ROC and one histogram figure
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildFigures } from "./build_figures.ts";
 *
 * const { plotly } = buildFigures({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 1],
 * }, 4);
 * assert.deepEqual(plotly.map((f) => f.id), ["fig-roc", "fig-hist-0"]);
 * ```
 */
export function buildFigures(run: ReportRun, bins: number): FigureSet {
  const sets = [
    rocFigures(run),
    histogramFigures(run, bins),
    trainingFigures(run),
    sphereFigures(run),
  ];
  return {
    plotly: sets.flatMap((s) => s.plotly),
    svg: sets.flatMap((s) => s.svg),
  };
}
