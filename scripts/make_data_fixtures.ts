/**
 * Writes small, valid fixtures in the real on-disk formats into
 * `tests/fixtures/data/` for `tests/data/*_test.ts`:
 *
 * - `idx/`: 5 images of 3x4 (`tiny-images-idx3-ubyte`, raw and `.gz`) and
 *   their labels; pixel `k` of image `i` is `(i * 50 + k * 7) % 256`,
 *   label `i % 3`.
 * - `cifar10/`: `data_batch_1.bin` (3 records), `test_batch.bin` (2),
 *   `batches.meta.txt`; `cifar100/`: `train.bin` (3), `test.bin` (2),
 *   `fine_label_names.txt`, `coarse_label_names.txt`. Record `r`: labels
 *   (cifar10) `r % 10`, (cifar100) coarse `r % 20`, fine `(r * 7) % 100`;
 *   plane `p` (0 R, 1 G, 2 B) pixel `q` is `(r * 31 + p * 80 + q) % 256`.
 * - `folder/` (class sub-folders `cat/` PNGs, `dog/` JPEGs, 6x6 RGB),
 *   `flat/` (PNGs + `labels.csv`), `mixed/` (two PNG sizes).
 * - `mastcam/`: the Zenodo layout with 4x4x6 uint8 tiles.
 * - `galaxy_zoo/`: `training_solutions_rev1.csv` + 48x48 JPEGs.
 *
 * PNG and JPEG are encoded with `fast-png` and `jpeg-js`, the libraries the
 * loaders decode with; NPY fixtures come from NumPy (`make_npy.py`). Run
 * from the repository root: `deno run -A scripts/make_data_fixtures.ts`.
 *
 * @module
 */
import { gzipSync } from "fflate";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";

const ROOT = "tests/fixtures/data";

function idxBytes(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 8, dims.length]);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** A minimal NPY v1.0 writer for uint8 tiles (the parser is checked against NumPy's files). */
function npyU1(shape: number[], data: Uint8Array): Uint8Array {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${
    shape.join(", ")
  },), }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = dict.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(data, total);
  return out;
}

function rgb(
  h: number,
  w: number,
  f: (y: number, x: number, c: number) => number,
): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) out[(y * w + x) * 3 + c] = f(y, x, c);
    }
  }
  return out;
}

function png(h: number, w: number, data: Uint8Array, channels = 3): Uint8Array {
  return encodePng({ width: w, height: h, data, channels, depth: 8 });
}

function jpg(h: number, w: number, data: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(h * w * 4);
  for (let p = 0; p < h * w; p++) {
    rgba.set(data.subarray(3 * p, 3 * p + 3), 4 * p);
    rgba[4 * p + 3] = 255;
  }
  return new Uint8Array(
    jpeg.encode({ width: w, height: h, data: rgba }, 95).data,
  );
}

async function write(path: string, bytes: Uint8Array | string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  if (typeof bytes === "string") await Deno.writeTextFile(path, bytes);
  else await Deno.writeFile(path, bytes);
}

// IDX
{
  const n = 5, h = 3, w = 4;
  const pix = Uint8Array.from({ length: n * h * w }, (_, j) => {
    const i = Math.floor(j / (h * w));
    const k = j % (h * w);
    return (i * 50 + k * 7) % 256;
  });
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
  const img = idxBytes([n, h, w], pix);
  const lab = idxBytes([n], labels);
  await write(`${ROOT}/idx/tiny-images-idx3-ubyte`, img);
  await write(`${ROOT}/idx/tiny-labels-idx1-ubyte`, lab);
  await write(
    `${ROOT}/idx/tiny-images-idx3-ubyte.gz`,
    gzipSync(img, { mtime: 0 }),
  );
  await write(
    `${ROOT}/idx/tiny-labels-idx1-ubyte.gz`,
    gzipSync(lab, { mtime: 0 }),
  );
}

