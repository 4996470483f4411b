/**
 * The rows of the ablation table (the paper's Table 1 plus two controls):
 * stable method ids, what each one trains and how it scores.
 *
 * @module
 */

/** A row of the ablation table. */
export type MethodId =
  | "knn-pixels"
  | "iforest-pixels"
  | "ae-knn"
  | "ae-iforest"
  | "ae-mse"
  | "vae-knn"
  | "vae-iforest"
  | "vae-mse"
  | "vmf-knn"
  | "compvae-knn"
  | "random-knn"
  | "radius-knn";

/**
 * A model that rows share: `ae` (plain autoencoder), `vae` (standard VAE),
 * `vmf` (Comp.VAE, first angle only), `compvae` (Comp.VAE), `radius`
 * (Comp.VAE with the angle terms off, a control) and `random` (the same
 * architecture, untrained, a control).
 */
export type ModelId = "ae" | "vae" | "vmf" | "compvae" | "radius" | "random";

/** How a row scores: k-NN distance, Isolation Forest, or reconstruction MSE. */
export type DetectorKind = "knn" | "iforest" | "mse";

/** What a row is: its model (or `null` for raw pixels) and detector. */
export interface MethodSpec {
  /** The stable id. */
  id: MethodId;
  /** The name shown in tables, e.g. `"AE + kNN"`. */
  label: string;
  /** The model whose latents (or reconstructions) are scored; `null` = raw pixels. */
  model: ModelId | null;
  /** The detector. */
  detector: DetectorKind;
}

/**
 * Every row, in table order: the paper's ten, then the two controls.
 *
 * @example The ids
 * ```ts
 * import assert from "node:assert/strict";
 * import { METHODS } from "@hsvae/hsvae";
 *
 * assert.equal(METHODS.length, 12);
 * assert.equal(METHODS[0].id, "knn-pixels");
 * assert.equal(METHODS.find((m) => m.id === "ae-mse")?.model, "ae");
 * ```
 */
export const METHODS: readonly MethodSpec[] = [
  {
    id: "knn-pixels",
    label: "kNN (pixels)",
    model: null,
    detector: "knn",
  },
  {
    id: "iforest-pixels",
    label: "Isolation Forest (pixels)",
    model: null,
    detector: "iforest",
  },
  { id: "ae-knn", label: "AE + kNN", model: "ae", detector: "knn" },
  {
    id: "ae-iforest",
    label: "AE + Isolation Forest",
    model: "ae",
    detector: "iforest",
  },
  { id: "ae-mse", label: "AE + MSE", model: "ae", detector: "mse" },
  { id: "vae-knn", label: "VAE + kNN", model: "vae", detector: "knn" },
  {
    id: "vae-iforest",
    label: "VAE + Isolation Forest",
    model: "vae",
    detector: "iforest",
  },
  { id: "vae-mse", label: "VAE + MSE", model: "vae", detector: "mse" },
  {
    id: "vmf-knn",
    label: "Comp.VAE (vMF) + kNN",
    model: "vmf",
    detector: "knn",
  },
  {
    id: "compvae-knn",
    label: "Comp.VAE + kNN",
    model: "compvae",
    detector: "knn",
  },
  {
    id: "random-knn",
    label: "Untrained encoder + kNN (control)",
    model: "random",
    detector: "knn",
  },
  {
    id: "radius-knn",
    label: "Radius-only Comp.VAE + kNN (control)",
    model: "radius",
    detector: "knn",
  },
];

/** Every method id, in table order. */
export const METHOD_IDS: readonly MethodId[] = METHODS.map((m) => m.id);

/**
 * Validates a list of method ids and returns their specs in table order
 * (duplicates dropped).
 *
 * @param ids The requested ids; `undefined` selects every row.
 * @returns The selected rows, in table order.
 * @throws {RangeError} When an id is unknown (the message lists the valid
 *   ones) or the list is empty.
 *
 * @example Selecting two rows
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectMethods } from "@hsvae/hsvae";
 *
 * const rows = selectMethods(["compvae-knn", "knn-pixels"]);
 * assert.deepEqual(rows.map((r) => r.id), ["knn-pixels", "compvae-knn"]);
 * assert.throws(() => selectMethods(["knn"]), RangeError);
 * ```
 */
export function selectMethods(ids?: readonly string[]): MethodSpec[] {
  if (ids === undefined) return METHODS.slice();
  if (!Array.isArray(ids) || ids.length === 0) {
    throw new RangeError(
      `Cannot select methods: "methods" is empty; pass some of ${
        METHOD_IDS.join(", ")
      }`,
    );
  }
  for (const id of ids) {
    if (!(METHOD_IDS as readonly string[]).includes(id)) {
      throw new RangeError(
        `Cannot select methods: unknown method "${id}"; valid ids are ${
          METHOD_IDS.join(", ")
        }`,
      );
    }
  }
  return METHODS.filter((m) => ids.includes(m.id));
}
