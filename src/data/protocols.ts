/**
 * Evaluation protocols: how a labelled dataset becomes a train set of
 * normals and a test set with anomaly flags.
 *
 * - {@linkcode oneClass}: one class is normal, all others are anomalies
 *   (the "one-class" benchmark of Ruff et al. 2018 on MNIST, CIFAR-10).
 * - {@linkcode inVsOut}: a whole in-distribution dataset is normal, another
 *   dataset is out-of-distribution (e.g. CIFAR-10 vs CIFAR-100); ID labels
 *   are kept for conditional models.
 * - {@linkcode inVsOutByClass}: in-vs-out inside one labelled dataset, some
 *   classes in-distribution and the rest out-of-distribution.
 *
 * @module
 */
import type { Dataset } from "./dataset.ts";
import { assertDataset, concatDatasets, subset } from "./dataset.ts";
import { mulberry32, sampleSorted } from "../random.ts";

/** A dataset with a train and a test split. */
export interface Splits {
  /** Training split. */
  train: Dataset;
  /** Test split. */
  test: Dataset;
}

/** What a protocol returns. */
export interface ProtocolSplit {
  /** Normal training images. */
  train: Dataset;
  /** Test images, normal and anomalous, in their source order. */
  test: Dataset;
  /** 1 where `test` image `i` is an anomaly (OOD), else 0. */
  testIsAnomaly: Uint8Array;
  /** Sizes of the parts. */
  counts: { train: number; testNormal: number; testAnomaly: number };
}

/** Options of {@linkcode oneClass}. */
export interface OneClassOptions {
  /**
   * Keep at most this many normal training images (seeded draw, original
   * order kept).
   * @default {undefined} (all)
   */
  trainLimit?: number;
  /**
   * Keep at most this many test images (seeded draw, stratified by
   * normal/anomaly in proportion, original order kept).
   * @default {undefined} (all)
   */
  testLimit?: number;
  /**
   * When a single dataset (no splits) is given: the fraction of each class
   * held out as the test split (seeded, stratified).
   * @default {0.2}
   */
  testFraction?: number;
  /**
   * Seed of every draw.
   * @default {0}
   */
  seed?: number;
}

function checkCount(v: number | undefined, name: string, fn: string): void {
  if (v !== undefined && !(Number.isInteger(v) && v >= 0)) {
    throw new RangeError(
      `Cannot ${fn}: "${name}" must be a non-negative integer, found "${v}"`,
    );
  }
}

function indicesWhere(n: number, pred: (i: number) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (pred(i)) out.push(i);
  return out;
}

/** Seeded stratified draw of `limit` of `idx`, split by `flag`, order kept. */
function stratifiedLimit(
  idx: number[],
  flag: (i: number) => boolean,
  limit: number | undefined,
  rng: () => number,
): number[] {
  if (limit === undefined || limit >= idx.length) return idx;
  const a = idx.filter(flag);
  const b = idx.filter((i) => !flag(i));
  const ka = Math.round((limit * a.length) / idx.length);
  return [...sampleSorted(a, ka, rng), ...sampleSorted(b, limit - ka, rng)]
    .sort((x, y) => x - y);
}

function isSplits(x: Dataset | Splits): x is Splits {
  return "train" in x && "test" in x;
}

/**
 * The one-class protocol: train on the images of `normalClass` in the train
 * split; test on all test images, flagging every other class as an anomaly.
 *
 * Given a single dataset instead of `{ train, test }`, a seeded stratified
 * `testFraction` of every class becomes the test split first.
 *
 * @param data `{ train, test }` splits, or one labelled dataset.
 * @param normalClass The normal label.
 * @param options Limits, test fraction, seed.
 * @returns Train (normal only), test, `testIsAnomaly`, counts.
 * @throws {RangeError} When `normalClass` has no training image, a dataset
 * has no labels, or an option is out of range.
 * @throws {ShapeError} When train and test images differ in size.
 *
 * @example Class 1 of a 4-image toy set
 * ```ts
 * import assert from "node:assert/strict";
 * import { oneClass } from "@hsvae/hsvae";
 *
 * const mk = (labels: number[]) => ({
 *   images: new Float32Array(labels.length),
 *   shape: [labels.length, 1, 1, 1] as [number, number, number, number],
 *   labels: Int32Array.from(labels),
 * });
 * const p = oneClass({ train: mk([0, 1, 1, 2]), test: mk([1, 0, 2]) }, 1);
 * assert.equal(p.train.shape[0], 2);
 * assert.deepEqual(Array.from(p.testIsAnomaly), [0, 1, 1]);
 * assert.deepEqual(p.counts, { train: 2, testNormal: 1, testAnomaly: 2 });
 * ```
 */
