import { selectBackend } from "../src/backend.ts";
await selectBackend("wasm", { wasmThreads: 1 });

import { tf } from "../src/tf.ts";
import {
  authorsSigmaAngleGain,
  classSpacing,
  DEFAULT_BASELINE_PRESET,
  DEFAULT_EPOCHS,
  DEFAULT_LATENT_DIM,
  DEFAULT_PRESET,
  DEFAULT_VARIANT,
  isPreset,
  isVariant,
  type LossDefaults,
  type LossPreset,
  PRESET_DEFAULTS,
  PRESETS,
  VARIANT_TRAITS,
  variantNormalisesZ,
  VARIANTS,
} from "../src/presets.ts";
import {
  compressedLoss,
  type CompressedLossOptions,
  lossValues,
} from "../src/loss.ts";
import { authorsBeta, betaSchedule } from "../src/loss/schedules.ts";
import { resolveTrainOptions } from "../src/train.ts";
import { resolveModelConfig } from "../src/model/resnet.ts";
import { parseCommand } from "../src/cli/parse.ts";
import { mulberry32 } from "../src/random.ts";
import { deepEqual, equal, ok, throws } from "./_assert.ts";

// Every loss default of the table is an option of compressedLoss (checked
// by the compiler: this line fails to type-check otherwise).
const LOSS_KEYS_ARE_OPTIONS: [
  Exclude<keyof LossDefaults, keyof CompressedLossOptions>,
] extends [never] ? true : false = true;

/** Keys of an object and, one level down, of its object-valued entries. */
function keyPaths(o: object, prefix = ""): string[] {
  return Object.entries(o).flatMap(([k, v]) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? keyPaths(v, `${prefix}${k}.`)
      : [`${prefix}${k}`]
  ).sort();
}

Deno.test("PRESET_DEFAULTS gives every preset every key, frozen", () => {
  ok(LOSS_KEYS_ARE_OPTIONS);
  deepEqual([...PRESETS].sort(), Object.keys(PRESET_DEFAULTS).sort());
  const [first, ...rest] = PRESETS.map((p) => keyPaths(PRESET_DEFAULTS[p]));
  // the beta rules differ by design (sqrtEpoch vs auto): compare the rest
  const notBeta = (k: string) => !k.startsWith("train.beta.");
  for (const keys of rest) {
    deepEqual(keys.filter(notBeta), first.filter(notBeta));
  }
  for (const p of PRESETS) {
    const d = PRESET_DEFAULTS[p];
    ok(Object.isFrozen(d) && Object.isFrozen(d.train.lrMilestones), p);
    ok(Object.isFrozen(d.loss.gains) && Object.isFrozen(d.train.beta), p);
    for (const v of Object.values(d.loss)) ok(v !== undefined, p);
    for (const v of Object.values(d.train)) ok(v !== undefined, p);
  }
  throws(() => {
    (PRESET_DEFAULTS.paper.train as { batchSize: number }).batchSize = 1;
  }, TypeError);
});

