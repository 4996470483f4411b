/**
 * The Galaxy Zoo 2 anomaly set, built from the Kaggle competition
 * "galaxy-zoo-the-galaxy-challenge" files:
 *
 * ```
 * dir/training_solutions_rev1.csv     GalaxyID, Class1.1, ..., Class6.1, ...
 * dir/images_training_rev1/<GalaxyID>.jpg   424 x 424 RGB
 * ```
 *
 * Galaxies whose `Class6.1` ("is there anything odd? yes") vote fraction is
 * above `threshold` (0.9) are anomalies; all of them go to the test set with
 * an equal number of normal galaxies drawn at random (seeded; all normals
 * when there are fewer); the remaining normals are the training set. Both
 * sets keep the CSV order. Each image is center-cropped (default 212 px
 * of 424, keeping the galaxy and dropping most of the empty sky, a common
 * choice for this data) and area-resized to 64 x 64.
 *
 * @module
 */
import { DataFormatError } from "../errors.ts";
import type { Dataset } from "./dataset.ts";
import { checkAllocation } from "../limits.ts";
import {
  centerCrop,
  checkImageSize,
  decodeImage,
  resizeImage,
  toChannels,
} from "./image.ts";
import { type CsvTable, parseCsv } from "./csv.ts";
import { mulberry32, sampleSorted } from "../random.ts";
import { checkLimit } from "./_bytes.ts";

/** Options of {@linkcode loadGalaxyZoo}. */
export interface GalaxyZooOptions {
  /**
   * Center-crop side in pixels before resizing (`0` = no crop).
   * @default {212}
   */
  crop?: number;
  /**
   * Output `[height, width]`.
   * @default {[64, 64]}
   */
  size?: [number, number];
  /**
   * Channels: 3 (RGB) or 1 (gray).
   * @default {3}
   */
  channels?: 1 | 3;
  /**
   * A galaxy is an anomaly when its `column` value is above this.
   * @default {0.9}
   */
  threshold?: number;
  /**
   * The CSV column that marks anomalies.
   * @default {"Class6.1"}
   */
  column?: string;
  /**
   * Use only the first `limit` CSV rows (for tests).
   * @default {undefined} (all)
   */
  limit?: number;
  /**
   * Seed of the draw of normal test galaxies.
   * @default {0}
   */
  seed?: number;
}

/** The splits returned by {@linkcode loadGalaxyZoo}. */
export interface GalaxyZooSplits {
  /** Normal galaxies not drawn for the test set (label 0). */
  train: Dataset;
  /** All anomalies (label 1) and as many drawn normals (label 0), CSV order. */
  test: Dataset;
  /** 1 for anomalies in `test`, 0 otherwise. */
  testIsAnomaly: Uint8Array;
  /** Sizes of the parts. */
  counts: { train: number; testNormal: number; testAnomaly: number };
}

/**
 * How far the answers to one question may sum from their total (the
 * Kaggle table rounds each fraction to 6 decimals; 0.01 leaves room for
 * any rounding and still catches a damaged row).
 */
const SUM_TOLERANCE = 0.01;

/**
 * Questions of the Galaxy Zoo 2 decision tree that every volunteer
 * answers: their answers' vote fractions sum to 1.
 */
const WHOLE_QUESTIONS = ["1", "6"];

const VOTE_COLUMN = /^Class(\d+)\.\d+$/;

/**
 * Reads the ids and anomaly flags from the solutions table, checking every
 * `ClassQ.A` column: a number in `[0, 1]`, and the answers to questions 1
 * and 6 summing to 1 (at most 1 when some of their columns are absent).
 */
