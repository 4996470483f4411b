/**
 * The latent sphere figures (METHOD.md §6): an interactive 3-D scatter over
 * a translucent unit sphere per model, and a static Lambert equal-area
 * projection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sphereFigures } from "./sphere.ts";
 *
 * const figs = sphereFigures({
 *   title: "demo",
 *   methods: [],
 *   isAnomaly: [],
 *   sphere: [{ name: "VAE", points: [1, 0, 0, 0, 0, 1] }],
 * });
 * assert.deepEqual(figs.plotly.map((f) => f.id), ["fig-sphere-0"]);
 * ```
 *
 * @module
 */
import type { ReportRun, ReportSphere } from "../report_run.ts";
import {
  type FigureSet,
  FONT,
  PALETTE,
  type PlotlyFigure,
  r6,
  type SvgFigure,
} from "./figure.ts";

/**
 * Lambert cylindrical equal-area coordinates of unit vectors: longitude
 * `atan2(y, x)` in degrees and `z`, both rounded to 6 significant digits.
 * A uniform distribution on the sphere is uniform on the rectangle.
 *
 * @param points `N x 3` unit vectors, row-major.
 * @returns One longitude and one `z` per point.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { equalAreaProjection } from "./sphere.ts";
 *
 * const p = equalAreaProjection([0, 1, 0, 0, 0, 1]);
 * assert.deepEqual(p, { lon: [90, 0], z: [0, 1] });
 * ```
 */
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

/**
 * A `(m + 1) x (m + 1)` latitude-longitude grid of the unit sphere, as
 * Plotly surface coordinates rounded to 6 significant digits.
 *
 * @param m Steps in latitude and in longitude.
 * @returns The grid's x, y and z, each `(m + 1) x (m + 1)`.
 *
 * @example The poles are the first and last rows
 * ```ts
 * import assert from "node:assert/strict";
 * import { unitSphereMesh } from "./sphere.ts";
 *
 * const mesh = unitSphereMesh(4);
 * assert.equal(mesh.z.length, 5);
 * assert.deepEqual([mesh.z[0][0], mesh.z[4][0]], [1, -1]);
 * ```
 */
export function unitSphereMesh(
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

type Mesh = ReturnType<typeof unitSphereMesh>;

function scatter(s: ReportSphere, k: number): Record<string, unknown> {
  const xs: number[] = [];
  const ys: number[] = [];
  const zs: number[] = [];
  for (let i = 0; i + 2 < s.points.length; i += 3) {
    xs.push(r6(s.points[i]));
    ys.push(r6(s.points[i + 1]));
    zs.push(r6(s.points[i + 2]));
  }
  const labels = s.labels ? Array.from(s.labels, Number) : undefined;
  return {
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
  };
}

function spherePlotly(s: ReportSphere, k: number, mesh: Mesh): PlotlyFigure {
  const axis = (text: string) => ({ range: [-1.05, 1.05], title: { text } });
  return {
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
      scatter(s, k),
    ],
    layout: {
      title: { text: s.name, x: 0.02, xanchor: "left" },
      scene: {
        aspectmode: "cube",
        xaxis: axis("group 1"),
        yaxis: axis("group 2"),
        zaxis: axis("group 3"),
      },
      showlegend: false,
      height: 460,
      margin: { t: 45, r: 10, b: 10, l: 10 },
      font: FONT,
    },
  };
}

/** The static spec's data rows of one model: its projected points. */
function projectedRows(s: ReportSphere): Record<string, unknown>[] {
  const labels = s.labels ? Array.from(s.labels, Number) : undefined;
  const proj = equalAreaProjection(s.points);
  return proj.lon.map((lon, i) => ({
    model: s.name,
    lon,
    z: proj.z[i],
    label: labels ? String(labels[i]) : "all",
  }));
}

function sphereSvg(spheres: ReportSphere[]): SvgFigure {
  return {
    file: "sphere",
    spec: {
      $schema: "https://vega.github.io/schema/vega-lite/v6.json",
      title: {
        text: "Latent sphere (METHOD.md §6), equal-area projection",
        subtitle:
          "longitude atan2(y, x) vs z; a uniform sphere fills the rectangle evenly",
      },
      data: { values: spheres.flatMap(projectedRows) },
      facet: {
        field: "model",
        type: "nominal",
        title: null,
        sort: spheres.map((s) => s.name),
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
  };
}

/**
 * The latent sphere figures of a run: one interactive 3-D page figure per
 * model (`fig-sphere-<k>`; points coloured by label when given) and one
 * static `sphere` spec, a Lambert equal-area projection (longitude vs z),
 * since a static 3-D view hides half the sphere; nothing when the run has
 * no sphere views.
 *
 * @param run The run; only `run.sphere` is read.
 * @returns One Plotly figure per model and one SVG spec, or none.
 *
 * @example Labelled points get a colour bar
 * ```ts
 * import assert from "node:assert/strict";
 * import { sphereFigures } from "./sphere.ts";
 *
 * const { plotly, svg } = sphereFigures({
 *   title: "demo",
 *   methods: [],
 *   isAnomaly: [],
 *   sphere: [{ name: "Comp.VAE", points: [1, 0, 0, 0, 1, 0], labels: [0, 1] }],
 * });
 * const points = plotly[0].data[1] as { marker: { showscale?: boolean } };
 * assert.equal(points.marker.showscale, true);
 * assert.equal(svg[0].file, "sphere");
 * ```
 */
export function sphereFigures(run: ReportRun): FigureSet {
  const spheres = run.sphere ?? [];
  if (spheres.length === 0) return { plotly: [], svg: [] };
  const mesh = unitSphereMesh(24);
  return {
    plotly: spheres.map((s, k) => spherePlotly(s, k, mesh)),
    svg: [sphereSvg(spheres)],
  };
}
