/**
 * The per-epoch JSON-lines log of a training run, `<outDir>/train.jsonl`.
 *
 * @module
 */
import { writeFileAtomic } from "../model/io.ts";

/** The log's file name inside the run's output directory. */
export const TRAIN_LOG = "train.jsonl";

/**
 * Appends one epoch's record as a JSON line to `<outDir>/train.jsonl`.
 *
 * @param outDir The run's output directory (must exist).
 * @param record The epoch's log record.
 * @returns When the line is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appendTrainLog } from "./train_log.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await appendTrainLog(dir, { epoch: 0, loss: 1.5 });
 * await appendTrainLog(dir, { epoch: 1, loss: 1.25 });
 * const lines = (await Deno.readTextFile(`${dir}/train.jsonl`)).trim().split("\n");
 * assert.deepEqual(JSON.parse(lines[1]), { epoch: 1, loss: 1.25 });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function appendTrainLog(
  outDir: string,
  record: unknown,
): Promise<void> {
  await Deno.writeTextFile(
    `${outDir}/${TRAIN_LOG}`,
    JSON.stringify(record) + "\n",
    { append: true },
  );
}

/**
 * Replaces `<outDir>/train.jsonl` atomically with one JSON line per record
 * (an empty file for none): at the start of a run, so that the log holds
 * exactly the epochs of the checkpoint it resumes.
 *
 * @param outDir The run's output directory (must exist).
 * @param records The log records of the epochs done.
 * @returns When the file is written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { appendTrainLog, writeTrainLog } from "./train_log.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await appendTrainLog(dir, { epoch: 0, loss: 1.5 });
 * await appendTrainLog(dir, { epoch: 0, loss: 1.5 });
 * await writeTrainLog(dir, [{ epoch: 0, loss: 1.5 }]);
 * assert.equal(await Deno.readTextFile(`${dir}/train.jsonl`), '{"epoch":0,"loss":1.5}\n');
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeTrainLog(
  outDir: string,
  records: readonly unknown[],
): Promise<void> {
  await writeFileAtomic(
    `${outDir}/${TRAIN_LOG}`,
    records.map((r) => JSON.stringify(r) + "\n").join(""),
  );
}
