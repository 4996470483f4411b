import { rocCurve } from "../../../src/metrics.ts";
import { rocFigures, thinRoc } from "../../../src/report/figures/roc.ts";
import { deepEqual, equal, ok } from "../../_assert.ts";

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

Deno.test("thinRoc() keeps the curve within its step of the full ROC", () => {
  const rnd = lcg(5);
  const scores = Array.from({ length: 5000 }, () => rnd());
  const labels = scores.map((s) => rnd() < s ? 1 : 0);
  const roc = rocCurve(scores, labels);
  const th = thinRoc(roc.fpr, roc.tpr, 0.01);
  ok(th.fpr.length < roc.fpr.length / 5, `${th.fpr.length} points kept`);
  deepEqual([th.fpr[0], th.tpr[0]], [0, 0]);
  deepEqual([th.fpr.at(-1), th.tpr.at(-1)], [1, 1]);
  // the kept points are ROC points in order (to 6 significant digits) ...
  const kept: number[] = [];
  let j = 0;
  for (let k = 0; k < th.fpr.length; k++) {
    while (
      Math.abs(roc.fpr[j] - th.fpr[k]) > 1e-6 ||
      Math.abs(roc.tpr[j] - th.tpr[k]) > 1e-6
    ) j++;
    kept.push(j++);
  }
  equal(kept.at(-1), roc.fpr.length - 1);
  // ... and every dropped point lies within 0.01 of the last kept one
  let k = 0;
  for (let i = 0; i < roc.fpr.length; i++) {
    if (k + 1 < kept.length && kept[k + 1] <= i) k++;
    ok(roc.fpr[i] - roc.fpr[kept[k]] <= 0.01, `fpr at ${i}`);
    ok(roc.tpr[i] - roc.tpr[kept[k]] <= 0.01, `tpr at ${i}`);
  }
});

Deno.test("rocFigures() labels each curve with its AUROC and adds the chance line", () => {
  const { plotly, svg } = rocFigures({
    title: "t",
    methods: [
      { name: "a", scores: [0, 1, 2], auroc: 1, fpr95: 0, fpr95Id: 0 },
      { name: "b", scores: [2, 1, 0], auroc: 0, fpr95: 1, fpr95Id: 1 },
    ],
    isAnomaly: [0, 1, 1],
  });
  deepEqual(plotly[0].data.map((d) => d.name), [
    "a (AUROC 1.000)",
    "b (AUROC 0.000)",
    "chance",
  ]);
  const rows = (svg[0].spec.data as { values: { method: string }[] }).values;
  equal(rows[0].method, "a (AUROC 1.000)");
  ok(rows.some((r) => r.method === "b (AUROC 0.000)"));
});
