import { assertClose, assertFinite, equal, ok, throws } from "./_assert.ts";
import {
  angleCosines,
  fromHyperspherical,
  logVolumeElement,
  ShapeError,
  toHyperspherical,
} from "../mod.ts";
import { tf } from "../src/tf.ts";
import { mulberry32 } from "../src/random.ts";
import { selectBackend } from "../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

// ---- an independent float64 reference, written from METHOD.md §1 with the
// naive O(n^2) formulas (explicit tail sums and explicit sine products).
function refCosines(x: number[], eps = 1e-12): number[] {
  const n = x.length;
  const out: number[] = [];
  for (let k = 0; k < n - 1; k++) {
    let t = 0;
    for (let j = k; j < n; j++) t += x[j] * x[j];
    out.push(t === 0 ? 1 : x[k] / Math.sqrt(t + eps));
  }
  return out;
}
function refAngles(x: number[]): number[] {
  const n = x.length;
  const out: number[] = [];
  for (let k = 0; k < n - 2; k++) {
    let t = 0;
    for (let j = k + 1; j < n; j++) t += x[j] * x[j];
    out.push(Math.atan2(Math.sqrt(t), x[k]));
  }
  out.push(Math.atan2(x[n - 1], x[n - 2]));
  return out;
}
function refFrom(r: number, a: number[]): number[] {
  const n = a.length + 1;
  const x: number[] = [];
  for (let k = 0; k < n; k++) {
    let p = r;
    for (let j = 0; j < k && j < n - 1; j++) p *= Math.sin(a[j]);
    x.push(k < n - 1 ? p * Math.cos(a[k]) : p);
  }
  return x;
}
function refLogVolume(r: number, a: number[]): number {
  const n = a.length + 1;
  let s = (n - 1) * Math.log(r);
  for (let k = 1; k <= n - 2; k++) {
    s += (n - 1 - k) * Math.log(Math.sin(a[k - 1]));
  }
  return s;
}

/** Seeded standard normals (mulberry32 + Box-Muller). */
function normals(count: number, seed: number): number[] {
  const rng = mulberry32(seed);
  const u = () => 1 - rng(); // (0, 1]: log(u) stays finite
  return Array.from(
    { length: count },
    () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  );
}
function rows(flat: number[], n: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < flat.length; i += n) out.push(flat.slice(i, i + n));
  return out;
}

Deno.test("angleCosines() matches closed forms in 2-D and 3-D", async () => {
  const { radius, cosines } = angleCosines([[3, 4], [0, -2]]);
  assertClose(await radius.data(), [5, 2], { atol: 1e-6 });
  assertClose(await cosines.data(), [0.6, 0], { atol: 1e-6 });
  const c3 = angleCosines([[1, 0, 0], [0, 0, 1], [0, -1, 0], [1, 2, 2]]);
  // (1,2,2): r = 3, cos phi_1 = 1/3, cos phi_2 = 2 / sqrt(8)
  assertClose(await c3.radius.data(), [1, 1, 1, 3], { atol: 1e-6 });
  assertClose(
    await c3.cosines.data(),
    [1, 1, 0, 0, 0, -1, 1 / 3, 2 / Math.sqrt(8)],
    { atol: 1e-6 },
  );
  tf.dispose([radius, cosines, c3.radius, c3.cosines]);
});

Deno.test("toHyperspherical() matches closed forms in 2-D and 3-D", async () => {
  const { radius, angles } = toHyperspherical([
    [0, 0, 1],
    [0, -1, 0],
    [-1, 0, 0],
    [0, 1, -1],
  ]);
  assertClose(await radius.data(), [1, 1, 1, Math.SQRT2], { atol: 1e-6 });
  assertClose(
    await angles.data(),
    [
      Math.PI / 2,
      Math.PI / 2,
      Math.PI / 2,
      Math.PI,
      Math.PI,
      0,
      Math.PI / 2,
      -Math.PI / 4,
    ],
    { atol: 1e-6 },
  );
  tf.dispose([radius, angles]);
});

Deno.test("angleCosines() of the isotropic vector is 1/sqrt(n-k+1)", async (t) => {
  for (const n of [2, 5, 128, 4096]) {
    await t.step(`n = ${n}`, async () => {
      const x = tf.ones([2, n]) as tf.Tensor2D;
      const { radius, cosines } = angleCosines(x);
      const expected = Array.from(
        { length: 2 * (n - 1) },
        (_, i) => 1 / Math.sqrt(n - (i % (n - 1))),
      );
      // float32 reverse cumsum of n ones is exact (integers < 2^24)
      assertClose(await cosines.data(), expected, { rtol: 1e-6 });
      assertClose(await radius.data(), [Math.sqrt(n), Math.sqrt(n)], {
        rtol: 1e-6,
      });
      tf.dispose([x, radius, cosines]);
    });
  }
});

