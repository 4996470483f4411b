/**
 * The self-contained HTML report of a run, plus one static SVG per figure.
 *
 * @module
 */
import { ShapeError } from "../errors.ts";
import { escapeHtml, scriptJson } from "./_html.ts";
import { buildFigures } from "./figures/build_figures.ts";
import { type PlotlyFigure, renderSvg } from "./figures/figure.ts";
import type { ReportRun } from "./report_run.ts";
import { formatResultsTable } from "./results_table.ts";

export type {
  ReportMethod,
  ReportRun,
  ReportSphere,
  ReportTraining,
} from "./report_run.ts";

/** Options of {@linkcode renderReportHtml}. */
export interface RenderReportOptions {
  /**
   * Number of histogram bins per method.
   *
   * @default {30}
   */
  bins?: number;
  /**
   * Digits after the decimal point in the results table.
   *
   * @default {4}
   */
  digits?: number;
  /**
   * The Plotly bundle's source text to inline; `undefined` inlines the
   * pinned `plotly.js-dist-min` from the import map.
   *
   * @default {undefined}
   */
  plotlyJs?: string;
}

/** Options of {@linkcode writeReport}. */
export interface WriteReportOptions extends RenderReportOptions {
  /** The output directory (created if missing). */
  dir: string;
  /**
   * Base file name: writes `<name>.html` and `<name>-<figure>.svg`.
   *
   * @default {"report"}
   */
  name?: string;
  /**
   * Whether to write the static SVG figures.
   *
   * @default {true}
   */
  svg?: boolean;
}

/** The paths {@linkcode writeReport} wrote. */
export interface WrittenReport {
  /** The HTML file. */
  html: string;
  /** The SVG files, one per figure (ROC, histograms, training, sphere). */
  svg: string[];
}

function validate(run: ReportRun): void {
  if (!run || typeof run.title !== "string") {
    throw new TypeError(
      `Cannot write the report: "run.title" must be a string; pass a ReportRun`,
    );
  }
  if (!Array.isArray(run.methods) || run.methods.length === 0) {
    throw new RangeError(
      `Cannot write the report: "run.methods" is empty; pass at least one method`,
    );
  }
  const n = run.isAnomaly?.length;
  for (const m of run.methods) {
    if (m.scores?.length !== n) {
      throw new ShapeError(
        `Cannot write the report: method "${m.name}" has "${m.scores?.length}" scores but "isAnomaly" has "${n}" labels; pass one score per test sample`,
        `${n}`,
        `${m.scores?.length}`,
      );
    }
  }
  for (const s of run.sphere ?? []) {
    if (s.points.length % 3 !== 0) {
      throw new ShapeError(
        `Cannot write the report: sphere "${s.name}" has "${s.points.length}" values, not a multiple of 3; pass N x 3 points from sphereView()`,
        "N * 3",
        `${s.points.length}`,
      );
    }
    if (s.labels && s.labels.length * 3 !== s.points.length) {
      throw new ShapeError(
        `Cannot write the report: sphere "${s.name}" has "${
          s.points.length / 3
        }" points but "${s.labels.length}" labels; pass one label per point`,
        `${s.points.length / 3}`,
        `${s.labels.length}`,
      );
    }
  }
}

/**
 * The pinned Plotly bundle's text: a text import through the import map, or,
 * when the calling program's module graph lacks the package (a main module
 * outside this project), the file in Deno's global npm cache.
 */
async function loadPlotly(): Promise<string> {
  try {
    const mod = await import("plotly.js-dist-min/plotly.min.js", {
      with: { type: "text" },
    });
    return mod.default;
  } catch (importError) {
    const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? "";
    const roots = [
      Deno.env.get("DENO_DIR"),
      Deno.env.get("XDG_CACHE_HOME") &&
      `${Deno.env.get("XDG_CACHE_HOME")}/deno`,
      `${home}/.cache/deno`,
      `${home}/Library/Caches/deno`,
      Deno.env.get("LOCALAPPDATA") && `${Deno.env.get("LOCALAPPDATA")}/deno`,
    ].filter((r): r is string => typeof r === "string" && r !== "");
    for (const root of roots) {
      try {
        return await Deno.readTextFile(
          `${root}/npm/registry.npmjs.org/plotly.js-dist-min/${PLOTLY_VERSION}/plotly.min.js`,
        );
      } catch {
        // try the next cache location
      }
    }
    throw new Error(
      `Cannot inline Plotly: "plotly.js-dist-min@${PLOTLY_VERSION}" is neither importable nor in the npm cache (${
        (importError as Error).message
      }); run "deno cache npm:plotly.js-dist-min@${PLOTLY_VERSION}" or pass "options.plotlyJs"`,
    );
  }
}

