/**
 * The report's figures as data (private): Plotly figures for the interactive
 * HTML page and Vega-Lite specs for the static SVG files, both built from the
 * same prepared arrays so the two show the same numbers.
 *
 * @module
 */
import { rocCurve } from "../metrics.ts";
import { scoreHistogram } from "./score_histogram.ts";
import type { ReportRun } from "./write_report.ts";

/** A Plotly figure placed in the page's element `id`. */
export interface PlotlyFigure {
  id: string;
  section: "roc" | "histograms" | "training" | "sphere";
  title: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** A Vega-Lite spec written to `<name>-<file>.svg`. */
export interface SvgFigure {
  file: string;
  spec: Record<string, unknown>;
}

/** Rounds to 6 significant digits so the page stays small. */
function r6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}

/**
 * ROC points thinned for plotting: keeps the first and last point and every
 * point that moved more than `step` in fpr or tpr since the last kept one
 * (the drawn curve stays within `step` of the full one).
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

/** Lambert cylindrical equal-area coordinates of unit vectors: (longitude in degrees, z). */
export function equalAreaProjection(
  points: ArrayLike<number>,
): { lon: number[]; z: number[] } {
  const lon: number[] = [];
  const z: number[] = [];
  for (let i = 0; i + 2 < points.length; i += 3) {
    lon.push(r6((Math.atan2(points[i + 1], points[i]) * 180) / Math.PI));
    z.push(r6(points[i + 2]));
  }
  return { lon, z };
}

const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

const FONT = { family: "DejaVu Sans, Helvetica, Arial, sans-serif" };

