import { authorsAnnealing, authorsBeta, betaSchedule } from "../../src/loss.ts";
import { assertClose, equal, throws } from "../_assert.ts";

Deno.test("betaSchedule() grows with sqrt(epoch) and holds after a warm-up", () => {
  // beta(t) = betaMax sqrt((t+1)/T): exact values for T = 16
  for (const t of [0, 3, 8, 15]) {
    assertClose(
      betaSchedule(t, { betaMax: 4, epochs: 16 }),
      4 * Math.sqrt((t + 1) / 16),
      {
        rtol: 1e-15,
      },
    );
  }
  equal(betaSchedule(3, { betaMax: 4, epochs: 16 }), 2);
  // warm-up W = 9: 1/3, 2/3 of the way at t = 0, 3; held from t = 8 on
  assertClose(betaSchedule(0, { betaMax: 3, warmup: 9 }), 1, { rtol: 1e-15 });
  assertClose(betaSchedule(3, { betaMax: 3, warmup: 9 }), 2, { rtol: 1e-15 });
  equal(betaSchedule(8, { betaMax: 3, warmup: 9 }), 3);
  equal(betaSchedule(500, { betaMax: 3, warmup: 9 }), 3);
  throws(
    () => betaSchedule(1),
    /"epochs" must be an integer >= 1 \(or give "warmup"\)/,
  );
  throws(() => betaSchedule(-1, { epochs: 3 }), RangeError);
});

Deno.test("authorsAnnealing() follows the authors' piecewise schedule", () => {
  const cases: [number, number][] = [
    [0, 1],
    [1, 2],
    [100, 11],
    [101, 1],
    [300, 1],
    [301, 1],
    [401, 11],
    [500, Math.sqrt(199) + 1],
    [501, 1],
    [700, 1],
    [726, 6],
    [900, Math.sqrt(199) + 1],
    [901, 1],
    [5000, 1],
  ];
  for (const [t, a] of cases) {
    assertClose(authorsAnnealing(t), a, { rtol: 1e-15 }, `t = ${t}`);
  }
  throws(() => authorsAnnealing(2.5), RangeError);
});

Deno.test("authorsBeta() is 2500 rec / (kl + 1e-3)", () => {
  assertClose(authorsBeta(12, 3e4), 2500 * 12 / (3e4 + 1e-3), { rtol: 1e-15 });
  assertClose(authorsBeta(1, 0), 2.5e6, { rtol: 1e-12 });
  assertClose(authorsBeta(2, 1, { target: 10 }), 20 / 1.001, { rtol: 1e-15 });
  throws(() => authorsBeta(1, Number.NaN), /"meanKlEpoch0" must be finite/);
});
