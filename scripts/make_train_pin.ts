/**
 * Pins what `trainVAE` computes: trains a few small fixed configurations for
 * two epochs on the bundled Fashion-MNIST subset (wasm, one thread) and
 * records, per case, every logged loss component of every epoch, the trained
 * model's `training` record, and SHA-256 checksums of the final weights and
 * of the latent bank. `tests/train/train_vae_pin_test.ts` reruns the same
 * cases and requires bit-identical results, so a refactor of the training
 * code cannot change a single bit of what it trains.
 *
 * Numbers are written by `JSON.stringify`, whose shortest round-trip form
 * reads back as the same float64. Run from the repository root, only on code
 * whose results are meant to become the reference:
 *
 *     deno run -A scripts/make_train_pin.ts
 *
 * @module
 */
import {
  type Dataset,
  type EpochLog,
  loadBundled,
  selectBackend,
  subset,
  type TrainOptions,
  trainVAE,
} from "../mod.ts";

/** Where the fixture lives, relative to the repository root. */
export const PIN_FIXTURE = "tests/fixtures/train/pinned_losses.json";

/** One pinned configuration. */
export interface PinCase {
  /** Name of the case in the fixture. */
  name: string;
  /** Bundled training classes used, `perClass` images each. */
  classes: number[];
  /** Images per class. */
  perClass: number;
  /** Options handed to `trainVAE` (progress is always off). */
  options: TrainOptions;
}

const TINY: TrainOptions = { latentDim: 16, widths: [4, 8], epochs: 2 };

/** The pinned cases: both presets, the main variants, validation, labels. */
export const PIN_CASES: PinCase[] = [
  {
    name: "compressed-authors",
    classes: [7, 9],
    perClass: 30,
    options: {
      ...TINY,
      preset: "authors",
      variant: "compressed",
      batchSize: 20,
      seed: 3,
      validationSplit: 0.2,
    },
  },
  {
    name: "compressed-paper",
    classes: [0, 1],
    perClass: 30,
    options: {
      ...TINY,
      preset: "paper",
      variant: "compressed",
      batchSize: 16,
      seed: 1,
      validationSplit: 0.1,
    },
  },
  {
    name: "vae-paper",
    classes: [3],
    perClass: 50,
    options: {
      ...TINY,
      preset: "paper",
      variant: "vae",
      batchSize: 20,
      seed: 0,
    },
  },
  {
    name: "vmf-authors-fixed-beta",
    classes: [5],
    perClass: 40,
    options: {
      ...TINY,
      preset: "authors",
      variant: "vmf",
      batchSize: 20,
      seed: 11,
      beta: 0.5,
      lrMilestones: [1],
    },
  },
  {
    name: "ae-paper-mean",
    classes: [2],
    perClass: 40,
    options: {
      ...TINY,
      preset: "paper",
      variant: "ae",
      batchSize: 20,
      seed: 5,
      reconstruction: "mean",
    },
  },
  {
    name: "compressed-authors-semisupervised",
    classes: [0, 1, 2],
    perClass: 20,
    options: {
      ...TINY,
      latentDim: 32,
      preset: "authors",
      variant: "compressed",
      semiSupervised: true,
      batchSize: 30,
      seed: 2,
    },
  },
];

/** The deterministic part of one epoch's log (timings dropped). */
export type PinnedEpoch = Omit<EpochLog, "imagesPerSecond" | "seconds">;

/** What the fixture holds for one case. */
export interface PinnedResult {
  /** Per-epoch losses, schedule values and validation losses. */
  history: PinnedEpoch[];
  /** The trained model's `training` record (resolved options, beta...). */
  training: unknown;
  /** SHA-256 of every encoder then decoder weight, float32 bytes in order. */
  weightsSha256: string;
  /** SHA-256 of the latent bank's float32 bytes. */
  bankSha256: string;
  /** Float64 sum of the bank (readable when a checksum differs). */
  bankSum: number;
}

/** The first `perClass` training images of each listed class. */
async function bundledClasses(
  classes: number[],
  perClass: number,
): Promise<Dataset> {
  const { train } = await loadBundled();
  const idx: number[] = [];
  const counts = new Map<number, number>();
  for (let i = 0; i < train.shape[0]; i++) {
    const c = train.labels![i];
    if (!classes.includes(c) || (counts.get(c) ?? 0) >= perClass) continue;
    counts.set(c, (counts.get(c) ?? 0) + 1);
    idx.push(i);
  }
  return subset(train, idx);
}

async function sha256(parts: Float32Array[]): Promise<string> {
  const total = parts.reduce((s, p) => s + p.length, 0);
  const all = new Float32Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  const d = await crypto.subtle.digest("SHA-256", all.buffer);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Trains one case and returns its pinned result.
 *
 * @param c The case.
 * @param extra Options merged over the case's (e.g. `outDir`, `signal`).
 * @returns The pinned result.
 */
export async function runPinCase(
  c: PinCase,
  extra: TrainOptions = {},
): Promise<PinnedResult> {
  const ds = await bundledClasses(c.classes, c.perClass);
  const { model, history } = await trainVAE(ds, {
    ...c.options,
    progress: "none",
    ...extra,
  });
  try {
    const weights: Float32Array[] = [];
    for (const w of [...model.encoder.weights, ...model.decoder.weights]) {
      weights.push(await w.read().data() as Float32Array);
    }
    const bank = model.bank!.data;
    let bankSum = 0;
    for (const v of bank) bankSum += v;
    return {
      history: history.map(({ imagesPerSecond: _i, seconds: _s, ...e }) => e),
      training: model.training,
      weightsSha256: await sha256(weights),
      bankSha256: await sha256([bank]),
      bankSum,
    };
  } finally {
    model.dispose();
  }
}

if (import.meta.main) {
  await selectBackend("wasm", { wasmThreads: 1 });
  const out: Record<string, PinnedResult> = {};
  for (const c of PIN_CASES) {
    out[c.name] = await runPinCase(c);
    console.log(`${c.name}: loss ${out[c.name].history.at(-1)!.loss}`);
  }
  await Deno.mkdir(PIN_FIXTURE.replace(/\/[^/]+$/, ""), { recursive: true });
  await Deno.writeTextFile(PIN_FIXTURE, JSON.stringify(out, null, 2) + "\n");
  console.log(`wrote ${PIN_FIXTURE}`);
}
