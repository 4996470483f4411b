import { deepEqual, equal, ok, throws } from "./_assert.ts";
import { parseCommand } from "../src/cli/parse.ts";
import { UsageError } from "../src/cli/_args.ts";
import { encodeNpy } from "../src/data/npy_write.ts";
import { parseNpy } from "../src/data/npy.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

async function run(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", HSVAE_BACKEND: "wasm" },
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/** A usage error: exit 2, one error line naming the flag, no stack trace. */
function assertUsage(
  r: { code: number; stderr: string },
  pattern: RegExp,
): void {
  equal(r.code, 2, r.stderr);
  const errors = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  equal(errors.length, 1, r.stderr);
  ok(pattern.test(errors[0]), r.stderr);
  ok(!/\n\s+at /.test(r.stderr), `stack trace leaked: ${r.stderr}`);
}

Deno.test("parseCommand() builds typed commands with defaults", () => {
  const t = parseCommand([
    "train",
    "--epochs",
    "3",
    "--latent",
    "64",
    "--widths",
    "8,16",
    "--preset",
    "paper",
  ]);
  equal(t.kind, "train");
  if (t.kind === "train") {
    equal(t.train.epochs, 3);
    equal(t.train.latentDim, 64);
    deepEqual(t.train.widths, [8, 16]);
    equal(t.train.preset, "paper");
    equal(t.format, "auto");
  }
  const e = parseCommand([
    "eval",
    "--seeds",
    "0,1,2",
    "--methods",
    "knn-pixels, compvae-knn",
  ]);
  if (e.kind === "eval") {
    deepEqual(e.seeds, [0, 1, 2]);
    deepEqual(e.methods, ["knn-pixels", "compvae-knn"]);
    equal(e.normalClass, 1);
  }
  // `deno task demo -- --epochs 2` forwards the "--"
  const viaTask = parseCommand(["demo", "--", "--epochs", "2"]);
  if (viaTask.kind === "demo") equal(viaTask.epochs, 2);
  else throw new Error(`parsed as ${viaTask.kind}`);
  const d = parseCommand(["demo"]);
  if (d.kind === "demo") equal(d.epochs, 6);
  equal(parseCommand([]).kind, "help");
  equal(parseCommand(["score", "--help"]).kind, "help");
});

Deno.test("parseCommand() names the flag and the fix for bad input", () => {
  const cases: [string[], RegExp][] = [
    [["train", "--epochs", "-1"], /--epochs "-1": it must be an integer >= 1/],
    [["train", "--epochs", "2.5"], /--epochs "2.5"/],
    [
      ["train", "--variant", "gan"],
      /--variant "gan": use one of compressed, vmf, vae, ae/,
    ],
    [["train", "--bogus"], /unknown flag "--bogus"/],
    [["train", "--lr", "0"], /--lr "0": it must be a number > 0/],
    [["score"], /--model is required/],
    [
      ["score", "--model", "m", "--contamination", "0.7"],
      /--contamination "0.7"/,
    ],
    [["transform", "--input", "a.npy"], /--output is required/],
    [["eval", "--seeds", "a,b"], /--seeds "a,b"/],
    [["info", "--backend", "tpu"], /--backend "tpu"/],
    [["frob"], /unknown command/],
    [["train", "stray"], /unexpected argument "stray"/],
    [
      ["train", "--epoch", "3"],
      /unknown flag "--epoch"; did you mean "--epochs"\?/,
    ],
    [["train", "--out", ""], /--out "": the path is empty/],
    [["score", "--model", "m", "--out", "a\0b"], /NUL byte/],
    [["train", "--resume", "--overwrite"], /pass one of them/],
    [["eval", "--latent", "9000"], /beyond the limit maxLatentDim = 8192/],
  ];
  for (const [argv, re] of cases) {
    throws(
      () => parseCommand(argv),
      (e: Error) => e instanceof UsageError && re.test(e.message),
    );
  }
});

Deno.test("cli: every subcommand's --help shows flags, defaults and an example", async () => {
  for (const c of ["demo", "train", "score", "eval", "transform", "info"]) {
    const r = await run([c, "--help"]);
    equal(r.code, 0, r.stderr);
    ok(
      r.stdout.includes(`hsvae ${c}:`) && r.stdout.includes("Example:") &&
        r.stdout.includes("--backend"),
      r.stdout,
    );
  }
  const top = await run(["--help"]);
  ok(/Commands:/.test(top.stdout));
});

Deno.test("cli: info reports the backend", async () => {
  const r = await run(["info", "--json"]);
  equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  equal(j.backend, "wasm");
  equal(j.wasm.simd, true);
});

Deno.test("cli: transform round-trips a .npy file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const x = new Float32Array([3, 4, 0, 1, 2, 2, -1, 0, 0]);
    await Deno.writeFile(`${dir}/x.npy`, encodeNpy(x, [3, 3]));
    let r = await run([
      "transform",
      "--input",
      `${dir}/x.npy`,
      "--output",
      `${dir}/s.npy`,
    ]);
    equal(r.code, 0, r.stderr);
    const s = parseNpy(await Deno.readFile(`${dir}/s.npy`));
    deepEqual(s.shape, [3, 3]);
    ok(Math.abs(s.data[0] - 5) < 1e-6 && Math.abs(s.data[3] - 3) < 1e-6); // radii
    r = await run([
      "transform",
      "--input",
      `${dir}/s.npy`,
      "--output",
      `${dir}/b.npy`,
      "--inverse",
    ]);
    equal(r.code, 0, r.stderr);
    const b = parseNpy(await Deno.readFile(`${dir}/b.npy`));
    for (let i = 0; i < 9; i++) {
      ok(Math.abs(b.data[i] - x[i]) < 1e-5, `${i}: ${b.data[i]} vs ${x[i]}`);
    }
    r = await run([
      "transform",
      "--input",
      `${dir}/x.npy`,
      "--output",
      `${dir}/c.npy`,
      "--to",
      "cosines",
    ]);
    const c = parseNpy(await Deno.readFile(`${dir}/c.npy`));
    ok(Math.abs(c.data[1] - 0.6) < 1e-6); // 3 / 5
    assertUsage(
      await run([
        "transform",
        "--input",
        `${dir}/nope.npy`,
        "--output",
        `${dir}/o.npy`,
      ]),
      /no such file/,
    );
    await Deno.writeFile(
      `${dir}/v.npy`,
      encodeNpy(new Float32Array([1, 2, 3]), [3]),
    );
    assertUsage(
      await run([
        "transform",
        "--input",
        `${dir}/v.npy`,
        "--output",
        `${dir}/o.npy`,
      ]),
      /expected a 2-D array/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: train then score on tiny real data", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tiny = [
      "--latent",
      "16",
      "--widths",
      "4,8",
      "--epochs",
      "1",
      "--batch-size",
      "50",
    ];
    let r = await run([
      "train",
      "--normal-class",
      "1",
      "--limit",
      "200",
      ...tiny,
      "--out",
      `${dir}/t`,
      "--json",
    ]);
    equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    equal(summary.epochs, 1);
    ok((await Deno.stat(`${dir}/t/model/config.json`)).isFile);
    ok((await Deno.readTextFile(`${dir}/t/train.jsonl`)).includes('"epoch":0'));
    r = await run([
      "score",
      "--model",
      `${dir}/t/model`,
      "--limit",
      "30",
      "--contamination",
      "0.1",
      "--out",
      `${dir}/s`,
    ]);
    equal(r.code, 0, r.stderr);
    const csv = (await Deno.readTextFile(`${dir}/s/scores.csv`)).trim().split(
      "\n",
    );
    equal(csv[0], "id,label,score,threshold,prediction");
    equal(csv.length, 31);
    ok(csv.slice(1).every((l) => Number.isFinite(Number(l.split(",")[2]))));
    // bad input: exit 2, one line
    assertUsage(
      await run(["train", "--data", `${dir}/missing`, ...tiny]),
      /--data ".*missing": no such file or folder/,
    );
    assertUsage(
      await run([
        "train",
        "--semi-supervised",
        "--latent",
        "7",
        "--limit",
        "100",
        "--epochs",
        "1",
      ]),
      /--latent 7: 10 classes with spacing 10 need n >= 100/,
    );
    assertUsage(
      await run(["score", "--model", `${dir}/nomodel`]),
      /no config.json/,
    );
    assertUsage(
      await run(["train", "--config", `${dir}/none.json`, ...tiny]),
      /--config ".*none.json": no such file/,
    );
    // --config supplies options, flags override it
    await Deno.writeTextFile(
      `${dir}/cfg.json`,
      JSON.stringify({ latentDim: 12, widths: [4, 8], epochs: 3 }),
    );
    r = await run([
      "train",
      "--config=" + `${dir}/cfg.json`,
      "--epochs",
      "1",
      "--limit",
      "100",
      "--out",
      `${dir}/c`,
      "--json",
    ]);
    equal(r.code, 0, r.stderr);
    equal(JSON.parse(r.stdout).epochs, 1);
    const cfg = JSON.parse(
      await Deno.readTextFile(`${dir}/c/model/config.json`),
    );
    equal(cfg.model.latentDim, 12);
    await Deno.writeTextFile(`${dir}/bad.json`, "[1, 2]");
    assertUsage(
      await run(["train", "--config", `${dir}/bad.json`]),
      /expected a JSON object/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: eval writes the table, the CSV and the report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run([
      "eval",
      "--methods",
      "knn-pixels,compvae-knn",
      "--epochs",
      "1",
      "--latent",
      "16",
      "--widths",
      "4,8",
      "--train-limit",
      "150",
      "--test-limit",
      "150",
      "--out",
      dir,
    ]);
    equal(r.code, 0, r.stderr);
    ok(
      /FPR95 \(OOD positive\)/.test(r.stdout) &&
        /FPR95 \(ID positive\)/.test(r.stdout),
      r.stdout,
    );
    for (
      const f of ["results.json", "results.md", "scores.csv", "report.html"]
    ) {
      ok((await Deno.stat(`${dir}/${f}`)).size > 0, f);
    }
    assertUsage(await run(["eval", "--methods", "nope", "--out", dir]), /nope/);
    // the semi-supervised protocol: ID classes 0-2 with the class roll
    const s = await run([
      "eval",
      "--protocol",
      "in-vs-out",
      "--id-classes",
      "0,1,2",
      "--methods",
      "compvae-knn",
      "--epochs",
      "1",
      "--latent",
      "32",
      "--widths",
      "4,8",
      "--train-limit",
      "150",
      "--test-limit",
      "100",
      "--out",
      `${dir}/ivo`,
      "--json",
    ]);
    equal(s.code, 0, s.stderr);
    const j = JSON.parse(s.stdout);
    equal(j.protocol.semiSupervised, true);
    equal(j.protocol.nTestNormal + j.protocol.nTestAnomaly, 100);
    assertUsage(
      await run([
        "eval",
        "--protocol",
        "in-vs-out",
        "--latent",
        "40",
        "--out",
        dir,
      ]),
      /--latent 40: 5 ID classes with spacing 10 need n >= 50/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: demo runs end to end on the bundled data (smoke size)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run([
      "demo",
      "--epochs",
      "1",
      "--train-limit",
      "100",
      "--test-limit",
      "100",
      "--out",
      dir,
    ]);
    equal(r.code, 0, r.stderr);
    for (
      const m of ["kNN (pixels)", "Comp.VAE + kNN", "VAE + kNN", "AE + MSE"]
    ) ok(r.stdout.includes(m), r.stdout);
    ok(r.stdout.includes(`report:  ${dir}/report.html`), r.stdout);
    ok(/epoch 1\/1/.test(r.stderr), "progress goes to stderr");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: eval --normal-class all sweeps every class and writes a summary", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run([
      "eval",
      "--normal-class",
      "all",
      "--methods",
      "knn-pixels",
      "--train-limit",
      "50",
      "--test-limit",
      "60",
      "--out",
      dir,
      "--json",
    ]);
    equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    deepEqual(j.classes.map((c: { label: number }) => c.label), [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
    ]);
    for (const c of j.classes) {
      ok(
        c.rows[0].auroc > 0.5 && c.rows[0].auroc <= 1,
        JSON.stringify(c.rows[0]),
      );
    }
    const md = await Deno.readTextFile(`${dir}/summary.md`);
    ok(
      md.includes("mean AUROC") && md.includes("FPR95 (OOD positive)") &&
        md.includes("9 Ankle boot"),
      md,
    );
    ok((await Deno.stat(`${dir}/class-9/report.html`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: Ctrl-C during train checkpoints, exits 130, and --resume finishes the run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = [
      "run",
      "-A",
      CLI,
      "train",
      "--limit",
      "300",
      "--latent",
      "16",
      "--widths",
      "4,8",
    ];
    const opts = ["--batch-size", "20", "--out", dir];
    const child = new Deno.Command(Deno.execPath(), {
      args: [...args, "--epochs", "50", ...opts],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", HSVAE_BACKEND: "wasm" },
    }).spawn();
    // wait for the first epoch's log line, then interrupt
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const text = await Deno.readTextFile(`${dir}/train.jsonl`).catch(() =>
        ""
      );
      if (text.includes("\n")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill("SIGINT");
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    equal(out.code, 130, stderr);
    ok(/interrupted; resume with --resume/.test(stdout), stdout);
    ok(/interrupt: finishing this batch/.test(stderr), stderr);
    const done =
      (await Deno.readTextFile(`${dir}/train.jsonl`)).trim().split("\n").length;
    ok(done >= 1 && done < 50);
    // resume to one more epoch than was completed
    const r = await run([
      "train",
      ...args.slice(4),
      "--epochs",
      String(done + 1),
      ...opts,
      "--resume",
      "--json",
    ]);
    equal(r.code, 0, r.stderr);
    equal(JSON.parse(r.stdout).epochs, done + 1);
    const lines = (await Deno.readTextFile(`${dir}/train.jsonl`)).trim().split(
      "\n",
    );
    deepEqual(
      lines.map((l) => JSON.parse(l).epoch),
      Array.from({ length: done + 1 }, (_, i) => i),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: runtime errors exit 1 with a message, --verbose adds the stack", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/broken-images-idx3-ubyte`,
      "not an idx file",
    );
    const r = await run([
      "train",
      "--data",
      `${dir}/broken-images-idx3-ubyte`,
      "--epochs",
      "1",
    ]);
    equal(r.code, 1, r.stderr);
    ok(
      /error: Cannot/.test(r.stderr) &&
        r.stderr.includes("broken-images-idx3-ubyte"),
      r.stderr,
    );
    ok(!/\n\s+at /.test(r.stderr));
    const v = await run([
      "train",
      "--data",
      `${dir}/broken-images-idx3-ubyte`,
      "--epochs",
      "1",
      "--verbose",
    ]);
    equal(v.code, 1);
    ok(/\n\s+at /.test(v.stderr), v.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