Deno.test("PRESET_DEFAULTS matches the numbers METHOD.md states", async (t) => {
  const n = 128;
  const paper = PRESET_DEFAULTS.paper;
  const authors = PRESET_DEFAULTS.authors;
  await t.step("paper: the priors table and gains of §2", () => {
    // §2 priors table: a_mu,r = sqrt(n), a_sig,r = sqrt(n) sigma0, sigma0 = 0.1,
    // b_sig,r = 0; b_mu,k = 0 (compact island)
    equal(paper.loss.muRadiusTarget(n), Math.sqrt(n));
    equal(paper.loss.sigma0, 0.1);
    equal(paper.loss.sigmaRadiusTarget(n, 0.1), Math.sqrt(n) * 0.1);
    equal(paper.loss.sigmaRadiusStdTarget, 0);
    equal(paper.loss.muAngleStdTarget, "zero");
    // §2 "Gains (preset paper): ... (default 1 each)"
    for (const v of Object.values(paper.loss.gains)) equal(v, 1);
    for (const v of Object.values(paper.loss.termGains)) equal(v, 1);
    // §2 w_k = 1/sqrt(k+1); §2.1 table: biased std, (S - b)^2
    equal(paper.loss.angleWeights, "paper");
    equal(paper.loss.batchStd, "biased");
    equal(paper.loss.stdPenalty, "square");
    // §2.1 table: cosine x_k / sqrt(tail + 1e-12); §1: cos = 1 at a zero tail
    equal(paper.loss.cosineEpsilon, 1e-12);
    equal(paper.loss.zeroTailCosine, 1);
    // §2 semi-supervised: "s (spacing) default 11"
    equal(paper.loss.spacing, 11);
    // §2 variants: vae KL "summed over dims"
    equal(paper.loss.vaeReduce, "sum");
    // §2 beta(t) = beta_max sqrt((t+1)/T)
    deepEqual(paper.train.beta, { kind: "sqrtEpoch", betaMax: 1 });
    equal(paper.train.optimisers, "joint");
  });
  await t.step("authors: the table and terms of §2.1", () => {
    // §2.1 table: sqrt(tail + 1e-3), unbiased sqrt(var + 1e-4), f(S + 1 - b),
    // beta_k = 50 sqrt(n) / sqrt(k)
    equal(authors.loss.cosineEpsilon, 1e-3);
    equal(authors.loss.batchStd, "unbiased");
    equal(authors.loss.stdEpsilon, 1e-4);
    equal(authors.loss.stdPenalty, "log");
    equal(authors.loss.angleWeights, "authors");
    equal(authors.loss.meanWeighting, "authors");
    // §2.1 KL = 1000 Phi_mu + 300 R_mu + G_sig Phi_sig + 500 R_sig, G_sig = 5e5
    deepEqual({ ...authors.loss.termGains }, {
      anglesMu: 1000,
      radiusMu: 300,
      anglesSigma: 5e5,
      radiusSigma: 500,
    });
    // §2.1 Phi_mu / Phi_sig: 0.05 on the mean parts, 1 on the std parts;
    // R_mu / R_sig: 50 on both parts
    deepEqual({ ...authors.loss.gains }, {
      muAngleMean: 0.05,
      muAngleStd: 1,
      sigmaAngleMean: 0.05,
      sigmaAngleStd: 1,
      muRadiusMean: 50,
      muRadiusStd: 50,
      sigmaRadiusMean: 50,
      sigmaRadiusStd: 50,
    });
    // §2.1 Phi_mu: f(S[c_k(mu)] + 1 - u_k) -> the isotropic std target
    equal(authors.loss.muAngleStdTarget, "isotropic");
    // §2.1 R_mu: E[r_mu] - sqrt(n - 0.5); R_sig: f(S / sqrt(0.5)) and
    // E[r_sig] - 0.001 sqrt(n - 0.5)
    equal(authors.loss.muRadiusTarget(n), Math.sqrt(n - 0.5));
    equal(authors.loss.sigmaRadiusStdTarget, Math.sqrt(0.5));
    equal(authors.loss.sigmaRadiusTarget(n, 0.1), 0.001 * Math.sqrt(n - 0.5));
    // §2.1 class roll: rows of class c rolled by -c * 10, Phi_mu per class;
    // R_mu, Phi_sig, R_sig on the whole batch, unrolled
    equal(authors.loss.spacing, 10);
    equal(authors.loss.classStats, "perClass");
    equal(authors.loss.rollSigma, false);
    // §2.1 "the standard vae variant in this preset uses the KL averaged"
    equal(authors.loss.vaeReduce, "mean");
  });
  await t.step("authors: the training of §2.1", () => {
    // "Two Adam optimisers, lr 2e-4 each (halved at epochs 280 and 450),
    // batch 200", the 0.001 factor, squared error summed over pixels
    equal(authors.train.learningRate, 2e-4);
    deepEqual([...authors.train.lrMilestones], [280, 450]);
    equal(authors.train.batchSize, 200);
    equal(authors.train.optimisers, "split");
    equal(authors.train.objectiveScale, 0.001);
    equal(authors.train.reconstruction, "sum");
    // "beta = 1 during epoch 0, then fixed to 2500 rec0 / (KL0 + 1e-3)"
    deepEqual({ ...authors.train.beta }, {
      kind: "auto",
      initialBeta: 1,
      target: 2500,
      klEpsilon: 1e-3,
    });
  });
  await t.step("shared defaults: §2 and §2.1", () => {
    // §2 Architecture: "Latent n default 128"
    equal(DEFAULT_LATENT_DIM, 128);
    // §2.1 "Default: authors"; §2 variants: compressed "(default)"
    equal(DEFAULT_PRESET, "authors");
    equal(DEFAULT_VARIANT, "compressed");
    // §2.1 G_sig: 5e5 CIFAR-10 / SVHN / CelebA / Galaxy Zoo, 2.25e5
    // Fashion-MNIST, 5e4 MNIST
    equal(authorsSigmaAngleGain([28, 28, 1]), 2.25e5);
    equal(authorsSigmaAngleGain([64, 64, 3]), undefined);
    equal(DEFAULT_BASELINE_PRESET, "paper");
  });
});

