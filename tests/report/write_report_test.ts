import { tf } from "../../src/tf.ts";
import { rocCurve } from "../../src/metrics.ts";
import { ShapeError } from "../../src/errors.ts";
import { sphereView } from "../../src/report/sphere_view.ts";
import {
  renderReportHtml,
  type ReportRun,
  writeReport,
} from "../../src/report/write_report.ts";
import { buildFigures } from "../../src/report/figures/build_figures.ts";
import { assertClose, deepEqual, equal, ok, rejects } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

/** The interactive figures of the synthetic run, in page order. */
const FIGURE_IDS = [
  "fig-roc",
  "fig-hist-0",
  "fig-hist-1",
  "fig-train-loss",
  "fig-train-rec",
  "fig-train-kl",
  "fig-sphere-0",
  "fig-sphere-1",
];

const CHROMIUM = "/usr/bin/chromium";

function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/** A small synthetic run: 2 methods, 120 + 40 test samples, 2 sphere views. */
function syntheticRun(): ReportRun {
  const rnd = lcg(3);
  const gauss = () =>
    Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd());
  const y = Array.from({ length: 160 }, (_, i) => i < 120 ? 0 : 1);
  const method = (name: string, shift: number) => ({
    name,
    scores: new Float32Array(y.map((v) => gauss() + v * shift)),
    auroc: 0.9,
    fpr95: 0.3,
    fpr95Id: 0.4,
  });
  const n = 9;
  const vae = new Float32Array(100 * n).map(() => gauss());
  const comp = new Float32Array(100 * n).map((_, j) =>
    (j % n === 0 ? 3 : 0) + 0.3 * gauss()
  );
  return {
    title: "Synthetic <run> & test",
    protocol: { normal: 120, anomalous: 40, seed: 3 },
    methods: [method("Comp.VAE + kNN", 2), method("VAE + kNN", 1)],
    isAnomaly: y,
    training: ["VAE", "Comp.VAE"].map((name, k) => ({
      name,
      history: Array.from({ length: 5 }, (_, e) => ({
        epoch: e,
        loss: 10 / (e + 1) + k,
        rec: 8 / (e + 1),
        kl: 2 + k,
      })),
    })),
    sphere: [
      { name: "VAE", points: sphereView(vae, n) },
      {
        name: "Comp.VAE",
        points: sphereView(comp, n),
        labels: Array.from({ length: 100 }, (_, i) => i % 2),
      },
    ],
    notes: ["synthetic data"],
  };
}

Deno.test("buildFigures() draws rocCurve's points and normalised histograms", () => {
  const run = syntheticRun();
  const { plotly, svg } = buildFigures(run, 20);
  deepEqual(plotly.map((f) => f.id), FIGURE_IDS);
  deepEqual(svg.map((f) => f.file), [
    "roc",
    "histograms",
    "training",
    "sphere",
  ]);
  // 160 samples: thinning at step 0.001 keeps every ROC point
  const roc = rocCurve(run.methods[0].scores, run.isAnomaly);
  const trace = plotly[0].data[0] as { x: number[]; y: number[] };
  assertClose(trace.x, roc.fpr, { atol: 1e-6 }); // 6 significant digits
  assertClose(trace.y, roc.tpr, { atol: 1e-6 });
  // each class's histogram density integrates to 1
  for (const k of [0, 1]) {
    const bars = plotly[1].data[k] as { y: number[]; width: number };
    const area = bars.y.reduce((a, b) => a + b, 0) * bars.width;
    assertClose(area, 1, { atol: 1e-4 }, `class ${k}`);
  }
  // the sphere scatter holds the projected points
  const pts = plotly[7].data[1] as { x: number[]; y: number[]; z: number[] };
  equal(pts.x.length, 100);
  assertClose(Math.hypot(pts.x[0], pts.y[0], pts.z[0]), 1, { atol: 1e-5 });
});

Deno.test("renderReportHtml() figure data cannot close the script element early", async () => {
  const name = "</script><b>\u2028";
  const run = syntheticRun();
  run.methods[0].name = name;
  const html = await renderReportHtml(run, { plotlyJs: "" });
  const open = '<script type="application/json" id="hsvae-figures">';
  const start = html.indexOf(open) + open.length;
  const json = html.slice(start, html.indexOf("</script>", start));
  ok(!json.includes("<") && !json.includes("\u2028"));
  const figs = JSON.parse(json) as { data: { name?: string }[] }[];
  equal(figs[0].data[0].name, `${name} (AUROC 0.900)`);
});

