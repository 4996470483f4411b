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
 * Each checkpoint directory holds a `manifest.json` (sizes and SHA-256 of
 * its files, src/integrity/manifest.ts), written before the rename and
 * verified by {@linkcode readCheckpoint} before anything is parsed.
 *
 * @module
 */
import type { tf } from "../tf.ts";
import { writeFileAtomic } from "../model/io.ts";
import { DataFormatError } from "../errors.ts";
import {
  MANIFEST_FILE,
  type VerifiedFolder,
  verifyManifest,
  writeManifest,
} from "../integrity/manifest.ts";
import { replaceFolder } from "../integrity/replace_folder.ts";
import { pathExists } from "../integrity/path_exists.ts";
import { peekJsonObject } from "../integrity/peek_json_object.ts";
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
    // older checkpoints, and leftovers of writes a crash interrupted
    if (e.isDirectory && e.name.startsWith("epoch-") && e.name !== keep) {
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
  await replaceFolder(`${root}/${name}`, async (tmp) => {
    await save(tmp);
    const saved: CheckpointState<Log>["optimizers"] = [];
    for (const { name, optimizer } of optimizers) {
      saved.push({
        name,
        ...(await saveOptimizer(optimizer, `${tmp}/opt-${name}.bin`)),
      });
    }
    const full: CheckpointState<Log> = { ...state, optimizers: saved };
    await writeFileAtomic(`${tmp}/${STATE_FILE}`, JSON.stringify(full));
    await writeManifest(tmp);
  });
  // the pointer flips atomically; older checkpoints go only after it does
  await writeFileAtomic(
    `${root}/latest.json`,
    JSON.stringify({ checkpoint: name }),
  );
  await removeOlder(root, name);
  return `${root}/${name}`;
}

const STATE_FILE = "state.json";
const POINTER_FILE = "latest.json";
const OPTIMIZER_NAME = /^[A-Za-z0-9_.-]+$/;

function fail(file: string, reason: string): never {
  throw new DataFormatError(`Cannot resume: ${reason}`, { file });
}

/** The directory `latest.json` names, or `null` when there is none. */
async function readPointer(root: string): Promise<string | null> {
  const file = `${root}/${POINTER_FILE}`;
  let pointer: unknown;
  try {
    pointer = JSON.parse(await Deno.readTextFile(file));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    fail(
      file,
      `"${file}" is not valid JSON (${
        (e as Error).message
      }); delete "${root}" to start over`,
    );
  }
  const name = pointer !== null && typeof pointer === "object"
    ? (pointer as { checkpoint?: unknown }).checkpoint
    : undefined;
  if (typeof name !== "string" || !/^epoch-[A-Za-z0-9-]+$/.test(name)) {
    fail(
      file,
      `"${file}" does not name a checkpoint directory ({ "checkpoint": "epoch-..." }); delete "${root}" to start over`,
    );
  }
  if (!(await pathExists(`${root}/${name}`))) {
    fail(
      file,
      `"${file}" names "${name}", which is missing; delete "${root}" to start over`,
    );
  }
  return `${root}/${name}`;
}

/** What to do about a damaged checkpoint: start over, or fall back. */
async function fixFor(root: string, path: string): Promise<string> {
  const others: string[] = [];
  for await (const e of Deno.readDir(root)) {
    const p = `${root}/${e.name}`;
    if (
      e.isDirectory && /^epoch-[A-Za-z0-9-]+$/.test(e.name) && p !== path &&
      await pathExists(`${p}/${MANIFEST_FILE}`)
    ) others.push(e.name);
  }
  others.sort().reverse();
  return others.length === 0
    ? `delete "${root}" to start over`
    : `delete "${root}" to start over, or make "${root}/${POINTER_FILE}" name "${
      others[0]
    }" to resume from that older checkpoint`;
}

function otherFormat(file: string, state: Record<string, unknown>): never {
  fail(
    file,
    `"${file}" is format "${state.format}" v${state.formatVersion}, this toolkit reads ${CHECKPOINT_FORMAT} v${CHECKPOINT_VERSION}; start a new run`,
  );
}

/**
 * Checks the checkpoint against its manifest; a checkpoint of another
 * format version is told so first, and one without a manifest (written by
 * an hsvae before manifests) is refused.
 */
