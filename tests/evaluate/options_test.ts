import { resolve, trainOptionsFor } from "../../src/evaluate/options.ts";
import { deepEqual, equal, throws } from "../_assert.ts";

const FMNIST: [number, number, number] = [28, 28, 1];

Deno.test("resolve() applies the defaults in one place", () => {
  const r = resolve({}, FMNIST);
  deepEqual(r.seeds, [0]);
  equal(r.specs.length, 12);
  deepEqual([r.preset, r.baselinePreset], ["authors", "paper"]);
  deepEqual([r.k, r.nEstimators, r.maxSamples, r.jobs], [3, 100, 256, 1]);
  equal(r.sigmaAngleGain, 2.25e5);
  equal(resolve({}, [32, 32, 3]).sigmaAngleGain, undefined);
  equal(r.output, null);
});

Deno.test("resolve() checks outDir and report", async (t) => {
  await t.step("outDir alone writes no report", () => {
    deepEqual(resolve({ outDir: "o" }, FMNIST).output, {
      dir: "o",
      report: null,
    });
  });
  await t.step("report: { title, svg }", () => {
    deepEqual(
      resolve({ outDir: "o", report: { title: "T", svg: false } }, FMNIST)
        .output,
      { dir: "o", report: { title: "T", svg: false } },
    );
    deepEqual(resolve({ outDir: "o", report: false }, FMNIST).output, {
      dir: "o",
      report: null,
    });
  });
  await t.step("errors name the option", () => {
    throws(() => resolve({ report: { svg: true } }, FMNIST), {
      name: "TypeError",
      message: /"report" needs "outDir"/,
    });
    throws(
      () => resolve({ outDir: 3 as unknown as string }, FMNIST),
      { name: "TypeError", message: /"outDir" must be a folder path, got "3"/ },
    );
    throws(
      () => resolve({ outDir: "o", report: "yes" as unknown as true }, FMNIST),
      { name: "TypeError", message: /"report" must be true, false or/ },
    );
    throws(
      () =>
        resolve({
          outDir: "o",
          report: { title: 1 as unknown as string },
        }, FMNIST),
      { name: "TypeError", message: /"report.title" must be a string/ },
    );
  });
});

Deno.test("trainOptionsFor() gives the baselines and the Comp.VAE models their presets", () => {
  const r = resolve({ preset: "authors", sigmaAngleGain: 7 }, FMNIST);
  const ae = trainOptionsFor("ae", r, 3, true);
  deepEqual([ae.preset, ae.variant, ae.seed, ae.fitBank], [
    "paper",
    "ae",
    3,
    true,
  ]);
  equal(ae.semiSupervised, undefined); // the baselines never use labels
  const radius = trainOptionsFor("radius", r, 3, true);
  deepEqual(
    [radius.variant, radius.radiusOnly, radius.semiSupervised],
    ["compressed", true, true],
  );
  equal(radius.loss?.termGains?.anglesSigma, 7);
  equal(trainOptionsFor("vmf", r, 0, false).variant, "vmf");
  // G_sig is the authors' preset's: not set under paper
  const paper = resolve({ preset: "paper", sigmaAngleGain: 7 }, FMNIST);
  equal(trainOptionsFor("compvae", paper, 0, false).loss?.termGains, undefined);
});
