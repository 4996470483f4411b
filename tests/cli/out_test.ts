import { equal, ok } from "../_assert.ts";
import { main } from "../../cli.ts";
import { openOutputFolder } from "../../src/output_folder.ts";
import { encodeNpy } from "../../src/data/npy_write.ts";

/** Runs the CLI in this process, capturing what it prints. */
async function cli(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  const t0 = performance.now();
  try {
    const code = await main(argv);
    return {
      code,
      stdout: out.join("\n"),
      stderr: err.join("\n"),
      ms: performance.now() - t0,
    };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/**
 * Runs the CLI once per `argvs` entry in a child process whose working
 * folder is `cwd` (the working folder is process-wide, and other test
 * modules run beside this one), capturing what each run prints.
 */
async function cliIn(
  cwd: string,
  argvs: string[][],
): Promise<{ code: number; stdout: string; stderr: string }[]> {
  const cliUrl = new URL("../../cli.ts", import.meta.url).href;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../../deno.json", import.meta.url).pathname,
      `const { main } = await import(${JSON.stringify(cliUrl)});
       const results = [];
       for (const argv of ${JSON.stringify(argvs)}) {
         const out = [], err = [];
         console.log = (...a) => out.push(a.join(" "));
         console.error = (...a) => err.push(a.join(" "));
         const code = await main(argv);
         results.push({ code, stdout: out.join("\\n"), stderr: err.join("\\n") });
       }
       Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(results)));`,
    ],
    cwd,
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  equal(out.code, 0, text + new TextDecoder().decode(out.stderr));
  return JSON.parse(text);
}

/** Exit `code`, one error line matching `re`, no raw OS error, no stack. */
function assertError(
  r: { code: number; stderr: string },
  code: number,
  re: RegExp,
): void {
  equal(r.code, code, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("error:"));
  equal(lines.length, 1, r.stderr);
  ok(re.test(lines[0]), r.stderr);
  ok(!/os error|\n\s+at /.test(r.stderr), `raw error leaked: ${r.stderr}`);
}

async function names(dir: string): Promise<string[]> {
  const n: string[] = [];
  for await (const e of Deno.readDir(dir)) n.push(e.name);
  return n.sort();
}

const TINY_FLAGS = [
  "--backend",
  "wasm",
  "--limit",
  "20",
  "--epochs",
  "1",
  "--latent",
  "4",
  "--widths",
  "2",
  "--batch-size",
  "10",
];

Deno.test("cli: an empty or unusable --out is a usage error and writes nothing", async () => {
  const TINY = TINY_FLAGS;
  const cwd = await Deno.makeTempDir();
  try {
    const empty = await cliIn(cwd, [
      ["train", ...TINY, "--out", ""],
      ["score", "--model", "m", "--out", ""],
      ["eval", "--out", ""],
      ["demo", "--out", ""],
      ["train", "--out", " "],
      ["train", "--out", "a\0b"],
    ]);
    for (const r of empty) {
      assertError(
        r,
        2,
        /^error: Cannot use --out ".*": the path is (empty|blank)|NUL byte/,
      );
    }
    equal((await names(cwd)).length, 0);
    await Deno.writeTextFile(`${cwd}/file`, "x");
    const [inWay, parent, both] = await cliIn(cwd, [
      ["train", ...TINY, "--out", "file"],
      ["train", ...TINY, "--out", "file/run"],
      ["train", "--resume", "--overwrite"],
    ]);
    assertError(
      inWay,
      2,
      /^error: Cannot write "file": it is a file, not a folder; /,
    );
    assertError(
      parent,
      2,
      /^error: Cannot write "file\/run": its parent "file" is a file, not a folder; /,
    );
    assertError(
      both,
      2,
      /--resume continues the run in --out, --overwrite replaces it/,
    );
    equal((await names(cwd)).join(","), "file");
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("cli: a locked or used --out is refused; --overwrite replaces only hsvae's files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const t = `${dir}/t`;
    await Deno.writeTextFile(`${dir}/quiet.json`, '{"progress":"none"}');
    const TINY = [...TINY_FLAGS, "--config", `${dir}/quiet.json`];
    let r = await cli(["train", ...TINY, "--out", t, "--json"]);
    equal(r.code, 0, r.stderr);
    // training again into it: refused, not appended to
    assertError(
      await cli(["train", ...TINY, "--out", t]),
      2,
      /holds a previous train result \("checkpoints", "model", "train.jsonl"\); pass --overwrite to replace it, --resume to continue it/,
    );
    r = await cli(["train", ...TINY, "--out", t, "--overwrite"]);
    equal(r.code, 0, r.stderr);
    const lines = (await Deno.readTextFile(`${t}/train.jsonl`)).trim()
      .split("\n");
    equal(lines.length, 1, "the log was replaced, not appended to");
    // another run holds the lock
    {
      await using _held = await openOutputFolder(t, {
        kind: "train",
        mode: "resume",
      });
      assertError(
        await cli(["train", ...TINY, "--out", t, "--resume"]),
        1,
        new RegExp(
          `another hsvae train run \\(pid ${Deno.pid}, .*\\) is writing into it`,
        ),
      );
    }
    // score: its own previous result needs --overwrite; others' files refuse
    const score = ["score", "--backend", "wasm", "--model", `${t}/model`];
    r = await cli([...score, "--limit", "10", "--out", `${dir}/s`]);
    equal(r.code, 0, r.stderr);
    assertError(
      await cli([...score, "--out", `${dir}/s`]),
      2,
      /previous score result \("scores.csv"\); pass --overwrite to replace it, or choose another folder$/,
    );
    r = await cli([
      ...score,
      "--limit",
      "5",
      "--out",
      `${dir}/s`,
      "--overwrite",
    ]);
    equal(r.code, 0, r.stderr);
    equal(
      (await Deno.readTextFile(`${dir}/s/scores.csv`)).trim().split("\n")
        .length,
      6,
    );
    assertError(
      await cli([...score, "--out", t, "--overwrite"]),
      2,
      /holds files hsvae score does not write \("checkpoints", "model", "train.jsonl"\); nothing was removed/,
    );
    ok((await Deno.stat(`${t}/model/config.json`)).isFile);
    await Deno.writeTextFile(`${t}/notes.txt`, "mine");
    assertError(
      await cli(["train", ...TINY, "--out", t, "--overwrite"]),
      2,
      /holds files hsvae train does not write \("notes.txt"\); nothing was removed/,
    );
    ok((await Deno.stat(`${t}/train.jsonl`)).isFile);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: transform refuses an existing --output without --overwrite and words write errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(
      `${dir}/x.npy`,
      encodeNpy(new Float32Array([3, 4, 1, 0]), [2, 2]),
    );
    const base = ["transform", "--backend", "wasm", "--input", `${dir}/x.npy`];
    assertError(
      await cli([...base, "--output", `${dir}/x.npy`]),
      2,
      /--output ".*x.npy": the file exists; pass --overwrite to replace it/,
    );
    assertError(
      await cli([...base, "--output", `${dir}/x.npy/y.npy`]),
      1,
      /^error: Cannot write ".*x.npy\/y.npy": a part of the path is a file, not a folder; /,
    );
    const r = await cli([...base, "--output", `${dir}/x.npy`, "--overwrite"]);
    equal(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --config keys are checked: unknown (with the closest key), wrong type, flag-only", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [unknown, RegExp][] = [
      [{ epochz: 3 }, /unknown key "epochz"; did you mean "epochs"\?$/],
      [
        { latent_dim: 8 },
        /unknown key "latent_dim"; did you mean "latentDim"\?$/,
      ],
      [
        { loss: { spacng: 3 } },
        /unknown key "loss.spacng"; did you mean "loss.spacing"\?$/,
      ],
      [
        { qqqqqqq: 1 },
        /unknown key "qqqqqqq"; valid keys: "preset", "variant", /,
      ],
      [{ epochs: "ten" }, /"epochs" must be an integer >= 1, got "ten"$/],
      [
        { widths: [4, 0.5] },
        /"widths" must be a list, each item an integer >= 1, got \[4,0.5\]$/,
      ],
      [
        { loss: { gains: { muAngleMean: "1" } } },
        /"loss.gains.muAngleMean" must be a number, got "1"$/,
      ],
      [{ outDir: "/" }, /"outDir" is set by a flag; use --out instead$/],
      [
        { latentDim: 100000 },
        /"latentDim" = 100000 is beyond the limit maxLatentDim = 8192/,
      ],
    ];
    for (const [config, re] of cases) {
      await Deno.writeTextFile(`${dir}/c.json`, JSON.stringify(config));
      const r = await cli([
        "train",
        "--config",
        `${dir}/c.json`,
        "--out",
        `${dir}/o`,
      ]);
      assertError(
        r,
        2,
        new RegExp(`^error: Cannot use --config ".*c.json": ${re.source}`),
      );
    }
    equal((await names(dir)).join(","), "c.json", "no run started");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --latent beyond LIMITS.maxLatentDim is a usage error at once", async () => {
  for (const cmd of ["train", "eval"]) {
    const r = await cli([cmd, "--latent", "100000"]);
    assertError(
      r,
      2,
      /^error: Cannot use --latent "100000": 100000 is beyond the limit maxLatentDim = 8192; use a smaller --latent$/,
    );
    ok(r.ms < 2000, `took ${r.ms} ms`);
  }
});
