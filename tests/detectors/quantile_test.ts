import { assertClose, equal, throws } from "../_assert.ts";
import { quantile } from "../../src/detectors/quantile.ts";

Deno.test("quantile() matches numpy's linear quantile", () => {
  // numpy.quantile([3, 1, 4, 1, 5, 9, 2, 6], [0, 0.1, 0.5, 0.95, 1]);
  // float64 arithmetic on both sides, so only rounding separates them
  const v = [3, 1, 4, 1, 5, 9, 2, 6];
  assertClose([0, 0.1, 0.5, 0.95, 1].map((q) => quantile(v, q)), [
    1,
    1,
    3.5,
    7.949999999999999,
    9,
  ], {
    atol: 1e-12,
  });
});

Deno.test("quantile() special cases", async (t) => {
  await t.step("q = 0 and q = 1 are the minimum and the maximum", () => {
    equal(quantile(Float32Array.of(2, -1, 7), 0), -1);
    equal(quantile(Float32Array.of(2, -1, 7), 1), 7);
  });
  await t.step("one value is every quantile", () => {
    for (const q of [0, 0.3, 1]) equal(quantile([5], q), 5);
  });
  await t.step("does not modify its input", () => {
    const v = [3, 1, 2];
    quantile(v, 0.5);
    equal(v.join(), "3,1,2");
  });
  await t.step("empty values and q outside [0, 1] are RangeErrors", () => {
    throws(() => quantile([], 0.5), {
      name: "RangeError",
      message: 'Cannot compute quantile: "values" is empty',
    });
    throws(() => quantile([1], 1.5), {
      name: "RangeError",
      message: 'Cannot compute quantile: "q" must be in [0, 1], got "1.5"',
    });
    throws(() => quantile([1], NaN), RangeError);
  });
});
