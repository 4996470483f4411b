import { ok, throws } from "../_assert.ts";
import { symmetricEigen } from "../../src/linalg/symmetric_eigen.ts";

const fixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../fixtures/frechet/frechet_fixture.json", import.meta.url),
  ),
);

function randomSymmetric(n: number, seed: number): Float64Array {
  let s = seed;
  const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = rnd() * 2 - 1;
      a[i * n + j] = v;
      a[j * n + i] = v;
    }
  }
  return a;
}

Deno.test("symmetricEigen() matches scipy.linalg.eigh", () => {
  const { n, matrix, values } = fixture.eigh;
  const r = symmetricEigen(matrix, n);
  for (let i = 0; i < n; i++) {
    ok(
      Math.abs(r.values[i] - values[i]) < 1e-12,
      `${r.values[i]} vs ${values[i]}`,
    );
  }
});

Deno.test("symmetricEigen() reconstructs A = V diag(w) V^T with orthonormal V", () => {
  for (const n of [1, 2, 7, 40]) {
    const a = randomSymmetric(n, n + 11);
    const { values, vectors: v } = symmetricEigen(a, n);
    for (let i = 1; i < n; i++) ok(values[i - 1] <= values[i]);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rec = 0, dot = 0;
        for (let k = 0; k < n; k++) {
          rec += v[i * n + k] * values[k] * v[j * n + k];
          dot += v[k * n + i] * v[k * n + j];
        }
        ok(Math.abs(rec - a[i * n + j]) < 1e-10, `n ${n}: A[${i}][${j}]`);
        ok(
          Math.abs(dot - (i === j ? 1 : 0)) < 1e-10,
          `n ${n}: V^T V [${i}][${j}]`,
        );
      }
    }
  }
});

Deno.test("symmetricEigen() special cases and bad input", () => {
  const d = symmetricEigen(Float64Array.of(3, 0, 0, -1), 2);
  ok(d.values[0] === -1 && d.values[1] === 3);
  const z = symmetricEigen(new Float64Array(4), 2);
  ok(z.values[0] === 0 && z.values[1] === 0);
  throws(() => symmetricEigen(Float64Array.of(1, 2, 3, 4), 2), /not symmetric/);
  throws(() => symmetricEigen(Float64Array.of(1, 2, 3), 2), /n \* n/);
  throws(() => symmetricEigen(Float64Array.of(1, NaN, NaN, 1), 2), /finite/);
});