export function oneClass(
  data: Splits | Dataset,
  normalClass: number,
  options: OneClassOptions = {},
): ProtocolSplit {
  const fn = "build one-class split";
  checkCount(options.trainLimit, "trainLimit", fn);
  checkCount(options.testLimit, "testLimit", fn);
  const frac = options.testFraction ?? 0.2;
  if (!(frac > 0 && frac < 1)) {
    throw new RangeError(
      `Cannot ${fn}: "testFraction" must be in (0, 1), found "${frac}"`,
    );
  }
  const rng = mulberry32(options.seed ?? 0);
  let splits: Splits;
  if (isSplits(data)) {
    splits = data;
  } else {
    assertDataset(data);
    const labels = data.labels;
    if (!labels) {
      throw new RangeError(`Cannot ${fn}: the dataset has no labels`);
    }
    const classes = [...new Set(labels)].sort((a, b) => a - b);
    const testIdx: number[] = [];
    for (const c of classes) {
      const idx = indicesWhere(labels.length, (i) => labels[i] === c);
      testIdx.push(...sampleSorted(idx, Math.round(idx.length * frac), rng));
    }
    const inTest = new Set(testIdx);
    splits = {
      train: subset(data, indicesWhere(labels.length, (i) => !inTest.has(i))),
      test: subset(data, testIdx.sort((a, b) => a - b)),
    };
  }
  const { train, test } = splits;
  assertDataset(train, "train split");
  assertDataset(test, "test split");
  if (!train.labels || !test.labels) {
    throw new RangeError(`Cannot ${fn}: the train and test splits need labels`);
  }
  const trL = train.labels;
  const teL = test.labels;
  let trIdx = indicesWhere(trL.length, (i) => trL[i] === normalClass);
  if (trIdx.length === 0) {
    throw new RangeError(
      `Cannot ${fn}: no training image has label "${normalClass}"; labels present are "${
        [...new Set(trL)].sort((a, b) => a - b).join(", ")
      }"`,
    );
  }
  if (options.trainLimit !== undefined) {
    trIdx = sampleSorted(trIdx, options.trainLimit, rng);
  }
  const teIdx = stratifiedLimit(
    indicesWhere(teL.length, () => true),
    (i) => teL[i] === normalClass,
    options.testLimit,
    rng,
  );
  const outTrain = subset(train, trIdx);
  const outTest = subset(test, teIdx);
  concatDatasets([subset(outTrain, []), subset(outTest, [])]); // same image size
  const testIsAnomaly = Uint8Array.from(
    outTest.labels!,
    (l) => (l === normalClass ? 0 : 1),
  );
  const anomalies = testIsAnomaly.reduce((s, v) => s + v, 0);
  return {
    train: outTrain,
    test: outTest,
    testIsAnomaly,
    counts: {
      train: trIdx.length,
      testNormal: teIdx.length - anomalies,
      testAnomaly: anomalies,
    },
  };
}

/** Options of {@linkcode inVsOut}. */
export interface InVsOutOptions {
  /**
   * Keep at most this many ID training images (seeded draw).
   * @default {undefined} (all)
   */
  trainLimit?: number;
  /**
   * Keep at most this many ID test images (seeded draw).
   * @default {undefined} (all)
   */
  idTestLimit?: number;
  /**
   * Keep at most this many OOD test images (seeded draw).
   * @default {undefined} (all)
   */
  oodTestLimit?: number;
  /**
   * Seed of every draw.
   * @default {0}
   */
  seed?: number;
}

