/**
 * Writes the bundled Fashion-MNIST subset into `data/fashion-mnist-subset/`.
 *
 * The draw: for each class c = 0..9 separately, the indices of class c in
 * the full split (in file order) are shuffled by Fisher-Yates with the
 * mulberry32 generator of `src/random.ts` (one generator per split,
 * seed 20170825 for train, 20170826 for test, classes drawn in order 0..9),
 * the first 1,000 (train) or 200 (test) are kept, and the kept indices of
 * all classes are sorted ascending, so the subset keeps the original order.
 * Files are IDX, gzip level 9 with mtime 0, so reruns are byte-identical.
 *
 * Run from the repository root:
 *
 *     deno run -A scripts/make_bundled.ts [path/to/fashion-mnist]
 *
 * (default source: ../shared/data/fashion-mnist).
 *
 * @module
 */
import { gzipSync } from "fflate";
import { parseIdx } from "../src/data/idx.ts";
import { mulberry32, sampleSorted } from "../src/random.ts";

const src = (Deno.args[0] ?? "../shared/data/fashion-mnist").replace(/\/$/, "");
const out = "data/fashion-mnist-subset";
const plan = [
  { split: "train", perClass: 1000, seed: 20170825 },
  { split: "t10k", perClass: 200, seed: 20170826 },
] as const;

function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(head.buffer);
  head.set([0, 0, 8, dims.length]);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  const all = new Uint8Array(head.length + data.length);
  all.set(head);
  all.set(data, head.length);
  return all;
}

await Deno.mkdir(out, { recursive: true });
const indices: Record<string, number[]> = {};
for (const { split, perClass, seed } of plan) {
  const imgName = `${split}-images-idx3-ubyte.gz`;
  const labName = `${split}-labels-idx1-ubyte.gz`;
  const img = parseIdx(await Deno.readFile(`${src}/${imgName}`), imgName, 3);
  const lab = parseIdx(await Deno.readFile(`${src}/${labName}`), labName, 1);
  const rng = mulberry32(seed);
  const chosen: number[] = [];
  for (let c = 0; c < 10; c++) {
    const idx: number[] = [];
    lab.data.forEach((l, i) => {
      if (l === c) idx.push(i);
    });
    chosen.push(...sampleSorted(idx, perClass, rng));
  }
  chosen.sort((a, b) => a - b);
  const [, h, w] = img.dims;
  const f = h * w;
  const pix = new Uint8Array(chosen.length * f);
  const labels = new Uint8Array(chosen.length);
  chosen.forEach((i, k) => {
    pix.set(img.data.subarray(i * f, (i + 1) * f), k * f);
    labels[k] = lab.data[i];
  });
  const gz = (b: Uint8Array) => gzipSync(b, { level: 9, mtime: 0 });
  await Deno.writeFile(
    `${out}/${imgName}`,
    gz(idxBytes([chosen.length, h, w], pix)),
  );
  await Deno.writeFile(
    `${out}/${labName}`,
    gz(idxBytes([chosen.length], labels)),
  );
  indices[split === "t10k" ? "test" : "train"] = chosen;
  console.log(
    `${split}: ${chosen.length} images, first indices ${
      chosen.slice(0, 5).join(", ")
    }`,
  );
}
await Deno.writeTextFile(`${out}/indices.json`, JSON.stringify(indices) + "\n");