function readSolutions(
  table: CsvTable,
  csvPath: string,
  column: string,
  threshold: number,
  limit: number | undefined,
): { ids: string[]; isAnomaly: boolean[] } {
  const { header } = table;
  const idCol = header.indexOf("GalaxyID");
  const anCol = header.indexOf(column);
  if (idCol < 0 || anCol < 0) {
    throw new DataFormatError(
      `Cannot read CSV "${csvPath}": expected columns "GalaxyID" and "${column}", found "${
        header.slice(0, 8).join(",")
      }${header.length > 8 ? ",..." : ""}"`,
      { file: csvPath, offset: 0 },
    );
  }
  const rows = limit === undefined ? table.rows : table.rows.slice(0, limit);
  if (rows.length === 0) {
    throw new DataFormatError(
      `Cannot load Galaxy Zoo: no galaxies in "${csvPath}"`,
      { file: csvPath },
    );
  }
  const votes = header.flatMap((name, k) => {
    const q = VOTE_COLUMN.exec(name)?.[1];
    return q === undefined ? [] : [{ k, name, q }];
  });
  const groups = WHOLE_QUESTIONS.map((q) => votes.filter((v) => v.q === q))
    .filter((g) => g.length > 0);
  const complete = groups.map((g) => g.length === (g[0].q === "1" ? 3 : 2));
  const ids: string[] = [];
  const isAnomaly: boolean[] = [];
  const line = new Map<string, number>();
  for (const [k, r] of rows.entries()) {
    const at = table.lines[k];
    const id = r[idCol];
    const v = Number(r[anCol]);
    if (!/^\d+$/.test(id) || r[anCol] === "" || !Number.isFinite(v)) {
      throw new DataFormatError(
        `Cannot read CSV "${csvPath}": line ${at} has GalaxyID "${id}" and ${column} "${
          r[anCol]
        }", expected an integer id and a number`,
        { file: csvPath },
      );
    }
    const before = line.get(id);
    if (before !== undefined) {
      throw new DataFormatError(
        `Cannot read CSV "${csvPath}": GalaxyID "${id}" is on lines ${before} and ${at}; keep one row per galaxy`,
        { file: csvPath },
      );
    }
    line.set(id, at);
    const value = new Map<number, number>();
    for (const { k: c, name } of votes) {
      const x = Number(r[c]);
      if (r[c] === "" || !(x >= 0 && x <= 1)) {
        throw new DataFormatError(
          `Cannot read CSV "${csvPath}": line ${at} gives ${name} "${
            r[c]
          }" for GalaxyID "${id}", expected a vote fraction in [0, 1]; fix or drop the row`,
          { file: csvPath },
        );
      }
      value.set(c, x);
    }
    for (const [g, group] of groups.entries()) {
      const sum = group.reduce((s, { k: c }) => s + value.get(c)!, 0);
      const bad = complete[g]
        ? Math.abs(sum - 1) > SUM_TOLERANCE
        : sum > 1 + SUM_TOLERANCE;
      if (bad) {
        throw new DataFormatError(
          `Cannot read CSV "${csvPath}": line ${at} has ${
            group.map((v) => v.name).join(" + ")
          } = ${+sum.toFixed(6)} for GalaxyID "${id}", expected ${
            complete[g] ? "1" : "at most 1"
          } (every volunteer answers question ${
            group[0].q
          }, so its vote fractions sum to 1); fix or drop the row`,
          { file: csvPath },
        );
      }
    }
    ids.push(id);
    isAnomaly.push(v > threshold);
  }
  return { ids, isAnomaly };
}

