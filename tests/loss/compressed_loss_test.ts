import { tf } from "../../src/tf.ts";
import type { Tensor2D } from "../../src/tf.ts";
import {
  compressedKl,
  compressedLoss,
  type CompressedLossOptions,
  lossValues,
  sigmaFromLogVar,
} from "../../src/loss.ts";
import { assertClose, assertFinite, equal, ok, throws } from "../_assert.ts";
import { mulberry32 } from "../../src/random.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

interface FixtureConfig {
  options: CompressedLossOptions;
  parts: Record<string, number>;
  total: number;
}
interface FixtureCase {
  name: string;
  mu: number[][];
  sigma: number[][];
  labels?: number[];
  configs: FixtureConfig[];
}
const fixtures: { cases: FixtureCase[] } = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/loss/loss_fixtures.json", import.meta.url),
  ),
);

const PARTS = [
  "anglesMu",
  "anglesSigma",
  "radiusMu",
  "radiusSigma",
  "gaussian",
] as const;

/** Seeded uniform numbers in [lo, hi) (mulberry32). */
function uniform(seed: number, count: number, lo: number, hi: number) {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => lo + (hi - lo) * rng());
}

Deno.test("compressedLoss() matches the float64 reference for both presets and all variants", async (t) => {
  // Tolerance: float32 carries ~6e-8 relative per operation and the terms
  // are sums of up to ~50 such products (observed worst: 1.7e-6 relative,
  // authors' anglesSigma at n = 24), so each part is checked to rtol 2e-5
  // plus an absolute 1e-7 of the case's total (the authors' gains put totals
  // at 1e6 - 1e8, where a near-zero part cannot resolve below that).
  for (const c of fixtures.cases) {
    await t.step(c.name, async () => {
      const mu = tf.tensor2d(c.mu);
      const sigma = tf.tensor2d(c.sigma);
      for (const cfg of c.configs) {
        const options: CompressedLossOptions = { ...cfg.options };
        if (c.labels) options.labels = Int32Array.from(c.labels);
        const v = await lossValues(compressedLoss(mu, sigma, options));
        const tag = `${c.name} ${JSON.stringify(cfg.options)}`;
        const atol = 1e-7 * Math.abs(cfg.total) + 1e-9;
        for (const p of PARTS) {
          assertClose(
            v.parts[p],
            cfg.parts[p],
            { rtol: 2e-5, atol },
            `${tag} ${p}`,
          );
        }
        assertClose(v.total, cfg.total, { rtol: 2e-5, atol }, `${tag} total`);
      }
      tf.dispose([mu, sigma]);
    });
  }
});

Deno.test("compressedLoss() has finite gradients at zero sigma tails and zero mu rows", async () => {
  const c = fixtures.cases.find((x) => x.name === "zero_tails_n6")!;
  const mu = tf.tensor2d(c.mu);
  const sigma = tf.tensor2d(c.sigma);
  for (
    const options of [
      { preset: "paper" },
      { preset: "authors" },
      { preset: "authors", variant: "vmf" },
      { preset: "paper", variant: "vae" },
      { preset: "authors", radiusOnly: true },
    ] as CompressedLossOptions[]
  ) {
    const grads = tf.grads((m: tf.Tensor, s: tf.Tensor) =>
      compressedKl(m as Tensor2D, s as Tensor2D, options)
    )([mu, sigma]);
    const [gm, gs] = await Promise.all(grads.map((g) => g.data()));
    assertFinite(gm, `${JSON.stringify(options)} d/dmu`);
    assertFinite(gs, `${JSON.stringify(options)} d/dsigma`);
    ok(gm.some((x) => x !== 0), "some mu gradient is non-zero");
    tf.dispose(grads);
  }
  // identical rows: every batch std is at its floor
  const same = tf.tensor2d([[1, 0, 0], [1, 0, 0], [1, 0, 0]]);
  for (const preset of ["paper", "authors"] as const) {
    const g = tf.grads((m: tf.Tensor, s: tf.Tensor) =>
      compressedKl(m as Tensor2D, s as Tensor2D, { preset })
    )([same, same]);
    for (const x of g) assertFinite(await x.data(), `${preset} constant`);
    tf.dispose(g);
  }
  tf.dispose([mu, sigma, same]);
});