Deno.test("angleCosines() and toHyperspherical() agree with a float64 reference", async () => {
  const n = 37;
  const flat = normals(6 * n, 7);
  const x = rows(flat, n);
  const { radius, cosines } = angleCosines(x);
  const sph = toHyperspherical(x);
  const c = await cosines.data();
  const a = await sph.angles.data();
  const cosOfAngles = await tf.cos(sph.angles).data();
  for (let i = 0; i < x.length; i++) {
    const rc = refCosines(x[i]);
    const ra = refAngles(x[i]);
    // float32: ~1e-7 relative per op; 1e-5 absolute on values in [-1, 1] and angles in [-pi, pi]
    assertClose(
      c.slice(i * (n - 1), (i + 1) * (n - 1)),
      rc,
      { atol: 1e-5 },
      `cos row ${i}`,
    );
    assertClose(
      a.slice(i * (n - 1), (i + 1) * (n - 1)),
      ra,
      { atol: 1e-5 },
      `angles row ${i}`,
    );
  }
  // cosines equal cos(angles)
  assertClose(c, cosOfAngles, { atol: 1e-5 });
  assertClose(await radius.data(), await sph.radius.data(), { rtol: 1e-6 });
  tf.dispose([radius, cosines, sph.radius, sph.angles]);
});

Deno.test("fromHyperspherical() inverts toHyperspherical() within a float32 bound", async (t) => {
  for (const n of [2, 3, 16, 256, 4096]) {
    await t.step(`n = ${n}`, async () => {
      const x = tf.tensor2d(normals(8 * n, n), [8, n]);
      const { radius, angles } = toHyperspherical(x);
      const back = fromHyperspherical(radius, angles);
      const err = await tf.max(tf.abs(tf.sub(back, x))).data();
      const rmax = await tf.max(radius).data();
      // Bound: each coordinate passes through one atan2, sin/cos and at most
      // ceil(log2 n) products (recursive doubling), each ~1 ulp (6e-8) of the
      // radius; 50 ulps of the largest radius leaves room for the tails.
      const bound = 50 * 6e-8 * rmax[0];
      ok(err[0] <= bound, `n=${n}: max error ${err[0]} > ${bound}`);
      tf.dispose([x, radius, angles, back]);
    });
  }
});

Deno.test("fromHyperspherical() matches the explicit sine products", async () => {
  const a = [[0.3, 2.5, -1.2], [Math.PI / 2, Math.PI / 2, Math.PI]];
  const r = [2, 1];
  const out = await fromHyperspherical(r, a).data();
  const ref = [...refFrom(2, a[0]), ...refFrom(1, a[1])];
  assertClose(out, ref, { atol: 1e-6 });
});

Deno.test("logVolumeElement() matches the formula and stays finite", async () => {
  const a = [[0.3, 2.5, -1.2], [1.1, 0.7, 0.2]];
  const out = await logVolumeElement([2, 0.5], a).data();
  assertClose(out, [refLogVolume(2, a[0]), refLogVolume(0.5, a[1])], {
    atol: 1e-5,
  });
  // n = 2: log r
  assertClose(await logVolumeElement([3], [[1]]).data(), [Math.log(3)], {
    atol: 1e-6,
  });
  // the origin and the poles are floored, not -Infinity
  const edge = await logVolumeElement([0, 1], [[0, 1, 1], [Math.PI, 0, 2]])
    .data();
  assertFinite(edge);
  ok(edge[0] < -100 && edge[1] < -100);
});

/** d(sum(w * f(x)))/dx by float64 central differences of a reference f. */
function numericGrad(
  f: (x: number[]) => number[],
  x: number[],
  w: number[],
  h = 1e-6,
): number[] {
  return x.map((_, j) => {
    const up = x.slice();
    const dn = x.slice();
    up[j] += h;
    dn[j] -= h;
    const fu = f(up);
    const fd = f(dn);
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i] * (fu[i] - fd[i]);
    return s / (2 * h);
  });
}

