/**
 * A seeded fuzz loop over the image-like formats and their loaders: PNG,
 * JPEG, image-folder CSV manifests, the Galaxy Zoo tree and the Mastcam
 * tree. Valid fixtures are damaged (truncated at random offsets, bytes
 * overwritten with a bias to the header, bytes inserted; PNG IHDR and JPEG
 * SOF sides set to 0, 1, 2^31, 0xFFFF, 0xFFFFFFFF; CSVs given stray
 * quotes, repeated header keys, ragged rows, wrong value types, values out
 * of range; NPY tiles given other dtypes and shapes). Each case must end,
 * within `CASE_MS`, in either a valid result (shape consistent, pixels
 * finite and in [0, 1], labels within the class names) or a typed error
 * (DataFormatError, LimitError or another RangeError) whose message starts
 * with "Cannot " and names the file: never another exception, never a
 * hang, and the process never grows past `RSS_BOUND`.
 *
 * The decoders are synchronous, so a timer cannot interrupt them: the
 * bound there is that the header sizes are checked before decoding; the
 * time of every case is measured and checked all the same.
 */
import { assert, equal } from "../_assert.ts";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError, LIMITS } from "../../src/limits.ts";
import { assertDataset, type Dataset } from "../../src/data/dataset.ts";
import { decodeImage, type Image } from "../../src/data/image.ts";
import { loadImageFolder } from "../../src/data/image_folder.ts";
import { loadGalaxyZoo } from "../../src/data/galaxy_zoo.ts";
import { loadMastcam } from "../../src/data/mastcam.ts";
import { mulberry32 } from "../../src/random.ts";
import { copyTree, fixture } from "./_fixtures.ts";

/** Longest a case may take. */
const CASE_MS = 3000;
/** Largest resident set the test process may reach. */
const RSS_BOUND = 2 ** 31;

type Rng = () => number;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)];

/** Truncation, overwritten bytes (half in the first 160), or insertion. */
function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const kind = int(rng, 3);
  if (kind === 0) return src.slice(0, int(rng, src.length));
  const out = src.slice();
  if (kind === 1) {
    const flips = 1 + int(rng, 4);
    for (let f = 0; f < flips; f++) {
      const at = rng() < 0.5
        ? int(rng, Math.min(160, out.length))
        : int(rng, out.length);
      out[at] = int(rng, 256);
    }
    return out;
  }
  const at = int(rng, src.length);
  const extra = Uint8Array.from(
    { length: 1 + int(rng, 8) },
    () => int(rng, 256),
  );
  return Uint8Array.from([
    ...src.subarray(0, at),
    ...extra,
    ...src.subarray(at),
  ]);
}

/** Header side values: empty, tiny, "negative" as int32, beyond limits. */
const SIDES32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 16385, 20000];
const SIDES16 = [0, 1, 0x8000, 0xffff, 16385, 20000 & 0xffff];

/** Outcomes of one format. */
interface Tally {
  cases: number;
  loaded: number;
  refused: Record<string, number>;
}