/** The Plotly version pinned in deno.json's import map. */
const PLOTLY_VERSION = "4.1.2";

const CSS = `
body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#222}
h1{font-size:1.6em;margin:0.3em 0}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:0.5em 0}th,td{border:1px solid #ccc;padding:4px 10px}
td{text-align:right;font-variant-numeric:tabular-nums}thead th{background:#f3f3f3}
ul.notes{font-size:0.85em;color:#555}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px}
.plot{min-height:300px}
footer{margin-top:2em;font-size:0.8em;color:#777}`;

/** The page script: draws every figure, then marks the page rendered. */
const PAGE_SCRIPT = `
(function () {
  var body = document.body;
  function fail(msg) {
    body.setAttribute("data-render-error", String(msg));
    console.error("hsvae report: " + msg);
  }
  window.addEventListener("error", function (e) { fail(e.message); });
  window.addEventListener("unhandledrejection", function (e) {
    fail(e.reason && e.reason.message ? e.reason.message : e.reason);
  });
  try {
    var figs = JSON.parse(document.getElementById("hsvae-figures").textContent);
    var config = { responsive: true, displaylogo: false };
    Promise.all(figs.map(function (f) {
      return Plotly.newPlot(f.id, f.data, f.layout, config).then(function () {
        document.getElementById(f.id).setAttribute("data-rendered", "true");
      });
    })).then(function () {
      body.setAttribute("data-rendered", String(figs.length));
    }, function (e) { fail(e && e.message ? e.message : e); });
  } catch (e) { fail(e && e.message ? e.message : e); }
})();`;

function protocolTable(protocol: Record<string, unknown>): string {
  const rows = Object.entries(protocol).map(([k, v]) =>
    `<tr><th scope="row">${escapeHtml(k)}</th><td>${
      escapeHtml(typeof v === "string" ? v : JSON.stringify(v) ?? String(v))
    }</td></tr>`
  );
  return `<table class="protocol"><tbody>${rows.join("")}</tbody></table>`;
}

function section(
  figs: PlotlyFigure[],
  kind: PlotlyFigure["section"],
  heading: string,
  intro: string,
): string {
  const mine = figs.filter((f) => f.section === kind);
  if (mine.length === 0) return "";
  const divs = mine.map((f) =>
    `<div class="plot" id="${f.id}" aria-label="${escapeHtml(f.title)}"></div>`
  ).join("\n");
  const cls = kind === "roc" ? "" : ` class="grid"`;
  return `<section id="${kind}"><h2>${heading}</h2><p>${intro}</p><div${cls}>\n${divs}\n</div></section>`;
}

/**
 * Renders the report of a run as one self-contained HTML page: the results
 * table (both FPR95 conventions named), ROC curves, per-method score
 * histograms, training curves and the interactive 3-D latent sphere
 * (METHOD.md §6). Plotly is inlined, so the page opens with no network.
 *
 * When every figure has been drawn, the page sets `data-rendered` on `<body>`
 * to the number of figures (and `data-rendered="true"` on each figure's
 * element); a script error sets `data-render-error` instead.
 *
 * @param run The run's scores, labels, metrics and optional extras.
 * @param options Bins, digits and the Plotly source.
 * @returns The HTML text (about 5 MB, mostly the inlined Plotly bundle).
 * @throws {ShapeError} When a method's scores and `isAnomaly` differ in
 * length, or sphere points are not `N x 3`.
 * @throws {RangeError} When there are no methods, or a score is not finite,
 * or a class is missing from `isAnomaly`.
 * @throws {TypeError} When `run.title` is not a string or a label is not 0/1.
 *
 * @example A tiny page (with a stub instead of the Plotly bundle)
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReportHtml } from "@hsvae/hsvae";
 *
 * const html = await renderReportHtml({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 1],
 * }, { plotlyJs: "/* stub *\/" });
 * assert.ok(html.includes("FPR95 (OOD positive)"));
 * assert.ok(html.includes('id="fig-roc"'));
 * ```
 */
export async function renderReportHtml(
  run: ReportRun,
  options: RenderReportOptions = {},
): Promise<string> {
  validate(run);
  const bins = options.bins ?? 30;
  return await pageHtml(run, buildFigures(run, bins).plotly, bins, options);
}

