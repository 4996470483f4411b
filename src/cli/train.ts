/**
 * `hsvae train`: load data, apply the protocol, train, save the model.
 *
 * @module
 */
import { selectBackend } from "../backend.ts";
import { oneClass } from "../data/protocols.ts";
import { type TrainOptions, trainVAE } from "../train.ts";
import { classSpacing, DEFAULT_LATENT_DIM } from "../presets.ts";
import type { Command, TrainFlags } from "./parse.ts";
import { readConfig } from "./parse.ts";
import { loadData } from "./_data.ts";
import { emit, log, openOut, writingInto } from "./_out.ts";
import { UsageError } from "./_args.ts";

/** Merges `--config` JSON under the flags that were given (flags win). */
export async function trainOptions(
  flags: TrainFlags,
  configPath?: string,
): Promise<TrainOptions> {
  const base: TrainOptions = configPath ? await readConfig(configPath) : {};
  const fromFlags = Object.fromEntries(
    Object.entries({
      variant: flags.variant,
      preset: flags.preset,
      latentDim: flags.latentDim,
      epochs: flags.epochs,
      batchSize: flags.batchSize,
      learningRate: flags.learningRate,
      beta: flags.beta,
      seed: flags.seed,
      widths: flags.widths,
    }).filter(([, v]) => v !== undefined),
  );
  return { ...base, ...fromFlags };
}

/**
 * Usage check of the class roll's `n >= classes * spacing` before any work,
 * so a bad `--latent` fails at once with a hint instead of mid-run.
 *
 * @param classes Number of labelled classes.
 * @param what How the message names them ("classes", "ID classes").
 * @param opts The training options (`latentDim`, `preset`, `loss.spacing`).
 * @param fix The other way out, e.g. "drop --semi-supervised".
 * @throws {UsageError} When the latent is too small.
 */
export function checkRollFits(
  classes: number,
  what: string,
  opts: TrainOptions,
  fix: string,
): void {
  const spacing = classSpacing(
    opts.preset,
    (opts.loss as { spacing?: number } | undefined)?.spacing,
  );
  const n = opts.latentDim ?? DEFAULT_LATENT_DIM;
  if (n < classes * spacing) {
    throw new UsageError(
      `Cannot use --latent ${n}: ${classes} ${what} with spacing ${spacing} need n >= ${
        classes * spacing
      }; raise --latent or ${fix}`,
    );
  }
}

/**
 * How `--resume` names the data in a refusal: the loaded source and the
 * flags that chose the images.
 */
function dataSource(
  cmd: Extract<Command, { kind: "train" }>,
  loaded: string,
): string {
  const flags = [
    `--format ${cmd.format}`,
    cmd.limit === undefined ? "" : `--limit ${cmd.limit}`,
    cmd.normalClass === undefined ? "" : `--normal-class ${cmd.normalClass}`,
  ].filter((f) => f !== "");
  return `${loaded} (${flags.join(" ")})`;
}

/** Runs `train`; returns the exit status. */
export async function runTrain(
  cmd: Extract<Command, { kind: "train" }>,
): Promise<number> {
  const opts = await trainOptions(
    cmd.train,
    cmd.train.configPath,
  );
  const backend = await selectBackend(cmd.common.backend);
  log(`backend: ${backend.backend} (${backend.reason})`);
  const data = await loadData(cmd.data, cmd.format, { limit: cmd.limit });
  const train = cmd.normalClass === undefined ? data.train : oneClass(
    data.test ? { train: data.train, test: data.test } : data.train,
    cmd.normalClass,
  ).train;
  if (cmd.semiSupervised || opts.semiSupervised) {
    if (!train.labels) {
      throw new UsageError(
        `Cannot use --semi-supervised: --data "${
          cmd.data ?? "bundled"
        }" has no labels`,
      );
    }
    checkRollFits(
      new Set(train.labels).size,
      "classes",
      opts,
      "drop --semi-supervised",
    );
  }
  log(
    `data: ${data.source}; training on ${train.shape[0]} images of ${
      train.shape.slice(1).join("x")
    }`,
  );
  await using folder = await openOut(
    cmd.out,
    "train",
    "train",
    cmd.resume ? "resume" : cmd.overwrite ? "overwrite" : "new",
  );
  const dir = folder.path;
  const { history, interrupted, held } = await writingInto(folder, async () => {
    const r = await trainVAE(train, {
      ...opts,
      semiSupervised: cmd.semiSupervised || opts.semiSupervised,
      outDir: dir,
      resume: cmd.resume,
      dataSource: dataSource(cmd, data.source),
    });
    try {
      await r.model.save(`${dir}/model`);
    } finally {
      r.model.dispose();
    }
    return { ...r, held: r.validationIndices.length };
  });
  if (held > 0) {
    log(
      `data: held out ${held} of ${
        train.shape[0]
      } images for validation (validationSplit); not in the bank`,
    );
  }
  const last = history[history.length - 1];
  const summary = {
    out: dir,
    model: `${dir}/model`,
    epochs: history.length,
    interrupted,
    last,
    backend: backend.backend,
  };
  emit(
    cmd.common.json,
    summary,
    `${
      interrupted ? "interrupted; resume with --resume. " : ""
    }trained ${history.length} epoch(s)` +
      (last
        ? `: loss ${last.loss.toPrecision(5)}, rec ${last.rec.toPrecision(5)}`
        : "") +
      `\nmodel saved to ${dir}/model (log: ${dir}/train.jsonl)`,
  );
  return interrupted ? 130 : 0;
}