/**
 * The semi-supervised in-vs-out (OOD) protocol: train on the whole ID train
 * split, keeping its labels; test on the ID test split followed by the OOD
 * test images, which get label `-1` in `test.labels` (ID labels kept).
 *
 * @param id The in-distribution `{ train, test }` splits.
 * @param ood The out-of-distribution test images (a dataset, or splits
 * whose `test` is used).
 * @param options Limits and seed.
 * @returns Train (ID), test (ID then OOD), `testIsAnomaly` (1 = OOD),
 * counts (`testNormal` = ID test, `testAnomaly` = OOD test).
 * @throws {ShapeError} When the OOD images differ in size from the ID ones
 * (resize them first).
 * @throws {RangeError} On a bad limit.
 *
 * @example Two ID test images and one OOD image
 * ```ts
 * import assert from "node:assert/strict";
 * import { inVsOut } from "@hsvae/hsvae";
 *
 * const mk = (labels: number[]) => ({
 *   images: new Float32Array(labels.length),
 *   shape: [labels.length, 1, 1, 1] as [number, number, number, number],
 *   labels: Int32Array.from(labels),
 * });
 * const p = inVsOut({ train: mk([0, 1, 2]), test: mk([2, 0]) }, mk([5]));
 * assert.deepEqual(Array.from(p.test.labels!), [2, 0, -1]);
 * assert.deepEqual(Array.from(p.testIsAnomaly), [0, 0, 1]);
 * ```
 */
export function inVsOut(
  id: Splits,
  ood: Dataset | Splits,
  options: InVsOutOptions = {},
): ProtocolSplit {
  const fn = "build in-vs-out split";
  checkCount(options.trainLimit, "trainLimit", fn);
  checkCount(options.idTestLimit, "idTestLimit", fn);
  checkCount(options.oodTestLimit, "oodTestLimit", fn);
  const rng = mulberry32(options.seed ?? 0);
  const oodTest = isSplits(ood) ? ood.test : ood;
  assertDataset(id.train, "ID train split");
  assertDataset(id.test, "ID test split");
  assertDataset(oodTest, "OOD test set");
  const all = (n: number) => indicesWhere(n, () => true);
  const pick = (n: number, limit: number | undefined) =>
    limit === undefined || limit >= n
      ? all(n)
      : sampleSorted(all(n), limit, rng);
  const train = subset(id.train, pick(id.train.shape[0], options.trainLimit));
  const idTest = subset(id.test, pick(id.test.shape[0], options.idTestLimit));
  const oodPart = subset(oodTest, pick(oodTest.shape[0], options.oodTestLimit));
  const nId = idTest.shape[0];
  const nOod = oodPart.shape[0];
  const withLabels = (ds: Dataset, fill?: number): Dataset => ({
    ...ds,
    labels: fill === undefined
      ? ds.labels ?? new Int32Array(ds.shape[0]).fill(-1)
      : new Int32Array(ds.shape[0]).fill(fill),
  });
  concatDatasets([subset(train, []), subset(idTest, [])]);
  const test = concatDatasets([withLabels(idTest), withLabels(oodPart, -1)]);
  test.names = id.test.names ?? id.train.names;
  if (!test.names) delete test.names;
  const testIsAnomaly = new Uint8Array(nId + nOod);
  testIsAnomaly.fill(1, nId);
  return {
    train,
    test,
    testIsAnomaly,
    counts: { train: train.shape[0], testNormal: nId, testAnomaly: nOod },
  };
}

/** Options of {@linkcode inVsOutByClass}. */
export interface InVsOutByClassOptions {
  /**
   * Keep at most this many ID training images (seeded draw).
   * @default {undefined} (all)
   */
  trainLimit?: number;
  /**
   * Keep at most this many test images, split evenly between ID and OOD
   * (`floor(testLimit / 2)` each, at least 1; seeded draws).
   * @default {undefined} (all)
   */
  testLimit?: number;
  /**
   * Seed of every draw.
   * @default {0}
   */
  seed?: number;
}

