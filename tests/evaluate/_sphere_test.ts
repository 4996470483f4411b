import { assertClose, deepEqual } from "../_assert.ts";
import { sphereProjection } from "../../src/evaluate/_sphere.ts";

Deno.test("`sphereProjection()` averages three groups and normalises", () => {
  // n = 7: groups of 2, 2 and 3 dimensions
  const mu = Float32Array.from([
    ...[2, 2, 0, 0, 0, 0, 0], // group means (2, 0, 0) -> (1, 0, 0)
    ...[1, 3, 3, 1, 0, 0, 0], // (2, 2, 0) -> (1, 1, 0) / sqrt(2)
    ...[0, 0, 0, 0, 3, 3, 3], // (0, 0, 3) -> (0, 0, 1)
    ...[0, 0, 0, 0, 0, 0, 0], // zero stays zero, no NaN
    ...[-1, -1, 2, 2, 1, 2, 3], // (-1, 2, 2) / 3
  ]);
  const s = sphereProjection(mu, 7);
  const h = Math.SQRT1_2;
  // float32 output: 1e-7 relative
  assertClose(s, [1, 0, 0, h, h, 0, 0, 0, 1, 0, 0, 0, -1 / 3, 2 / 3, 2 / 3], {
    atol: 1e-7,
  });
});

Deno.test("`sphereProjection()` handles n = 3 (one dimension per group)", () => {
  deepEqual([...sphereProjection(Float32Array.from([0, 3, 4]), 3)], [
    0,
    Math.fround(0.6),
    Math.fround(0.8),
  ]);
});
