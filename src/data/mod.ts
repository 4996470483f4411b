/**
 * The data layer: one {@linkcode Dataset} type (NHWC floats in `[0, 1]`),
 * byte-level parsers and file loaders for IDX (MNIST family), CIFAR
 * binaries, NumPy `.npy`/`.npz`, PNG/JPEG folders, the Mastcam and Galaxy
 * Zoo anomaly sets, format detection ({@linkcode loadAny} reads any of
 * them from a path), evaluation protocols, and the bundled Fashion-MNIST
 * subset.
 *
 * @example The bundled subset, one-class split on "Trouser"
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBundled, oneClass } from "@hsvae/hsvae";
 *
 * const split = oneClass(await loadBundled(), 1);
 * assert.equal(split.counts.train, 1000);
 * assert.deepEqual(split.counts, { train: 1000, testNormal: 200, testAnomaly: 1800 });
 * ```
 *
 * @module
 */
export type { Dataset, DatasetInfo } from "./dataset.ts";
export {
  assertDataset,
  concatDatasets,
  datasetInfo,
  subset,
} from "./dataset.ts";
export type { NpyArray, NpyData } from "./npy.ts";
export { loadNpy, parseNpy } from "./npy.ts";
export type { NpyDatasetOptions } from "./npy_dataset.ts";
export { loadNpyDataset, npyToDataset, parseNpz } from "./npy_dataset.ts";
export type { IdxArray, IdxOptions, ParseIdxOptions } from "./idx.ts";
export { loadIdx, parseIdx, parseIdxDataset } from "./idx.ts";
export type { CifarOptions } from "./cifar.ts";
export { CIFAR10_CLASSES, loadCifar, parseCifar } from "./cifar.ts";
export type { Image } from "./image.ts";
export {
  centerCrop,
  checkImageSize,
  decodeImage,
  resizeImage,
  toChannels,
} from "./image.ts";
export type { CsvTable } from "./csv.ts";
export { parseCsv } from "./csv.ts";
export type { ImageFolderDataset, ImageFolderOptions } from "./image_folder.ts";
export { loadImageFolder } from "./image_folder.ts";
export type { SkippedEntries } from "./skipped_entries.ts";
export { noneSkipped } from "./skipped_entries.ts";
export type { MastcamOptions, MastcamSplits } from "./mastcam.ts";
export { loadMastcam } from "./mastcam.ts";
export type { GalaxyZooOptions, GalaxyZooSplits } from "./galaxy_zoo.ts";
export { loadGalaxyZoo } from "./galaxy_zoo.ts";
export type {
  InVsOutByClassOptions,
  InVsOutOptions,
  OneClassOptions,
  ProtocolSplit,
  Splits,
} from "./protocols.ts";
export { inVsOut, inVsOutByClass, oneClass } from "./protocols.ts";
export type {
  DataFormat,
  DataSourceProblem,
  FileFormat,
  LoadAnyOptions,
  LoadedData,
} from "./load_any.ts";
export {
  DATA_FORMATS,
  DataSourceError,
  detectFormat,
  loadAny,
} from "./load_any.ts";
export { loadNotes } from "./load_notes.ts";
export type {
  FashionMnistOptions,
  FashionMnistSplits,
  LoadFashionMnistOptions,
} from "./fashion_mnist.ts";
export {
  bundledDataUrl,
  FASHION_MNIST_CLASSES,
  fullDataDir,
  loadBundled,
  loadFashionMnist,
} from "./fashion_mnist.ts";
