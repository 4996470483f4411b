import { assert, assertClose, equal, rejects, throws } from "../_assert.ts";
import { tf } from "../../src/tf.ts";
import { KnnDetector } from "../../src/detectors/knn_detector.ts";
import type { FeatureMatrix } from "../../src/detectors/feature_matrix.ts";
import { NotFittedError } from "../../src/errors.ts";
import { mulberry32 } from "../../src/random.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** A seeded normal sample as a FeatureMatrix (mulberry32 + Box-Muller). */
function randomMatrix(
  rows: number,
  cols: number,
  seed: number,
  scale = 1,
): FeatureMatrix {
  const rng = mulberry32(seed);
  const u = () => 1 - rng(); // (0, 1]: log(u) stays finite
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    data[i] = scale * Math.sqrt(-2 * Math.log(u())) *
      Math.cos(2 * Math.PI * u());
  }
  return { data, rows, cols };
}

/** Brute force in float64: mean distance to the k nearest bank rows. */
function bruteForce(
  q: FeatureMatrix,
  bank: FeatureMatrix,
  k: number,
  excludeSelf: boolean,
) {
  const out = new Float64Array(q.rows);
  const d = new Float64Array(bank.rows);
  for (let i = 0; i < q.rows; i++) {
    for (let j = 0; j < bank.rows; j++) {
      let s = 0;
      for (let c = 0; c < q.cols; c++) {
        const diff = q.data[i * q.cols + c] - bank.data[j * bank.cols + c];
        s += diff * diff;
      }
      d[j] = excludeSelf && i === j ? Infinity : Math.sqrt(s);
    }
    const sorted = Float64Array.from(d).sort();
    let m = 0;
    for (let t = 0; t < k; t++) m += sorted[t];
    out[i] = m / k;
  }
  return out;
}

// float32 throughout: the refined distances carry ~1e-7 relative error per
// coordinate sum, so 1e-5 relative (+1e-6 absolute) is a safe bound; the
// matmul form (refine: false) loses ~1e-7 (|q|^2 + |b|^2) ~ 1e-5 in d^2 at
// these norms (|x|^2 ~ 16) and so ~1e-5 relative at distances ~ 5.
const TOL = { atol: 1e-6, rtol: 1e-5 };

Deno.test("KnnDetector.score() matches a float64 brute force across chunk boundaries", async (t) => {
  const bank = randomMatrix(203, 16, 1);
  const queries = randomMatrix(77, 16, 2, 1.5);
  const expected = bruteForce(queries, bank, 3, false);
  // bank chunks of 50 leave a last chunk of 3 rows; chunks of 2 are smaller
  // than k, so the merge sees partial candidate lists
  for (
    const [queryChunk, bankChunk] of [[1024, 8192], [10, 50], [7, 2], [77, 203]]
  ) {
    await t.step(
      `queryChunk ${queryChunk}, bankChunk ${bankChunk}`,
      async () => {
        using det = await new KnnDetector({ queryChunk, bankChunk }).fit(bank);
        assertClose(await det.score(queries), expected, TOL);
      },
    );
  }
  await t.step("refine: false (sqrt of the clamped matmul form)", async () => {
    using det = await new KnnDetector({ refine: false, bankChunk: 64 }).fit(
      bank,
    );
    assertClose(await det.score(queries), expected, { atol: 1e-4, rtol: 1e-4 });
  });
});

Deno.test("KnnDetector.trainingScores exclude each sample's own index", async () => {
  const bank = randomMatrix(120, 8, 3);
  const expected = bruteForce(bank, bank, 5, true);
  using det = await new KnnDetector({ k: 5, queryChunk: 32, bankChunk: 45 })
    .fit(bank);
  assertClose(det.trainingScores, expected, TOL);
  // scoring the bank as new queries does not exclude: the nearest is itself
  const withSelf = await det.score(bank);
  assertClose(withSelf, bruteForce(bank, bank, 5, false), TOL);
  for (let i = 0; i < bank.rows; i++) {
    assert.ok(withSelf[i] < det.trainingScores[i]);
  }
});

Deno.test("KnnDetector counts an exact duplicate at distance 0 but never the sample itself", async () => {
  // rows 0 and 1 are equal, far from everything else
  const x = [[100, 100], [100, 100], [0, 0], [0, 1], [1, 0], [1, 1]];
  using det = await new KnnDetector({ k: 1, bankChunk: 4, queryChunk: 3 }).fit(
    x,
  );
  const s = det.trainingScores;
  equal(s[0], 0);
  equal(s[1], 0);
  equal(s[2], 1);
  // with k = 2 the duplicate's second neighbour is far away
  using det2 = await new KnnDetector({ k: 2 }).fit(x);
  assertClose(det2.trainingScores[0], (0 + Math.hypot(99, 99)) / 2, {
    rtol: 1e-6,
  });
});

