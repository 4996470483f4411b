import { assert, deepEqual, equal } from "./_assert.ts";
import { mulberry32, sampleSorted, shuffleInPlace } from "../src/random.ts";

Deno.test("mulberry32() matches an independent Python port of mulberry32", () => {
  // Python (same algorithm, masks to 32 bits), seed 42, first three draws.
  const r = mulberry32(42);
  deepEqual([r(), r(), r()], [
    0.6011037519201636,
    0.44829055899754167,
    0.8524657934904099,
  ]);
});

Deno.test("shuffleInPlace() returns a permutation and is seeded", () => {
  const a = shuffleInPlace(
    Array.from({ length: 50 }, (_, i) => i),
    mulberry32(7),
  );
  const b = shuffleInPlace(
    Array.from({ length: 50 }, (_, i) => i),
    mulberry32(7),
  );
  deepEqual(a, b);
  deepEqual(
    a.slice().sort((x, y) => x - y),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.notDeepEqual(a, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("sampleSorted() draws k distinct sorted items", () => {
  const s = sampleSorted([5, 9, 1, 3, 7], 3, mulberry32(1));
  equal(s.length, 3);
  equal(new Set(s).size, 3);
  deepEqual(s, s.slice().sort((x, y) => x - y));
  deepEqual(sampleSorted([4, 2], 10, mulberry32(1)), [2, 4]);
});
