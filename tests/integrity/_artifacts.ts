/**
 * Tiny saved artefacts for the integrity tests: an 8x8 VAE (latent 4,
 * widths [4, 8]) with a bank, a checkpoint of it with one Adam optimiser,
 * and digests of everything a load gives back, so "loads the same model"
 * is one string comparison.
 *
 * @module
 */
import { tf } from "../../src/tf.ts";
import { VaeModel } from "../../src/model/vae_model.ts";
import { loadLayersModel, saveLayersModel } from "../../src/model/io.ts";
import {
  CHECKPOINT_VERSION,
  type CheckpointState,
  readCheckpoint,
  writeCheckpoint,
} from "../../src/train/checkpoint.ts";
import { loadOptimizer } from "../../src/train/optimizer_state.ts";
import type { LayersModel } from "../../src/tf.ts";

/** The tiny architecture: fast to build, save and load. */
export const TINY = {
  inputShape: [8, 8, 1] as [number, number, number],
  latentDim: 4,
  widths: [4, 8],
};

/** Deterministic values in [0, 1). */
export function pixels(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32;
  }
  return out;
}

/** A tiny seeded model tagged in its training metadata, with a 6-row bank. */
export function tinyModel(seed: number, tag: string): VaeModel {
  const model = VaeModel.create({
    ...TINY,
    seed,
    training: { variant: "vae", tag },
  });
  model.bank = { data: pixels(6 * 4, seed), shape: [6, 4] };
  return model;
}

async function sha256(parts: (Uint8Array | string)[]): Promise<string> {
  const enc = new TextEncoder();
  const chunks = parts.map((p) => typeof p === "string" ? enc.encode(p) : p);
  const all = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.byteLength;
  }
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", all));
  return Array.from(h, (b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

async function weightBytes(model: LayersModel): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const w of model.getWeights()) {
    out.push(bytesOf(new Float32Array(await w.data() as Float32Array)));
  }
  return out;
}

/**
 * Everything a loaded model gives: its weights, its encodings and decodings
 * of fixed inputs (bitwise), config, training metadata and bank.
 */
export async function modelDigest(model: VaeModel): Promise<string> {
  const x = pixels(3 * 64, 99);
  const e = await model.encode(x, [3, 8, 8, 1]);
  const d = await model.decode(pixels(3 * 4, 7), [3, 4]);
  return await sha256([
    ...await weightBytes(model.encoder),
    ...await weightBytes(model.decoder),
    bytesOf(e.mu),
    bytesOf(e.logVar),
    bytesOf(d),
    JSON.stringify(model.config),
    JSON.stringify(model.training),
    JSON.stringify(model.bank?.shape ?? null),
    model.bank === null ? "" : bytesOf(model.bank.data),
  ]);
}

/** The loop settings stored in the tiny checkpoints. */
const LOOP = {
  size: 4,
  epochs: 2,
  batchSize: 2,
  learningRate: 0.1,
  lrMilestones: [],
  seed: 0,
  validationSplit: 0,
  minBatchSize: 1,
  stratified: false,
};

/**
 * Writes a checkpoint of a tiny model (encoder/, decoder/, one Adam
 * optimiser "vae" after one step) into `<dir>/checkpoints/`.
 *
 * @returns The checkpoint's directory.
 */
export async function tinyCheckpoint(dir: string, seed = 1): Promise<string> {
  using model = tinyModel(seed, "ckpt");
  const init = tf.tensor1d([1, -2, 3]);
  const w = tf.variable(init);
  init.dispose(); // the variable holds its own reference to the data
  const adam = tf.train.adam(0.01);
  adam.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
  const state = {
    format: "hsvae-checkpoint",
    formatVersion: CHECKPOINT_VERSION,
    kind: "vae",
    epochsDone: 1,
    partial: null,
    loop: LOOP,
    history: [{ loss: 1.5 }],
    model: { beta: 0.5, note: "tiny" },
    fingerprint: { data: "tiny" },
  } as unknown as Omit<CheckpointState, "optimizers">;
  try {
    return await writeCheckpoint(
      dir,
      state,
      [{ name: "vae", optimizer: adam }],
      async (d) => {
        await saveLayersModel(model.encoder, `${d}/encoder`);
        await saveLayersModel(model.decoder, `${d}/decoder`);
      },
    );
  } finally {
    w.dispose();
    adam.dispose();
  }
}

/**
 * Reads the latest checkpoint of `dir` the way a resume does (state, both
 * networks, the optimisers) and digests all of it; `null` when there is no
 * checkpoint.
 */
export async function checkpointDigest(dir: string): Promise<string | null> {
  const cp = await readCheckpoint(dir, "vae");
  if (cp === null) return null;
  const encoder = await loadLayersModel(`${cp.path}/encoder`);
  try {
    const decoder = await loadLayersModel(`${cp.path}/decoder`);
    try {
      const parts: (Uint8Array | string)[] = [
        JSON.stringify(cp.state),
        ...await weightBytes(encoder),
        ...await weightBytes(decoder),
      ];
      for (const o of cp.state.optimizers) {
        const adam = tf.train.adam(0.01);
        try {
          await loadOptimizer(adam, `${cp.path}/opt-${o.name}.bin`, o);
          for (const { tensor } of await adam.getWeights()) {
            parts.push(
              new Uint8Array((await tensor.data()).buffer.slice(0)),
            );
            // the iteration count is a fresh scalar, the moments are Adam's
            if (!(tensor instanceof tf.Variable)) tensor.dispose();
          }
        } finally {
          adam.dispose();
        }
      }
      return await sha256(parts);
    } finally {
      decoder.dispose();
    }
  } finally {
    encoder.dispose();
  }
}

/** Copies a folder tree (files and folders only). */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Every file under `dir`, relative, sorted. */
export async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = prefix === "" ? e.name : `${prefix}/${e.name}`;
    if (e.isDirectory) out.push(...await filesUnder(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}
