/**
 * Pins `trainVAE` bit for bit: the cases of `scripts/make_train_pin.ts`,
 * trained again, must reproduce `tests/fixtures/train/pinned_losses.json`
 * exactly (every logged loss component of every epoch as float64, the
 * model's training record, SHA-256 of the final weights and of the latent
 * bank). No tolerance: the fixture was written by the code before the
 * training loop was refactored, and the refactor must not change one bit.
 * Regenerate it (`deno run -A scripts/make_train_pin.ts`) only for a change
 * meant to alter training results, and say so in the commit.
 */
import { deepEqual, equal } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";
import {
  PIN_CASES,
  PIN_FIXTURE,
  type PinnedResult,
  runPinCase,
} from "../../scripts/make_train_pin.ts";

await selectBackend("wasm", { wasmThreads: 1 });

const root = new URL("../../", import.meta.url);
const fixture: Record<string, PinnedResult> = JSON.parse(
  await Deno.readTextFile(new URL(PIN_FIXTURE, root)),
);

/** The result as the fixture stores it (JSON numbers are float64). */
function asStored(r: PinnedResult): PinnedResult {
  return JSON.parse(JSON.stringify(r));
}

Deno.test("trainVAE() reproduces the pinned losses and weights bit for bit", async (t) => {
  deepEqual(Object.keys(fixture), PIN_CASES.map((c) => c.name));
  for (const c of PIN_CASES) {
    await t.step(c.name, async () => {
      deepEqual(asStored(await runPinCase(c)), fixture[c.name]);
    });
  }
});

Deno.test("trainVAE() resumed mid-epoch and after an epoch reproduces the pinned results", async (t) => {
  for (const name of ["compressed-authors", "vmf-authors-fixed-beta"]) {
    const c = PIN_CASES.find((p) => p.name === name)!;
    await t.step(`${name}, cut at epoch 1 batch 0`, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const ac = new AbortController();
        await runPinCase(c, {
          outDir: dir,
          signal: ac.signal,
          onStep: (epoch, step) => {
            if (epoch === 1 && step === 0) ac.abort();
          },
        });
        const rest = await runPinCase(c, { outDir: dir, resume: true });
        deepEqual(asStored(rest), fixture[name]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
    await t.step(`${name}, stopped after epoch 0`, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const first = await runPinCase(c, {
          outDir: dir,
          epochs: 1,
        });
        equal(first.history.length, 1);
        const rest = await runPinCase(c, { outDir: dir, resume: true });
        deepEqual(asStored(rest), fixture[name]);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});
