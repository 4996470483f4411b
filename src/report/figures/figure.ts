/**
 * What every report figure is made of: a Plotly figure for the interactive
 * page, a Vega-Lite spec for the static SVG file, the shared colours and
 * font, and the SVG renderer.
 *
 * @example Rounding plotted values to 6 significant digits
 * ```ts
 * import assert from "node:assert/strict";
 * import { r6 } from "./figure.ts";
 *
 * assert.equal(r6(1 / 3), 0.333333);
 * ```
 *
 * @module
 */

/** A Plotly figure placed in the page's element `id`. */
export interface PlotlyFigure {
  /** The page element's id, e.g. `"fig-roc"`. */
  id: string;
  /** The page section the figure is drawn in. */
  section: "roc" | "histograms" | "training" | "sphere";
  /** The figure's accessible label. */
  title: string;
  /** Plotly traces. */
  data: Record<string, unknown>[];
  /** Plotly layout. */
  layout: Record<string, unknown>;
}

/** A Vega-Lite spec written to `<name>-<file>.svg`. */
export interface SvgFigure {
  /** The file name's figure part, e.g. `"roc"`. */
  file: string;
  /** The Vega-Lite spec. */
  spec: Record<string, unknown>;
}

/** Figures of one kind: its interactive Plotly figures and its static SVG specs. */
export interface FigureSet {
  /** Figures for the HTML page, in page order. */
  plotly: PlotlyFigure[];
  /** Specs for the SVG files, in file order. */
  svg: SvgFigure[];
}

/**
 * Rounds to 6 significant digits so the page stays small; non-finite
 * values pass through.
 *
 * @param v The value.
 * @returns `v` to 6 significant digits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { r6 } from "./figure.ts";
 *
 * assert.equal(r6(Math.PI), 3.14159);
 * assert.ok(Number.isNaN(r6(NaN)));
 * ```
 */
export function r6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}

/**
 * The colours of methods and models, in order (matplotlib's `tab10`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PALETTE } from "./figure.ts";
 *
 * assert.equal(PALETTE.length, 10);
 * ```
 */
export const PALETTE: readonly string[] = [
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

/**
 * The Plotly font of every figure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { FONT } from "./figure.ts";
 *
 * assert.ok(FONT.family.startsWith("DejaVu Sans"));
 * ```
 */
export const FONT: { readonly family: string } = {
  family: "DejaVu Sans, Helvetica, Arial, sans-serif",
};

/**
 * Renders a Vega-Lite spec to an SVG string with Vega's headless renderer.
 *
 * @param spec A Vega-Lite spec, e.g. an {@linkcode SvgFigure}'s.
 * @returns The SVG text.
 *
 * @example A one-point chart
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderSvg } from "./figure.ts";
 *
 * const svg = await renderSvg({
 *   data: { values: [{ x: 1, y: 2 }] },
 *   mark: "point",
 *   encoding: {
 *     x: { field: "x", type: "quantitative" },
 *     y: { field: "y", type: "quantitative" },
 *   },
 * });
 * assert.ok(svg.startsWith("<svg"));
 * ```
 */
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
