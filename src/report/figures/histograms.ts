/**
 * The score histograms: per method, the normal and the anomalous scores on
 * shared bins, each class normalised to unit area.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { histogramFigures } from "./histograms.ts";
 *
 * const figs = histogramFigures({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 1],
 * }, 4);
 * assert.deepEqual(figs.plotly.map((f) => f.id), ["fig-hist-0"]);
 * ```
 *
 * @module
 */
import type { ReportMethod, ReportRun } from "../report_run.ts";
import { type ScoreHistogram, scoreHistogram } from "../score_histogram.ts";
import {
  type FigureSet,
  FONT,
  type PlotlyFigure,
  r6,
  type SvgFigure,
} from "./figure.ts";

const NORMAL = "normal / ID";
const ANOMALOUS = "anomalous / OOD";
const COLOURS = { normal: "#1f77b4", anomalous: "#d62728" };
const SCORE_TITLE = "score (higher = more anomalous)";

/** One method's histogram as bar centres and per-class densities. */
interface Densities {
  h: ScoreHistogram;
  centres: number[];
  normal: number[];
  anomalous: number[];
}

function densities(h: ScoreHistogram, bins: number): Densities {
  const d: Densities = { h, centres: [], normal: [], anomalous: [] };
  for (let b = 0; b < bins; b++) {
    const w = h.edges[b + 1] - h.edges[b];
    d.centres.push(r6((h.edges[b] + h.edges[b + 1]) / 2));
    d.normal.push(r6(h.nNormal > 0 ? h.normal[b] / (h.nNormal * w) : 0));
    d.anomalous.push(
      r6(h.nAnomalous > 0 ? h.anomalous[b] / (h.nAnomalous * w) : 0),
    );
  }
  return d;
}

/** The SVG's data rows of one method: a normal and an anomalous row per bin. */
function rows(m: ReportMethod, d: Densities): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  d.centres.forEach((_, b) => {
    const x0 = r6(d.h.edges[b]);
    const x1 = r6(d.h.edges[b + 1]);
    out.push(
      { method: m.name, class: NORMAL, x0, x1, density: d.normal[b] },
      { method: m.name, class: ANOMALOUS, x0, x1, density: d.anomalous[b] },
    );
  });
  return out;
}

function histogramPlotly(
  m: ReportMethod,
  k: number,
  d: Densities,
): PlotlyFigure {
  const width = r6(d.h.edges[1] - d.h.edges[0]);
  const bars = (name: string, y: number[], color: string) => ({
    type: "bar",
    name,
    x: d.centres,
    y,
    width,
    marker: { color },
    opacity: 0.55,
  });
  return {
    id: `fig-hist-${k}`,
    section: "histograms",
    title: m.name,
    data: [
      bars(`${NORMAL} (${d.h.nNormal})`, d.normal, COLOURS.normal),
      bars(`${ANOMALOUS} (${d.h.nAnomalous})`, d.anomalous, COLOURS.anomalous),
    ],
    layout: {
      title: { text: m.name, x: 0.02, xanchor: "left" },
      barmode: "overlay",
      bargap: 0,
      xaxis: { title: { text: SCORE_TITLE } },
      yaxis: { title: { text: "density" } },
      legend: { x: 0.98, xanchor: "right", y: 0.98 },
      height: 320,
      margin: { t: 45, r: 20, b: 55, l: 60 },
      font: FONT,
    },
  };
}

function histogramSvg(
  run: ReportRun,
  values: Record<string, unknown>[],
): SvgFigure {
  return {
    file: "histograms",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: "Score distributions (shared bins per method)",
      data: { values },
      facet: {
        field: "method",
        type: "nominal",
        title: null,
        sort: run.methods.map((m) => m.name),
      },
      columns: 2,
      spec: {
        width: 280,
        height: 160,
        mark: { type: "rect", opacity: 0.55 },
        encoding: {
          x: { field: "x0", type: "quantitative", title: SCORE_TITLE },
          x2: { field: "x1" },
          y: { field: "density", type: "quantitative", title: "density" },
          color: {
            field: "class",
            type: "nominal",
            title: null,
            scale: {
              domain: [NORMAL, ANOMALOUS],
              range: [COLOURS.normal, COLOURS.anomalous],
            },
          },
        },
      },
      resolve: { scale: { x: "independent", y: "independent" } },
    },
  };
}

/**
 * The score histograms of a run: one page figure per method
 * (`fig-hist-<k>`, the two classes overlaid as densities on
 * {@linkcode scoreHistogram}'s shared bins) and one faceted static
 * `histograms` spec.
 *
 * @param run The run.
 * @param bins Bins per method.
 * @returns One Plotly figure per method and one SVG spec.
 *
 * @example Each class's density integrates to 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { histogramFigures } from "./histograms.ts";
 *
 * const { plotly } = histogramFigures({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0, 0.1, 0.8, 1], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 0, 1, 1],
 * }, 5);
 * const bars = plotly[0].data[0] as { y: number[]; width: number };
 * assert.ok(Math.abs(bars.y.reduce((a, b) => a + b, 0) * bars.width - 1) < 1e-4);
 * ```
 */
export function histogramFigures(run: ReportRun, bins: number): FigureSet {
  const plotly: PlotlyFigure[] = [];
  const values: Record<string, unknown>[] = [];
  run.methods.forEach((m, k) => {
    const d = densities(
      scoreHistogram(m.scores, run.isAnomaly, { bins }),
      bins,
    );
    values.push(...rows(m, d));
    plotly.push(histogramPlotly(m, k, d));
  });
  return { plotly, svg: [histogramSvg(run, values)] };
}
