/**
 * The plain-data description of a run that the report is drawn from: its
 * methods' scores and metrics, the test labels, and optional training curves
 * and latent sphere views.
 *
 * @example A minimal run
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ReportRun } from "@hsvae/hsvae";
 *
 * const run: ReportRun = {
 *   title: "demo",
 *   methods: [{ name: "kNN", scores: [0.1, 0.9], auroc: 1, fpr95: 0, fpr95Id: 0 }],
 *   isAnomaly: [0, 1],
 * };
 * assert.equal(run.methods[0].scores.length, run.isAnomaly.length);
 * ```
 *
 * @module
 */
import type { MethodResult } from "./results_table.ts";

/** One method's test scores and metrics. */
export interface ReportMethod extends MethodResult {
  /** One score per test sample, higher = more anomalous. */
  scores: Float32Array | number[];
}

/** One model's training history (one entry per epoch). */
export interface ReportTraining {
  /** The model's name, e.g. `"Comp.VAE"`. */
  name: string;
  /** Per-epoch means of the total loss, the reconstruction and the KL / prior term. */
  history: Array<{ epoch: number; loss: number; rec: number; kl: number }>;
}

/** One model's latent sphere view (METHOD.md §6). */
export interface ReportSphere {
  /** The model's name, e.g. `"VAE"` or `"Comp.VAE"`. */
  name: string;
  /** `N x 3` unit vectors, row-major, e.g. from {@linkcode sphereView}. */
  points: Float32Array | number[];
  /** Optional class label per point (colours the points). */
  labels?: number[] | Uint8Array;
}

/** A plain-data description of a run, the input of {@linkcode writeReport}. */
export interface ReportRun {
  /** The report's title, e.g. `"Fashion-MNIST one-class, normal = Trouser"`. */
  title: string;
  /** Protocol facts (counts, dataset, seed...), shown as a two-column table. */
  protocol?: Record<string, unknown>;
  /** The methods compared, in display order; at least one. */
  methods: ReportMethod[];
  /** One label per test sample: `1` = anomaly / OOD, `0` = normal / ID. */
  isAnomaly: Uint8Array | number[];
  /** Training curves, one entry per model. */
  training?: ReportTraining[];
  /** Latent sphere views, one entry per model (e.g. VAE vs Comp.VAE). */
  sphere?: ReportSphere[];
  /** Free-text notes shown at the end. */
  notes?: string[];
}
