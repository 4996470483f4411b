/**
 * Fingerprints of a training run's inputs, stored in every checkpoint so
 * that a resume continues the same run or is refused: the data (its shape
 * and a SHA-256 of its image values and labels, plus where it came from)
 * and every option that shapes the result. `trainLoop` compares the
 * checkpoint's fingerprint with the current one before it restores
 * anything; `trainVAE` fills it from its dataset and resolved options.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { sha256Hex } from "../integrity/sha256.ts";

/** What identifies a dataset (see {@linkcode dataFingerprint}). */
export interface DataFingerprint {
  /**
   * Where the data came from (e.g. the CLI's `--data` path, format, limit
   * and normal class), or `null` when unknown; informative only: the same
   * values from another source are the same data.
   */
  source: string | null;
  /** `[N, H, W, C]`. */
  shape: [number, number, number, number];
  /** SHA-256 (hex) of the image values as float32 bytes, in order. */
  imagesSha256: string;
  /** SHA-256 (hex) of the labels as int32 bytes, or `null` without labels. */
  labelsSha256: string | null;
}

/**
 * The fingerprint of a dataset: its shape and the SHA-256 of its image
 * values and of its labels.
 *
 * @param dataset The images (and labels).
 * @param source A description of where they came from.
 * @returns The fingerprint (plain JSON).
 *
 * @example Same values, same fingerprint; one pixel changed, another hash
 * ```ts
 * import assert from "node:assert/strict";
 * import { dataFingerprint } from "@hsvae/hsvae";
 *
 * const images = new Float32Array(2 * 2 * 2).fill(0.5);
 * const a = await dataFingerprint({ images, shape: [2, 2, 2, 1] }, "a.npy");
 * assert.equal(a.source, "a.npy");
 * assert.equal(a.imagesSha256.length, 64);
 * assert.equal(a.labelsSha256, null);
 * images[3] = 0.25;
 * const b = await dataFingerprint({ images, shape: [2, 2, 2, 1] });
 * assert.notEqual(b.imagesSha256, a.imagesSha256);
 * ```
 */
export async function dataFingerprint(
  dataset: Dataset,
  source?: string,
): Promise<DataFingerprint> {
  return {
    source: source ?? null,
    shape: [...dataset.shape],
    imagesSha256: await sha256Hex(dataset.images),
    labelsSha256: dataset.labels ? await sha256Hex(dataset.labels) : null,
  };
}

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isDataFingerprint(v: unknown): v is DataFingerprint {
  return isRecord(v) && typeof v.imagesSha256 === "string" &&
    Array.isArray(v.shape);
}

/** JSON with sorted keys (so key order is no difference); `unset` for none. */
function canonical(v: unknown): string {
  return JSON.stringify(
    v,
    (_k, x) =>
      isRecord(x)
        ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]]))
        : x,
  ) ?? "unset";
}

/** A value as messages show it: {@linkcode canonical}, shortened. */
function show(v: unknown): string {
  const s = canonical(v);
  return s.length > 100 ? `${s.slice(0, 99)}…` : s;
}

function short(hash: string | null): string {
  return hash === null ? "none" : `${hash.slice(0, 12)}…`;
}

/** How two data fingerprints differ, or `null` when only the source does. */
function dataDifference(a: DataFingerprint, b: DataFingerprint): string | null {
  const same = (k: keyof DataFingerprint) =>
    canonical(a[k]) === canonical(b[k]);
  if (same("shape") && same("imagesSha256") && same("labelsSha256")) {
    return null;
  }
  const parts = [
    `images sha256 ${short(a.imagesSha256)} vs ${short(b.imagesSha256)}`,
  ];
  if (!same("shape")) parts.push(`shape ${show(a.shape)} vs ${show(b.shape)}`);
  if (!same("labelsSha256")) {
    parts.push(
      `labels sha256 ${short(a.labelsSha256)} vs ${short(b.labelsSha256)}`,
    );
  }
  if (a.source !== null || b.source !== null) {
    parts.push(
      same("source")
        ? `source ${show(a.source)} in both`
        : `source ${show(a.source)} vs ${show(b.source)}`,
    );
  }
  return `Cannot resume: the data differs from the checkpoint's (${
    parts.join(", ")
  }); use the same data or a new outDir`;
}

/** The first option whose value differs, as a message, or `null`. */
function optionDifference(a: Json, b: Json): string | null {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (canonical(a[k]) !== canonical(b[k])) {
      return `Cannot resume: option "${k}" was ${
        show(a[k])
      } in the checkpoint, now ${
        show(b[k])
      }; use the same options or a new outDir`;
    }
  }
  return null;
}

/**
 * Compares the fingerprint stored in a checkpoint with the current run's.
 *
 * A fingerprint is any JSON value. Objects are compared key by key and the
 * first difference is named: under `data` (a {@linkcode DataFingerprint})
 * the hashes, shape and sources (a different `source` alone is no
 * difference), under `options` (an object of option values) the first
 * option that changed, any other key by its value.
 *
 * @param saved The checkpoint's fingerprint (`null` when it has none).
 * @param now The current run's.
 * @returns `null` when the run may resume, else the refusal's message
 *   ("Cannot resume: ...").
 *
 * @example An option changed
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareFingerprints } from "@hsvae/hsvae";
 *
 * const saved = { options: { beta: 1, seed: 0 } };
 * assert.equal(compareFingerprints(saved, { options: { beta: 1, seed: 0 } }), null);
 * assert.equal(
 *   compareFingerprints(saved, { options: { beta: 2, seed: 0 } }),
 *   'Cannot resume: option "beta" was 1 in the checkpoint, now 2; use the same options or a new outDir',
 * );
 * ```
 */
export function compareFingerprints(
  saved: unknown,
  now: unknown,
): string | null {
  if (canonical(saved) === canonical(now)) return null;
  if (!isRecord(saved) || !isRecord(now)) {
    return `Cannot resume: the run's fingerprint was ${
      show(saved)
    } in the checkpoint, now ${show(now)}; use the same inputs or a new outDir`;
  }
  const keys = new Set([
    "data",
    "options",
    ...Object.keys(saved),
    ...Object.keys(now),
  ]);
  for (const k of keys) {
    const a = saved[k];
    const b = now[k];
    if (canonical(a) === canonical(b)) continue;
    if (k === "data" && isDataFingerprint(a) && isDataFingerprint(b)) {
      const m = dataDifference(a, b);
      if (m) return m;
      continue;
    }
    if (k === "options" && isRecord(a) && isRecord(b)) {
      const m = optionDifference(a, b);
      if (m) return m;
      continue;
    }
    return `Cannot resume: "${k}" was ${show(a)} in the checkpoint, now ${
      show(b)
    }; use the same inputs or a new outDir`;
  }
  return null;
}