async function verifyCheckpoint(
  root: string,
  path: string,
): Promise<VerifiedFolder> {
  const file = `${path}/${STATE_FILE}`;
  const manifest = `${path}/${MANIFEST_FILE}`;
  const fix = await fixFor(root, path);
  const rejectOtherFormat = async () => {
    const state = await peekJsonObject(file);
    if (
      state !== null && state.format === CHECKPOINT_FORMAT &&
      typeof state.formatVersion === "number" &&
      state.formatVersion !== CHECKPOINT_VERSION
    ) otherFormat(file, state);
  };
  if (!(await pathExists(manifest))) {
    await rejectOtherFormat();
    fail(
      manifest,
      `"${manifest}" is missing: the checkpoint was written without a manifest (by an hsvae before integrity manifests); ${fix}`,
    );
  }
  try {
    return await verifyManifest(path, { action: "resume", fix });
  } catch (e) {
    if (e instanceof DataFormatError) await rejectOtherFormat();
    throw e;
  }
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function isCount(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

/** The first field of a parsed `state.json` that is malformed, or `null`. */
function badField(state: Record<string, unknown>): string | null {
  if (!isCount(state.epochsDone)) return "epochsDone";
  const p = state.partial as Record<string, unknown> | null;
  if (
    p !== null && (typeof p !== "object" || !isCount(p.epoch) ||
      !isCount(p.step) || !isCount(p.steps) || !isCount(p.seen) ||
      !isFiniteNumber(p.seconds) || p.sums === null ||
      typeof p.sums !== "object")
  ) return "partial";
  if (state.loop === null || typeof state.loop !== "object") return "loop";
  if (!Array.isArray(state.history)) return "history";
  if (state.model === undefined) return "model";
  const opts = state.optimizers;
  if (
    !Array.isArray(opts) ||
    !opts.every((o) =>
      o !== null && typeof o === "object" && typeof o.name === "string" &&
      OPTIMIZER_NAME.test(o.name) && Array.isArray(o.specs) &&
      Array.isArray(o.accBeta) && o.accBeta.length === 2 &&
      o.accBeta.every(isFiniteNumber)
    )
  ) return "optimizers";
  return null;
}

/**
 * Reads the latest checkpoint of `<dir>/checkpoints/`, after checking every
 * file of it against its `manifest.json`.
 *
 * @param dir The run's output directory.
 * @param kind The model kind the caller trains.
 * @returns The checkpoint, or `null` when there is none.
 * @throws {DataFormatError} When a file is missing, damaged (size or
 *   SHA-256 differ from the manifest) or unreadable, the manifest is
 *   missing, or the checkpoint is of another format, version or model kind;
 *   `file` names the file and the message says to delete the run's
 *   checkpoints (or fall back to an older one when there is one).
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
  const folder = await verifyCheckpoint(root, path);
  const file = `${path}/${STATE_FILE}`;
  let state: CheckpointState<Log>;
  try {
    state = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(
        folder.readFile(STATE_FILE),
      ),
    );
  } catch (e) {
    if (e instanceof DataFormatError) throw e;
    fail(
      file,
      `checkpoint "${file}" is unreadable (${
        (e as Error).message
      }); delete "${root}" to start over`,
    );
  }
  if (state === null || typeof state !== "object" || Array.isArray(state)) {
    fail(
      file,
      `"${file}" is not a JSON object; delete "${root}" to start over`,
    );
  }
  if (
    state.format !== CHECKPOINT_FORMAT ||
    state.formatVersion !== CHECKPOINT_VERSION
  ) {
    otherFormat(file, state as unknown as Record<string, unknown>);
  }
  if (state.kind !== kind) {
    fail(
      file,
      `"${file}" is a checkpoint of a "${state.kind}" model, not "${kind}"; use another outDir`,
    );
  }
  const bad = badField(state as unknown as Record<string, unknown>);
  if (bad !== null) {
    fail(
      file,
      `"${file}" has an invalid "${bad}" entry; delete "${root}" to start over`,
    );
  }
  // every optimiser file the state names must be one the manifest vouches for
  for (const o of state.optimizers) folder.readFile(`opt-${o.name}.bin`);
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
