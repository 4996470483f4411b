import { assert, assertClose, equal, throws } from "../_assert.ts";
import {
  averagePathLength,
  IsolationForest,
} from "../../src/detectors/isolation_forest.ts";
import { auroc } from "../../src/metrics.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("./fixtures/iforest_sklearn.json", import.meta.url),
  ),
) as {
  x: number[][];
  labels: number[];
  sklearn_scores: number[];
  sklearn_auroc: number;
};

/** Spearman rank correlation (average ranks for ties). */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const rank = (v: ArrayLike<number>) => {
    const idx = Array.from({ length: v.length }, (_, i) => i).sort((i, j) =>
      v[i] - v[j]
    );
    const r = new Float64Array(v.length);
    for (let i = 0; i < idx.length;) {
      let j = i;
      while (j < idx.length && v[idx[j]] === v[idx[i]]) j++;
      for (let t = i; t < j; t++) r[idx[t]] = (i + j - 1) / 2;
      i = j;
    }
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  const mean = (ra.length - 1) / 2;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < ra.length; i++) {
    num += (ra[i] - mean) * (rb[i] - mean);
    da += (ra[i] - mean) ** 2;
    db += (rb[i] - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

Deno.test("averagePathLength() follows c(n) = 2H(n-1) - 2(n-1)/n", () => {
  equal(averagePathLength(0), 0);
  equal(averagePathLength(1), 0);
  equal(averagePathLength(2), 1);
  // exact harmonic H(9) = 7129/2520; the ln + gamma form is ~0.05 above it
  const exact = 2 * (7129 / 2520) - (2 * 9) / 10;
  assertClose(averagePathLength(10), exact, { atol: 0.12 });
  // scikit-learn 1.2.1 _average_path_length([256]) printed with repr()
  assertClose(averagePathLength(256), 10.244770920119917, { atol: 1e-12 });
});

Deno.test("IsolationForest ranks like scikit-learn's on a Gaussian + outliers set", async () => {
  // Exact equality is impossible: the random streams differ. Both forests are
  // estimates from 100 trees, so we compare rankings and AUROCs.
  const det = await new IsolationForest({ seed: 3 }).fit(fixture.x);
  const ours = det.trainingScores;
  const rho = spearman(ours, fixture.sklearn_scores);
  assert.ok(rho > 0.9, `Spearman ${rho}`);
  const a = auroc(ours, fixture.labels);
  assert.ok(
    Math.abs(a - fixture.sklearn_auroc) < 0.02,
    `AUROC ${a} vs ${fixture.sklearn_auroc}`,
  );
  assert.ok(a > 0.97, `AUROC ${a}`);
  // clear outliers score higher than every inlier's median
  const inl = Array.from(ours.slice(0, 400)).sort((p, q) => p - q);
  const out = Array.from(ours.slice(400)).sort((p, q) => p - q);
  assert.ok(out[10] > inl[390], "median outlier above the 97.5% inlier");
});

Deno.test("IsolationForest is reproducible by seed and varies across seeds", async () => {
  const a =
    (await new IsolationForest({ seed: 11 }).fit(fixture.x)).trainingScores;
  const b =
    (await new IsolationForest({ seed: 11 }).fit(fixture.x)).trainingScores;
  const c =
    (await new IsolationForest({ seed: 12 }).fit(fixture.x)).trainingScores;
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("IsolationForest handles constant features and tiny training sets", async () => {
  const x = [[1, 5], [1, 5], [1, 5], [1, 6]];
  const det = await new IsolationForest({ seed: 1, nEstimators: 20 }).fit(x);
  equal(det.subsampleSize, 4);
  const s = det.trainingScores;
  for (const v of s) assert.ok(v > 0 && v <= 1);
  assert.ok(s[3] > s[0]);
  throws(() => new IsolationForest({ maxSamples: 1 }), RangeError);
  throws(() => new IsolationForest({ nEstimators: 0 }), {
    name: "RangeError",
    message:
      'Cannot create IsolationForest: "nEstimators" must be a positive integer, got "0"',
  });
});
