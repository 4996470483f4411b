/**
 * Training of the compressed VAE (METHOD.md §2) and its variants, with
 * seeded batches, a per-epoch JSON-lines log, progress, atomic per-epoch
 * checkpoints, exact resume and Ctrl-C handling. The public entry point;
 * the code lives in `train/` (the generic loop any model can plug into,
 * and the VAE as its first step).
 *
 * @module
 */
export {
  type ResolvedTrainOptions,
  resolveTrainOptions,
  type TrainOptions,
} from "./train/vae_options.ts";
export type { EpochLog } from "./train/vae_epoch_log.ts";
export {
  type DivergenceDetails,
  DivergenceError,
} from "./train/divergence_error.ts";
export {
  compareFingerprints,
  type DataFingerprint,
  dataFingerprint,
} from "./train/fingerprint.ts";
export { type TrainResult, trainVAE } from "./train/train_vae.ts";
