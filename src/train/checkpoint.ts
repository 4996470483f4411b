/**
 * Atomic training checkpoints (format `hsvae-checkpoint` v3) and their
 * reading for an exact resume.
 *
 * Layout of `<outDir>/checkpoints/`: `latest.json` names the current
 * checkpoint directory, `epoch-<E>[-step<S>]-<stamp>/`, which holds
 * `state.json` ({@linkcode CheckpointState}), one `opt-<name>.bin` per
 * optimiser, and whatever the model's step writes (for the VAE:
 * `encoder/`, `decoder/`). A new checkpoint is written under a fresh name,
 * renamed into place, then `latest.json` flips atomically; older ones are
 * removed only after it did, so a crash at any point leaves a readable one.
 *
 * @module
 */
import type { tf } from "../tf.ts";
import { writeFileAtomic } from "../model/io.ts";
import { DataFormatError } from "../errors.ts";
import type { LoopSettings } from "./loop_options.ts";
import {
  loadOptimizer,
  type SavedOptimizer,
  saveOptimizer,
} from "./optimizer_state.ts";

/** The format name in every `state.json`. */
export const CHECKPOINT_FORMAT = "hsvae-checkpoint";
/**
 * The format version this toolkit writes and reads (3: with the run's
 * `fingerprint`; a v2 checkpoint cannot prove it continues the same run).
 */
export const CHECKPOINT_VERSION = 3;

/** Running sums of an epoch in progress. */
export interface PartialEpoch {
  /** 0-based epoch. */
  epoch: number;
  /** Next batch index. */
  step: number;
  /** Batches that counted (at least `minBatchSize` rows). */
  steps: number;
  /** Examples in batches that counted. */
  seen: number;
  /** Wall time so far. */
  seconds: number;
  /** Sum of each named loss over the batches that counted. */
  sums: Record<string, number>;
}

/** `state.json` of a checkpoint. */
export interface CheckpointState<Log = unknown> {
  /** Always {@linkcode CHECKPOINT_FORMAT}. */
  format: typeof CHECKPOINT_FORMAT;
  /** Always {@linkcode CHECKPOINT_VERSION}. */
  formatVersion: typeof CHECKPOINT_VERSION;
  /** The model kind (e.g. `"vae"`). */
  kind: string;
  /** Full epochs done. */
  epochsDone: number;
  /** The epoch in progress when interrupted mid-epoch. */
  partial: PartialEpoch | null;
  /** The loop's settings. */
  loop: LoopSettings;
  /**
   * The run's inputs (data and options; any JSON, `null` for none) that a
   * resume must match (see `compareFingerprints`).
   */
  fingerprint: unknown;
  /** One log record per finished epoch. */
  history: Log[];
  /** The optimisers' state besides their weight files. */
  optimizers: ({ name: string } & SavedOptimizer)[];
  /** The model step's own state. */
  model: unknown;
}

/** A checkpoint found on disk. */
export interface Checkpoint<Log = unknown> {
  /** Its directory (holding `state.json` and the weight files). */
  path: string;
  /** Its parsed `state.json`. */
  state: CheckpointState<Log>;
}

/** An optimiser to save under a name. */
export interface NamedOptimizer {
  /** `opt-<name>.bin` in the checkpoint. */
  name: string;
  /** The optimiser. */
  optimizer: tf.AdamOptimizer;
}

function checkpointName(epochsDone: number, partial: PartialEpoch | null) {
  const step = partial ? `-step${String(partial.step).padStart(5, "0")}` : "";
  // a fresh name every time, so a write never touches the checkpoint in use
  return `epoch-${String(epochsDone).padStart(4, "0")}${step}-${
    Date.now().toString(36)
  }`;
}

async function removeOlder(root: string, keep: string): Promise<void> {
  for await (const e of Deno.readDir(root)) {
    if (
      e.isDirectory && e.name.startsWith("epoch-") && e.name !== keep &&
      !e.name.endsWith(".tmp")
    ) {
      await Deno.remove(`${root}/${e.name}`, { recursive: true }).catch(
        () => {},
      );
    }
  }
}

