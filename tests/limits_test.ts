import { assert, equal } from "./_assert.ts";
import {
  checkAllocation,
  checkSize,
  LimitError,
  LIMITS,
} from "../src/limits.ts";

Deno.test("checkSize() accepts the bound and refuses one past it", () => {
  checkSize("build", "maxLatentDim", LIMITS.maxLatentDim);
  for (const bad of [LIMITS.maxLatentDim + 1, -1, NaN, Infinity]) {
    assert.throws(
      () => checkSize("build", "maxLatentDim", bad),
      (e: unknown) =>
        e instanceof LimitError && e.limit === "maxLatentDim" &&
        /Cannot build: .* beyond the limit maxLatentDim = 8192/.test(e.message),
    );
  }
});

Deno.test("checkAllocation() refuses more than the machine has available", () => {
  const free = Deno.systemMemoryInfo().available;
  checkAllocation("load", 1024);
  if (free < LIMITS.maxArrayBytes) {
    assert.throws(
      () => checkAllocation("load", free + 1),
      (e: unknown) => e instanceof LimitError && e.limit === "memory",
    );
  }
  equal(Object.isFrozen(LIMITS), true);
});
