/**
 * The training curves: per-epoch total loss, reconstruction and KL / prior
 * term of every model.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingFigures } from "./training.ts";
 *
 * const figs = trainingFigures({
 *   title: "demo",
 *   methods: [],
 *   isAnomaly: [],
 *   training: [{ name: "VAE", history: [{ epoch: 0, loss: 3, rec: 2, kl: 1 }] }],
 * });
 * assert.deepEqual(figs.plotly.map((f) => f.id), [
 *   "fig-train-loss",
 *   "fig-train-rec",
 *   "fig-train-kl",
 * ]);
 * ```
 *
 * @module
 */
import type { ReportRun, ReportTraining } from "../report_run.ts";
import {
  type FigureSet,
  FONT,
  PALETTE,
  type PlotlyFigure,
  r6,
  type SvgFigure,
} from "./figure.ts";

/** The plotted terms, in page and facet order. */
const TERMS = ["loss", "rec", "kl"] as const;

const TERM_TITLES: Record<typeof TERMS[number], string> = {
  loss: "total loss",
  rec: "reconstruction",
  kl: "KL / prior term",
};

function termPlotly(
  training: ReportTraining[],
  key: typeof TERMS[number],
): PlotlyFigure {
  let allPositive = true;
  const traces = training.map((t, k) => {
    const ys = t.history.map((h) => r6(h[key]));
    if (ys.some((v) => !(v > 0))) allPositive = false;
    return {
      type: "scatter",
      mode: "lines+markers",
      name: t.name,
      x: t.history.map((h) => h.epoch),
      y: ys,
      line: { color: PALETTE[k % PALETTE.length] },
      marker: { size: 4 },
    };
  });
  return {
    id: `fig-train-${key}`,
    section: "training",
    title: key,
    data: traces,
    layout: {
      title: { text: TERM_TITLES[key], x: 0.02, xanchor: "left" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: key }, type: allPositive ? "log" : "linear" },
      height: 300,
      margin: { t: 45, r: 20, b: 50, l: 70 },
      font: FONT,
    },
  };
}

function trainingSvg(training: ReportTraining[]): SvgFigure {
  const values = TERMS.flatMap((key) =>
    training.flatMap((t) =>
      t.history.map((h) => ({
        model: t.name,
        epoch: h.epoch,
        metric: key,
        value: r6(h[key]),
      }))
    )
  );
  return {
    file: "training",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: "Training curves",
      data: { values },
      facet: {
        column: {
          field: "metric",
          type: "nominal",
          title: null,
          sort: [...TERMS],
        },
      },
      spec: {
        width: 220,
        height: 180,
        mark: { type: "line", point: { size: 12 } },
        encoding: {
          x: { field: "epoch", type: "quantitative", title: "epoch" },
          y: {
            field: "value",
            type: "quantitative",
            title: null,
            scale: { zero: false },
          },
          color: {
            field: "model",
            type: "nominal",
            title: null,
            scale: { domain: training.map((t) => t.name), range: PALETTE },
          },
        },
      },
      resolve: { scale: { y: "independent" } },
    },
  };
}

/**
 * The training curves of a run: page figures `fig-train-loss`,
 * `fig-train-rec` and `fig-train-kl` (one trace per model; a log y axis
 * where every value is positive) and one faceted static `training` spec;
 * nothing when the run has no training histories.
 *
 * @param run The run; only `run.training` is read.
 * @returns Three Plotly figures and one SVG spec, or none.
 *
 * @example No histories, no figures
 * ```ts
 * import assert from "node:assert/strict";
 * import { trainingFigures } from "./training.ts";
 *
 * const figs = trainingFigures({ title: "demo", methods: [], isAnomaly: [] });
 * assert.deepEqual(figs, { plotly: [], svg: [] });
 * ```
 */
export function trainingFigures(run: ReportRun): FigureSet {
  const training = run.training ?? [];
  if (training.length === 0) return { plotly: [], svg: [] };
  return {
    plotly: TERMS.map((key) => termPlotly(training, key)),
    svg: [trainingSvg(training)],
  };
}
