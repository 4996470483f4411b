/**
 * The results table of a run: AUROC, both FPR95 conventions (named), and
 * AUPR-In / AUPR-Out, optionally timings, as HTML or Markdown. The one table
 * formatter of the package: the HTML report and the evaluation's
 * `results.md` both use it.
 *
 * @module
 */
import { escapeHtml } from "./_html.ts";

/** One method's metrics, as {@linkcode formatResultsTable} shows them. */
export interface MethodResult {
  /** The method's name, e.g. `"Comp.VAE + kNN"`. */
  name: string;
  /** Area under the ROC curve. */
  auroc: number;
  /** FPR at 95% TPR, OOD positive (the paper's convention). */
  fpr95: number;
  /** FPR at 95% TPR, ID positive (ODIN / KNN / CIDER convention). */
  fpr95Id: number;
  /** Average precision, ID positive. */
  auprIn?: number;
  /** Average precision, OOD positive. */
  auprOut?: number;
  /** Seconds training the method's model (shared by the model's methods). */
  trainSeconds?: number;
  /** Seconds fitting the detector. */
  fitSeconds?: number;
  /** Seconds scoring the test set (including encoding it). */
  scoreSeconds?: number;
  /**
   * Mean and standard deviation over seeds, keyed by metric name (`auroc`,
   * `fpr95`, `fpr95Id`, `auprIn`, `auprOut`, the timings); a metric present
   * in both is shown as `mean ± std` instead of the single value.
   */
  seeds?: { mean: Record<string, number>; std: Record<string, number> };
}

/** The numeric fields of a {@linkcode MethodResult}, the keys of table columns. */
export type ResultsMetric = Exclude<keyof MethodResult, "name" | "seeds">;

/** One column of {@linkcode formatResultsTable}. */
export interface ResultsColumn {
  /** The metric shown. */
  key: ResultsMetric;
  /** The header, naming the FPR95 convention and the better direction. */
  header: string;
  /** The compact header of plain-text tables (`headers: "short"`). */
  short: string;
  /** The note defining the column, shown under the table. */
  note: string;
  /** Digits after the decimal point; unset: the table's `digits`. */
  digits?: number;
}

/** Options of {@linkcode formatResultsTable}. */
export interface ResultsTableOptions {
  /**
   * Output format.
   *
   * @default {"html"}
   */
  format?: "html" | "markdown";
  /**
   * Digits after the decimal point of the columns without their own
   * `digits` (the timings of {@linkcode TIMING_COLUMNS} keep their 2).
   *
   * @default {4}
   */
  digits?: number;
  /**
   * The columns after the method's name, in order.
   *
   * @default {RESULTS_COLUMNS}
   */
  columns?: ReadonlyArray<ResultsColumn>;
  /**
   * Which header of each column to show: `"full"` (e.g. `"AUROC ↑"`) or
   * `"short"` (e.g. `"AUROC"`).
   *
   * @default {"full"}
   */
  headers?: "full" | "short";
  /**
   * Whether to follow the table with the list of column notes.
   *
   * @default {true}
   */
  notes?: boolean;
}

/**
 * The metric columns of {@linkcode formatResultsTable}, in order: the metric's
 * key, its header (naming the FPR95 convention) and the note defining it.
 *
 * @example The two FPR95 columns
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESULTS_COLUMNS } from "@hsvae/hsvae";
 *
 * assert.deepEqual(
 *   RESULTS_COLUMNS.filter((c) => c.key.startsWith("fpr95")).map((c) => c.header),
 *   ["FPR95 (OOD positive) ↓", "FPR95 (ID positive) ↓"],
 * );
 * ```
 */