async function pageHtml(
  run: ReportRun,
  plotly: PlotlyFigure[],
  bins: number,
  options: RenderReportOptions,
): Promise<string> {
  const plotlyJs = options.plotlyJs ?? await loadPlotly();
  const title = escapeHtml(run.title);
  const parts: string[] = [];
  parts.push(`<h1>${title}</h1>`);
  if (run.protocol && Object.keys(run.protocol).length > 0) {
    parts.push(
      `<section id="protocol"><h2>Protocol</h2>${
        protocolTable(run.protocol)
      }</section>`,
    );
  }
  const nOod = Array.from(run.isAnomaly).filter((v) => Number(v) === 1).length;
  parts.push(
    `<section id="results"><h2>Results</h2><p>${run.isAnomaly.length} test samples: ${
      run.isAnomaly.length - nOod
    } normal / ID, ${nOod} anomalous / OOD. Scores: higher = more anomalous.</p>${
      formatResultsTable(run.methods, { digits: options.digits })
    }</section>`,
  );
  parts.push(section(
    plotly,
    "roc",
    "ROC curves",
    "OOD / anomaly is the positive class; the dashed line marks TPR = 0.95, where the OOD-positive FPR95 is read.",
  ));
  parts.push(section(
    plotly,
    "histograms",
    "Score distributions",
    `Normal vs anomalous scores per method, ${bins} shared bins, each class normalised to unit area.`,
  ));
  parts.push(section(
    plotly,
    "training",
    "Training curves",
    "Per-epoch means; the y axis is logarithmic where all values are positive.",
  ));
  parts.push(section(
    plotly,
    "sphere",
    "Latent sphere",
    "Latent means projected onto the unit sphere (METHOD.md §6: three consecutive groups of dimensions, averaged, normalised). A standard VAE spreads uniformly; a Comp.VAE forms a compact island. Drag to rotate.",
  ));
  if (run.notes && run.notes.length > 0) {
    parts.push(
      `<section id="notes"><h2>Notes</h2><ul>${
        run.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")
      }</ul></section>`,
    );
  }
  const figJson = scriptJson(
    plotly.map(({ id, data, layout }) => ({ id, data, layout })),
  );
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${CSS}</style>
<script>${plotlyJs.replace(/<\/script/gi, "<\\/script")}</script>
</head><body data-figures="${plotly.length}">
${parts.filter((p) => p !== "").join("\n")}
<footer>Generated by hsvae. Self-contained: all libraries are inlined; no network is needed.</footer>
<script type="application/json" id="hsvae-figures">${figJson}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}

/**
 * Writes the report of a run: `<dir>/<name>.html` (self-contained, see
 * {@linkcode renderReportHtml}) and, unless `svg: false`, one static SVG per
 * figure rendered server-side with Vega-Lite: `<name>-roc.svg`,
 * `<name>-histograms.svg`, `<name>-training.svg` (when `run.training` is
 * given) and `<name>-sphere.svg` (when `run.sphere` is given; a 2-D
 * Lambert equal-area projection, longitude vs z, since a static 3-D view
 * hides half the sphere).
 *
 * @param run The run's scores, labels, metrics and optional extras.
 * @param options Output directory, base name, and rendering options.
 * @returns The paths written.
 * @throws {ShapeError} When a method's scores and `isAnomaly` differ in
 * length, or sphere points are not `N x 3`.
 * @throws {RangeError} When there are no methods, a score is not finite, or a
 * class is missing from `isAnomaly`.
 * @throws {Deno.errors.PermissionDenied} Without write permission to `dir`.
 *
 * @example Writing a report and its SVG figures
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeReport } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * const out = await writeReport({
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.2, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 0, 1],
 * }, { dir, plotlyJs: "" });
 * assert.deepEqual(out.svg.map((p) => p.slice(dir.length + 1)), [
 *   "report-roc.svg",
 *   "report-histograms.svg",
 * ]);
 * assert.ok((await Deno.readTextFile(out.svg[0])).startsWith("<svg"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeReport(
  run: ReportRun,
  options: WriteReportOptions,
): Promise<WrittenReport> {
  const name = options.name ?? "report";
  const wantSvg = options.svg ?? true;
  if (typeof options.dir !== "string" || options.dir === "") {
    throw new TypeError(
      `Cannot write the report: "options.dir" must be a directory path, got "${options.dir}"`,
    );
  }
  validate(run);
  const bins = options.bins ?? 30;
  const figures = buildFigures(run, bins);
  const html = await pageHtml(run, figures.plotly, bins, options);
  await Deno.mkdir(options.dir, { recursive: true });
  const sep = options.dir.endsWith("/") ? "" : "/";
  const htmlPath = `${options.dir}${sep}${name}.html`;
  await Deno.writeTextFile(htmlPath, html);
  const svgPaths: string[] = [];
  if (wantSvg) {
    for (const fig of figures.svg) {
      const path = `${options.dir}${sep}${name}-${fig.file}.svg`;
      await Deno.writeTextFile(path, await renderSvg(fig.spec));
      svgPaths.push(path);
    }
  }
  return { html: htmlPath, svg: svgPaths };
}
