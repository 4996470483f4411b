import { assert, assertClose, equal, throws } from "./_assert.ts";
import {
  auprIn,
  auprOut,
  auroc,
  computeMetrics,
  fpr95,
  fpr95Id,
  rocCurve,
} from "../src/metrics.ts";
import { ShapeError } from "../src/errors.ts";
import { loadNpy } from "../src/data/npy.ts";

interface Case {
  name: string;
  scores: number[];
  labels: number[];
  auroc: number;
  fpr95: number;
  fpr95_dropped: number;
  fpr95Id: number;
  auprOut: number;
  auprIn: number;
  tpr_has_095: boolean;
  roc: { fpr: number[]; tpr: number[]; thresholds: number[] };
}

const FIXTURES = new URL(
  "./fixtures/metrics/sklearn_metrics.json",
  import.meta.url,
);
const cases: Case[] = JSON.parse(await Deno.readTextFile(FIXTURES)).cases;
const GOLDEN = new URL(
  "./fixtures/authors-cifar10-vs-cifar100/",
  import.meta.url,
);

// AUROC / AUPR: scikit-learn sums trapezoids / steps in another order, so
// agreement is to float64 rounding; 1e-12 is far inside METHOD.md's 1e-6.
const TOL = { atol: 1e-12 };
// FPR95 conventions: the same float64 operations as numpy, so equality up to
// the last bit of one interpolation.
const EXACT = { atol: 1e-15 };

Deno.test("rocCurve() matches scikit-learn roc_curve(drop_intermediate=False)", async (t) => {
  for (const c of cases) {
    await t.step(c.name, () => {
      const r = rocCurve(c.scores, c.labels);
      assertClose(r.fpr, c.roc.fpr, EXACT, "fpr");
      assertClose(r.tpr, c.roc.tpr, EXACT, "tpr");
      equal(r.thresholds[0], Infinity);
      assertClose(r.thresholds.slice(1), c.roc.thresholds, EXACT, "thresholds");
    });
  }
});

Deno.test("auroc() matches scikit-learn roc_auc_score", async (t) => {
  for (const c of cases) {
    await t.step(
      c.name,
      () => assertClose(auroc(c.scores, c.labels), c.auroc, TOL),
    );
  }
});

Deno.test("fpr95() matches numpy.interp(0.95, tpr, fpr)", async (t) => {
  // the fixture set must include plateaus at tpr == 0.95 for this to test them
  assert.ok(cases.filter((c) => c.tpr_has_095).length >= 2);
  for (const c of cases) {
    await t.step(c.name, () => {
      const v = fpr95(c.scores, c.labels);
      assertClose(v, c.fpr95, EXACT);
      // scikit-learn's default drop_intermediate=True gives the same value
      assertClose(v, c.fpr95_dropped, EXACT);
    });
  }
});

Deno.test("fpr95() takes the largest fpr among points with tpr exactly 0.95", () => {
  // OOD 10..29; ID 0..9.5 (20 values) and 10.5, 10.5, 10.7, 11. The points
  // with tpr = 19/20 have fpr 1/24 (t = 11), 2/24 (t = 10.7), 4/24 (t = 10.5)
  const ood = Array.from({ length: 20 }, (_, i) => 10 + i);
  const idd = [
    ...Array.from({ length: 20 }, (_, i) => i * 0.5),
    10.5,
    10.5,
    10.7,
    11,
  ];
  const y = [...ood.map(() => 1), ...idd.map(() => 0)];
  equal(fpr95([...ood, ...idd], y), 4 / 24);
});

Deno.test("fpr95Id() matches the ID-positive rank rule computed in numpy", async (t) => {
  for (const c of cases) {
    await t.step(
      c.name,
      () => assertClose(fpr95Id(c.scores, c.labels), c.fpr95Id, EXACT),
    );
  }
});

Deno.test("auprOut() and auprIn() match scikit-learn average_precision_score", async (t) => {
  for (const c of cases) {
    await t.step(c.name, () => {
      assertClose(auprOut(c.scores, c.labels), c.auprOut, TOL, "auprOut");
      assertClose(auprIn(c.scores, c.labels), c.auprIn, TOL, "auprIn");
    });
  }
});

