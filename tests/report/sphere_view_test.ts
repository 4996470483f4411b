import { sphereView } from "../../src/report/sphere_view.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertClose, deepEqual, equal, ok, throws } from "../_assert.ts";

// float32 output: each coordinate carries ~6e-8 relative rounding
const TOL = { atol: 1e-7 };

Deno.test("sphereView() matches the group-mean closed forms", async (t) => {
  await t.step("n = 3: each group is one dimension", () => {
    assertClose(sphereView(new Float32Array([3, 4, 0]), 3), [0.6, 0.8, 0], TOL);
  });
  await t.step("n = 4: groups {0}, {1}, {2, 3}", () => {
    // means (2, -1, (2 + 0) / 2 = 1), norm sqrt(6)
    const s = Math.sqrt(6);
    assertClose(sphereView(new Float32Array([2, -1, 2, 0]), 4), [
      2 / s,
      -1 / s,
      1 / s,
    ], TOL);
  });
  await t.step("n = 7: groups of 2, 2, 3; two rows", () => {
    const mu = new Float32Array([
      ...[0, 2, 1, 3, 3, 3, 3], // means (1, 2, 3)
      ...[-4, 4, 5, 5, 0, 0, 0], // means (0, 5, 0)
    ]);
    const s = Math.sqrt(14);
    assertClose(sphereView(mu, 7), [1 / s, 2 / s, 3 / s, 0, 1, 0], TOL);
  });
  await t.step("n = 128: groups of 42, 42, 44", () => {
    // dims 0..41 = 1, 42..83 = 0, 84..127 = 2 -> means (1, 0, 2)
    const mu = new Float32Array(128).map((_, j) => j < 42 ? 1 : j < 84 ? 0 : 2);
    const s = Math.sqrt(5);
    assertClose(sphereView(mu, 128), [1 / s, 0, 2 / s], TOL);
  });
  await t.step("the isotropic vector maps to (1, 1, 1) / sqrt(3)", () => {
    const p = sphereView(new Float32Array(10).fill(0.3), 10);
    assertClose(p, new Array(3).fill(1 / Math.sqrt(3)), TOL);
  });
});

Deno.test("sphereView() returns unit vectors, and the origin for a zero row", () => {
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5;
  const n = 11;
  const rows = 50;
  const mu = new Float32Array(rows * n).map(() => rnd());
  const p = sphereView(mu, n);
  equal(p.length, rows * 3);
  for (let i = 0; i < rows; i++) {
    assertClose(Math.hypot(p[3 * i], p[3 * i + 1], p[3 * i + 2]), 1, {
      atol: 2e-7,
    }, `row ${i}`);
  }
  // scaling by a power of two is exact in float32, so the points are identical
  deepEqual([...sphereView(mu.map((v) => v * 4), n)], [...p]);
  deepEqual([...sphereView(new Float32Array(6), 6)], [0, 0, 0]);
  deepEqual([...sphereView(new Float32Array([1, -1, 2, -2, 3, -3]), 6)], [
    0,
    0,
    0,
  ]);
});

Deno.test("sphereView() rejects bad n, shapes and values", () => {
  throws(() => sphereView(new Float32Array(4), 2), {
    name: "RangeError",
    message:
      /Cannot project latents onto the sphere: "n" must be an integer >= 3/,
  });
  throws(() => sphereView(new Float32Array(7), 3), (e) => {
    ok(e instanceof ShapeError);
    equal(e.actual, "7");
    ok(/"mu" has length "7", not a multiple of n = "3"/.test(e.message));
    return true;
  });
  throws(() => sphereView(new Float32Array([1, NaN, 0]), 3), {
    name: "RangeError",
    message: /"mu\[1\]" is "NaN"/,
  });
  // deno-lint-ignore no-explicit-any
  throws(() => sphereView([1, 2, 3] as any, 3), ShapeError);
});
