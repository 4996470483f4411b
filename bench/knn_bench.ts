/**
 * KnnDetector scoring vs brute-force plain-TypeScript loops: Q queries
 * against a 60,000 x 128 bank, k = 3, on the wasm backend.
 *
 *     deno bench -A bench/knn_bench.ts
 *
 * Setup (data, fit) happens at module load, outside the timed region; each
 * timed call reads its scores back (a Float32Array), so the backend's work is
 * really measured. Queries per second = Q / (time per iteration). The whole
 * bench takes about a minute on 2 cores, most of it in the baseline.
 */
import { tf } from "../src/tf.ts";
import { KnnDetector } from "../src/detectors/knn_detector.ts";
import type { FeatureMatrix } from "../src/detectors/feature_matrix.ts";
import { mulberry32 } from "../src/random.ts";

await tf.setBackend("wasm");

const BANK = 60_000;
const D = 128;
const Q = 2_000;
const K = 3;

function randomMatrix(rows: number, cols: number, seed: number): FeatureMatrix {
  const rng = mulberry32(seed);
  const data = new Float32Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = rng() - 0.5;
  return { data, rows, cols };
}

const bank = randomMatrix(BANK, D, 1);
const queries = randomMatrix(Q, D, 2);
// fit also scores a 10,000-row sample of the bank leave-one-out, once, untimed
const det = await new KnnDetector({ k: K }).fit(bank);

/** Brute force: squared distances by loops, a running top-k by insertion. */
function bruteForce(
  q: FeatureMatrix,
  b: FeatureMatrix,
  k: number,
): Float32Array {
  const out = new Float32Array(q.rows);
  const best = new Float64Array(k);
  for (let i = 0; i < q.rows; i++) {
    best.fill(Infinity);
    const qo = i * D;
    for (let j = 0; j < b.rows; j++) {
      const bo = j * D;
      let s = 0;
      for (let c = 0; c < D; c++) {
        const diff = q.data[qo + c] - b.data[bo + c];
        s += diff * diff;
      }
      if (s < best[k - 1]) {
        let p = k - 1;
        while (p > 0 && best[p - 1] > s) {
          best[p] = best[p - 1];
          p--;
        }
        best[p] = s;
      }
    }
    let m = 0;
    for (let t = 0; t < k; t++) m += Math.sqrt(best[t]);
    out[i] = m / k;
  }
  return out;
}

Deno.bench({
  name: `brute-force TypeScript loops (${Q} queries, ${BANK} x ${D} bank)`,
  group: "knn-score",
  baseline: true,
  n: 2,
  warmup: 1,
  fn() {
    bruteForce(queries, bank, K);
  },
});

Deno.bench({
  name:
    `KnnDetector.score() on ${tf.getBackend()} (${Q} queries, ${BANK} x ${D} bank)`,
  group: "knn-score",
  n: 5,
  warmup: 1,
  async fn() {
    await det.score(queries);
  },
});
