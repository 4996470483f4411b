/**
 * Seeded fuzzing of saved models and checkpoints: each case copies a valid
 * tiny model folder or run folder, applies one corruption (truncate, flip
 * bits, zero, delete, append, set a JSON field to 0 / -1 / huge / a wrong
 * type, duplicate or garble a JSON key, reformat JSON, leave a leftover of
 * an interrupted save) and loads it the way `score` or a resume does.
 *
 * A load must either refuse with a typed error (src/errors.ts, LimitError or
 * RangeError) whose message names the case's folder, or give back exactly
 * the saved model or checkpoint: never another exception, never a hang,
 * never a silently different model. "Resealed" cases write the manifest
 * again after damaging config.json or state.json (as a buggy tool would):
 * there the checks behind the manifest must still refuse with a typed error
 * or load something, never crash with an untyped one.
 */
import { loadModel } from "../../src/model/vae_model.ts";
import { writeManifest } from "../../src/integrity/manifest.ts";
import {
  BackendError,
  DataFormatError,
  NotFittedError,
  ShapeError,
} from "../../src/errors.ts";
import { selectBackend } from "../../src/backend.ts";
import { mulberry32 } from "../../src/random.ts";
import { tf } from "../../src/tf.ts";
import { equal, ok } from "../_assert.ts";
import {
  checkpointDigest,
  copyTree,
  filesUnder,
  modelDigest,
  tinyCheckpoint,
  tinyModel,
} from "./_artifacts.ts";

await selectBackend("wasm", { wasmThreads: 1 });

const MODEL_CASES = 50;
const CHECKPOINT_CASES = 30;
const RESEALED_CASES = 16;
const CASE_TIMEOUT_MS = 20_000;
/** `HSVAE_FUZZ_VERBOSE=1` prints every case and its outcome. */
const VERBOSE = Deno.env.get("HSVAE_FUZZ_VERBOSE") !== undefined;

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T =>
  xs[Math.floor(rng() * xs.length)];

const WEIRD: unknown[] = [0, -1, 1e308, 2 ** 53, "x", null, [], {}, true, -0.5];

/** Every key path of a JSON value, up to depth 4 (array items included). */
function keyPaths(v: unknown, depth = 0, at: (string | number)[] = []) {
  const out: (string | number)[][] = [];
  if (depth > 4 || v === null || typeof v !== "object") return out;
  const entries = Array.isArray(v)
    ? v.map((x, i) => [i, x] as const)
    : Object.entries(v);
  for (const [k, x] of entries) {
    out.push([...at, k], ...keyPaths(x, depth + 1, [...at, k]));
  }
  return out;
}

function setPath(root: unknown, path: (string | number)[], value: unknown) {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as typeof o;
  o[path[path.length - 1]] = value;
}

/** One JSON corruption of `text`, or `null` when `text` is not JSON. */
function corruptJson(
  rng: Rng,
  text: string,
  kinds: readonly string[] = [
    "field",
    "dup-first",
    "dup-last",
    "garble",
    "reformat",
  ],
): [string, string] | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  const paths = keyPaths(v);
  const keys = paths.map((p) => p[p.length - 1]).filter((k) =>
    typeof k === "string"
  ) as string[];
  const kind = pick(rng, kinds);
  if (kind === "reformat" || paths.length === 0) {
    return ["reformat", JSON.stringify(v, null, pick(rng, [0, 1, 3, "\t"]))];
  }
  if (kind === "field") {
    const path = pick(rng, paths);
    const value = pick(rng, WEIRD);
    setPath(v, path, structuredClone(value));
    return [
      `set ${path.join(".")} = ${JSON.stringify(value)}`,
      JSON.stringify(v),
    ];
  }
  const key = pick(rng, keys.length > 0 ? keys : ["format"]);
  const value = JSON.stringify(pick(rng, WEIRD));
  const open = text.indexOf("{");
  if (kind === "dup-first" && open >= 0) {
    // JSON.parse keeps the last of duplicated keys: the original wins
    return [
      `duplicate "${key}" first`,
      `${text.slice(0, open + 1)}"${key}": ${value},${text.slice(open + 1)}`,
    ];
  }
  const close = text.lastIndexOf("}");
  if (kind === "dup-last" && close > 0) {
    return [
      `duplicate "${key}" last`,
      `${text.slice(0, close)}, "${key}": ${value}${text.slice(close)}`,
    ];
  }
  const at = text.indexOf(`"${key}"`);
  const garbled = key.length === 0 ? "?" : key.slice(0, -1) +
    String.fromCharCode(key.charCodeAt(key.length - 1) ^ 1);
  return [
    `garble key "${key}"`,
    `${text.slice(0, at)}"${garbled}"${text.slice(at + key.length + 2)}`,
  ];
}