Deno.test("VARIANT_TRAITS and variantNormalisesZ() follow METHOD.md §2", () => {
  deepEqual([...VARIANTS].sort(), Object.keys(VARIANT_TRAITS).sort());
  // §2: z normalised onto the sphere of radius sqrt(n) for the compressed
  // VAE (and vmf, "everything else unchanged"); vae "no sphere
  // normalisation"; ae "z = mu, no KL term"
  const expected = { compressed: true, vmf: true, vae: false, ae: false };
  for (const v of VARIANTS) {
    equal(variantNormalisesZ(v), expected[v], v);
    equal(VARIANT_TRAITS[v].normalisesZ, expected[v], v);
  }
  equal(VARIANT_TRAITS.ae.samplesNoise, false);
  equal(VARIANT_TRAITS.ae.kl, "none");
  equal(VARIANT_TRAITS.vae.kl, "gaussian");
  // §2 vmf: "a_mu,1 = 1, a_mu,k = 0 for k >= 2"
  equal(VARIANT_TRAITS.vmf.compressUntil, 1);
  equal(VARIANT_TRAITS.compressed.compressUntil, null);
  // not a variant (e.g. a model saved without training metadata)
  equal(variantNormalisesZ("gan" as "vae"), false);
  ok(isVariant("ae") && !isVariant(3) && isPreset("paper") && !isPreset(""));
});

/** The loss options that spell out preset `p`'s defaults at latent size n. */
function explicitLoss(p: LossPreset, n: number): CompressedLossOptions {
  const { muRadiusTarget, sigmaRadiusTarget, gains, termGains, ...rest } =
    PRESET_DEFAULTS[p].loss;
  return {
    ...rest,
    gains: { ...gains },
    termGains: { ...termGains },
    muRadiusTarget: muRadiusTarget(n),
    sigmaRadiusTarget: sigmaRadiusTarget(n, rest.sigma0),
  };
}

Deno.test("compressedLoss() takes every preset default from PRESET_DEFAULTS", async () => {
  // Spelling out preset p's table entries under the other preset must give
  // p's loss bit for bit: the table is all a preset means to the loss.
  const rows = 8;
  const n = 24;
  const rng = mulberry32(7);
  const mu = tf.tensor2d(
    Array.from({ length: rows * n }, () => 4 * rng() - 2),
    [rows, n],
  );
  const sigma = tf.tensor2d(
    Array.from({ length: rows * n }, () => 0.5 * rng() + 0.01),
    [rows, n],
  );
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 2);
  for (const p of PRESETS) {
    const other = PRESETS.find((q) => q !== p)!;
    for (const variant of VARIANTS) {
      for (const extra of [{}, { labels }, { epoch: 150 }]) {
        const a = await lossValues(
          compressedLoss(mu, sigma, { preset: p, variant, ...extra }),
        );
        const b = await lossValues(
          compressedLoss(mu, sigma, {
            ...explicitLoss(p, n),
            preset: other,
            variant,
            ...extra,
          }),
        );
        deepEqual(b, a, `${p} ${variant} ${Object.keys(extra)}`);
      }
    }
  }
  tf.dispose([mu, sigma]);
});

