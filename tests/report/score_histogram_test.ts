import { scoreHistogram } from "../../src/report/score_histogram.ts";
import { ShapeError } from "../../src/errors.ts";
import { deepEqual, equal, ok, throws } from "../_assert.ts";

Deno.test("scoreHistogram() bins like numpy.histogram, split by label", () => {
  // numpy.histogram([0, 1, 2, 3, 4], bins=4) -> edges 0..4, counts [1, 1, 1, 2]
  // (the last bin is closed on the right)
  const h = scoreHistogram([0, 1, 2, 3, 4], [0, 1, 0, 1, 1], { bins: 4 });
  deepEqual([...h.edges], [0, 1, 2, 3, 4]);
  deepEqual([...h.normal], [1, 0, 1, 0]);
  deepEqual([...h.anomalous], [0, 1, 0, 2]);
  equal(h.nNormal, 2);
  equal(h.nAnomalous, 3);
});

Deno.test("scoreHistogram() uses (v - 0.5, v + 0.5) when all scores are equal", () => {
  const h = scoreHistogram([2, 2, 2], [0, 1, 1], { bins: 3 });
  deepEqual([...h.edges], [1.5, 1.5 + 1 / 3, 1.5 + 2 / 3, 2.5]);
  deepEqual([...h.normal], [0, 1, 0]);
  deepEqual([...h.anomalous], [0, 2, 0]);
});

Deno.test("scoreHistogram() puts every score in its half-open bin and keeps the counts", () => {
  let seed = 11;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  // values on a 0.1 grid hit the edges exactly, up to float rounding
  const scores = Array.from({ length: 500 }, () => Math.round(rnd() * 30) / 10);
  const labels = scores.map((_, i) => i % 3 === 0 ? 1 : 0);
  const h = scoreHistogram(scores, labels, { bins: 30 });
  equal(h.edges.length, 31);
  const n = new Uint32Array(30);
  const a = new Uint32Array(30);
  for (let i = 0; i < scores.length; i++) {
    let b = 0;
    while (b < 29 && scores[i] >= h.edges[b + 1]) b++;
    (labels[i] ? a : n)[b]++;
  }
  deepEqual([...h.normal], [...n]);
  deepEqual([...h.anomalous], [...a]);
  equal(h.nNormal + h.nAnomalous, 500);
  ok(h.edges[0] === Math.min(...scores) && h.edges[30] === Math.max(...scores));
});

Deno.test("scoreHistogram() defaults to 30 bins and accepts booleans", () => {
  const h = scoreHistogram(new Float32Array([0, 3]), [false, true]);
  equal(h.normal.length, 30);
  equal(h.normal[0], 1);
  equal(h.anomalous[29], 1);
});

Deno.test("scoreHistogram() rejects bad inputs", () => {
  throws(() => scoreHistogram([1, 2], [0]), ShapeError);
  throws(() => scoreHistogram([], []), ShapeError);
  throws(() => scoreHistogram([1, Infinity], [0, 1]), {
    name: "RangeError",
    message: /Cannot bin scores: "scores\[1\]" is "Infinity"/,
  });
  throws(() => scoreHistogram([1, 2], [0, 2]), {
    name: "TypeError",
    message: /"isAnomaly\[1\]" is "2"/,
  });
  throws(() => scoreHistogram([1, 2], [0, 1], { bins: 0 }), {
    name: "RangeError",
    message: /"bins" must be a positive integer, got "0"/,
  });
});
