/**
 * `hsvae train` refuses what would silently break a run: a `--resume` on
 * other data (exit 1, naming both sources) and a diverging training (exit
 * 1 with the `DivergenceError` message, no model saved).
 */
import { equal, ok } from "../_assert.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const TINY = ["--latent", "8", "--widths", "4,8", "--batch-size", "8"];

async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, "train", ...TINY, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", HSVAE_BACKEND: "wasm" },
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** The one `error:` line of stderr. */
function errorLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.startsWith("error: "));
  equal(lines.length, 1, stderr);
  return lines[0].slice("error: ".length);
}

Deno.test("cli: train --resume on other data exits 1 naming both", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = ["--limit", "60", "--out", dir];
    let r = await run([...data, "--normal-class", "1", "--epochs", "1"]);
    equal(r.code, 0, r.stderr);
    r = await run([
      ...data,
      "--normal-class",
      "2",
      "--epochs",
      "2",
      "--resume",
    ]);
    equal(r.code, 1, r.stderr);
    const msg = errorLine(r.stderr);
    ok(
      /^Cannot resume: the data differs from the checkpoint's \(images sha256 [0-9a-f]{12}… vs [0-9a-f]{12}…, .*source "bundled Fashion-MNIST subset \(data\/\) \(--format auto --limit 60 --normal-class 1\)" vs "bundled Fashion-MNIST subset \(data\/\) \(--format auto --limit 60 --normal-class 2\)"\); use the same data or a new outDir$/
        .test(msg),
      msg,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a diverging train exits 1 with the divergence and saves no model", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await run([
      "--limit",
      "24",
      "--epochs",
      "2",
      "--lr",
      "1000",
      "--out",
      dir,
    ]);
    equal(r.code, 1, r.stderr);
    const msg = errorLine(r.stderr);
    ok(
      /^Cannot train: loss "\w+" became (NaN|Infinity|-Infinity) at epoch 1\/2, batch \d\/3; no good checkpoint was written; try a lower learning rate \(now 1000\)$/
        .test(msg),
      msg,
    );
    const model = await Deno.stat(`${dir}/model`).then(() => true, () => false);
    equal(model, false, "no model is saved");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