/**
 * Loads the Galaxy Zoo anomaly split (see the module doc).
 *
 * @param dir The folder holding `training_solutions_rev1.csv` and
 * `images_training_rev1/`.
 * @param options Crop, size, channels, threshold, column, limit, seed.
 * @returns Train and test datasets (`ids` = GalaxyIDs), `testIsAnomaly`,
 * counts.
 * @throws {DataFormatError} When the CSV is not strict RFC 4180 (see
 * {@linkcode parseCsv}), lacks `GalaxyID` or the anomaly column, repeats
 * a GalaxyID, holds a value that is not a number, a `ClassQ.A` vote
 * fraction outside `[0, 1]`, or answers to question 1 or 6 that do not sum
 * to 1 (within 0.01), or when an image is missing or undecodable, or
 * smaller than the crop.
 * @throws {LimitError} When `size` or an image's header is beyond
 * `LIMITS.maxImageSide` / `maxImagePixels`, or the splits would be beyond
 * `LIMITS.maxArrayBytes` or the memory available (checked before
 * allocating).
 * @throws {RangeError} On bad options.
 *
 * @example See `tests/data/galaxy_zoo_test.ts` for a fixture tree
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadGalaxyZoo } from "@hsvae/hsvae";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/training_solutions_rev1.csv`, "GalaxyID,Class6.1\n");
 * await assert.rejects(loadGalaxyZoo(dir), /no galaxies/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadGalaxyZoo(
  dir: string,
  options: GalaxyZooOptions = {},
): Promise<GalaxyZooSplits> {
  checkLimit(options.limit, "load Galaxy Zoo");
  const crop = options.crop ?? 212;
  const size = options.size ?? [64, 64];
  const channels = options.channels ?? 3;
  const threshold = options.threshold ?? 0.9;
  const column = options.column ?? "Class6.1";
  if (!Number.isInteger(crop) || crop < 0) {
    throw new RangeError(
      `Cannot load Galaxy Zoo: "crop" must be a non-negative integer, found "${crop}"`,
    );
  }
  if (!Number.isFinite(threshold)) {
    throw new RangeError(
      `Cannot load Galaxy Zoo: "threshold" must be finite, found "${threshold}"`,
    );
  }
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(
      `Cannot load Galaxy Zoo: "channels" must be 1 or 3, found "${channels}"`,
    );
  }
  checkImageSize("load Galaxy Zoo", size);
  const csvPath = `${dir}/training_solutions_rev1.csv`;
  const table = parseCsv(await Deno.readTextFile(csvPath), csvPath);
  const { ids, isAnomaly } = readSolutions(
    table,
    csvPath,
    column,
    threshold,
    options.limit,
  );
  const anomalies = ids.flatMap((_, i) => (isAnomaly[i] ? [i] : []));
  const normals = ids.flatMap((_, i) => (isAnomaly[i] ? [] : [i]));
  const drawn = new Set(
    sampleSorted(normals, anomalies.length, mulberry32(options.seed ?? 0)),
  );
  const testIdx = ids.flatMap((
    _,
    i,
  ) => (isAnomaly[i] || drawn.has(i) ? [i] : []));
  const trainIdx = normals.filter((i) => !drawn.has(i));
  const [h, w] = size;
  const f = h * w * channels;
  checkAllocation(
    `load Galaxy Zoo from "${dir}" (${ids.length} images of ${h}x${w}x${channels})`,
    (testIdx.length + trainIdx.length) * f * 4,
  );
  const load = async (idx: number[], withLabels: boolean): Promise<Dataset> => {
    const images = new Float32Array(idx.length * f);
    for (const [k, i] of idx.entries()) {
      const path = `${dir}/images_training_rev1/${ids[i]}.jpg`;
      let bytes: Uint8Array;
      try {
        bytes = await Deno.readFile(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) {
          throw new DataFormatError(
            `Cannot load Galaxy Zoo image "${path}": GalaxyID "${
              ids[i]
            }" is in the CSV but its image is missing`,
            { file: path },
          );
        }
        throw err;
      }
      let img = toChannels(decodeImage(bytes, path), channels);
      if (crop > 0) {
        if (img.height < crop || img.width < crop) {
          throw new DataFormatError(
            `Cannot load Galaxy Zoo image "${path}": it is ${img.height}x${img.width}, smaller than the ${crop}-pixel crop; pass a smaller "crop"`,
            { file: path },
          );
        }
        img = centerCrop(img, crop);
      }
      images.set(resizeImage(img, size, "area").data, k * f);
    }
    return {
      images,
      shape: [idx.length, h, w, channels],
      labels: Int32Array.from(idx, (i) => (isAnomaly[i] ? 1 : 0)),
      names: withLabels ? ["normal", "anomaly"] : ["normal"],
      ids: idx.map((i) => ids[i]),
    };
  };
  const test = await load(testIdx, true);
  const train = await load(trainIdx, false);
  return {
    train,
    test,
    testIsAnomaly: Uint8Array.from(test.labels!),
    counts: {
      train: trainIdx.length,
      testNormal: drawn.size,
      testAnomaly: anomalies.length,
    },
  };
}