Deno.test("resolveTrainOptions() and resolveModelConfig() read the table", () => {
  for (const p of PRESETS) {
    const d = PRESET_DEFAULTS[p].train;
    const r = resolveTrainOptions({ preset: p });
    equal(r.learningRate, d.learningRate, p);
    equal(r.batchSize, d.batchSize, p);
    deepEqual(r.lrMilestones, [...d.lrMilestones], p);
    equal(r.reconstruction, d.reconstruction, p);
    equal(r.latentDim, DEFAULT_LATENT_DIM, p);
    equal(r.epochs, DEFAULT_EPOCHS, p);
    r.lrMilestones.push(1); // a copy: the table stays as it was
    deepEqual(resolveTrainOptions({ preset: p }).lrMilestones, [
      ...d.lrMilestones,
    ]);
  }
  equal(resolveTrainOptions().preset, DEFAULT_PRESET);
  equal(resolveTrainOptions().variant, DEFAULT_VARIANT);
  equal(resolveModelConfig().latentDim, DEFAULT_LATENT_DIM);
  equal(classSpacing("paper"), PRESET_DEFAULTS.paper.loss.spacing);
  throws(
    () => classSpacing("nope" as LossPreset),
    (e: Error) =>
      e instanceof RangeError &&
      /unknown preset "nope"; use "authors" or "paper"/.test(e.message),
  );
});

Deno.test("betaSchedule() and authorsBeta() default to the presets' beta rules", () => {
  const paper = PRESET_DEFAULTS.paper.train.beta;
  const authors = PRESET_DEFAULTS.authors.train.beta;
  equal(betaSchedule(3, { epochs: 4 }), paper.betaMax);
  equal(
    authorsBeta(2, 3),
    authors.target * 2 / (3 + authors.klEpsilon),
  );
});

Deno.test("parseCommand() help shows the table's defaults", () => {
  for (const command of ["train", "eval"]) {
    const c = parseCommand([command, "--help"]);
    if (c.kind !== "help") throw new Error(`expected help, got ${c.kind}`);
    // each flag's line ends with its default
    const line = (flag: string) =>
      c.text.split("\n").find((l) => l.trimStart().startsWith(`--${flag} `)) ??
        "";
    const per = (f: (p: LossPreset) => string) =>
      PRESETS.map((p) => `${p} ${f(p)}`).join(", ");
    const expected: Record<string, string> = {
      variant: DEFAULT_VARIANT,
      preset: DEFAULT_PRESET,
      latent: String(DEFAULT_LATENT_DIM),
      epochs: String(DEFAULT_EPOCHS),
      "batch-size": per((p) => String(PRESET_DEFAULTS[p].train.batchSize)),
      // written as 2e-4 / 1e-3, the way the docs write them
      lr: per((p) => PRESET_DEFAULTS[p].train.learningRate.toExponential()),
      beta: per((p) => {
        const b = PRESET_DEFAULTS[p].train.beta;
        return b.kind === "auto" ? "auto" : String(b.betaMax);
      }),
    };
    for (const [flag, def] of Object.entries(expected)) {
      ok(line(flag).endsWith(`(default: ${def})`), `${command}: ${line(flag)}`);
    }
    ok(line("variant").includes(VARIANTS.slice(0, -1).join(", ")));
    ok(line("preset").includes(`${PRESETS[0]} or ${PRESETS[1]}`));
  }
});