/**
 * The semi-supervised in-vs-out protocol on one labelled dataset: the
 * images of `idClasses` are in-distribution, relabelled `0 .. C-1` in the
 * given order (so a class-conditional model gets `C` classes), and every
 * other class is out-of-distribution. Then {@linkcode inVsOut} on the ID
 * splits and the OOD test images: train on the ID train images, test on the
 * ID test images followed by the OOD ones (label `-1`).
 *
 * @param splits Labelled `{ train, test }` splits of one dataset.
 * @param idClasses The in-distribution labels, distinct, in the order that
 *   gives their new labels.
 * @param options Limits and seed.
 * @returns Train (ID, relabelled), test (ID relabelled, then OOD with label
 *   `-1`), `testIsAnomaly` (1 = OOD), counts.
 * @throws {RangeError} When `idClasses` is empty, not distinct integers, a
 *   split has no labels, no training image has an ID label, or a limit is
 *   out of range.
 *
 * @example Classes 2 and 0 in, class 1 out
 * ```ts
 * import assert from "node:assert/strict";
 * import { inVsOutByClass } from "@hsvae/hsvae";
 *
 * const mk = (labels: number[]) => ({
 *   images: new Float32Array(labels.length),
 *   shape: [labels.length, 1, 1, 1] as [number, number, number, number],
 *   labels: Int32Array.from(labels),
 * });
 * const p = inVsOutByClass({ train: mk([0, 1, 2, 2]), test: mk([1, 2, 0]) }, [2, 0]);
 * assert.deepEqual(Array.from(p.train.labels!), [1, 0, 0]);
 * assert.deepEqual(Array.from(p.test.labels!), [0, 1, -1]);
 * assert.deepEqual(Array.from(p.testIsAnomaly), [0, 0, 1]);
 * ```
 */
export function inVsOutByClass(
  splits: Splits,
  idClasses: readonly number[],
  options: InVsOutByClassOptions = {},
): ProtocolSplit {
  const fn = "build in-vs-out split by class";
  checkCount(options.testLimit, "testLimit", fn);
  if (
    idClasses.length === 0 || !idClasses.every(Number.isInteger) ||
    new Set(idClasses).size !== idClasses.length
  ) {
    throw new RangeError(
      `Cannot ${fn}: "idClasses" must be distinct integers, at least one, found "${
        idClasses.join(", ")
      }"`,
    );
  }
  assertDataset(splits.train, "train split");
  assertDataset(splits.test, "test split");
  if (!splits.train.labels || !splits.test.labels) {
    throw new RangeError(`Cannot ${fn}: the train and test splits need labels`);
  }
  const remap = new Map(idClasses.map((c, i) => [c, i]));
  const pick = (ds: Dataset, inside: boolean): Dataset => {
    const labels = ds.labels!;
    const out = subset(
      ds,
      indicesWhere(labels.length, (i) => remap.has(labels[i]) === inside),
    );
    if (inside) {
      out.labels = Int32Array.from(out.labels!, (y) => remap.get(y)!);
      if (ds.names) out.names = idClasses.map((c) => ds.names![c]);
    }
    return out;
  };
  const idTrain = pick(splits.train, true);
  if (idTrain.shape[0] === 0) {
    throw new RangeError(
      `Cannot ${fn}: no training image has label "${
        idClasses.join(", ")
      }"; labels present are "${
        [...new Set(splits.train.labels)].sort((a, b) => a - b).join(", ")
      }"`,
    );
  }
  const half = options.testLimit === undefined
    ? undefined
    : Math.max(1, Math.floor(options.testLimit / 2));
  return inVsOut(
    { train: idTrain, test: pick(splits.test, true) },
    pick(splits.test, false),
    {
      trainLimit: options.trainLimit,
      idTestLimit: half,
      oodTestLimit: half,
      seed: options.seed,
    },
  );
}