Deno.test("KnnDetector.fit() rejects k larger than the bank allows", async () => {
  await rejects(() => new KnnDetector({ k: 3 }).fit([[0], [1], [2]]), {
    name: "RangeError",
    message:
      'Cannot fit KnnDetector: "k" is "3" but the bank has "3" rows; leave-one-out training scores need k <= rows - 1, so pass more rows or a smaller k',
  });
  throws(() => new KnnDetector({ k: 0 }), {
    name: "RangeError",
    message:
      'Cannot create KnnDetector: "k" must be a positive integer, got "0"',
  });
  throws(() => new KnnDetector({ bankChunk: 1.5 }), RangeError);
});

Deno.test("KnnDetector leaks no tensors and accepts tensors without disposing them", async () => {
  const bank = randomMatrix(64, 5, 4);
  const q = tf.tensor2d(randomMatrix(9, 5, 5).data, [9, 5]);
  const before = tf.memory().numTensors;
  const det = await new KnnDetector({ bankChunk: 20, queryChunk: 4 }).fit(bank);
  equal(tf.memory().numTensors, before + 8); // ceil(64 / 20) bank blocks, each weights + norms
  const s = await det.score(q);
  equal(s.length, 9);
  equal(tf.memory().numTensors, before + 8);
  await det.scoreTraining();
  equal(tf.memory().numTensors, before + 8);
  det.dispose();
  equal(tf.memory().numTensors, before);
  assert.ok(!q.isDisposed);
  await rejects(() => det.score(q), NotFittedError);
  q.dispose();
});

Deno.test("KnnDetector.fit() scores a seeded subsample for the threshold; scoreTraining() scores all rows", async (t) => {
  const bank = randomMatrix(150, 6, 7);
  const full = bruteForce(bank, bank, 3, true);
  using det = await new KnnDetector({
    thresholdSample: 40,
    seed: 11,
    bankChunk: 64,
    queryChunk: 16,
  }).fit(bank);
  const rows = det.thresholdRows;
  await t.step("the sample is 40 distinct ascending rows", () => {
    equal(rows.length, 40);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i] > rows[i - 1]);
    assert.ok(rows[0] >= 0 && rows[39] < 150);
  });
  await t.step(
    "trainingScores are the sampled rows' leave-one-out scores",
    () => {
      assertClose(det.trainingScores, Array.from(rows, (r) => full[r]), TOL);
      // threshold = numpy quantile of the sampled scores at 1 - 0.1
      const sorted = Float64Array.from(det.trainingScores).sort();
      const pos = 0.9 * 39;
      const lo = Math.floor(pos);
      assertClose(
        det.threshold,
        sorted[lo] + (pos - lo) * (sorted[lo + 1] - sorted[lo]),
        { atol: 1e-12 },
      );
    },
  );
  await t.step(
    "scoreTraining() is the exact leave-one-out of every row",
    async () => {
      assertClose(await det.scoreTraining(), full, TOL);
    },
  );
  await t.step("equal seeds draw equal rows, other seeds others", async () => {
    using same = await new KnnDetector({ thresholdSample: 40, seed: 11 }).fit(
      bank,
    );
    using other = await new KnnDetector({ thresholdSample: 40, seed: 12 })
      .fit(bank);
    assert.deepEqual([...same.thresholdRows], [...rows]);
    assert.notDeepEqual([...other.thresholdRows], [...rows]);
  });
  await t.step("thresholdSample: Infinity scores every row", async () => {
    using all = await new KnnDetector({ thresholdSample: Infinity }).fit(bank);
    equal(all.thresholdRows.length, 150);
    assertClose(all.trainingScores, full, TOL);
  });
  throws(() => new KnnDetector({ thresholdSample: 0 }), {
    name: "RangeError",
    message:
      'Cannot create KnnDetector: "thresholdSample" must be a positive integer or Infinity, got "0"',
  });
  throws(() => new KnnDetector().thresholdRows, NotFittedError);
});

Deno.test("KnnDetector.score() keeps float32 cancellation out of large-norm duplicates", async () => {
  // rows with |b|^2 ~ 1.6e5: the matmul form alone would leave sqrt(1e-7 *
  // 3.2e5) ~ 0.2 of noise on a zero distance; refine recomputes it exactly
  const bank = randomMatrix(300, 10, 9, 1);
  for (let i = 0; i < bank.data.length; i++) bank.data[i] += 128;
  using det = await new KnnDetector({ k: 1 }).fit(bank);
  const q = { data: bank.data.slice(0, 20 * 10), rows: 20, cols: 10 };
  const s = await det.score(q);
  assert.ok(s.every((v) => v === 0), `${s}`);
});