export const RESULTS_COLUMNS: ReadonlyArray<ResultsColumn> = [
  {
    key: "auroc",
    header: "AUROC ↑",
    short: "AUROC",
    note:
      "AUROC: area under the ROC curve, ties counting one half (the same in both conventions)",
  },
  {
    key: "fpr95",
    header: "FPR95 (OOD positive) ↓",
    short: "FPR95 (OOD positive)",
    note:
      "FPR95 (OOD positive), `fpr95`, the paper's own convention: the fraction of ID samples flagged as anomalous at the threshold that detects 95% of the OOD samples",
  },
  {
    key: "fpr95Id",
    header: "FPR95 (ID positive) ↓",
    short: "FPR95 (ID positive)",
    note:
      "FPR95 (ID positive), `fpr95Id`, the ODIN / KNN / CIDER convention: the fraction of OOD samples accepted as in-distribution at the threshold that accepts 95% of the ID samples",
  },
  {
    key: "auprIn",
    header: "AUPR-In (ID positive) ↑",
    short: "AUPR-In",
    note: "AUPR-In: average precision with ID as the positive class",
  },
  {
    key: "auprOut",
    header: "AUPR-Out (OOD positive) ↑",
    short: "AUPR-Out",
    note: "AUPR-Out: average precision with OOD as the positive class",
  },
];

/**
 * The timing columns (seconds, 2 digits) that the evaluation's table adds
 * after {@linkcode RESULTS_COLUMNS}: training the row's model, fitting the
 * detector, scoring the test set.
 *
 * @example The evaluation's columns
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESULTS_COLUMNS, TIMING_COLUMNS } from "@hsvae/hsvae";
 *
 * assert.deepEqual(
 *   [...RESULTS_COLUMNS, ...TIMING_COLUMNS].map((c) => c.short).slice(4),
 *   ["AUPR-Out", "Train s", "Fit s", "Score s"],
 * );
 * ```
 */
export const TIMING_COLUMNS: ReadonlyArray<ResultsColumn> = [
  {
    key: "trainSeconds",
    header: "Train s",
    short: "Train s",
    note:
      "Train s: seconds training the row's model (shared by the model's rows)",
    digits: 2,
  },
  {
    key: "fitSeconds",
    header: "Fit s",
    short: "Fit s",
    note: "Fit s: seconds fitting the detector",
    digits: 2,
  },
  {
    key: "scoreSeconds",
    header: "Score s",
    short: "Score s",
    note: "Score s: seconds scoring the test set, encoding it included",
    digits: 2,
  },
];

/** Checks the options and fills in their defaults. */
function tableOptions(
  methods: ReadonlyArray<MethodResult>,
  options: ResultsTableOptions,
): Required<ResultsTableOptions> {
  const digits = options.digits ?? 4;
  if (!Number.isInteger(digits) || digits < 0 || digits > 12) {
    throw new RangeError(
      `Cannot format the results table: "digits" must be an integer in [0, 12], got "${digits}"`,
    );
  }
  if (methods.length === 0) {
    throw new RangeError(
      `Cannot format the results table: "methods" is empty; pass at least one method`,
    );
  }
  return {
    format: options.format ?? "html",
    digits,
    columns: options.columns ?? RESULTS_COLUMNS,
    headers: options.headers ?? "full",
    notes: options.notes ?? true,
  };
}

/**
 * One cell's text: `mean ± std` where the method has both seed statistics
 * for the column, else its value; `n/a` for a non-finite mean or value (a
 * diverged model), `–` for an absent one.
 */
function cellText(m: MethodResult, c: ResultsColumn, digits: number): string {
  const fmt = (v: number) =>
    Number.isFinite(v) ? v.toFixed(c.digits ?? digits) : "n/a";
  const mean = m.seeds?.mean[c.key];
  const std = m.seeds?.std[c.key];
  if (typeof mean === "number" && typeof std === "number") {
    return Number.isFinite(mean) ? `${fmt(mean)} ± ${fmt(std)}` : "n/a";
  }
  const v = m[c.key];
  return typeof v === "number" ? fmt(v) : "–";
}

