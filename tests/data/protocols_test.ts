import { assert, deepEqual, equal, throws } from "../_assert.ts";
import { ShapeError } from "../../src/errors.ts";
import type { Dataset } from "../../src/data/dataset.ts";
import { inVsOut, inVsOutByClass, oneClass } from "../../src/data/protocols.ts";

/** n images of 1x1x1 whose pixel is i/100 (so a pick can be traced), labels given. */
function toy(labels: number[], offset = 0): Dataset {
  return {
    images: Float32Array.from(labels, (_, i) => (i + offset) / 100),
    shape: [labels.length, 1, 1, 1],
    labels: Int32Array.from(labels),
    ids: labels.map((_, i) => String(i + offset)),
  };
}

Deno.test("oneClass() trains on one class and flags all others in the test split", () => {
  const train = toy([0, 1, 2, 1, 0, 1]);
  const test = toy([2, 1, 0, 1], 50);
  const p = oneClass({ train, test }, 1);
  deepEqual(p.train.ids, ["1", "3", "5"]);
  deepEqual(Array.from(p.testIsAnomaly), [1, 0, 1, 0]);
  deepEqual(p.counts, { train: 3, testNormal: 2, testAnomaly: 2 });
  throws(
    () => oneClass({ train, test }, 7),
    /no training image has label "7"; labels present are "0, 1, 2"/,
  );
});

Deno.test("oneClass() limits are seeded, stratified and order-preserving", () => {
  const labels = Array.from({ length: 200 }, (_, i) => i % 4);
  const a = oneClass({ train: toy(labels), test: toy(labels) }, 0, {
    trainLimit: 10,
    testLimit: 40,
    seed: 5,
  });
  const b = oneClass({ train: toy(labels), test: toy(labels) }, 0, {
    trainLimit: 10,
    testLimit: 40,
    seed: 5,
  });
  const c = oneClass({ train: toy(labels), test: toy(labels) }, 0, {
    trainLimit: 10,
    testLimit: 40,
    seed: 6,
  });
  deepEqual(a.train.ids, b.train.ids);
  assert.notDeepEqual(a.train.ids, c.train.ids);
  equal(a.counts.train, 10);
  // 25% normals in the test split -> 10 of 40.
  deepEqual(a.counts, { train: 10, testNormal: 10, testAnomaly: 30 });
  const ids = a.test.ids!.map(Number);
  deepEqual(ids, ids.slice().sort((x, y) => x - y));
  throws(
    () =>
      oneClass({ train: toy(labels), test: toy(labels) }, 0, {
        trainLimit: -1,
      }),
    RangeError,
  );
});

Deno.test("oneClass() splits a single dataset by testFraction per class", () => {
  const labels = Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 1));
  const p = oneClass(toy(labels), 0, { testFraction: 0.2, seed: 1 });
  // 10 of each class held out; the 40 remaining class-0 images train.
  deepEqual(p.counts, { train: 40, testNormal: 10, testAnomaly: 10 });
  const trainIds = new Set(p.train.ids);
  assert.ok(p.test.ids!.every((id) => !trainIds.has(id)));
});

Deno.test("inVsOut() keeps ID labels, appends OOD as -1, and checks sizes", () => {
  const idTrain = toy([0, 1, 2, 3]);
  const idTest = toy([3, 1], 10);
  const ood = toy([9, 9, 9], 20);
  const p = inVsOut({ train: idTrain, test: idTest }, ood);
  deepEqual(Array.from(p.train.labels!), [0, 1, 2, 3]);
  deepEqual(Array.from(p.test.labels!), [3, 1, -1, -1, -1]);
  deepEqual(Array.from(p.testIsAnomaly), [0, 0, 1, 1, 1]);
  deepEqual(p.counts, { train: 4, testNormal: 2, testAnomaly: 3 });
  const limited = inVsOut({ train: idTrain, test: idTest }, {
    train: ood,
    test: ood,
  }, { oodTestLimit: 1, seed: 2 });
  equal(limited.counts.testAnomaly, 1);
  const big: Dataset = { images: new Float32Array(4), shape: [1, 2, 2, 1] };
  throws(() => inVsOut({ train: idTrain, test: idTest }, big), ShapeError);
});

Deno.test("inVsOutByClass() relabels the ID classes in order and appends the rest as OOD", () => {
  const train = toy([0, 1, 2, 3, 2, 0]);
  const test = toy([3, 0, 1, 2], 50);
  const p = inVsOutByClass({ train, test }, [2, 0]);
  deepEqual(p.train.ids, ["0", "2", "4", "5"]);
  deepEqual(Array.from(p.train.labels!), [1, 0, 0, 1]);
  deepEqual(p.test.ids, ["51", "53", "50", "52"]);
  deepEqual(Array.from(p.test.labels!), [1, 0, -1, -1]);
  deepEqual(Array.from(p.testIsAnomaly), [0, 0, 1, 1]);
  deepEqual(p.counts, { train: 4, testNormal: 2, testAnomaly: 2 });
});

Deno.test("inVsOutByClass() keeps the ID class names in the new order", () => {
  const names = ["a", "b", "c"];
  const p = inVsOutByClass(
    { train: { ...toy([0, 1, 2]), names }, test: { ...toy([2, 1]), names } },
    [2, 1],
  );
  deepEqual(p.train.names, ["c", "b"]);
});

Deno.test("inVsOutByClass() splits testLimit evenly between ID and OOD", () => {
  const labels = Array.from({ length: 40 }, (_, i) => i % 4);
  const p = inVsOutByClass(
    { train: toy(labels), test: toy(labels, 100) },
    [0],
    { testLimit: 9, trainLimit: 3, seed: 1 },
  );
  deepEqual(p.counts, { train: 3, testNormal: 4, testAnomaly: 4 });
  const q = inVsOutByClass(
    { train: toy(labels), test: toy(labels, 100) },
    [0],
    { testLimit: 9, trainLimit: 3, seed: 1 },
  );
  deepEqual(q.test.ids, p.test.ids);
});

Deno.test("inVsOutByClass() rejects bad classes and unlabelled splits", () => {
  const train = toy([0, 1, 2]);
  const test = toy([0, 1]);
  throws(() => inVsOutByClass({ train, test }, [7, 8]), {
    name: "RangeError",
    message:
      'Cannot build in-vs-out split by class: no training image has label "7, 8"; labels present are "0, 1, 2"',
  });
  for (const bad of [[], [1, 1], [0.5]]) {
    throws(() => inVsOutByClass({ train, test }, bad), {
      name: "RangeError",
      message: /"idClasses" must be distinct integers, at least one/,
    });
  }
  const { labels: _, ...unlabelled } = test;
  throws(
    () => inVsOutByClass({ train, test: unlabelled }, [0]),
    /the train and test splits need labels/,
  );
  throws(
    () => inVsOutByClass({ train, test }, [0], { testLimit: -1 }),
    RangeError,
  );
});