/** Runs one case under the time limit and classifies its outcome. */
async function runCase(
  tally: Tally,
  what: string,
  names: string[],
  run: () => unknown,
): Promise<void> {
  tally.cases++;
  const t0 = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no result within ${CASE_MS} ms`)),
      CASE_MS,
    );
  });
  try {
    await Promise.race([Promise.resolve().then(run), timeout]);
    tally.loaded++;
  } catch (err) {
    if (!(err instanceof DataFormatError || err instanceof RangeError)) {
      assert.fail(`${what} threw ${err}`);
    }
    assert.match(err.message, /^Cannot /, what);
    assert.ok(
      names.some((n) => err.message.includes(n)),
      `${what}: the message names no file: ${err.message}`,
    );
    const kind = err instanceof DataFormatError
      ? "DataFormatError"
      : err instanceof LimitError
      ? `LimitError ${err.limit}`
      : "RangeError";
    tally.refused[kind] = (tally.refused[kind] ?? 0) + 1;
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - t0;
  assert.ok(ms < CASE_MS, `${what} took ${ms.toFixed(0)} ms`);
  const rss = Deno.memoryUsage().rss;
  assert.ok(rss < RSS_BOUND, `${what}: the process grew to ${rss} bytes`);
}

function report(name: string, t: Tally): void {
  const refused = Object.values(t.refused).reduce((a, b) => a + b, 0);
  const kinds = Object.entries(t.refused).map(([k, n]) => `${n} ${k}`).join(
    ", ",
  );
  console.log(
    `fuzz ${name}: ${t.cases} cases: ${refused} refused (${kinds}), ${t.loaded} loaded`,
  );
  equal(refused + t.loaded, t.cases);
  // Damage must be caught at least sometimes (else the loop tests nothing).
  assert.ok(refused > t.cases / 10, `${name}: only ${refused} refused`);
}

function checkImage(img: Image, what: string): void {
  equal(img.data.length, img.height * img.width * img.channels, what);
  assert.ok(img.height * img.width <= LIMITS.maxImagePixels, what);
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i];
    if (!(v >= 0 && v <= 1)) assert.fail(`${what}: value ${i} is ${v}`);
  }
}

function checkDataset(ds: Dataset, what: string): void {
  assertDataset(ds, what);
  const [n, h, w, c] = ds.shape;
  checkImage({ data: ds.images, height: n * h, width: w, channels: c }, what);
  if (ds.labels) {
    const classes = ds.names?.length ?? 0;
    for (const l of ds.labels) {
      assert.ok(l >= 0 && l < classes, `${what}: label ${l} of ${classes}`);
    }
  }
}

function tally(): Tally {
  return { cases: 0, loaded: 0, refused: {} };
}

/** A copy of `png` with IHDR field bytes at `at` set to the u32 `v`. */
function setU32(bytes: Uint8Array, at: number, v: number): Uint8Array {
  const out = bytes.slice();
  if (at + 4 <= out.length) new DataView(out.buffer).setUint32(at, v);
  return out;
}

/** Offsets of the SOF segments of a JPEG (before its first scan). */
function sofOffsets(jpg: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 2; at + 4 <= jpg.length && jpg[at] === 0xff;) {
    const m = jpg[at + 1];
    if (m === 0xda) break;
    if (m >= 0xc0 && m <= 0xc2) out.push(at);
    at += 2 + ((jpg[at + 2] << 8) | jpg[at + 3]);
  }
  return out;
}

function damageJpeg(src: Uint8Array, rng: Rng): Uint8Array {
  const sof = sofOffsets(src)[0];
  if (sof === undefined || rng() < 0.5) return mutate(src, rng);
  const out = src.slice();
  const view = new DataView(out.buffer);
  switch (int(rng, 4)) {
    case 0:
      view.setUint16(sof + 5, pick(rng, SIDES16));
      break;
    case 1:
      view.setUint16(sof + 7, pick(rng, SIDES16));
      break;
    case 2: // component count, then a sampling factor
      out[sof + 9] = int(rng, 6);
      out[sof + 11] = int(rng, 256);
      break;
    default: // precision
      out[sof + 4] = pick(rng, [0, 1, 12, 16, 255]);
  }
  return out;
}

function damagePng(src: Uint8Array, rng: Rng): Uint8Array {
  switch (int(rng, 4)) {
    case 0:
    case 1:
      return mutate(src, rng);
    case 2: // IHDR width or height
      return setU32(src, pick(rng, [16, 20]), pick(rng, SIDES32));
    default: { // depth, colour type, compression, filter, interlace
      const out = src.slice();
      out[24 + int(rng, 5)] = pick(rng, [0, 1, 2, 3, 4, 6, 7, 8, 16, 255]);
      return out;
    }
  }
}

async function pngSources(): Promise<[string, Uint8Array][]> {
  const r = mulberry32(5);
  const bytes = (n: number) =>
    Uint8Array.from({ length: n }, () => int(r, 256));
  return [
    ["a.png", await Deno.readFile(fixture("folder/cat/a.png"))],
    ["x1.png", await Deno.readFile(fixture("flat/x1.png"))],
    [
      "g16.png",
      encodePng({
        width: 5,
        height: 3,
        channels: 1,
        depth: 16,
        data: Uint16Array.from({ length: 15 }, () => int(r, 65536)),
      }),
    ],
    [
      "rgba.png",
      encodePng({
        width: 3,
        height: 3,
        channels: 4,
        depth: 8,
        data: bytes(36),
      }),
    ],
    [
      "pal.png",
      encodePng({
        width: 4,
        height: 4,
        channels: 1,
        depth: 8,
        data: Uint8Array.from({ length: 16 }, () => int(r, 3)),
        palette: [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
      }),
    ],
  ];
}

async function jpegSources(): Promise<[string, Uint8Array][]> {
  const r = mulberry32(6);
  const noise = jpeg.encode({
    width: 8,
    height: 5,
    data: Uint8Array.from({ length: 8 * 5 * 4 }, () => int(r, 256)),
  }, 80).data;
  return [
    ["c.jpg", await Deno.readFile(fixture("folder/dog/c.jpg"))],
    [
      "101.jpg",
      await Deno.readFile(fixture("galaxy_zoo/images_training_rev1/101.jpg")),
    ],
    ["noise.jpg", new Uint8Array(noise)],
  ];
}

/** CSV damage: stray quotes, repeated keys, ragged rows, BOM, CRLF, ... */
function damageCsv(text: string, rng: Rng, values: readonly string[]): string {
  const lines = text.trimEnd().split("\n");
  const row = 1 + int(rng, lines.length - 1);
  const cells = lines[row].split(",");
  switch (int(rng, 10)) {
    case 0: { // a stray quote anywhere
      const at = int(rng, text.length);
      return text.slice(0, at) + '"' + text.slice(at);
    }
    case 1: { // repeat a header key
      const head = lines[0].split(",");
      lines[0] = [...head, pick(rng, head)].join(",");
      return lines.join("\n") + "\n";
    }
    case 2: // a ragged row
      lines[row] = rng() < 0.5
        ? cells.slice(0, -1).join(",")
        : `${lines[row]},x`;
      return lines.join("\n") + "\n";
    case 3: // a value of the wrong type or range
    case 4:
      cells[int(rng, cells.length)] = pick(rng, values);
      lines[row] = cells.join(",");
      return lines.join("\n") + "\n";
    case 5: // valid re-spellings: BOM, CRLF, quoted fields
      return "\ufeff" +
        lines.map((l) =>
          l.split(",").map((c) => (rng() < 0.5 ? `"${c}"` : c)).join(",")
        ).join("\r\n") + "\r\n";
    case 6: // a duplicated row
      lines.push(lines[row]);
      return lines.join("\n") + "\n";
    case 7:
      return text.slice(0, int(rng, text.length));
    case 8:
      return rng() < 0.5 ? "" : lines[0] + "\n";
    default:
      return new TextDecoder().decode(
        mutate(new TextEncoder().encode(text), rng),
      );
  }
}

const GZ_VALUES = [
  "abc",
  "",
  "NaN",
  "Infinity",
  "1e400",
  "-0.5",
  "1.5",
  "0x1",
  "1",
  "0",
  "2e-1",
  "-1",
  "999",
  '"0.5"',
  "0.5 0.5",
];

/** Non-blank lines after the header line. */
function dataLines(text: string): number {
  return text.split(/\r\n|\n|\r/).filter((l) => l.trim() !== "").length - 1;
}

/** NPY header variants for Mastcam tiles. */
const NPY_DESCR = [
  "|u1",
  "<f4",
  "<f8",
  "|b1",
  "<i8",
  "<c8",
  ">u2",
  "|S1",
  "|O",
  "<f2",
  "u1",
];
const NPY_SHAPE = [
  "(4, 4, 6)",
  "(4, 4)",
  "(0, 4, 6)",
  "(4, 4, 6, 1)",
  "(-1, 4, 6)",
  "(99999, 99999, 6)",
  "(2, 8, 6)",
  "(4, 4, 3)",
];

function npy(header: string, data: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(
    header.padEnd(128 - 10 - 1) + "\n",
  );
  const out = new Uint8Array(10 + head.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, head.length, true);
  out.set(head, 10);
  out.set(data, 10 + head.length);
  return out;
}

Deno.test("image formats give a valid result or a typed error naming the file on damaged input", async (t) => {
  await t.step("png", async () => {
    const sources = await pngSources();
    const rng = mulberry32(2001);
    const tl = tally();
    for (let r = 0; r < 300; r++) {
      const [name, src] = sources[r % sources.length];
      const bytes = damagePng(src, rng);
      await runCase(
        tl,
        `png round ${r} (${name})`,
        [name],
        () => checkImage(decodeImage(bytes, name), name),
      );
    }
    report("png", tl);
  });

  await t.step("jpeg", async () => {
    const sources = await jpegSources();
    const rng = mulberry32(2002);
    const tl = tally();
    for (let r = 0; r < 300; r++) {
      const [name, src] = sources[r % sources.length];
      const bytes = damageJpeg(src, rng);
      await runCase(
        tl,
        `jpeg round ${r} (${name})`,
        [name],
        () => checkImage(decodeImage(bytes, name), name),
      );
    }
    report("jpeg", tl);
  });

  await t.step("csv manifest (image folder labels.csv)", async () => {
    const dir = await copyTree("flat");
    try {
      const csv = await Deno.readTextFile(`${dir}/labels.csv`);
      const values = [
        "cat",
        "",
        "x9.png",
        "labels.csv",
        "x1.png",
        "1",
        '"',
        "shoe",
      ];
      const rng = mulberry32(2003);
      const tl = tally();
      for (let r = 0; r < 150; r++) {
        await Deno.writeTextFile(
          `${dir}/labels.csv`,
          damageCsv(csv, rng, values),
        );
        const text = await Deno.readTextFile(`${dir}/labels.csv`);
        await runCase(tl, `csv round ${r}`, [dir], async () => {
          const ds = await loadImageFolder(dir, { channels: 1 });
          checkDataset(ds, "csv");
          equal(ds.shape[0], dataLines(text), "images vs CSV lines");
        });
      }
      report("csv", tl);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("galaxy zoo", async () => {
    const dir = await copyTree("galaxy_zoo");
    try {
      const csvPath = `${dir}/training_solutions_rev1.csv`;
      const csv = await Deno.readTextFile(csvPath);
      const images = `${dir}/images_training_rev1`;
      const jpg = await Deno.readFile(`${images}/102.jpg`);
      const rng = mulberry32(2004);
      const tl = tally();
      for (let r = 0; r < 150; r++) {
        const image = rng() < 0.3;
        if (image) {
          await Deno.writeFile(`${images}/102.jpg`, damageJpeg(jpg, rng));
        } else {await Deno.writeTextFile(
            csvPath,
            damageCsv(csv, rng, GZ_VALUES),
          );}
        const text = await Deno.readTextFile(csvPath);
        await runCase(tl, `galaxy zoo round ${r}`, [dir], async () => {
          const gz = await loadGalaxyZoo(dir, { crop: 24, size: [4, 4] });
          checkDataset(gz.train, "train");
          checkDataset(gz.test, "test");
          equal(gz.testIsAnomaly.length, gz.test.shape[0]);
          // No row swallowed, none counted twice (the damage adds no
          // quoted line breaks, so each galaxy is one line).
          const ids = [...gz.train.ids!, ...gz.test.ids!];
          equal(new Set(ids).size, ids.length, "repeated galaxy");
          equal(ids.length, dataLines(text), "galaxies vs CSV lines");
        });
        if (image) await Deno.writeFile(`${images}/102.jpg`, jpg);
        else await Deno.writeTextFile(csvPath, csv);
      }
      report("galaxy zoo", tl);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("mastcam", async () => {
    const dir = await copyTree("mastcam");
    try {
      const target = `${dir}/test_typical/tile1.npy`;
      const tile = await Deno.readFile(target);
      const data = tile.subarray(128);
      const rng = mulberry32(2005);
      const tl = tally();
      for (let r = 0; r < 150; r++) {
        const extra: string[] = [];
        switch (int(rng, 4)) {
          case 0:
          case 1:
            await Deno.writeFile(target, mutate(tile, rng));
            break;
          case 2: { // another dtype, shape or order in the header
            const descr = rng() < 0.6 ? pick(rng, NPY_DESCR) : "|u1";
            const shape = rng() < 0.6 ? pick(rng, NPY_SHAPE) : "(4, 4, 6)";
            const fortran = rng() < 0.2 ? "True" : "False";
            await Deno.writeFile(
              target,
              npy(
                `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`,
                data,
              ),
            );
            break;
          }
          default: { // the tree: a cycle, a broken link, a stray file
            const at = `${dir}/test_novel/bedrock/x${r}`;
            extra.push(at);
            const k = int(rng, 3);
            if (k === 0) await Deno.symlink(dir, at);
            else if (k === 1) {
              await Deno.symlink(`${dir}/none.npy`, `${at}.npy`);
            } else await Deno.writeTextFile(`${at}.npy`, "not npy");
            if (k > 0) extra[0] = `${at}.npy`;
          }
        }
        await runCase(tl, `mastcam round ${r}`, [dir], async () => {
          const m = await loadMastcam(dir);
          checkDataset(m.train, "train");
          checkDataset(m.test, "test");
          equal(m.testIsAnomaly.length, m.test.shape[0]);
        });
        await Deno.writeFile(target, tile);
        for (const p of extra) await Deno.remove(p);
      }
      report("mastcam", tl);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
