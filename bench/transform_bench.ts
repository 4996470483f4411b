/**
 * The O(n) hyperspherical transform vs a naive O(n^2) formulation (explicit
 * per-angle tail sums and per-coordinate sine products), batch 256, on the
 * selected backend (`HSVAE_BACKEND`, else auto). Results are read back inside
 * the timed region so lazy backends are really measured.
 *
 *     deno bench -A bench/transform_bench.ts
 */
import {
  angleCosines,
  fromHyperspherical,
  selectBackend,
  type Tensor2D,
  toHyperspherical,
} from "../mod.ts";
import { tf } from "../src/tf.ts";

const report = await selectBackend();
console.log(`backend: ${report.backend} (${report.reason})`);

const BATCH = 256;

/** Naive cosines: one explicit tail sum per angle, O(N n^2). */
function naiveCosines(x: Tensor2D): tf.Tensor2D {
  const n = x.shape[1];
  const cols: tf.Tensor[] = [];
  for (let k = 0; k < n - 1; k++) {
    // one tidy per angle so its O(N n) temporaries are freed at once
    cols.push(tf.tidy(() => {
      const tail = tf.sum(tf.square(tf.slice(x, [0, k], [-1, n - k])), 1, true);
      return tf.div(tf.slice(x, [0, k], [-1, 1]), tf.sqrt(tf.add(tail, 1e-12)));
    }));
  }
  const out = tf.concat(cols, 1) as tf.Tensor2D;
  tf.dispose(cols);
  return out;
}

/** Naive round trip: explicit tail sums, then explicit sine products per coordinate. */
function naiveRoundTrip(x: Tensor2D): tf.Tensor2D {
  const n = x.shape[1];
  const angles: tf.Tensor[] = [];
  for (let k = 0; k < n - 2; k++) {
    angles.push(tf.tidy(() => {
      const rest = tf.sqrt(
        tf.sum(tf.square(tf.slice(x, [0, k + 1], [-1, n - k - 1])), 1, true),
      );
      return tf.atan2(rest, tf.slice(x, [0, k], [-1, 1]));
    }));
  }
  angles.push(
    tf.tidy(() =>
      tf.atan2(
        tf.slice(x, [0, n - 1], [-1, 1]),
        tf.slice(x, [0, n - 2], [-1, 1]),
      )
    ),
  );
  const a = tf.concat(angles, 1);
  tf.dispose(angles);
  const sines = tf.sin(a);
  const r = tf.sqrt(tf.sum(tf.square(x), 1, true));
  const coords: tf.Tensor[] = [];
  for (let k = 0; k < n; k++) {
    coords.push(tf.tidy(() => {
      const prefix = k === 0
        ? tf.onesLike(r)
        : tf.prod(tf.slice(sines, [0, 0], [-1, Math.min(k, n - 1)]), 1, true);
      const c = k < n - 1
        ? tf.mul(prefix, tf.cos(tf.slice(a, [0, k], [-1, 1])))
        : prefix;
      return tf.mul(c, r);
    }));
  }
  const out = tf.concat(coords, 1) as tf.Tensor2D;
  tf.dispose([...coords, a, sines, r]);
  return out;
}

async function readAndDispose(t: tf.Tensor | tf.Tensor[]): Promise<void> {
  const list = Array.isArray(t) ? t : [t];
  for (const x of list) await x.data();
  tf.dispose(list);
}

for (const n of [128, 256, 1024, 4096]) {
  const x = tf.randomNormal([BATCH, n], 0, 1, "float32", 42) as Tensor2D;
  // the naive forms are O(n^2) ops: few iterations at large n
  const slow = n >= 1024 ? { n: 3, warmup: 1 } : {};
  Deno.bench({
    name: `naive O(n^2) cosines, n=${n}`,
    group: `cosines n=${n}`,
    baseline: true,
    ...slow,
    async fn() {
      await readAndDispose(naiveCosines(x));
    },
  });
  Deno.bench({
    name: `angleCosines O(n), n=${n}`,
    group: `cosines n=${n}`,
    async fn() {
      const { radius, cosines } = angleCosines(x);
      await readAndDispose([radius, cosines]);
    },
  });
  Deno.bench({
    name: `naive O(n^2) round trip, n=${n}`,
    group: `round trip n=${n}`,
    baseline: true,
    ...slow,
    async fn() {
      await readAndDispose(naiveRoundTrip(x));
    },
  });
  Deno.bench({
    name: `to/fromHyperspherical, n=${n}`,
    group: `round trip n=${n}`,
    async fn() {
      const { radius, angles } = toHyperspherical(x);
      const back = fromHyperspherical(radius, angles);
      await readAndDispose([radius, angles, back]);
    },
  });
}
