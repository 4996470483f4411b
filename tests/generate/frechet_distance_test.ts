import { equal, ok, throws } from "../_assert.ts";
import {
  frechetDistance,
  frechetDistanceFromStatistics,
  gaussianStatistics,
} from "../../src/generate/frechet_distance.ts";
import type { FeatureMatrix } from "../../src/detectors/feature_matrix.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/frechet/frechet_fixture.json", import.meta.url),
  ),
);

function matrix(
  m: { rows: number; data: number[] },
  dim: number,
): FeatureMatrix {
  return { data: Float32Array.from(m.data), rows: m.rows, cols: dim };
}

function seeded(rows: number, cols: number, seed: number): FeatureMatrix {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  return {
    data: Float32Array.from({ length: rows * cols }, () => rnd() * 2 - 1),
    rows,
    cols,
  };
}

Deno.test("frechetDistance() matches scipy.linalg.sqrtm FID on the fixture", () => {
  for (const c of fixture.cases) {
    const d = frechetDistance(matrix(c.a, c.dim), matrix(c.b, c.dim));
    // well-conditioned: 1e-6 relative. Rank-deficient (12 rows in 24
    // dimensions): sqrtm's Schur route on the singular product loses
    // ~sqrt(eps) on the null space, so 1e-4 relative there.
    const tol = c.name === "rank-deficient" ? 1e-4 : 1e-6;
    ok(
      Math.abs(d - c.fid) <= tol * Math.abs(c.fid),
      `${c.name}: ${d} vs scipy ${c.fid}`,
    );
  }
});

Deno.test("frechetDistance() is 0 on identical sets and symmetric", () => {
  const a = seeded(60, 10, 3);
  const b = seeded(50, 10, 4);
  ok(frechetDistance(a, a) < 1e-9);
  const ab = frechetDistance(a, b);
  const ba = frechetDistance(b, a);
  ok(Math.abs(ab - ba) <= 1e-9 * ab, `${ab} vs ${ba}`);
  ok(ab > 0);
});

Deno.test("frechetDistance() adds |v|^2 for a translation by v", () => {
  const a = seeded(80, 6, 9);
  const v = [0.5, -1, 2, 0, 0.25, -0.75];
  const b = {
    ...a,
    data: a.data.map((x, i) => x + v[i % 6]),
  };
  const sq = v.reduce((s, x) => s + x * x, 0);
  // the covariance of b equals a's up to float32 rounding of the shift
  ok(Math.abs(frechetDistance(a, b) - sq) < 1e-5, `${frechetDistance(a, b)}`);
});

Deno.test("gaussianStatistics() equals numpy.cov's unbiased covariance", () => {
  const s = gaussianStatistics({
    data: Float32Array.of(1, 2, 3, 6, 5, 10),
    rows: 3,
    cols: 2,
  });
  // columns [1, 3, 5] and [2, 6, 10]: var 4 and 16, cov 8
  equal(s.mean[0], 3);
  equal(s.mean[1], 6);
  equal(s.covariance[0], 4);
  equal(s.covariance[1], 8);
  equal(s.covariance[3], 16);
  // 1-d closed form: N(0, s1) vs N(0, s2) has (sqrt(s1) - sqrt(s2))^2
  const x = gaussianStatistics({
    data: Float32Array.of(-1, 1),
    rows: 2,
    cols: 1,
  });
  const y = gaussianStatistics({
    data: Float32Array.of(-3, 3),
    rows: 2,
    cols: 1,
  });
  ok(
    Math.abs(
      frechetDistanceFromStatistics(x, y) - (Math.sqrt(2) - Math.sqrt(18)) ** 2,
    ) < 1e-12,
  );
});

Deno.test("frechetDistance() rejects bad input with the fix", () => {
  throws(
    () => frechetDistance(seeded(5, 3, 1), seeded(5, 4, 1)),
    /3 and 4 columns/,
  );
  throws(() => gaussianStatistics(seeded(1, 3, 1)), /at least 2 rows/);
  const bad = seeded(4, 2, 1);
  bad.data[3] = NaN;
  throws(() => gaussianStatistics(bad), /row 1, feature 1 is NaN/);
});