Deno.test("angleCosines() and toHyperspherical() gradients equal finite differences", async () => {
  const n = 9;
  const x = normals(n, 3);
  const w = normals(2 * n, 11);
  const wc = w.slice(0, n - 1);
  const wr = w[n - 1];
  const xt = tf.tensor2d([x]);
  const gCos = tf.grad((v: tf.Tensor) => {
    const { radius, cosines } = angleCosines(v as tf.Tensor2D);
    return tf.add(
      tf.sum(tf.mul(cosines, tf.tensor2d([wc]))),
      tf.mul(tf.sum(radius), wr),
    );
  })(xt);
  const refF = (v: number[]) => [...refCosines(v), Math.hypot(...v)];
  const expected = numericGrad(refF, x, [...wc, wr]);
  // float32 gradient vs float64 differences (h = 1e-6 gives ~1e-9 truncation)
  assertClose(await gCos.data(), expected, { atol: 2e-5, rtol: 1e-4 });

  const gAng = tf.grad((v: tf.Tensor) => {
    const { angles } = toHyperspherical(v as tf.Tensor2D);
    return tf.sum(tf.mul(angles, tf.tensor2d([wc])));
  })(xt);
  assertClose(await gAng.data(), numericGrad(refAngles, x, wc), {
    atol: 2e-5,
    rtol: 1e-4,
  });

  const ang = refAngles(x);
  const at = tf.tensor2d([ang]);
  const wx = w.slice(n, 2 * n);
  const gFrom = tf.grad((v: tf.Tensor) =>
    tf.sum(
      tf.mul(
        fromHyperspherical(tf.tensor1d([1.5]), v as tf.Tensor2D),
        tf.tensor2d([wx]),
      ),
    )
  )(at);
  assertClose(
    await gFrom.data(),
    numericGrad((a) => refFrom(1.5, a), ang, wx),
    { atol: 2e-5, rtol: 1e-4 },
  );
  tf.dispose([xt, gCos, gAng, at, gFrom]);
});

Deno.test("the transform never returns NaN or Infinity, in values or gradients", async (t) => {
  const cases: Record<string, number[][]> = {
    "zero vector": [[0, 0, 0, 0]],
    "zero tail": [[1, 2, 0, 0]],
    "zero head": [[0, 0, 3, 0]],
    "huge": [[1e30, -2e30, 3e30, 1e29]],
    "tiny": [[1e-30, 2e-30, -1e-30, 1e-31]],
    "mixed": [[1e30, 1e-30, 0, 1]],
  };
  for (const [name, x] of Object.entries(cases)) {
    await t.step(name, async () => {
      const xt = tf.tensor2d(x);
      const f = (v: tf.Tensor) => {
        const { radius, cosines } = angleCosines(v as tf.Tensor2D);
        const { angles } = toHyperspherical(v as tf.Tensor2D);
        return tf.addN([tf.sum(radius), tf.sum(cosines), tf.sum(angles)]);
      };
      const { value, grad } = tf.valueAndGrad(f)(xt);
      assertFinite(await value.data(), `${name} value`);
      assertFinite(await grad.data(), `${name} gradient`);
      tf.dispose([xt, value, grad]);
    });
  }
  await t.step("angles at the poles and r = 0", async () => {
    const a = tf.tensor2d([[0, Math.PI, 0], [Math.PI, 0, Math.PI]]);
    const { value, grad } = tf.valueAndGrad((v: tf.Tensor) =>
      tf.sum(fromHyperspherical(tf.tensor1d([0, 2]), v as tf.Tensor2D))
    )(a);
    assertFinite(await value.data());
    assertFinite(await grad.data());
    tf.dispose([a, value, grad]);
  });
});

Deno.test("toHyperspherical() keeps angles of huge and tiny vectors exact", async () => {
  const { radius, angles } = toHyperspherical([[1e30, 1e30], [1e-30, -1e-30]]);
  assertClose(await radius.data(), [Math.SQRT2 * 1e30, Math.SQRT2 * 1e-30], {
    rtol: 1e-6,
  });
  assertClose(await angles.data(), [Math.PI / 4, -Math.PI / 4], { atol: 1e-6 });
  const c = angleCosines([[1e30, 1e30, 1e30]]);
  assertClose(await c.cosines.data(), [1 / Math.sqrt(3), 1 / Math.SQRT2], {
    rtol: 1e-6,
  });
  tf.dispose([radius, angles, c.radius, c.cosines]);
});

Deno.test("the transform leaks no tensors", () => {
  const x = tf.randomNormal([16, 32]) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  const { radius, cosines } = angleCosines(x);
  const sph = toHyperspherical(x);
  const back = fromHyperspherical(sph.radius, sph.angles);
  const lv = logVolumeElement(sph.radius, sph.angles);
  const g = tf.grad((v: tf.Tensor) =>
    tf.sum(angleCosines(v as tf.Tensor2D).cosines)
  )(x);
  tf.dispose([radius, cosines, sph.radius, sph.angles, back, lv, g]);
  equal(tf.memory().numTensors, before);
  x.dispose();
});

Deno.test("the transform rejects bad shapes and options", () => {
  throws(
    () => angleCosines(tf.tensor1d([1, 2]) as unknown as tf.Tensor2D),
    ShapeError,
  );
  throws(
    () => angleCosines([[1]]),
    (e: Error) =>
      e instanceof ShapeError && /at least 2 columns/.test(e.message),
  );
  throws(() => angleCosines([[1, 2]], { epsilon: -1 }), RangeError);
  throws(
    () => fromHyperspherical([1, 2], [[0.1, 0.2]]),
    (e: Error) =>
      e instanceof ShapeError &&
      /"radius" must have shape \[1\]/.test(e.message),
  );
});
