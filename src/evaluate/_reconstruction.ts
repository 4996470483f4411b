/**
 * Reconstruction-error scores, kept behind one function so a
 * `ReconstructionDetector` can replace it.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { VaeModel } from "../model/vae_model.ts";

/**
 * Per-sample mean squared error between each image and its reconstruction
 * through the posterior mean, `mean_p (x_p - decode(mu(x))_p)^2` (higher =
 * more anomalous), in float64 from float32 inputs.
 *
 * @param model A trained model taking the dataset's image size.
 * @param ds The images to score.
 * @returns One score per image.
 */
export async function reconstructionScores(
  model: VaeModel,
  ds: Dataset,
): Promise<Float32Array> {
  const [n, h, w, c] = ds.shape;
  const f = h * w * c;
  const out = new Float32Array(n);
  const chunk = 1024;
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const x = ds.images.subarray(s * f, e * f);
    const r = await model.reconstruct(x, [e - s, h, w, c]);
    for (let i = 0; i < e - s; i++) {
      let acc = 0;
      for (let p = i * f; p < (i + 1) * f; p++) {
        const d = x[p] - r[p];
        acc += d * d;
      }
      out[s + i] = acc / f;
    }
  }
  return out;
}
