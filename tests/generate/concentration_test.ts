import { ok, throws } from "../_assert.ts";
import {
  chiCdf,
  chiMean,
  chiPdf,
  pairwiseCosines,
  radiusProfile,
} from "../../src/generate/concentration.ts";
import type { FeatureMatrix } from "../../src/detectors/feature_matrix.ts";

function gaussians(rows: number, cols: number, seed: number): FeatureMatrix {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const data = Float32Array.from(
    { length: rows * cols },
    () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()),
  );
  return { data, rows, cols };
}

Deno.test("chiCdf() matches the chi-square CDF closed forms", () => {
  // n = 2: 1 - exp(-r^2/2); n = 4: 1 - exp(-x)(1 + x), x = r^2/2
  for (const r of [0.1, 0.5, 1, 2, 3, 5]) {
    ok(Math.abs(chiCdf(r, 2) - (1 - Math.exp(-r * r / 2))) < 1e-14);
    const x = r * r / 2;
    ok(Math.abs(chiCdf(r, 4) - (1 - Math.exp(-x) * (1 + x))) < 1e-13);
  }
  // n = 1: erf(r / sqrt 2); P(|z| <= 1.959964) = 0.95
  ok(Math.abs(chiCdf(1.959963984540054, 1) - 0.95) < 1e-12);
  // chi-square(128), values from scipy.stats.chi2 (1.14): median
  // 127.33395414332766, cdf(100) 0.03184344175073805, cdf(160) 0.9709511251972668
  ok(Math.abs(chiCdf(Math.sqrt(127.33395414332766), 128) - 0.5) < 1e-12);
  ok(Math.abs(chiCdf(10, 128) - 0.03184344175073805) < 1e-13);
  ok(Math.abs(chiCdf(Math.sqrt(160), 128) - 0.9709511251972668) < 1e-13);
  ok(chiCdf(0, 5) === 0 && chiCdf(-1, 5) === 0);
});

Deno.test("chiPdf() integrates to 1 and to chiMean", () => {
  for (const n of [1, 3, 128, 1024]) {
    let mass = 0, first = 0;
    const h = 1e-3;
    for (let r = h / 2; r < Math.sqrt(n) + 12; r += h) {
      mass += chiPdf(r, n) * h;
      first += r * chiPdf(r, n) * h;
    }
    ok(Math.abs(mass - 1) < 1e-5, `n ${n}: mass ${mass}`);
    ok(Math.abs(first - chiMean(n)) < 1e-4, `n ${n}: mean ${first}`);
  }
  ok(Math.abs(chiMean(128) - Math.sqrt(127.5)) < 1e-3);
});

Deno.test("radiusProfile() of N(0, I) latents sits on chi(n) (DKW bound)", () => {
  const rows = 4000, n = 64;
  const p = radiusProfile(gaussians(rows, n, 12345));
  // DKW: P(KS > eps) <= 2 exp(-2 N eps^2); eps for alpha = 1e-6
  const eps = Math.sqrt(Math.log(2 / 1e-6) / (2 * rows));
  ok(p.ksDistance < eps, `KS ${p.ksDistance} vs ${eps}`);
  ok(Math.abs(p.mean - p.chiMean) < 4 * p.chiStd / Math.sqrt(rows));
  // latents scaled by 2 are far from chi(n)
  const scaled = gaussians(rows, n, 12345);
  scaled.data.forEach((v, i) => (scaled.data[i] = 2 * v));
  ok(radiusProfile(scaled).ksDistance > 0.99);
});

Deno.test("pairwiseCosines() of isotropic latents spread as 1/sqrt(n)", () => {
  for (const n of [16, 128]) {
    const c = pairwiseCosines(gaussians(2000, n, n), { pairs: 20000, seed: 1 });
    // Var(cos) = 1/n exactly; the std of 20,000 cosines is within ~3%
    ok(
      Math.abs(c.std - c.expectedStd) < 0.03 * c.expectedStd,
      `n ${n}: ${c.std}`,
    );
    ok(Math.abs(c.mean) < 4 * c.expectedStd / Math.sqrt(20000));
  }
  const same = pairwiseCosines({
    data: new Float32Array(40).fill(0.5),
    rows: 10,
    cols: 4,
  });
  ok(
    same.cosines.length === 45 &&
      same.cosines.every((x) => Math.abs(x - 1) < 1e-12),
  );
  throws(
    () =>
      pairwiseCosines({ data: Float32Array.of(1, 0, 0, 0), rows: 2, cols: 2 }),
    /row 1 has norm 0/,
  );
  throws(
    () => radiusProfile({ data: new Float32Array(0), rows: 0, cols: 2 }),
    /non-empty/,
  );
});
