/**
 * `hsvae eval` (and the demo): the ablation table on a one-class protocol,
 * its files and the HTML report.
 *
 * @module
 */
import { selectBackend } from "../backend.ts";
import { inVsOutByClass, oneClass } from "../data/protocols.ts";
import { evaluate } from "../evaluate/evaluate.ts";
import type {
  EvaluateOptions,
  EvaluationProtocol,
  EvaluationResult,
} from "../evaluate/types.ts";
import { evaluationMarkdown } from "../evaluate/write_evaluation.ts";
import { selectMethods } from "../evaluate/methods.ts";
import type { Command } from "./parse.ts";
import { UsageError } from "./_args.ts";
import { writeFileAtomic } from "../model/io.ts";
import { loadData } from "./_data.ts";
import { emit, log, openOut, writingInto } from "./_out.ts";
import { checkRollFits, trainOptions } from "./train.ts";

/** Which protocol `eval` builds from the labelled data. */
export type ProtocolChoice =
  | { kind: "one-class"; normalClass: number | "all" }
  | { kind: "in-vs-out"; idClasses: number[] };

type Loaded = Awaited<ReturnType<typeof loadData>>;

/** Builds the protocol `which` asks for from loaded, labelled data. */
function buildProtocol(
  loaded: Loaded,
  which: { kind: "one-class"; normalClass: number } | {
    kind: "in-vs-out";
    idClasses: number[];
  },
  options: {
    trainLimit?: number;
    testLimit?: number;
    seed: number;
    dataPath?: string;
  },
): { protocol: EvaluationProtocol; title: string } {
  const splits = loaded.test
    ? { train: loaded.train, test: loaded.test }
    : null;
  if (which.kind === "one-class") {
    const p = oneClass(splits ?? loaded.train, which.normalClass, {
      trainLimit: options.trainLimit,
      testLimit: options.testLimit,
      seed: options.seed,
    });
    const className = loaded.train.names?.[which.normalClass] ??
      String(which.normalClass);
    const title = `one-class, normal = ${which.normalClass} (${className})`;
    return { protocol: { ...p, name: title }, title };
  }
  if (!splits) {
    throw new UsageError(
      `Cannot use --protocol in-vs-out: --data "${options.dataPath}" has no test split`,
    );
  }
  if (!splits.train.labels?.some((y) => which.idClasses.includes(y))) {
    throw new UsageError(
      `Cannot use --id-classes ${
        which.idClasses.join(",")
      }: no training image has these labels`,
    );
  }
  const p = inVsOutByClass(splits, which.idClasses, {
    trainLimit: options.trainLimit,
    testLimit: options.testLimit,
    seed: options.seed,
  });
  const names = which.idClasses.map((c) =>
    loaded.train.names?.[c] ?? String(c)
  );
  const title = `in-vs-out (semi-supervised), ID = ${names.join(", ")}`;
  return { protocol: { ...p, name: title, semiSupervised: true }, title };
}

/**
 * The one-class sweep: every class in turn as the normal class. Rows are
 * methods, columns the classes' AUROC, then the means over classes of AUROC
 * and of both FPR95 conventions.
 */
export function sweepMarkdown(
  classes: { label: number; name: string; result: EvaluationResult }[],
): string {
  const methods = classes[0].result.rows.map((r) => r.label);
  const head = `| Method | ${
    classes.map((c) => `${c.label} ${c.name}`).join(" | ")
  } | mean AUROC | mean FPR95 (OOD positive) | mean FPR95 (ID positive) |`;
  const sep = `| --- | ${
    classes.map(() => "---:").join(" | ")
  } | ---: | ---: | ---: |`;
  const lines = methods.map((m, i) => {
    const rows = classes.map((c) => c.result.rows[i].mean);
    const mean = (k: "auroc" | "fpr95" | "fpr95Id") =>
      rows.reduce((s, r) => s + r[k], 0) / rows.length;
    return `| ${m} | ${rows.map((r) => r.auroc.toFixed(4)).join(" | ")} | ${
      mean("auroc").toFixed(4)
    } | ${mean("fpr95").toFixed(4)} | ${mean("fpr95Id").toFixed(4)} |`;
  });
  return [head, sep, ...lines].join("\n");
}