Deno.test("compressedLoss() gradients agree with finite differences", async () => {
  // float64-free check of the backward pass: central differences in float32
  // with h = 1e-2 on the paper preset (values O(1)); agreement to 2e-2 relative
  const mu = tf.tensor2d([[2, 0.3, -0.4, 0.1], [1.5, -0.2, 0.5, 0.3], [
    2.2,
    0.1,
    0.2,
    -0.5,
  ]]);
  const sigma = tf.tensor2d(uniform(7, 12, 0.05, 0.3), [3, 4]);
  const f = (m: tf.Tensor) =>
    compressedKl(m as Tensor2D, sigma, { preset: "paper" });
  const g = tf.grad(f)(mu);
  const analytic = await g.data();
  const base = await mu.data();
  const h = 1e-2;
  for (const idx of [0, 1, 5, 11]) {
    const plus = Float32Array.from(base);
    const minus = Float32Array.from(base);
    plus[idx] += h;
    minus[idx] -= h;
    const [tp, tm] = [tf.tensor2d(plus, [3, 4]), tf.tensor2d(minus, [3, 4])];
    const [lp, lm] = [f(tp), f(tm)];
    const fd = ((await lp.data())[0] - (await lm.data())[0]) / (2 * h);
    assertClose(analytic[idx], fd, { rtol: 2e-2, atol: 2e-3 }, `index ${idx}`);
    tf.dispose([tp, tm, lp, lm]);
  }
  tf.dispose([mu, sigma, g]);
});

Deno.test("compressedLoss() vmf differs from compressed only in the mu mean targets of angles k >= 2", async () => {
  const c = fixtures.cases.find((x) => x.name === "basic_n5")!;
  const mu = tf.tensor2d(c.mu);
  const sigma = tf.tensor2d(c.sigma);
  for (const preset of ["paper", "authors"] as const) {
    const full = await lossValues(compressedLoss(mu, sigma, { preset }));
    const vmf = await lossValues(
      compressedLoss(mu, sigma, { preset, variant: "vmf" }),
    );
    equal(vmf.parts.anglesSigma, full.parts.anglesSigma);
    equal(vmf.parts.radiusMu, full.parts.radiusMu);
    equal(vmf.parts.radiusSigma, full.parts.radiusSigma);
    ok(vmf.parts.anglesMu !== full.parts.anglesMu, `${preset} differs`);
    // and equal to `compressed` with K_c = 1
    const k1 = await lossValues(
      compressedLoss(mu, sigma, { preset, compressUntil: 1 }),
    );
    equal(vmf.parts.anglesMu, k1.parts.anglesMu);
  }
  // closed form (paper): the difference is sum_{k>=2} w_k ((E_k)^2 - (E_k - 1)^2)
  //   = sum_{k>=2} w_k (2 E_k - 1), E_k the batch mean of cos phi_k(mu)
  const rows = [[1, 1, 0, 0], [1, 0, 1, 0]];
  const m2 = tf.tensor2d(rows);
  const s2 = tf.fill([2, 4], 0.1) as Tensor2D;
  const a = await lossValues(compressedLoss(m2, s2, { preset: "paper" }));
  const b = await lossValues(
    compressedLoss(m2, s2, { preset: "paper", variant: "vmf" }),
  );
  // cosines: row 1 (1/sqrt2, 1, 1 [zero tail]), row 2 (1/sqrt2, 0, 1)
  const e = [0.5, 1];
  const expected = e.reduce(
    (acc, ek, i) => acc + (2 * ek - 1) / Math.sqrt(i + 3),
    0,
  );
  assertClose(b.parts.anglesMu - a.parts.anglesMu, expected, { atol: 1e-5 });
  tf.dispose([mu, sigma, m2, s2]);
});

Deno.test("compressedLoss() paper terms vanish at the priors (closed form)", async () => {
  // every row sigma0 * (1, ..., 1) and mu = sqrt(n) e_1: all angle and radius
  // terms are 0 up to the std epsilon
  const n = 6;
  const mu = tf.tensor2d([[Math.sqrt(n), 0, 0, 0, 0, 0], [
    Math.sqrt(n),
    0,
    0,
    0,
    0,
    0,
  ]]);
  const sigma = tf.fill([2, n], 0.1) as Tensor2D;
  const v = await lossValues(compressedLoss(mu, sigma, { preset: "paper" }));
  for (const p of PARTS) assertClose(v.parts[p], 0, { atol: 1e-6 }, p);
  tf.dispose([mu, sigma]);
});