// CIFAR
function cifar(records: number, first: number, labelBytes: 1 | 2): Uint8Array {
  const rec = labelBytes + 3072;
  const out = new Uint8Array(records * rec);
  for (let k = 0; k < records; k++) {
    const r = first + k;
    const base = k * rec;
    if (labelBytes === 1) out[base] = r % 10;
    else {
      out[base] = r % 20;
      out[base + 1] = (r * 7) % 100;
    }
    for (let p = 0; p < 3; p++) {
      for (let q = 0; q < 1024; q++) {
        out[base + labelBytes + p * 1024 + q] = (r * 31 + p * 80 + q) % 256;
      }
    }
  }
  return out;
}
await write(`${ROOT}/cifar10/data_batch_1.bin`, cifar(3, 0, 1));
await write(`${ROOT}/cifar10/test_batch.bin`, cifar(2, 3, 1));
await write(
  `${ROOT}/cifar10/batches.meta.txt`,
  "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n",
);
await write(`${ROOT}/cifar100/train.bin`, cifar(3, 0, 2));
await write(`${ROOT}/cifar100/test.bin`, cifar(2, 3, 2));
await write(
  `${ROOT}/cifar100/fine_label_names.txt`,
  Array.from({ length: 100 }, (_, i) => `fine${i}`).join("\n") + "\n",
);
await write(
  `${ROOT}/cifar100/coarse_label_names.txt`,
  Array.from({ length: 20 }, (_, i) => `coarse${i}`).join("\n") + "\n",
);

// Image folders: cat = PNG with value ((y*6+x)*7 + c*20) % 256, dog = flat-gray JPEG 200.
await write(
  `${ROOT}/folder/cat/a.png`,
  png(6, 6, rgb(6, 6, (y, x, c) => (y * 6 + x) * 7 + c * 20)),
);
await write(`${ROOT}/folder/cat/b.png`, png(6, 6, rgb(6, 6, () => 10)));
await write(`${ROOT}/folder/dog/c.jpg`, jpg(6, 6, rgb(6, 6, () => 200)));
await write(
  `${ROOT}/flat/x1.png`,
  png(2, 2, new Uint8Array([0, 64, 128, 255]), 1),
);
await write(
  `${ROOT}/flat/x2.png`,
  png(2, 2, new Uint8Array([255, 255, 255, 255]), 1),
);
await write(`${ROOT}/flat/x3.png`, png(2, 2, new Uint8Array([0, 0, 0, 0]), 1));
await write(
  `${ROOT}/flat/labels.csv`,
  'file,label\nx1.png,shoe\nx2.png,bag\n"x3.png",shoe\n',
);
await write(`${ROOT}/mixed/a.png`, png(2, 2, new Uint8Array(4), 1));
await write(`${ROOT}/mixed/b.png`, png(3, 2, new Uint8Array(6), 1));

// Mastcam: tile t of folder f has value (t * 40 + f * 9 + k) % 256 at flat k.
const tile = (t: number, f: number) =>
  npyU1(
    [4, 4, 6],
    Uint8Array.from({ length: 96 }, (_, k) => (t * 40 + f * 9 + k) % 256),
  );
const mastcam: [string, number][] = [
  ["train_typical", 3],
  ["validation_typical", 1],
  ["test_typical", 2],
  ["test_novel/all", 3],
  ["test_novel/bedrock", 1],
  ["test_novel/veins", 2],
];
for (const [f, [dir, count]] of mastcam.entries()) {
  for (let t = 0; t < count; t++) {
    await write(
      `${ROOT}/mastcam/${dir}/tile${t}.npy`,
      tile(t, f === 3 ? 4 : f),
    );
  }
}

// Galaxy Zoo: 6 galaxies; ids 100..105; Class6.1 of 101 and 104 above 0.9.
const odd = [0.1, 0.95, 0.3, 0.9, 0.91, 0.0];
let csv = "GalaxyID,Class1.1,Class1.2,Class6.1,Class6.2\n";
for (let i = 0; i < 6; i++) {
  csv += `${100 + i},0.5,0.5,${odd[i]},${(1 - odd[i]).toFixed(2)}\n`;
  // Bright square in the central 24x24, value 40 * i + 20, dark sky outside.
  const v = 40 * i + 20;
  const img = rgb(
    48,
    48,
    (y, x) => (y >= 12 && y < 36 && x >= 12 && x < 36 ? v : 0),
  );
  await write(
    `${ROOT}/galaxy_zoo/images_training_rev1/${100 + i}.jpg`,
    jpg(48, 48, img),
  );
}
await write(`${ROOT}/galaxy_zoo/training_solutions_rev1.csv`, csv);
console.log(`wrote fixtures under ${ROOT}`);
