/**
 * Reports of a run: one self-contained HTML page (results table naming both
 * FPR95 conventions, ROC curves, score histograms, training curves, the
 * interactive latent sphere) and static SVG figures for papers.
 *
 * @example Projecting latents for the sphere view
 * ```ts
 * import assert from "node:assert/strict";
 * import { sphereView } from "@hsvae/hsvae";
 *
 * const p = sphereView(new Float32Array([1, 1, 1]), 3);
 * assert.ok(Math.abs(p[0] - 1 / Math.sqrt(3)) < 1e-7);
 * ```
 *
 * @module
 */
export * from "./write_report.ts";
export * from "./results_table.ts";
export * from "./score_histogram.ts";
export * from "./sphere_view.ts";