Deno.test("compressedLoss() honours a preset plus overrides", async () => {
  const c = fixtures.cases.find((x) => x.name === "basic_n5")!;
  const mu = tf.tensor2d(c.mu);
  const sigma = tf.tensor2d(c.sigma);
  const base = await lossValues(
    compressedLoss(mu, sigma, { preset: "authors" }),
  );
  const g = await lossValues(
    compressedLoss(mu, sigma, {
      preset: "authors",
      termGains: { anglesSigma: 5e4 },
    }),
  );
  assertClose(g.parts.anglesSigma, base.parts.anglesSigma / 10, { rtol: 1e-6 });
  equal(g.parts.anglesMu, base.parts.anglesMu);
  // the authors' terms with the paper's std penalty: R_mu's std term becomes
  // 50 * 300 * S^2 instead of 50 * 300 * f(S + 1)
  const sq = await lossValues(
    compressedLoss(mu, sigma, { preset: "authors", stdPenalty: "square" }),
  );
  const r = tf.norm(mu, "euclidean", 1);
  const rv = Array.from(await r.data());
  const mean = rv.reduce((a, b) => a + b, 0) / rv.length;
  const s = Math.sqrt(
    rv.reduce((a, b) => a + (b - mean) ** 2, 0) / (rv.length - 1) + 1e-4,
  );
  const expected = 300 * (50 * s * s + 50 * (mean - Math.sqrt(4.5)) ** 2);
  assertClose(sq.parts.radiusMu, expected, { rtol: 1e-5 });
  tf.dispose([mu, sigma, r]);
});

Deno.test("compressedLoss() rolls each class to its own pole", async () => {
  // class y's pole is axis y * s: mu = 2 e_{y s} costs nothing in the mu
  // angles once rolled, and a lot unrolled (paper, pooled statistics)
  const n = 8;
  const s = 4;
  const row = (y: number) =>
    Array.from({ length: n }, (_, j) => (j === y * s ? Math.sqrt(n) : 0));
  const mu = tf.tensor2d([row(0), row(1), row(0), row(1)]);
  const sigma = tf.fill([4, n], 0.1) as Tensor2D;
  const labels = new Int32Array([0, 1, 0, 1]);
  const rolled = await lossValues(
    compressedLoss(mu, sigma, { preset: "paper", labels, spacing: s }),
  );
  assertClose(rolled.parts.anglesMu, 0, { atol: 1e-5 });
  const plain = await lossValues(
    compressedLoss(mu, sigma, { preset: "paper" }),
  );
  ok(plain.parts.anglesMu > 0.5, `unrolled cost ${plain.parts.anglesMu}`);
  tf.dispose([mu, sigma]);
});

Deno.test("compressedLoss() authors: per-class mu angles are the sum of each class's own loss", async () => {
  // Phi_mu under the roll = sum over classes of Phi_mu on that class's rows,
  // each rolled by hand; the other terms use the whole batch unrolled
  const n = 8;
  const s = 4;
  const raw = uniform(3, 6 * n, -1, 1);
  const sig = uniform(4, 6 * n, 0.05, 0.4);
  const labels = [0, 1, 0, 1, 1, 0];
  const rowsOf = (v: number[], i: number) => v.slice(i * n, (i + 1) * n);
  const roll = (r: number[], k: number) => r.map((_, j) => r[(j + k) % n]);
  const mu = tf.tensor2d(raw, [6, n]);
  const sigma = tf.tensor2d(sig, [6, n]);
  const all = await lossValues(
    compressedLoss(mu, sigma, {
      preset: "authors",
      labels: Int32Array.from(labels),
      spacing: s,
    }),
  );
  const plain = await lossValues(
    compressedLoss(mu, sigma, { preset: "authors" }),
  );
  let sum = 0;
  for (const c of [0, 1]) {
    const idx = labels.flatMap((y, i) => (y === c ? [i] : []));
    const m = tf.tensor2d(idx.map((i) => roll(rowsOf(raw, i), c * s)));
    const sg = tf.tensor2d(idx.map((i) => rowsOf(sig, i)));
    sum += (await lossValues(compressedLoss(m, sg, { preset: "authors" })))
      .parts.anglesMu;
    tf.dispose([m, sg]);
  }
  assertClose(all.parts.anglesMu, sum, { rtol: 1e-5 });
  // sigma terms unrolled: as without labels
  assertClose(all.parts.anglesSigma, plain.parts.anglesSigma, { rtol: 1e-6 });
  assertClose(all.parts.radiusMu, plain.parts.radiusMu, { rtol: 1e-5 });
  assertClose(all.parts.radiusSigma, plain.parts.radiusSigma, { rtol: 1e-6 });
  tf.dispose([mu, sigma]);
});

Deno.test("compressedLoss() accepts labels as an int tensor", async () => {
  const c = fixtures.cases.find((x) => x.name === "labelled_c3_s4_n12")!;
  const mu = tf.tensor2d(c.mu);
  const sigma = tf.tensor2d(c.sigma);
  const y = tf.tensor1d(c.labels!, "int32");
  for (const preset of ["paper", "authors"] as const) {
    const host = await lossValues(
      compressedLoss(mu, sigma, {
        preset,
        spacing: 4,
        labels: Int32Array.from(c.labels!),
      }),
    );
    const dev = await lossValues(
      compressedLoss(mu, sigma, {
        preset,
        spacing: 4,
        labels: y,
        numClasses: 3,
      }),
    );
    for (const p of PARTS) {
      assertClose(dev.parts[p], host.parts[p], { rtol: 1e-6, atol: 1e-6 }, p);
    }
  }
  tf.dispose([mu, sigma, y]);
});