/** Runs the ablation and writes results, report and summary. */
export async function runEvaluation(
  common: { json: boolean; backend?: Parameters<typeof selectBackend>[0] },
  data: { path?: string; format?: Parameters<typeof loadData>[1] },
  which: ProtocolChoice,
  options: Omit<EvaluateOptions, "jobs"> & {
    trainLimit?: number;
    testLimit?: number;
    out?: string;
    /** Remove a previous result in `out` first. */
    overwrite?: boolean;
    command: string;
    /** Trainings at once; "auto": one per core on wasm/cpu, 1 on webgpu. */
    jobs?: number | "auto";
  },
): Promise<number> {
  const backend = await selectBackend(common.backend);
  log(`backend: ${backend.backend} (${backend.reason})`);
  const jobs = options.jobs === undefined || options.jobs === "auto"
    ? (backend.backend === "webgpu" ? 1 : navigator.hardwareConcurrency ?? 1)
    : options.jobs;
  const loaded = await loadData(data.path, data.format ?? "auto");
  if (!loaded.train.labels) {
    throw new UsageError(
      `Cannot evaluate --data "${
        data.path ?? "bundled"
      }": it has no labels, so no one-class or in-vs-out protocol`,
    );
  }
  await using folder = await openOut(
    options.out,
    options.command,
    "eval",
    options.overwrite ? "overwrite" : "new",
  );
  return await writingInto(
    folder,
    () =>
      evaluateInto(folder.path, common, loaded, which, {
        ...options,
        jobs,
        dataPath: data.path,
      }),
  );
}

/** Runs the ablation (or the sweep) into the locked folder `dir`. */
async function evaluateInto(
  dir: string,
  common: { json: boolean },
  loaded: Loaded,
  which: ProtocolChoice,
  options: Omit<EvaluateOptions, "jobs"> & {
    trainLimit?: number;
    testLimit?: number;
    jobs: number;
    dataPath?: string;
  },
): Promise<number> {
  const { jobs, dataPath, ...evaluateOptions } = options;
  const seed = options.seeds?.[0] ?? 0;
  const t0 = performance.now();
  const runOne = async (
    w: { kind: "one-class"; normalClass: number } | {
      kind: "in-vs-out";
      idClasses: number[];
    },
    out: string,
  ) => {
    const { protocol, title } = buildProtocol(loaded, w, {
      trainLimit: options.trainLimit,
      testLimit: options.testLimit,
      seed,
      dataPath,
    });
    log(
      `protocol: ${title}; train ${protocol.train.shape[0]}, test ${
        protocol.test.shape[0]
      } (${loaded.source})`,
    );
    const result = await evaluate(protocol, {
      ...evaluateOptions,
      jobs,
      outDir: out,
      sphere: true,
      report: { title: `${loaded.source}: ${title}` },
    });
    return { result, written: result.files!.report! };
  };

  if (which.kind === "one-class" && which.normalClass === "all") {
    const labels = [...new Set(loaded.train.labels)].sort((a, b) => a - b);
    const classes: {
      label: number;
      name: string;
      result: EvaluationResult;
      report: string;
    }[] = [];
    for (const label of labels) {
      const { result, written } = await runOne({
        kind: "one-class",
        normalClass: label,
      }, `${dir}/class-${label}`);
      classes.push({
        label,
        name: loaded.train.names?.[label] ?? String(label),
        result,
        report: written.html,
      });
    }
    const table = sweepMarkdown(classes);
    const seconds = (performance.now() - t0) / 1000;
    await writeFileAtomic(
      `${dir}/summary.md`,
      `# One-class sweep: ${loaded.source}\n\nAUROC per normal class (columns), then means over classes. FPR95 (OOD positive): the paper's convention; FPR95 (ID positive): ODIN / KNN / CIDER.\n\n${table}\n`,
    );
    const summary = {
      out: dir,
      seconds,
      classes: classes.map((c) => ({
        label: c.label,
        name: c.name,
        report: c.report,
        rows: c.result.rows.map((r) => ({ method: r.method, ...r.mean })),
      })),
    };
    await writeFileAtomic(
      `${dir}/summary.json`,
      JSON.stringify(summary, null, 2),
    );
    emit(
      common.json,
      summary,
      `${table}\n\nper class: ${dir}/class-<k>/ (results, report)\nsummary: ${dir}/summary.md, ${dir}/summary.json\ntime:    ${
        seconds.toFixed(0)
      } s`,
    );
    return 0;
  }

  const { result, written } = await runOne(
    which as Parameters<typeof runOne>[0],
    dir,
  );
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
  const train = await trainOptions(
    cmd.train,
    cmd.train.configPath,
  );
  const { epochs, latentDim, widths, batchSize, preset, seed: _seed, ...rest } =
    train;
  const which: ProtocolChoice = cmd.protocol === "one-class"
    ? { kind: "one-class", normalClass: cmd.normalClass }
    : { kind: "in-vs-out", idClasses: cmd.idClasses };
  if (which.kind === "in-vs-out") {
    checkRollFits(
      which.idClasses.length,
      "ID classes",
      train,
      "use fewer --id-classes",
    );
  }
  return await runEvaluation(
    cmd.common,
    { path: cmd.data, format: cmd.format },
    which,
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
      jobs: cmd.jobs,
      out: cmd.out,
      overwrite: cmd.overwrite,
    },
  );
}