/** Applies one corruption to a file of `folder`; returns its description. */
async function corrupt(
  rng: Rng,
  folder: string,
  files: string[],
): Promise<string> {
  const rel = pick(rng, files);
  const file = `${folder}/${rel}`;
  const bytes = await Deno.readFile(file);
  const op = pick(rng, [
    "truncate",
    "flip",
    "zero",
    "zero-half",
    "delete",
    "append",
    "json",
    "json",
    "json",
    "leftover",
  ]);
  switch (op) {
    case "truncate": {
      const at = Math.floor(rng() * bytes.length);
      await Deno.writeFile(file, bytes.subarray(0, at));
      return `${rel}: truncate at ${at}`;
    }
    case "flip": {
      const b = bytes.slice();
      const k = 1 + Math.floor(rng() * 4);
      for (let i = 0; i < k; i++) {
        b[Math.floor(rng() * b.length)] ^= 1 << Math.floor(rng() * 8);
      }
      await Deno.writeFile(file, b);
      return `${rel}: flip ${k} bit(s)`;
    }
    case "zero":
      await Deno.writeFile(file, new Uint8Array(bytes.length));
      return `${rel}: zero`;
    case "zero-half": {
      const b = bytes.slice();
      const h = Math.floor(b.length / 2);
      if (rng() < 0.5) b.fill(0, 0, h);
      else b.fill(0, h);
      await Deno.writeFile(file, b);
      return `${rel}: zero half`;
    }
    case "delete":
      await Deno.remove(file);
      return `${rel}: delete`;
    case "append": {
      const extra = Uint8Array.from(
        { length: 1 + Math.floor(rng() * 16) },
        () => Math.floor(rng() * 256),
      );
      await Deno.writeFile(file, new Uint8Array([...bytes, ...extra]));
      return `${rel}: append ${extra.length} bytes`;
    }
    case "json": {
      const c = corruptJson(rng, new TextDecoder().decode(bytes));
      if (c === null) {
        await Deno.writeFile(file, bytes.subarray(0, bytes.length - 1));
        return `${rel}: drop last byte`;
      }
      await Deno.writeTextFile(file, c[1]);
      return `${rel}: ${c[0]}`;
    }
    default: {
      // what an interrupted save leaves behind, beside and inside
      await Deno.mkdir(`${folder}.tmp-${crypto.randomUUID()}`);
      await Deno.writeFile(`${file}.tmp-${crypto.randomUUID()}`, bytes);
      return `${rel}: leftovers of an interrupted save`;
    }
  }
}

/** Damages a JSON field of `file`, then writes the manifest of `folder` again. */
async function corruptResealed(
  rng: Rng,
  folder: string,
  file: string,
): Promise<string> {
  // the damage a manifest would have caught: fields, duplicated or garbled keys
  const c = corruptJson(rng, await Deno.readTextFile(file), [
    "field",
    "field",
    "dup-last",
    "garble",
  ])!;
  await Deno.writeTextFile(file, c[1]);
  await writeManifest(folder);
  return `${file.slice(folder.length + 1)} (resealed): ${c[0]}`;
}

