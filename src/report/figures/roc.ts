/**
 * The ROC figure: one curve per method (OOD = positive class), thinned for
 * plotting, with the chance line and a mark at TPR = 0.95.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rocFigures } from "./roc.ts";
 *
 * const figs = rocFigures({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 1],
 * });
 * assert.deepEqual(figs.plotly.map((f) => f.id), ["fig-roc"]);
 * ```
 *
 * @module
 */
import { rocCurve } from "../../metrics.ts";
import type { ReportRun } from "../report_run.ts";
import {
  type FigureSet,
  FONT,
  PALETTE,
  type PlotlyFigure,
  r6,
  type SvgFigure,
} from "./figure.ts";

/**
 * ROC points thinned for plotting: keeps the first and last point and every
 * point that moved more than `step` in fpr or tpr since the last kept one
 * (the drawn curve stays within `step` of the full one), plus the corner
 * before each jump so steps stay steps. Values are rounded to 6 significant
 * digits.
 *
 * @param fpr False-positive rates, from `rocCurve`.
 * @param tpr True-positive rates, same length.
 * @param step The largest move in fpr or tpr left undrawn.
 * @returns The kept points.
 *
 * @example A diagonal of 11 points at step 0.25
 * ```ts
 * import assert from "node:assert/strict";
 * import { thinRoc } from "./roc.ts";
 *
 * const f = Array.from({ length: 11 }, (_, i) => i / 10);
 * const th = thinRoc(f, f, 0.25);
 * assert.deepEqual(th.fpr, [0, 0.2, 0.3, 0.5, 0.6, 0.8, 0.9, 1]);
 * ```
 */
export function thinRoc(
  fpr: ArrayLike<number>,
  tpr: ArrayLike<number>,
  step = 0.001,
): { fpr: number[]; tpr: number[] } {
  const n = fpr.length;
  const f = [fpr[0]];
  const t = [tpr[0]];
  for (let i = 1; i < n; i++) {
    const last = f.length - 1;
    if (
      i === n - 1 || Math.abs(fpr[i] - f[last]) > step ||
      Math.abs(tpr[i] - t[last]) > step
    ) {
      // keep the corner before a jump so steps stay steps
      if (i > 1 && (f[last] !== fpr[i - 1] || t[last] !== tpr[i - 1])) {
        f.push(fpr[i - 1]);
        t.push(tpr[i - 1]);
      }
      f.push(fpr[i]);
      t.push(tpr[i]);
    }
  }
  return { fpr: f.map(r6), tpr: t.map(r6) };
}

/** One method's thinned curve, labelled with its AUROC. */
interface Curve {
  label: string;
  fpr: number[];
  tpr: number[];
}

function curves(run: ReportRun): Curve[] {
  return run.methods.map((m) => {
    const roc = rocCurve(m.scores, run.isAnomaly);
    const th = thinRoc(roc.fpr, roc.tpr);
    return {
      label: `${m.name} (AUROC ${m.auroc.toFixed(3)})`,
      fpr: th.fpr,
      tpr: th.tpr,
    };
  });
}

const FPR_TITLE = "FPR: fraction of ID samples flagged";
const TPR_TITLE = "TPR: fraction of OOD samples flagged";

function rocPlotly(cs: Curve[]): PlotlyFigure {
  const traces: Record<string, unknown>[] = cs.map((c, k) => ({
    type: "scatter",
    mode: "lines",
    name: c.label,
    x: c.fpr,
    y: c.tpr,
    line: { color: PALETTE[k % PALETTE.length], width: 2 },
  }));
  traces.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [0, 1],
    y: [0, 1],
    line: { color: "#999", dash: "dot", width: 1 },
    hoverinfo: "skip",
  });
  return {
    id: "fig-roc",
    section: "roc",
    title: "ROC curves (OOD positive)",
    data: traces,
    layout: {
      title: {
        text: "ROC curves (OOD = positive class)",
        x: 0.02,
        xanchor: "left",
      },
      xaxis: { title: { text: FPR_TITLE }, range: [0, 1] },
      yaxis: { title: { text: TPR_TITLE }, range: [0, 1.01] },
      shapes: [{
        type: "line",
        x0: 0,
        x1: 1,
        y0: 0.95,
        y1: 0.95,
        line: { color: "#bbb", dash: "dash", width: 1 },
      }],
      legend: { x: 0.98, xanchor: "right", y: 0.02, yanchor: "bottom" },
      height: 480,
      margin: { t: 50, r: 20, b: 60, l: 70 },
      font: FONT,
    },
  };
}

function rocSvg(cs: Curve[]): SvgFigure {
  const rows = cs.flatMap((c) =>
    c.fpr.map((f, i) => ({ method: c.label, fpr: f, tpr: c.tpr[i], i }))
  );
  const axis = (field: string, title: string) => ({
    field,
    type: "quantitative",
    title,
    scale: { domain: [0, 1] },
  });
  return {
    file: "roc",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: "ROC curves (OOD = positive class)",
      width: 360,
      height: 360,
      data: { values: rows },
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: {
        x: axis("fpr", FPR_TITLE),
        y: axis("tpr", TPR_TITLE),
        color: {
          field: "method",
          type: "nominal",
          title: null,
          scale: { domain: cs.map((c) => c.label), range: PALETTE },
          legend: { orient: "bottom-right", labelLimit: 400 },
        },
        order: { field: "i", type: "quantitative" },
      },
    },
  };
}

/**
 * The ROC figure of a run: the page's `fig-roc` (every method's curve, the
 * chance line, a dashed line at TPR = 0.95 where the OOD-positive FPR95 is
 * read) and the static `roc` spec.
 *
 * @param run The run; each method's legend entry shows its AUROC.
 * @returns One Plotly figure and one SVG spec.
 *
 * @example Two methods give two curves plus the chance line
 * ```ts
 * import assert from "node:assert/strict";
 * import { rocFigures } from "./roc.ts";
 *
 * const m = (name: string, scores: number[]) =>
 *   ({ name, scores, auroc: 1, fpr95: 0, fpr95Id: 0 });
 * const { plotly, svg } = rocFigures({
 *   title: "demo",
 *   methods: [m("a", [0, 1]), m("b", [0.2, 0.7])],
 *   isAnomaly: [0, 1],
 * });
 * assert.equal(plotly[0].data.length, 3);
 * assert.equal(svg[0].file, "roc");
 * ```
 */
export function rocFigures(run: ReportRun): FigureSet {
  const cs = curves(run);
  return { plotly: [rocPlotly(cs)], svg: [rocSvg(cs)] };
}
