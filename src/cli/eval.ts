/**
 * `hsvae eval` (and the demo): the ablation table on a one-class protocol,
 * its files and the HTML report.
 *
 * @module
 */
import { selectBackend } from "../backend.ts";
import { oneClass } from "../data/protocols.ts";
import {
  evaluate,
  type EvaluateOptions,
  type EvaluationResult,
} from "../evaluate/evaluate.ts";
import { evaluationMarkdown } from "../evaluate/report.ts";
import { selectMethods } from "../evaluate/methods.ts";
import { type ReportRun, writeReport } from "../report/write_report.ts";
import type { Command } from "./parse.ts";
import { UsageError } from "./_args.ts";
import { loadData } from "./_data.ts";
import { emit, log, outDir } from "./_out.ts";
import { trainOptions } from "./train.ts";

/** Maps an evaluation to the report's plain-data run description. */
export function reportRun(result: EvaluationResult, title: string): ReportRun {
  const seed0 = 0;
  const methods = result.rows.map((r) => ({
    name: r.label,
    scores: result.scores[r.method]?.[seed0] ?? new Float32Array(0),
    auroc: r.mean.auroc,
    fpr95: r.mean.fpr95,
    fpr95Id: r.mean.fpr95Id,
    auprIn: r.mean.auprIn,
    auprOut: r.mean.auprOut,
    seeds: result.seeds.length > 1
      ? {
        mean: {
          auroc: r.mean.auroc,
          fpr95: r.mean.fpr95,
          fpr95Id: r.mean.fpr95Id,
        },
        std: { auroc: r.std.auroc, fpr95: r.std.fpr95, fpr95Id: r.std.fpr95Id },
      }
      : undefined,
  }));
  const training = Object.entries(result.histories).flatMap(([model, runs]) =>
    runs && runs[0] ? [{ name: model, history: runs[0] }] : []
  );
  const names: Record<string, string> = {
    vae: "VAE",
    compvae: "Comp.VAE",
    vmf: "Comp.VAE (vMF)",
    ae: "AE",
  };
  const sphere = Object.entries(result.sphere).flatMap(([model, points]) =>
    points
      ? [{ name: names[model] ?? model, points, labels: result.testIsAnomaly }]
      : []
  );
  return {
    title,
    protocol: { ...result.protocol, seeds: result.seeds.join(", ") },
    methods,
    isAnomaly: result.testIsAnomaly,
    training,
    sphere,
    notes: [
      "fpr95: OOD positive (the paper's own convention); fpr95Id: ID positive (ODIN / KNN / CIDER convention).",
      "Scores: higher = more anomalous. Evaluation runs the encoders in inference mode.",
    ],
  };
}

/** Runs the ablation and writes results, report and summary. */
export async function runEvaluation(
  common: { json: boolean; backend?: Parameters<typeof selectBackend>[0] },
  data: { path?: string; format?: Parameters<typeof loadData>[1] },
  normalClass: number,
  options: EvaluateOptions & {
    trainLimit?: number;
    testLimit?: number;
    out?: string;
    command: string;
  },
): Promise<number> {
  const backend = await selectBackend(common.backend);
  log(`backend: ${backend.backend} (${backend.reason})`);
  const loaded = await loadData(data.path, data.format ?? "auto");
  if (!loaded.train.labels) {
    throw new UsageError(
      `Cannot evaluate --data "${data.path}": it has no labels, so no one-class protocol`,
    );
  }
  const protocol = oneClass(
    loaded.test ? { train: loaded.train, test: loaded.test } : loaded.train,
    normalClass,
    {
      trainLimit: options.trainLimit,
      testLimit: options.testLimit,
      seed: options.seeds?.[0] ?? 0,
    },
  );
  const className = loaded.train.names?.[normalClass] ?? String(normalClass);
  log(
    `protocol: one-class, normal = ${normalClass} (${className}); train ${protocol.counts.train}, test ${protocol.counts.testNormal} normal + ${protocol.counts.testAnomaly} anomalous (${loaded.source})`,
  );
  const dir = await outDir(options.out, options.command);
  const t0 = performance.now();
  const result = await evaluate(
    { ...protocol, name: `one-class, normal = ${className}` },
    { ...options, outDir: dir, sphere: true },
  );
  const title =
    `${loaded.source}: one-class, normal = ${normalClass} (${className})`;
  const written = await writeReport(reportRun(result, title), { dir });
  const seconds = (performance.now() - t0) / 1000;
  const table = evaluationMarkdown(result);
  emit(
    common.json,
    {
      out: dir,
      report: written.html,
      seconds,
      rows: result.rows,
      protocol: result.protocol,
    },
    `${table}\n\nresults: ${dir}/results.json, ${dir}/results.md, ${dir}/scores.csv\nreport:  ${written.html}\ntime:    ${
      seconds.toFixed(0)
    } s`,
  );
  return 0;
}

/** Runs `eval`; returns the exit status. */
export async function runEval(
  cmd: Extract<Command, { kind: "eval" }>,
  argv: string[],
): Promise<number> {
  try {
    selectMethods(cmd.methods);
  } catch (e) {
    throw new UsageError(
      `Cannot use --methods "${cmd.methods?.join(",")}": ${
        (e as Error).message
      }`,
    );
  }
  const configIdx = argv.indexOf("--config");
  const train = await trainOptions(
    cmd.train,
    configIdx >= 0 ? argv[configIdx + 1] : undefined,
  );
  const { epochs, latentDim, widths, batchSize, preset, seed: _seed, ...rest } =
    train;
  return await runEvaluation(
    cmd.common,
    { path: cmd.data, format: cmd.format },
    cmd.normalClass,
    {
      command: "eval",
      methods: cmd.methods,
      seeds: cmd.seeds,
      epochs,
      latentDim,
      widths,
      batchSize,
      preset,
      train: rest as EvaluateOptions["train"],
      trainLimit: cmd.trainLimit,
      testLimit: cmd.testLimit,
      out: cmd.out,
    },
  );
}
