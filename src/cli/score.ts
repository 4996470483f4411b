/**
 * `hsvae score`: k-NN anomaly scores of a saved model's latents -> CSV.
 *
 * @module
 */
import { selectBackend } from "../backend.ts";
import { KnnDetector } from "../detectors/knn_detector.ts";
import { loadModel } from "../model/vae_model.ts";
import { writeFileAtomic } from "../model/io.ts";
import type { Command } from "./parse.ts";
import { UsageError } from "./_args.ts";
import { loadData } from "./_data.ts";
import { emit, log, openOut, writingInto } from "./_out.ts";

/** Runs `score`; returns the exit status. */
export async function runScore(
  cmd: Extract<Command, { kind: "score" }>,
): Promise<number> {
  await selectBackend(cmd.common.backend);
  try {
    await Deno.stat(`${cmd.model}/config.json`);
  } catch {
    throw new UsageError(
      `Cannot use --model "${cmd.model}": no config.json in it; pass a folder saved by train`,
    );
  }
  const model = await loadModel(cmd.model);
  try {
    const bank = model.bank;
    if (!bank) {
      throw new UsageError(
        `Cannot use --model "${cmd.model}": it has no latent bank; retrain it with train`,
      );
    }
    const data = await loadData(cmd.data, cmd.format, { limit: cmd.limit });
    const ds = cmd.split === "test" ? (data.test ?? data.train) : data.train;
    const [h, w, c] = model.config.inputShape;
    if (ds.shape[1] !== h || ds.shape[2] !== w || ds.shape[3] !== c) {
      throw new UsageError(
        `Cannot score --data "${cmd.data ?? "bundled"}": images are ${
          ds.shape.slice(1).join("x")
        }, the model takes ${h}x${w}x${c}`,
      );
    }
    await using folder = await openOut(
      cmd.out,
      "score",
      "score",
      cmd.overwrite ? "overwrite" : "new",
    );
    const dir = folder.path;
    log(
      `scoring ${ds.shape[0]} images against a bank of ${
        bank.shape[0]
      } latents (k = ${cmd.k})`,
    );
    const det = new KnnDetector({ k: cmd.k, contamination: cmd.contamination });
    await det.fit({
      data: bank.data,
      rows: bank.shape[0],
      cols: bank.shape[1],
    });
    const { mu, shape } = await model.encode(ds.images, ds.shape);
    const scores = await det.score({
      data: mu,
      rows: shape[0],
      cols: shape[1],
    });
    const withPred = cmd.contamination !== undefined;
    const threshold = withPred ? det.threshold : NaN;
    const header = [
      "id",
      "label",
      "score",
      ...(withPred ? ["threshold", "prediction"] : []),
    ];
    const lines = [header.join(",")];
    for (let i = 0; i < scores.length; i++) {
      const id = ds.ids?.[i] ?? String(i);
      const label = ds.labels ? String(ds.labels[i]) : "";
      const row = [JSON.stringify(id), label, String(scores[i])];
      if (withPred) {
        row.push(String(threshold), scores[i] > threshold ? "1" : "0");
      }
      lines.push(row.join(","));
    }
    await writingInto(
      folder,
      () => writeFileAtomic(`${dir}/scores.csv`, lines.join("\n") + "\n"),
    );
    let mean = 0;
    for (const s of scores) mean += s;
    mean /= scores.length;
    emit(
      cmd.common.json,
      {
        out: `${dir}/scores.csv`,
        n: scores.length,
        meanScore: mean,
        threshold: withPred ? threshold : null,
      },
      `wrote ${dir}/scores.csv: ${scores.length} scores (higher = more anomalous), mean ${
        mean.toPrecision(5)
      }` +
        (withPred ? `, threshold ${threshold.toPrecision(5)}` : ""),
    );
    det.dispose?.();
    return 0;
  } finally {
    model.dispose();
  }
}
