/**
 * Crash safety of training: `_train_child.ts` (a tiny `trainVAE` run that
 * always resumes) is SIGKILLed at seeded points — mid-epoch, right after an
 * epoch's log record (while its `train.jsonl` line and checkpoint are being
 * written), and at a random delay after start — then run again in a fresh
 * process until it finishes. The final weights, the loss history and
 * `train.jsonl` must equal those of an uninterrupted run, and after every
 * kill the checkpoint on disk must be complete (never a torn one).
 */
import { deepEqual, equal, ok } from "../_assert.ts";
import { mulberry32 } from "../../src/random.ts";
import { readCheckpoint } from "../../src/train/checkpoint.ts";
import { TRAIN_LOG } from "../../src/train/train_log.ts";

const CHILD = new URL("./_train_child.ts", import.meta.url).pathname;

/** What the child prints last: the weights' SHA-256 and the history. */
interface Done {
  weights: string;
  history: { epoch: number }[];
}

/** When to kill the child: after a line (+ a delay), or after a delay. */
type Kill = { line: string; delayMs: number } | { afterMs: number };

/** Runs the child on `dir`; kills it as `kill` says. */
async function runChild(
  dir: string,
  kill?: Kill,
): Promise<{ killed: boolean; done?: Done; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-check", "--quiet", CHILD, dir],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const sigkill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  };
  const timer = kill && "afterMs" in kill
    ? setTimeout(sigkill, kill.afterMs)
    : undefined;
  let done: Done | undefined;
  let buf = "";
  for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.startsWith("done ")) done = JSON.parse(line.slice(5));
      if (kill && "line" in kill && line === kill.line) {
        if (kill.delayMs > 0) {
          await new Promise((r) => setTimeout(r, kill.delayMs));
        }
        sigkill();
      }
    }
  }
  const status = await child.status;
  clearTimeout(timer);
  return { killed: status.signal === "SIGKILL", done, stderr: await stderr };
}

/** `train.jsonl` without the timings. */
async function trainLog(dir: string): Promise<unknown[]> {
  const text = await Deno.readTextFile(`${dir}/${TRAIN_LOG}`);
  return text.trim().split("\n").map((l) => {
    const { seconds: _s, imagesPerSecond: _i, ...e } = JSON.parse(l);
    return e;
  });
}

/** The checkpoint a resume would use is complete, or there is none. */
async function assertCheckpointWhole(dir: string): Promise<number> {
  const ckpt = await readCheckpoint(dir, "vae");
  if (ckpt === null) return 0;
  for (const f of ["encoder/model.json", "decoder/model.json", "opt-enc.bin"]) {
    ok((await Deno.stat(`${ckpt.path}/${f}`)).isFile, `${ckpt.path}/${f}`);
  }
  return ckpt.state.epochsDone;
}

Deno.test("trainVAE() SIGKILLed anywhere then resumed ends as the uninterrupted run", async () => {
  const ref = await Deno.makeTempDir();
  const dir = await Deno.makeTempDir();
  try {
    const full = await runChild(ref);
    ok(full.done, full.stderr);
    equal(full.done!.history.length, 4);

    const rng = mulberry32(20240611);
    const batch = () => Math.floor(rng() * 3);
    const plan: Kill[] = [
      { line: `step 0 ${batch()}`, delayMs: 0 },
      // epoch 0's record is out: its log line and checkpoint are being written
      { line: "epoch 0", delayMs: Math.floor(rng() * 15) },
      { line: "epoch 1", delayMs: 0 },
      { line: `step 2 ${batch()}`, delayMs: Math.floor(rng() * 5) },
      { afterMs: 300 + Math.floor(rng() * 900) },
    ];
    const outcomes: string[] = [];
    let final: Done | undefined;
    for (const kill of plan) {
      const r = await runChild(dir, kill);
      if (!r.killed) {
        // finished before its kill point: nothing was left to interrupt
        ok(r.done, r.stderr);
        final = r.done;
        break;
      }
      outcomes.push(`checkpoint at ${await assertCheckpointWhole(dir)}`);
    }
    if (!final) {
      const r = await runChild(dir);
      ok(r.done, r.stderr);
      final = r.done;
    }
    ok(outcomes.length >= 4, `only ${outcomes.length} kills`);
    equal(final!.weights, full.done!.weights, outcomes.join("; "));
    deepEqual(final!.history, full.done!.history);
    deepEqual(await trainLog(dir), await trainLog(ref));
    equal(await assertCheckpointWhole(dir), 4);
  } finally {
    await Deno.remove(ref, { recursive: true });
    await Deno.remove(dir, { recursive: true });
  }
});