/** All figures of a run, for Plotly (page) and Vega-Lite (SVG files). */
export function buildFigures(
  run: ReportRun,
  bins: number,
): { plotly: PlotlyFigure[]; svg: SvgFigure[] } {
  const plotly: PlotlyFigure[] = [];
  const svg: SvgFigure[] = [];
  const y = run.isAnomaly;

  // ROC
  const rocRows: Record<string, unknown>[] = [];
  const rocTraces: Record<string, unknown>[] = [];
  const rocLabels: string[] = [];
  run.methods.forEach((m, k) => {
    const roc = rocCurve(m.scores, y);
    const th = thinRoc(roc.fpr, roc.tpr);
    const label = `${m.name} (AUROC ${m.auroc.toFixed(3)})`;
    rocLabels.push(label);
    rocTraces.push({
      type: "scatter",
      mode: "lines",
      name: label,
      x: th.fpr,
      y: th.tpr,
      line: { color: PALETTE[k % PALETTE.length], width: 2 },
    });
    th.fpr.forEach((f, i) =>
      rocRows.push({ method: label, fpr: f, tpr: th.tpr[i], i })
    );
  });
  rocTraces.push({
    type: "scatter",
    mode: "lines",
    name: "chance",
    x: [0, 1],
    y: [0, 1],
    line: { color: "#999", dash: "dot", width: 1 },
    hoverinfo: "skip",
  });
  plotly.push({
    id: "fig-roc",
    section: "roc",
    title: "ROC curves (OOD positive)",
    data: rocTraces,
    layout: {
      title: {
        text: "ROC curves (OOD = positive class)",
        x: 0.02,
        xanchor: "left",
      },
      xaxis: {
        title: { text: "FPR: fraction of ID samples flagged" },
        range: [0, 1],
      },
      yaxis: {
        title: { text: "TPR: fraction of OOD samples flagged" },
        range: [0, 1.01],
      },
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
  });
  svg.push({
    file: "roc",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: "ROC curves (OOD = positive class)",
      width: 360,
      height: 360,
      data: { values: rocRows },
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: {
        x: {
          field: "fpr",
          type: "quantitative",
          title: "FPR: fraction of ID samples flagged",
          scale: { domain: [0, 1] },
        },
        y: {
          field: "tpr",
          type: "quantitative",
          title: "TPR: fraction of OOD samples flagged",
          scale: { domain: [0, 1] },
        },
        color: {
          field: "method",
          type: "nominal",
          title: null,
          scale: { domain: rocLabels, range: PALETTE },
          legend: { orient: "bottom-right", labelLimit: 400 },
        },
        order: { field: "i", type: "quantitative" },
      },
    },
  });

  // score histograms, normal vs anomalous, density on shared bins
  const histRows: Record<string, unknown>[] = [];
  run.methods.forEach((m, k) => {
    const h = scoreHistogram(m.scores, y, { bins });
    const centres: number[] = [];
    const dn: number[] = [];
    const da: number[] = [];
    for (let b = 0; b < bins; b++) {
      const w = h.edges[b + 1] - h.edges[b];
      centres.push(r6((h.edges[b] + h.edges[b + 1]) / 2));
      dn.push(r6(h.nNormal > 0 ? h.normal[b] / (h.nNormal * w) : 0));
      da.push(r6(h.nAnomalous > 0 ? h.anomalous[b] / (h.nAnomalous * w) : 0));
      histRows.push(
        {
          method: m.name,
          class: "normal / ID",
          x0: r6(h.edges[b]),
          x1: r6(h.edges[b + 1]),
          density: dn[b],
        },
        {
          method: m.name,
          class: "anomalous / OOD",
          x0: r6(h.edges[b]),
          x1: r6(h.edges[b + 1]),
          density: da[b],
        },
      );
    }
    const width = r6(h.edges[1] - h.edges[0]);
    plotly.push({
      id: `fig-hist-${k}`,
      section: "histograms",
      title: m.name,
      data: [
        {
          type: "bar",
          name: `normal / ID (${h.nNormal})`,
          x: centres,
          y: dn,
          width,
          marker: { color: "#1f77b4" },
          opacity: 0.55,
        },
        {
          type: "bar",
          name: `anomalous / OOD (${h.nAnomalous})`,
          x: centres,
          y: da,
          width,
          marker: { color: "#d62728" },
          opacity: 0.55,
        },
      ],
      layout: {
        title: { text: m.name, x: 0.02, xanchor: "left" },
        barmode: "overlay",
        bargap: 0,
        xaxis: { title: { text: "score (higher = more anomalous)" } },
        yaxis: { title: { text: "density" } },
        legend: { x: 0.98, xanchor: "right", y: 0.98 },
        height: 320,
        margin: { t: 45, r: 20, b: 55, l: 60 },
        font: FONT,
      },
    });
  });
  svg.push({
    file: "histograms",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: "Score distributions (shared bins per method)",
      data: { values: histRows },
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
          x: {
            field: "x0",
            type: "quantitative",
            title: "score (higher = more anomalous)",
          },
          x2: { field: "x1" },
          y: { field: "density", type: "quantitative", title: "density" },
          color: {
            field: "class",
            type: "nominal",
            title: null,
            scale: {
              domain: ["normal / ID", "anomalous / OOD"],
              range: ["#1f77b4", "#d62728"],
            },
          },
        },
      },
      resolve: { scale: { x: "independent", y: "independent" } },
    },
  });

  // training curves
  if (run.training && run.training.length > 0) {
    const trainRows: Record<string, unknown>[] = [];
    for (const key of ["loss", "rec", "kl"] as const) {
      const traces: Record<string, unknown>[] = [];
      let allPositive = true;
      run.training.forEach((t, k) => {
        const xs = t.history.map((h) => h.epoch);
        const ys = t.history.map((h) => r6(h[key]));
        if (ys.some((v) => !(v > 0))) allPositive = false;
        traces.push({
          type: "scatter",
          mode: "lines+markers",
          name: t.name,
          x: xs,
          y: ys,
          line: { color: PALETTE[k % PALETTE.length] },
          marker: { size: 4 },
        });
        t.history.forEach((h) =>
          trainRows.push({
            model: t.name,
            epoch: h.epoch,
            metric: key,
            value: r6(h[key]),
          })
        );
      });
      plotly.push({
        id: `fig-train-${key}`,
        section: "training",
        title: key,
        data: traces,
        layout: {
          title: {
            text: {
              loss: "total loss",
              rec: "reconstruction",
              kl: "KL / prior term",
            }[key],
            x: 0.02,
            xanchor: "left",
          },
          xaxis: { title: { text: "epoch" } },
          yaxis: { title: { text: key }, type: allPositive ? "log" : "linear" },
          height: 300,
          margin: { t: 45, r: 20, b: 50, l: 70 },
          font: FONT,
        },
      });
    }
    svg.push({
      file: "training",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: "Training curves",
        data: { values: trainRows },
        facet: {
          column: {
            field: "metric",
            type: "nominal",
            title: null,
            sort: ["loss", "rec", "kl"],
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
              scale: {
                domain: run.training.map((t) => t.name),
                range: PALETTE,
              },
            },
          },
        },
        resolve: { scale: { y: "independent" } },
      },
    });
  }

  // latent sphere (METHOD.md §6)
  if (run.sphere && run.sphere.length > 0) {
    const sphereRows: Record<string, unknown>[] = [];
    const mesh = unitSphereMesh(24);
    run.sphere.forEach((s, k) => {
      const xs: number[] = [];
      const ys: number[] = [];
      const zs: number[] = [];
      for (let i = 0; i + 2 < s.points.length; i += 3) {
        xs.push(r6(s.points[i]));
        ys.push(r6(s.points[i + 1]));
        zs.push(r6(s.points[i + 2]));
      }
      const labels = s.labels ? Array.from(s.labels, Number) : undefined;
      const proj = equalAreaProjection(s.points);
      proj.lon.forEach((lon, i) =>
        sphereRows.push({
          model: s.name,
          lon,
          z: proj.z[i],
          label: labels ? String(labels[i]) : "all",
        })
      );
      plotly.push({
        id: `fig-sphere-${k}`,
        section: "sphere",
        title: s.name,
        data: [
          {
            type: "surface",
            x: mesh.x,
            y: mesh.y,
            z: mesh.z,
            opacity: 0.12,
            showscale: false,
            colorscale: [[0, "#cccccc"], [1, "#cccccc"]],
            hoverinfo: "skip",
            name: "unit sphere",
          },
          {
            type: "scatter3d",
            mode: "markers",
            name: s.name,
            x: xs,
            y: ys,
            z: zs,
            marker: labels
              ? {
                size: 2,
                color: labels,
                colorscale: "Portland",
                showscale: true,
                colorbar: { title: { text: "label" }, len: 0.6 },
              }
              : { size: 2, color: PALETTE[k % PALETTE.length] },
          },
        ],
        layout: {
          title: { text: s.name, x: 0.02, xanchor: "left" },
          scene: {
            aspectmode: "cube",
            xaxis: { range: [-1.05, 1.05], title: { text: "group 1" } },
            yaxis: { range: [-1.05, 1.05], title: { text: "group 2" } },
            zaxis: { range: [-1.05, 1.05], title: { text: "group 3" } },
          },
          showlegend: false,
          height: 460,
          margin: { t: 45, r: 10, b: 10, l: 10 },
          font: FONT,
        },
      });
    });
    svg.push({
      file: "sphere",
      spec: {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: {
          text: "Latent sphere (METHOD.md §6), equal-area projection",
          subtitle:
            "longitude atan2(y, x) vs z; a uniform sphere fills the rectangle evenly",
        },
        data: { values: sphereRows },
        facet: {
          field: "model",
          type: "nominal",
          title: null,
          sort: run.sphere.map((s) => s.name),
        },
        columns: 2,
        spec: {
          width: 300,
          height: 150,
          mark: { type: "circle", size: 6, opacity: 0.5 },
          encoding: {
            x: {
              field: "lon",
              type: "quantitative",
              title: "longitude (degrees)",
              scale: { domain: [-180, 180] },
            },
            y: {
              field: "z",
              type: "quantitative",
              title: "z",
              scale: { domain: [-1, 1] },
            },
            color: {
              field: "label",
              type: "nominal",
              title: "label",
              scale: { range: PALETTE },
            },
          },
        },
      },
    });
  }
  return { plotly, svg };
}

/** A `(m + 1) x (m + 1)` latitude-longitude grid of the unit sphere. */
function unitSphereMesh(
  m: number,
): { x: number[][]; y: number[][]; z: number[][] } {
  const x: number[][] = [];
  const y: number[][] = [];
  const z: number[][] = [];
  for (let i = 0; i <= m; i++) {
    const th = (Math.PI * i) / m;
    const rx: number[] = [];
    const ry: number[] = [];
    const rz: number[] = [];
    for (let j = 0; j <= m; j++) {
      const ph = (2 * Math.PI * j) / m;
      rx.push(r6(Math.sin(th) * Math.cos(ph)));
      ry.push(r6(Math.sin(th) * Math.sin(ph)));
      rz.push(r6(Math.cos(th)));
    }
    x.push(rx);
    y.push(ry);
    z.push(rz);
  }
  return { x, y, z };
}

/** Renders a Vega-Lite spec to an SVG string with Vega's headless renderer. */
export async function renderSvg(
  spec: Record<string, unknown>,
): Promise<string> {
  const vega = await import("vega");
  const vl = await import("vega-lite");
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec as any).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