function markdownTable(
  headers: string[],
  rows: string[][],
  notes: string[],
): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const line = (r: string[]) => `| ${r.map(esc).join(" | ")} |`;
  return [
    line(headers),
    `|${headers.map((_, i) => i === 0 ? " --- " : " ---: ").join("|")}|`,
    ...rows.map(line),
    "",
    ...notes.map((n) => `- ${n}`),
    ...(notes.length > 0 ? [""] : []),
  ].join("\n");
}

function htmlTable(
  headers: string[],
  rows: string[][],
  notes: string[],
): string {
  const th = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${
      r.map((c, i) =>
        i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${c}</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  const table =
    `<table class="results"><thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table>`;
  if (notes.length === 0) return table;
  const noteList = notes.map((n) =>
    `<li>${escapeHtml(n).replace(/`([^`]+)`/g, "<code>$1</code>")}</li>`
  ).join("");
  return `${table}\n<ul class="notes">${noteList}</ul>`;
}

/**
 * Formats a results table whose every FPR95 column names its convention
 * (METHOD.md §4), followed by notes that define each column.
 *
 * Cells show the value with `digits` decimals (a column's own `digits`
 * first), `mean ± std` where the method carries seed statistics for that
 * metric, `n/a` where the value is not finite (a diverged model) and `–`
 * where a metric is absent. In Markdown, `|` in a method's name is escaped.
 *
 * @param methods One entry per method, in display order.
 * @param options Output format, digits, columns, header style and notes.
 * @returns The table as an HTML fragment (`<table>` plus a notes list) or
 * Markdown (a pipe table, a blank line, then the notes list), ending with a
 * newline in Markdown.
 * @throws {RangeError} When `digits` is not an integer in [0, 12] or
 * `methods` is empty.
 *
 * @example Both FPR95 conventions are named in the header
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatResultsTable } from "@hsvae/hsvae";
 *
 * const md = formatResultsTable(
 *   [{ name: "kNN", auroc: 0.9, fpr95: 0.25, fpr95Id: 0.7 }],
 *   { format: "markdown", digits: 2 },
 * );
 * assert.ok(md.includes("| FPR95 (OOD positive) ↓ | FPR95 (ID positive) ↓ |"));
 * assert.ok(md.includes("| kNN | 0.90 | 0.25 | 0.70 | – | – |"));
 * ```
 *
 * @example The evaluation's compact table, with timings and no notes
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   formatResultsTable,
 *   RESULTS_COLUMNS,
 *   TIMING_COLUMNS,
 * } from "./results_table.ts";
 *
 * const md = formatResultsTable(
 *   [{ name: "kNN", auroc: NaN, fpr95: 0.25, fpr95Id: 0.7, fitSeconds: 1.234 }],
 *   {
 *     format: "markdown",
 *     columns: [...RESULTS_COLUMNS, ...TIMING_COLUMNS],
 *     headers: "short",
 *     notes: false,
 *   },
 * );
 * assert.equal(md.split("\n")[2], "| kNN | n/a | 0.2500 | 0.7000 | – | – | – | 1.23 | – |");
 * ```
 */
export function formatResultsTable(
  methods: ReadonlyArray<MethodResult>,
  options: ResultsTableOptions = {},
): string {
  const o = tableOptions(methods, options);
  const headers = [
    "Method",
    ...o.columns.map((c) => o.headers === "short" ? c.short : c.header),
  ];
  const rows = methods.map((m) => [
    m.name,
    ...o.columns.map((c) => cellText(m, c, o.digits)),
  ]);
  const notes = o.notes ? o.columns.map((c) => c.note) : [];
  if (o.notes && methods.some((m) => m.seeds !== undefined)) {
    notes.push("Cells with ± show the mean ± standard deviation over seeds");
  }
  return o.format === "markdown"
    ? markdownTable(headers, rows, notes)
    : htmlTable(headers, rows, notes);
}