function typed(e: unknown): e is Error {
  return e instanceof DataFormatError || e instanceof ShapeError ||
    e instanceof NotFittedError || e instanceof BackendError ||
    e instanceof RangeError; // LimitError included
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hang: ${what} took over ${CASE_TIMEOUT_MS} ms`)),
      CASE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

interface Tally {
  refused: number;
  identical: number;
  resealedRefused: number;
  resealedLoaded: number;
}

/**
 * Loads one case and files its outcome; throws (failing the test) on an
 * untyped error, a message that does not name the case's folder, a hang, or
 * a different model from an unsealed case.
 */
async function judge(
  tally: Tally,
  what: string,
  caseDir: string,
  resealed: boolean,
  load: () => Promise<string | null>,
  baseline: string,
): Promise<void> {
  let digest: string | null;
  try {
    digest = await withTimeout(load(), what);
  } catch (e) {
    ok(typed(e), `${what}: untyped ${e instanceof Error ? e.stack : e}`);
    ok(
      e.message.includes(caseDir),
      `${what}: the message names no file: ${e.message}`,
    );
    if (e instanceof DataFormatError) {
      ok(e.file?.startsWith(caseDir), `${what}: file "${e.file}"`);
    }
    if (resealed) tally.resealedRefused++;
    else tally.refused++;
    if (VERBOSE) console.log(`${what}\n  refused: ${e.message}`);
    return;
  }
  if (VERBOSE) {
    console.log(
      `${what}\n  loaded, ${digest === baseline ? "identical" : "different"}`,
    );
  }
  if (resealed) {
    tally.resealedLoaded++;
    return;
  }
  equal(digest, baseline, `${what}: loaded a different model`);
  tally.identical++;
}

Deno.test("fuzz: damaged saved models and checkpoints are refused or load identically", async () => {
  const work = await Deno.makeTempDir({ prefix: "hsvae_fuzz_artifacts_" });
  const tensorsBefore = tf.memory().numTensors;
  const tally: Tally = {
    refused: 0,
    identical: 0,
    resealedRefused: 0,
    resealedLoaded: 0,
  };
  try {
    const baseModel = `${work}/base/model`;
    {
      using m = tinyModel(3, "fuzz");
      await m.save(baseModel);
    }
    const modelBaseline = await (async () => {
      using m = await loadModel(baseModel);
      return await modelDigest(m);
    })();
    const loadModelDigest = (dir: string) => async () => {
      using m = await loadModel(dir);
      return await modelDigest(m);
    };
    const modelFiles = await filesUnder(baseModel);
    const baseRun = `${work}/base/run`;
    const checkpoint = await tinyCheckpoint(baseRun);
    const ckptRel = checkpoint.slice(baseRun.length + 1);
    const ckptBaseline = (await checkpointDigest(baseRun))!;
    const runFiles = await filesUnder(baseRun);
    for (let i = 0; i < MODEL_CASES + CHECKPOINT_CASES; i++) {
      const rng = mulberry32(1000 + i);
      const caseDir = `${work}/case${i}`;
      if (i < MODEL_CASES) {
        const dir = `${caseDir}/model`;
        await copyTree(baseModel, dir);
        const what = `case ${i}: model ${await corrupt(rng, dir, modelFiles)}`;
        await judge(
          tally,
          what,
          caseDir,
          false,
          loadModelDigest(dir),
          modelBaseline,
        );
      } else {
        const run = `${caseDir}/run`;
        await copyTree(baseRun, run);
        const what = `case ${i}: run ${await corrupt(rng, run, runFiles)}`;
        await judge(
          tally,
          what,
          caseDir,
          false,
          () => checkpointDigest(run),
          ckptBaseline,
        );
      }
      await Deno.remove(caseDir, { recursive: true });
    }
    for (let i = 0; i < RESEALED_CASES; i++) {
      const rng = mulberry32(5000 + i);
      const caseDir = `${work}/sealed${i}`;
      if (i % 2 === 0) {
        const dir = `${caseDir}/model`;
        await copyTree(baseModel, dir);
        const what = `sealed ${i}: model ${await corruptResealed(
          rng,
          dir,
          `${dir}/config.json`,
        )}`;
        await judge(
          tally,
          what,
          caseDir,
          true,
          loadModelDigest(dir),
          modelBaseline,
        );
      } else {
        const run = `${caseDir}/run`;
        await copyTree(baseRun, run);
        const path = `${run}/${ckptRel}`;
        const what = `sealed ${i}: run ${await corruptResealed(
          rng,
          path,
          `${path}/state.json`,
        )}`;
        await judge(
          tally,
          what,
          caseDir,
          true,
          () => checkpointDigest(run),
          ckptBaseline,
        );
      }
      await Deno.remove(caseDir, { recursive: true });
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
  const total = MODEL_CASES + CHECKPOINT_CASES;
  console.log(
    `fuzz artifacts: ${total} cases (${MODEL_CASES} models, ${CHECKPOINT_CASES} checkpoints): ${tally.refused} refused, ${tally.identical} identical; ${RESEALED_CASES} resealed: ${tally.resealedRefused} refused, ${tally.resealedLoaded} loaded`,
  );
  equal(tally.refused + tally.identical, total);
  ok(tally.refused > total / 2, "most corruptions must be refused");
  equal(tf.memory().numTensors, tensorsBefore, "the loads leaked tensors");
});