Deno.test("compressedLoss() rejects bad shapes, classes and options", async (t) => {
  const mu = tf.zeros([4, 12]) as Tensor2D;
  const sigma = tf.ones([4, 12]) as Tensor2D;
  await t.step("n too small for the classes", () => {
    throws(
      () =>
        compressedLoss(mu, sigma, {
          preset: "paper",
          labels: new Int32Array([0, 1, 0, 1]),
        }),
      (e: Error) =>
        e instanceof RangeError &&
        e.message ===
          'Cannot compute compressedLoss: latent dimension n = 12 is too small for 2 classes at "spacing" 11 (need n >= numClasses * spacing = 22; raise n or lower "spacing")',
    );
  });
  await t.step("a class missing from the batch", () => {
    throws(
      () =>
        compressedLoss(mu, sigma, {
          labels: new Int32Array([0, 0, 2, 2]),
          spacing: 4,
        }),
      (e: Error) =>
        e instanceof RangeError && e.message.includes('class "1" has 0 rows') &&
        e.message.includes('"allowMissingClasses"'),
    );
    const l = compressedLoss(mu, sigma, {
      labels: new Int32Array([0, 0, 2, 2]),
      spacing: 4,
      allowMissingClasses: true,
    });
    tf.dispose([l.total, ...Object.values(l.parts)]);
  });
  await t.step("shapes", () => {
    throws(
      () => compressedLoss(mu, tf.ones([4, 3]) as Tensor2D),
      (e: Error) =>
        e.name === "ShapeError" && e.message.includes('"sigma" [4,3]'),
    );
    throws(
      () =>
        compressedLoss(
          tf.ones([4, 1]) as Tensor2D,
          tf.ones([4, 1]) as Tensor2D,
        ),
      (e: Error) => e.name === "ShapeError" && e.message.includes("n >= 2"),
    );
    throws(
      () => compressedLoss(mu, sigma, { labels: new Int32Array([0, 1]) }),
      (e: Error) => e.name === "ShapeError" && e.message.includes("4 entries"),
    );
  });
  await t.step("options", () => {
    throws(
      () => compressedLoss(mu, sigma, { variant: "vmf", compressUntil: 3 }),
      RangeError,
    );
    throws(
      () => compressedLoss(mu, sigma, { preset: "nope" as "paper" }),
      /"preset" must be one of "authors", "paper", got "nope"/,
    );
    throws(
      () =>
        compressedLoss(
          tf.ones([1, 3]) as Tensor2D,
          tf.ones([1, 3]) as Tensor2D,
        ),
      /unbiased batch std needs at least 2 rows/,
    );
    throws(
      () =>
        compressedLoss(mu, sigma, {
          labels: tf.tensor1d([0, 1, 0, 1], "int32"),
          spacing: 4,
        }),
      /"numClasses" is required/,
    );
  });
  tf.dispose([mu, sigma]);
});

Deno.test("compressedLoss() leaks no tensors through a loss and gradient call", () => {
  const mu = tf.variable(tf.tensor2d(uniform(1, 40, -1, 1), [4, 10]));
  const logVar = tf.variable(tf.tensor2d(uniform(2, 40, -3, 0), [4, 10]));
  const labels = new Int32Array([0, 1, 1, 0]);
  const before = tf.memory().numTensors;
  for (
    const options of [
      { preset: "authors", labels, spacing: 5 },
      { preset: "paper", labels, spacing: 5 },
      {
        preset: "authors",
        labels: tf.tensor1d([0, 1, 1, 0], "int32"),
        numClasses: 2,
        spacing: 5,
      },
      { preset: "authors", variant: "vae" },
      { preset: "paper", variant: "ae" },
      { preset: "paper", radiusOnly: true },
    ] as CompressedLossOptions[]
  ) {
    if (options.variant !== "ae") { // "ae" is a constant 0: nothing to differentiate
      const { value, grads } = tf.variableGrads(
        () => compressedKl(mu, sigmaFromLogVar(logVar), options),
        [mu, logVar],
      );
      tf.dispose([value, ...Object.values(grads)]);
    }
    const sigma = sigmaFromLogVar(logVar);
    const l = compressedLoss(mu, sigma, options);
    tf.dispose([sigma, l.total, ...Object.values(l.parts)]);
    if (options.labels instanceof tf.Tensor) options.labels.dispose();
  }
  // (the tensor labels above are created and disposed after `before`)
  equal(tf.memory().numTensors, before);
  tf.dispose([mu, logVar]);
});
