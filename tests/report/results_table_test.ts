import {
  formatResultsTable,
  type MethodResult,
  RESULTS_COLUMNS,
  TIMING_COLUMNS,
} from "../../src/report/results_table.ts";
import { equal, ok, throws } from "../_assert.ts";

const METHODS: MethodResult[] = [
  {
    name: "Comp.VAE + kNN",
    auroc: 0.8954305,
    fpr95: 0.2323,
    fpr95Id: 0.7618,
    auprIn: 0.9,
    auprOut: 0.88,
  },
  {
    name: "VAE <raw> | kNN",
    auroc: 0.7,
    fpr95: 0.6,
    fpr95Id: 0.65,
    seeds: {
      mean: { auroc: 0.71, fpr95: 0.61 },
      std: { auroc: 0.012, fpr95: 0.03 },
    },
  },
];

Deno.test("formatResultsTable() names both FPR95 conventions in Markdown", () => {
  const md = formatResultsTable(METHODS, { format: "markdown" });
  const lines = md.split("\n");
  equal(
    lines[0],
    "| Method | AUROC ↑ | FPR95 (OOD positive) ↓ | FPR95 (ID positive) ↓ | AUPR-In (ID positive) ↑ | AUPR-Out (OOD positive) ↑ |",
  );
  equal(lines[1], "| --- | ---: | ---: | ---: | ---: | ---: |");
  equal(
    lines[2],
    "| Comp.VAE + kNN | 0.8954 | 0.2323 | 0.7618 | 0.9000 | 0.8800 |",
  );
  // seeds: mean ± std where both are given, the single value otherwise; "–" when absent
  equal(
    lines[3],
    "| VAE <raw> \\| kNN | 0.7100 ± 0.0120 | 0.6100 ± 0.0300 | 0.6500 | – | – |",
  );
  ok(md.includes("`fpr95`, the paper's own convention"));
  ok(md.includes("`fpr95Id`, the ODIN / KNN / CIDER convention"));
  ok(md.includes("mean ± standard deviation over seeds"));
});

Deno.test("formatResultsTable() writes escaped HTML with the same headers", () => {
  const html = formatResultsTable(METHODS, { digits: 2 });
  for (const c of RESULTS_COLUMNS) ok(html.includes(`<th>${c.header}</th>`));
  ok(html.includes('<th scope="row">VAE &lt;raw&gt; | kNN</th>'));
  ok(html.includes("<td>0.90</td><td>0.23</td><td>0.76</td>"));
  ok(html.includes("<code>fpr95Id</code>"));
  equal(html.match(/<tr>/g)?.length, 3);
});

Deno.test("formatResultsTable() omits the seeds note without seeds", () => {
  const md = formatResultsTable([METHODS[0]], { format: "markdown" });
  ok(!md.includes("over seeds"));
});

Deno.test("formatResultsTable() rejects bad options", () => {
  throws(() => formatResultsTable([]), {
    name: "RangeError",
    message: /"methods" is empty/,
  });
  throws(() => formatResultsTable(METHODS, { digits: 1.5 }), {
    name: "RangeError",
    message: /"digits" must be an integer in \[0, 12\], got "1.5"/,
  });
});

Deno.test("formatResultsTable() shows n/a for non-finite values and honours column digits", () => {
  const md = formatResultsTable([{
    name: "diverged",
    auroc: NaN,
    fpr95: Infinity,
    fpr95Id: 0.5,
    trainSeconds: 12.3456,
    seeds: { mean: { auprIn: NaN }, std: { auprIn: 0 } },
  }], {
    format: "markdown",
    digits: 3,
    columns: [...RESULTS_COLUMNS, ...TIMING_COLUMNS],
  });
  equal(
    md.split("\n")[2],
    "| diverged | n/a | n/a | 0.500 | n/a | – | 12.35 | – | – |",
  );
});

Deno.test("formatResultsTable() compact style: short headers, no notes", async (t) => {
  const options = {
    columns: [...RESULTS_COLUMNS, ...TIMING_COLUMNS],
    headers: "short",
    notes: false,
  } as const;
  await t.step("markdown", () => {
    const md = formatResultsTable(METHODS, { ...options, format: "markdown" });
    const lines = md.split("\n");
    equal(
      lines[0],
      "| Method | AUROC | FPR95 (OOD positive) | FPR95 (ID positive) | AUPR-In | AUPR-Out | Train s | Fit s | Score s |",
    );
    equal(lines.length, 5); // header, rule, two rows, the final newline
    equal(lines[4], "");
  });
  await t.step("html", () => {
    const html = formatResultsTable(METHODS, options);
    ok(html.includes("<th>Train s</th>"));
    ok(!html.includes("<ul"));
  });
});
