/**
 * The metrics of an evaluation as rows are scored: per seed and row, then
 * the table's rows with their mean and sample standard deviation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { METHODS } from "@hsvae/hsvae";
 * import { Tally } from "./tally.ts";
 *
 * const tally = new Tally([METHODS[0]], 1, Uint8Array.of(0, 1));
 * tally.record(METHODS[0], 0, {
 *   scores: Float32Array.of(0.2, 0.9),
 *   fitSeconds: 0,
 *   scoreSeconds: 0,
 * }, 0);
 * assert.equal(tally.rows()[0].mean.auroc, 1);
 * ```
 *
 * @module
 */
import { computeMetrics } from "../metrics.ts";
import type { MethodId, MethodSpec } from "./methods.ts";
import type { JobScores } from "./model_job.ts";
import type { EvaluationRow, MethodMetrics } from "./types.ts";

const METRIC_KEYS: readonly (keyof MethodMetrics)[] = [
  "auroc",
  "fpr95",
  "fpr95Id",
  "auprIn",
  "auprOut",
  "trainSeconds",
  "fitSeconds",
  "scoreSeconds",
];

function meanStd(
  values: MethodMetrics[],
): { mean: MethodMetrics; std: MethodMetrics } {
  const mean = {} as MethodMetrics;
  const std = {} as MethodMetrics;
  for (const key of METRIC_KEYS) {
    const v = values.map((m) => m[key]);
    const mu = v.reduce((a, b) => a + b, 0) / v.length;
    mean[key] = mu;
    std[key] = v.length < 2 ? 0 : Math.sqrt(
      v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1),
    );
  }
  return { mean, std };
}

/**
 * Collects the scores and metrics of every row and seed of an evaluation,
 * in the order they are recorded, and summarises them into the table.
 *
 * A row whose scores are not all finite (a diverged model) gets NaN
 * metrics and a warning on stderr instead of stopping the run.
 *
 * @example Two seeds: mean and sample standard deviation
 * ```ts
 * import assert from "node:assert/strict";
 * import { METHODS } from "@hsvae/hsvae";
 * import { Tally } from "./tally.ts";
 *
 * const spec = METHODS[0];
 * const tally = new Tally([spec], 2, Uint8Array.of(0, 1));
 * const times = { fitSeconds: 1, scoreSeconds: 2 };
 * tally.record(spec, 0, { scores: Float32Array.of(0, 1), ...times }, 0);
 * tally.record(spec, 1, { scores: Float32Array.of(1, 0), ...times }, 0);
 * const [row] = tally.rows();
 * assert.equal(row.mean.auroc, 0.5);
 * assert.equal(row.std.auroc, Math.SQRT1_2);
 * assert.equal(tally.scores[spec.id]?.length, 2);
 * ```
 */
export class Tally {
  /** Per-sample scores: `scores[method][seedIndex]`. */
  readonly scores: Partial<Record<MethodId, Float32Array[]>> = {};
  /** Rows to record over all seeds. */
  readonly total: number;
  #specs: MethodSpec[];
  #testIsAnomaly: Uint8Array;
  #perSeed = new Map<MethodId, MethodMetrics[]>();
  #done = 0;

  /**
   * @param specs The rows, in table order.
   * @param nSeeds How many seeds each row is recorded for.
   * @param testIsAnomaly 1 = anomaly, per test image.
   */
  constructor(specs: MethodSpec[], nSeeds: number, testIsAnomaly: Uint8Array) {
    this.#specs = specs;
    this.#testIsAnomaly = testIsAnomaly;
    this.total = specs.length * nSeeds;
    for (const s of specs) {
      this.#perSeed.set(s.id, []);
      this.scores[s.id] = [];
    }
  }

  /** Rows recorded so far, over all seeds. */
  get done(): number {
    return this.#done;
  }

  /**
   * Records one row's scores for one seed and computes its metrics.
   *
   * @param spec The row.
   * @param seed The seed (for the warning).
   * @param s Its scores and detector timings.
   * @param trainSeconds Its model's training time.
   * @returns The row's metrics for this seed.
   */
  record(
    spec: MethodSpec,
    seed: number,
    s: JobScores,
    trainSeconds: number,
  ): MethodMetrics {
    let m: Omit<MethodMetrics, "trainSeconds" | "fitSeconds" | "scoreSeconds">;
    if (s.scores.every(Number.isFinite)) {
      m = computeMetrics(s.scores, this.#testIsAnomaly);
    } else {
      m = { auroc: NaN, fpr95: NaN, fpr95Id: NaN, auprIn: NaN, auprOut: NaN };
      console.error(
        `[evaluate] warning: seed ${seed} "${spec.id}" has non-finite scores (a diverged model?); its metrics are NaN`,
      );
    }
    const metrics: MethodMetrics = {
      auroc: m.auroc,
      fpr95: m.fpr95,
      fpr95Id: m.fpr95Id,
      auprIn: m.auprIn,
      auprOut: m.auprOut,
      trainSeconds,
      fitSeconds: s.fitSeconds,
      scoreSeconds: s.scoreSeconds,
    };
    this.#perSeed.get(spec.id)!.push(metrics);
    this.scores[spec.id]!.push(s.scores);
    this.#done++;
    return metrics;
  }

  /**
   * The table: one row per spec, in table order, with the mean and sample
   * standard deviation over the seeds recorded.
   *
   * @returns The rows.
   */
  rows(): EvaluationRow[] {
    return this.#specs.map((spec) => {
      const values = this.#perSeed.get(spec.id)!;
      return {
        method: spec.id,
        label: spec.label,
        model: spec.model,
        detector: spec.detector,
        ...meanStd(values),
        perSeed: values,
      };
    });
  }
}
