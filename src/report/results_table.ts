/**
 * The results table of a run: AUROC, both FPR95 conventions (named), and
 * AUPR-In / AUPR-Out, as HTML or Markdown.
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
  /**
   * Mean and standard deviation over seeds, keyed by metric name (`auroc`,
   * `fpr95`, `fpr95Id`, `auprIn`, `auprOut`); a metric present in both is
   * shown as `mean ± std` instead of the single value.
   */
  seeds?: { mean: Record<string, number>; std: Record<string, number> };
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
   * Digits after the decimal point.
   *
   * @default {4}
   */
  digits?: number;
}

/**
 * The metric columns of {@linkcode formatResultsTable}, in order: the metric's
 * key, its header (naming the FPR95 convention) and the note defining it.
 *
 * @example The two FPR95 columns
 * ```ts
 * import assert from "node:assert/strict";
 * import { RESULTS_COLUMNS } from "./results_table.ts";
 *
 * assert.deepEqual(
 *   RESULTS_COLUMNS.filter((c) => c.key.startsWith("fpr95")).map((c) => c.header),
 *   ["FPR95 (OOD positive) ↓", "FPR95 (ID positive) ↓"],
 * );
 * ```
 */
export const RESULTS_COLUMNS: ReadonlyArray<
  { key: keyof MethodResult; header: string; note: string }
> = [
  {
    key: "auroc",
    header: "AUROC ↑",
    note:
      "AUROC: area under the ROC curve, ties counting one half (the same in both conventions)",
  },
  {
    key: "fpr95",
    header: "FPR95 (OOD positive) ↓",
    note:
      "FPR95 (OOD positive), `fpr95`, the paper's own convention: the fraction of ID samples flagged as anomalous at the threshold that detects 95% of the OOD samples",
  },
  {
    key: "fpr95Id",
    header: "FPR95 (ID positive) ↓",
    note:
      "FPR95 (ID positive), `fpr95Id`, the ODIN / KNN / CIDER convention: the fraction of OOD samples accepted as in-distribution at the threshold that accepts 95% of the ID samples",
  },
  {
    key: "auprIn",
    header: "AUPR-In (ID positive) ↑",
    note: "AUPR-In: average precision with ID as the positive class",
  },
  {
    key: "auprOut",
    header: "AUPR-Out (OOD positive) ↑",
    note: "AUPR-Out: average precision with OOD as the positive class",
  },
];

/**
 * Formats a results table whose every FPR95 column names its convention
 * (METHOD.md §4), followed by notes that define each column.
 *
 * Cells show the value with `digits` decimals, `mean ± std` where the method
 * carries seed statistics for that metric, and `–` where a metric is absent.
 *
 * @param methods One entry per method, in display order.
 * @param options Output format and digits.
 * @returns The table as an HTML fragment (`<table>` plus a notes list) or
 * Markdown (a pipe table plus a notes list).
 * @throws {RangeError} When `digits` is not an integer in [0, 12] or
 * `methods` is empty.
 *
 * @example Both FPR95 conventions are named in the header
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatResultsTable } from "./results_table.ts";
 *
 * const md = formatResultsTable(
 *   [{ name: "kNN", auroc: 0.9, fpr95: 0.25, fpr95Id: 0.7 }],
 *   { format: "markdown", digits: 2 },
 * );
 * assert.ok(md.includes("| FPR95 (OOD positive) ↓ | FPR95 (ID positive) ↓ |"));
 * assert.ok(md.includes("| kNN | 0.90 | 0.25 | 0.70 | – | – |"));
 * ```
 */
export function formatResultsTable(
  methods: ReadonlyArray<MethodResult>,
  options: ResultsTableOptions = {},
): string {
  const format = options.format ?? "html";
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
  const anySeeds = methods.some((m) => m.seeds !== undefined);
  const fmt = (v: number) => Number.isFinite(v) ? v.toFixed(digits) : String(v);
  const cell = (m: MethodResult, key: keyof MethodResult): string => {
    const mean = m.seeds?.mean[key];
    const std = m.seeds?.std[key];
    if (typeof mean === "number" && typeof std === "number") {
      return `${fmt(mean)} ± ${fmt(std)}`;
    }
    const v = m[key];
    return typeof v === "number" ? fmt(v) : "–";
  };
  const headers = ["Method", ...RESULTS_COLUMNS.map((c) => c.header)];
  const rows = methods.map((m) => [
    m.name,
    ...RESULTS_COLUMNS.map((c) => cell(m, c.key)),
  ]);
  const notes = RESULTS_COLUMNS.map((c) => c.note);
  if (anySeeds) {
    notes.push("Cells with ± show the mean ± standard deviation over seeds");
  }
  if (format === "markdown") {
    const esc = (s: string) => s.replace(/\|/g, "\\|");
    const line = (r: string[]) => `| ${r.map(esc).join(" | ")} |`;
    return [
      line(headers),
      `|${headers.map((_, i) => i === 0 ? " --- " : " ---: ").join("|")}|`,
      ...rows.map(line),
      "",
      ...notes.map((n) => `- ${n}`),
      "",
    ].join("\n");
  }
  const th = headers.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) =>
    `<tr>${
      r.map((c, i) =>
        i === 0 ? `<th scope="row">${escapeHtml(c)}</th>` : `<td>${c}</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  const noteList = notes.map((n) =>
    `<li>${escapeHtml(n).replace(/`([^`]+)`/g, "<code>$1</code>")}</li>`
  ).join("");
  return `<table class="results"><thead><tr>${th}</tr></thead>\n<tbody>\n${body}\n</tbody></table>\n<ul class="notes">${noteList}</ul>`;
}