/**
 * Writes a checkpoint into `<dir>/checkpoints/` atomically and makes it the
 * latest; older checkpoints are removed afterwards.
 *
 * @param dir The run's output directory.
 * @param state The state, without the optimisers' (filled in here).
 * @param optimizers The optimisers to save.
 * @param save Writes the model's files into the checkpoint directory.
 * @returns The checkpoint's directory.
 *
 * @example Write, then read back
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCheckpoint, writeCheckpoint } from "./checkpoint.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await writeCheckpoint(dir, {
 *   format: "hsvae-checkpoint", formatVersion: 3, kind: "demo", epochsDone: 1,
 *   partial: null, history: [{ loss: 1 }], model: { bias: 0.5 }, fingerprint: null,
 *   loop: { size: 4, epochs: 2, batchSize: 2, learningRate: 0.1, lrMilestones: [], seed: 0, validationSplit: 0, minBatchSize: 1, stratified: false },
 * }, [], async (d) => await Deno.writeTextFile(`${d}/weights.txt`, "w"));
 * const back = await readCheckpoint(dir, "demo");
 * assert.equal(back?.state.epochsDone, 1);
 * assert.equal(await Deno.readTextFile(`${back!.path}/weights.txt`), "w");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeCheckpoint<Log>(
  dir: string,
  state: Omit<CheckpointState<Log>, "optimizers">,
  optimizers: readonly NamedOptimizer[],
  save: (dir: string) => Promise<void>,
): Promise<string> {
  const root = `${dir}/checkpoints`;
  const name = checkpointName(state.epochsDone, state.partial);
  const tmp = `${root}/${name}.tmp`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  await save(tmp);
  const saved: CheckpointState<Log>["optimizers"] = [];
  for (const { name, optimizer } of optimizers) {
    saved.push({
      name,
      ...(await saveOptimizer(optimizer, `${tmp}/opt-${name}.bin`)),
    });
  }
  const full: CheckpointState<Log> = { ...state, optimizers: saved };
  await writeFileAtomic(`${tmp}/state.json`, JSON.stringify(full));
  await Deno.rename(tmp, `${root}/${name}`);
  // the pointer flips atomically; older checkpoints go only after it does
  await writeFileAtomic(
    `${root}/latest.json`,
    JSON.stringify({ checkpoint: name }),
  );
  await removeOlder(root, name);
  return `${root}/${name}`;
}

async function readPointer(root: string): Promise<string | null> {
  let pointer: { checkpoint?: string };
  try {
    pointer = JSON.parse(await Deno.readTextFile(`${root}/latest.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw new DataFormatError(
      `Cannot resume: "${root}/latest.json" is not valid JSON (${
        (e as Error).message
      })`,
      { file: `${root}/latest.json` },
    );
  }
  return `${root}/${pointer.checkpoint}`;
}

async function readState<Log>(
  root: string,
  file: string,
): Promise<CheckpointState<Log>> {
  try {
    return JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    throw new DataFormatError(
      `Cannot resume: checkpoint "${file}" is unreadable (${
        (e as Error).message
      }); delete "${root}" to start over`,
      { file },
    );
  }
}

/**
 * Reads the latest checkpoint of `<dir>/checkpoints/`.
 *
 * @param dir The run's output directory.
 * @param kind The model kind the caller trains.
 * @returns The checkpoint, or `null` when there is none.
 * @throws {DataFormatError} When a file is unreadable, of another format or
 *   version, or of another model kind.
 *
 * @example No checkpoint yet
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCheckpoint } from "./checkpoint.ts";
 *
 * const dir = await Deno.makeTempDir();
 * assert.equal(await readCheckpoint(dir, "vae"), null);
 * await Deno.remove(dir);
 * ```
 */
export async function readCheckpoint<Log = unknown>(
  dir: string,
  kind: string,
): Promise<Checkpoint<Log> | null> {
  const root = `${dir}/checkpoints`;
  const path = await readPointer(root);
  if (path === null) return null;
  const file = `${path}/state.json`;
  const state = await readState<Log>(root, file);
  if (
    state.format !== CHECKPOINT_FORMAT ||
    state.formatVersion !== CHECKPOINT_VERSION
  ) {
    throw new DataFormatError(
      `Cannot resume: "${file}" is format "${state.format}" v${state.formatVersion}, this toolkit reads ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION}; start a new run`,
      { file },
    );
  }
  if (state.kind !== kind) {
    throw new DataFormatError(
      `Cannot resume: "${file}" is a checkpoint of a "${state.kind}" model, not "${kind}"; use another outDir`,
      { file },
    );
  }
  return { path, state };
}

/**
 * Throws unless every key of `keys` has the same (JSON) value in the
 * checkpoint's options and in the current ones.
 *
 * @param saved Options stored in the checkpoint.
 * @param now The current options.
 * @param keys The keys that must match, checked in order.
 * @throws {RangeError} Naming the first key that differs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { assertSameRun } from "./checkpoint.ts";
 *
 * assertSameRun({ seed: 1, epochs: 2 }, { seed: 1, epochs: 5 }, ["seed"]);
 * assert.throws(
 *   () => assertSameRun({ seed: 1 }, { seed: 2 }, ["seed"]),
 *   /option "seed" was 1 in the checkpoint, now 2/,
 * );
 * ```
 */
export function assertSameRun<T extends object>(
  saved: T,
  now: T,
  keys: readonly (keyof T)[],
): void {
  for (const k of keys) {
    const a = JSON.stringify(saved[k]);
    const b = JSON.stringify(now[k]);
    if (a !== b) {
      throw new RangeError(
        `Cannot resume: option "${
          String(k)
        }" was ${a} in the checkpoint, now ${b}; use the same options or a new outDir`,
      );
    }
  }
}

/**
 * Restores the optimisers saved in a checkpoint, by name.
 *
 * @param checkpoint The checkpoint.
 * @param optimizers Fresh optimisers with the same names.
 * @returns When all are restored.
 * @throws {DataFormatError} When the checkpoint's optimisers and these
 *   differ.
 *
 * @example Nothing to restore
 * ```ts
 * import { restoreOptimizers } from "./checkpoint.ts";
 *
 * await restoreOptimizers({ path: "/nowhere", state: { optimizers: [] } as never }, []);
 * ```
 */
export async function restoreOptimizers(
  checkpoint: Checkpoint,
  optimizers: readonly NamedOptimizer[],
): Promise<void> {
  const saved = checkpoint.state.optimizers;
  const names = optimizers.map((o) => o.name);
  if (JSON.stringify(saved.map((o) => o.name)) !== JSON.stringify(names)) {
    throw new DataFormatError(
      `Cannot resume: the checkpoint has optimisers ${
        JSON.stringify(saved.map((o) => o.name))
      }, this run ${JSON.stringify(names)}; use the same options`,
      { file: `${checkpoint.path}/state.json` },
    );
  }
  for (const [i, o] of saved.entries()) {
    await loadOptimizer(
      optimizers[i].optimizer,
      `${checkpoint.path}/opt-${o.name}.bin`,
      o,
    );
  }
}