Deno.test("computeMetrics() equals the single metrics and accepts booleans", () => {
  const c = cases.find((x) => x.name === "heavy_ties")!;
  const m = computeMetrics(c.scores, c.labels.map((l) => l === 1));
  equal(m.auroc, auroc(c.scores, c.labels));
  equal(m.fpr95, fpr95(c.scores, c.labels));
  equal(m.fpr95Id, fpr95Id(c.scores, c.labels));
  equal(m.auprOut, auprOut(c.scores, c.labels));
  equal(m.auprIn, auprIn(c.scores, c.labels));
  equal(m.nOod, c.labels.filter((l) => l === 1).length);
  equal(m.nId + m.nOod, c.labels.length);
});

Deno.test("auroc() is symmetric: ID positive with -score gives the same value", () => {
  const c = cases.find((x) => x.name === "integer")!;
  const flipped = auroc(c.scores.map((s) => -s), c.labels.map((l) => 1 - l));
  assertClose(flipped, auroc(c.scores, c.labels), TOL);
});

Deno.test("computeMetrics() reproduces the paper's archived CIFAR-10 vs CIFAR-100 numbers", async () => {
  const scores = await loadNpy(new URL("scores.npy", GOLDEN).pathname);
  const labels = await loadNpy(new URL("labels.npy", GOLDEN).pathname);
  equal(scores.data.length, 20000);
  equal(labels.data.length, 20000);
  const m = computeMetrics(scores.data, Array.from(labels.data, Number));
  // AUROC is published to 7 d.p.: |diff| <= half a unit in the last place
  assertClose(m.auroc, 0.8954305, { atol: 5e-8 }, "auroc");
  // FPR95s are printed to 4 d.p. (0.2323, 0.7618): half a unit of the 4th
  assertClose(m.fpr95, 0.2323, { atol: 5e-5 }, "fpr95");
  assertClose(m.fpr95Id, 0.7618, { atol: 5e-5 }, "fpr95Id");
  // AUPRs are printed to 4 d.p.
  assertClose(m.auprOut, 0.8291, { atol: 5e-5 }, "auprOut");
  assertClose(m.auprIn, 0.9284, { atol: 5e-5 }, "auprIn");
  equal(m.nId, 10000);
  equal(m.nOod, 10000);
});

Deno.test("auroc() validates its input", async (t) => {
  await t.step(
    "unequal lengths throw a ShapeError naming both arguments",
    () => {
      throws(() => auroc([1, 2, 3], [0, 1]), (e: unknown) => {
        assert.ok(e instanceof ShapeError);
        assert.match(
          e.message,
          /^Cannot compute auroc: "scores" has length "3" but "isAnomaly" has length "2"/,
        );
        return true;
      });
    },
  );
  await t.step("a missing class throws a RangeError", () => {
    throws(() => fpr95([1, 2], [1, 1]), {
      name: "RangeError",
      message:
        'Cannot compute fpr95: "isAnomaly" needs at least one anomaly (1) and one normal (0) sample, got "2" anomalies and "0" normals',
    });
    throws(() => auroc([], []), RangeError);
  });
  await t.step(
    "NaN and infinite scores throw a RangeError naming the index",
    () => {
      throws(() => auprOut([0.1, NaN], [0, 1]), {
        name: "RangeError",
        message:
          'Cannot compute auprOut: "scores" must be finite numbers, got "NaN" at index "1"',
      });
      throws(() => auprIn([Infinity, 0], [0, 1]), RangeError);
    },
  );
  await t.step("labels other than 0/1/booleans throw a TypeError", () => {
    throws(() => fpr95Id([1, 2, 3], [0, 1, 2]), {
      name: "TypeError",
      message:
        'Cannot compute fpr95Id: "isAnomaly" must hold 0/1 or booleans, got "2" at index "2"',
    });
  });
});