Deno.test("renderReportHtml() escapes text and inlines the Plotly bundle", async () => {
  const html = await renderReportHtml(syntheticRun(), { bins: 10 });
  ok(html.includes("<title>Synthetic &lt;run&gt; &amp; test</title>"));
  ok(
    html.includes("FPR95 (OOD positive)") &&
      html.includes("FPR95 (ID positive)"),
  );
  ok(html.length > 4_000_000, `html is ${html.length} chars`);
  ok(!/<script[^>]+src=/i.test(html), "no external script");
  ok(!/https?:\/\/cdn/i.test(html.slice(html.indexOf("<body"))), "no CDN link");
  ok(html.includes('data-figures="8"'));
});

Deno.test("writeReport() writes the page and four SVGs, leaking no tensors", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_report_" });
  try {
    const before = tf.memory().numTensors;
    const out = await writeReport(syntheticRun(), {
      dir,
      name: "r",
      plotlyJs: "",
    });
    equal(tf.memory().numTensors, before);
    equal(out.html, `${dir}/r.html`);
    deepEqual(out.svg, [
      `${dir}/r-roc.svg`,
      `${dir}/r-histograms.svg`,
      `${dir}/r-training.svg`,
      `${dir}/r-sphere.svg`,
    ]);
    const roc = await Deno.readTextFile(out.svg[0]);
    ok(roc.startsWith("<svg"));
    ok(roc.includes("Comp.VAE + kNN (AUROC 0.900)"));
    ok(roc.includes("FPR: fraction of ID samples flagged"));
    const sphere = await Deno.readTextFile(out.svg[3]);
    ok(sphere.includes("equal-area projection"));
    // 200 points (100 per model) drawn as circles
    equal(
      sphere.match(/role="graphics-symbol" aria-roledescription="circle"/g)
        ?.length,
      200,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeReport() rejects mismatched inputs with how to fix them", async () => {
  const run = syntheticRun();
  await rejects(
    () =>
      writeReport({ ...run, isAnomaly: run.isAnomaly.slice(1) }, {
        dir: "/nonexistent",
        plotlyJs: "",
      }),
    (e: Error) => {
      ok(e instanceof ShapeError);
      ok(
        /method "Comp.VAE \+ kNN" has "160" scores but "isAnomaly" has "159" labels/
          .test(e.message),
      );
      return true;
    },
  );
  await rejects(
    () =>
      writeReport({
        ...run,
        sphere: [{ name: "VAE", points: [1, 0, 0, 1] }],
      }, { dir: "/nonexistent", plotlyJs: "" }),
    ShapeError,
  );
  await rejects(
    () => writeReport({ ...run, methods: [] }, { dir: "/nonexistent" }),
    RangeError,
  );
});

const haveChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (!haveChromium) {
  console.log(
    `skipping the headless-Chromium report test: ${CHROMIUM} is absent (apt-get install -y chromium)`,
  );
}

Deno.test({
  name:
    "writeReport() page renders every figure in headless Chromium without console errors",
  ignore: !haveChromium,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "hsvae_report_chromium_" });
    try {
      const out = await writeReport(syntheticRun(), { dir, svg: false });
      const cmd = new Deno.Command(CHROMIUM, {
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
          // software WebGL for the 3-D sphere (our own local page only)
          "--enable-unsafe-swiftshader",
          `--user-data-dir=${dir}/profile`,
          "--enable-logging=stderr",
          "--v=0",
          "--virtual-time-budget=20000",
          "--dump-dom",
          `file://${out.html}`,
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(60_000),
      });
      const res = await cmd.output();
      const dom = new TextDecoder().decode(res.stdout);
      const log = new TextDecoder().decode(res.stderr);
      ok(res.success, `chromium exited ${res.code}: ${log.slice(-2000)}`);
      const body = dom.match(/<body[^>]*>/)?.[0] ?? "";
      ok(!body.includes("data-render-error"), body);
      ok(body.includes('data-figures="8"'), body);
      ok(
        body.includes('data-rendered="8"'),
        `not all figures rendered: ${body}`,
      );
      const page = dom.replace(/<script\b[\s\S]*?<\/script>/g, "");
      for (
        const id of FIGURE_IDS
      ) {
        const tag = page.match(new RegExp(`<div[^>]*id="${id}"[^>]*>`))?.[0] ??
          "";
        ok(tag.includes('data-rendered="true"'), `${id}: ${tag}`);
      }
      ok(
        (page.match(/class="main-svg"/g) ?? []).length >= 8,
        "plotly SVG layers",
      );
      // the 3-D scenes got a WebGL canvas, not plotly's "WebGL is not supported" notice
      ok((page.match(/<canvas/g) ?? []).length >= 2, "WebGL canvases");
      ok(!page.includes("WebGL is not supported"));
      const consoleErrors = log.split("\n").filter((l) =>
        l.includes(":CONSOLE") && /Uncaught|Error\b|hsvae report:/.test(l)
      );
      deepEqual(consoleErrors, []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
