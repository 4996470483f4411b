/**
 * The latent-sphere view of METHOD.md §6.
 *
 * @module
 */

/**
 * Projects `[N, n]` latents to points on the unit 2-sphere: the n
 * dimensions form three consecutive groups (sizes `floor(n/3)`,
 * `floor(n/3)`, the rest), each group is averaged, and the 3-vector is
 * normalised (a zero vector stays zero).
 *
 * @param mu Latents, row-major `N * n`.
 * @param n The latent dimension (>= 3).
 * @returns `N * 3` coordinates, row-major.
 */
export function sphereProjection(mu: Float32Array, n: number): Float32Array {
  const rows = mu.length / n;
  const g = Math.floor(n / 3);
  const bounds = [0, g, 2 * g, n];
  const out = new Float32Array(rows * 3);
  for (let i = 0; i < rows; i++) {
    let norm2 = 0;
    const v = [0, 0, 0];
    for (let k = 0; k < 3; k++) {
      let s = 0;
      for (let j = bounds[k]; j < bounds[k + 1]; j++) s += mu[i * n + j];
      v[k] = s / (bounds[k + 1] - bounds[k]);
      norm2 += v[k] * v[k];
    }
    const inv = norm2 > 0 ? 1 / Math.sqrt(norm2) : 0;
    for (let k = 0; k < 3; k++) out[i * 3 + k] = v[k] * inv;
  }
  return out;
}
