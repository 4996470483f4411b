import assert from "node:assert/strict";

/** Content types a JSR-like file server gives the files the package reads. */
const TYPES: Record<string, string> = {
  ts: "application/typescript; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  gz: "application/gzip",
};

/** Serves the checkout read-only on 127.0.0.1 (a random port). */
function serveCheckout(root: URL): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (req) => {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path.includes("..")) return new Response("bad path", { status: 400 });
      try {
        const body = await Deno.readFile(new URL(`.${path}`, root));
        const ext = path.split(".").pop() ?? "";
        return new Response(body, {
          headers: { "content-type": TYPES[ext] ?? "application/octet-stream" },
        });
      } catch {
        return new Response("not found", { status: 404 });
      }
    },
  );
}

Deno.test("mod.ts and cli.ts imported by http:// URL: bundled data, k-NN, AUROC and the CLI run", async () => {
  const root = new URL("../", import.meta.url);
  const server = serveCheckout(root);
  const base = `http://127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir({ prefix: "hsvae-url-" });
  try {
    // The user's own import map: only the npm packages the toolkit names.
    const { imports } = JSON.parse(
      await Deno.readTextFile(new URL("deno.json", root)),
    );
    await Deno.writeTextFile(
      `${dir}/deno.json`,
      JSON.stringify({ imports }),
    );
    await Deno.writeTextFile(
      `${dir}/main.ts`,
      `import { auroc, KnnDetector, loadBundled, oneClass } from "${base}/mod.ts";
const p = oneClass(await loadBundled(), 1, { trainLimit: 200, testLimit: 300 });
const f = (d: { images: Float32Array; shape: number[] }) =>
  ({ data: d.images, rows: d.shape[0], cols: d.images.length / d.shape[0] });
const knn = await new KnnDetector({ k: 5 }).fit(f(p.train));
const a = auroc(await knn.score(f(p.test)), p.testIsAnomaly);
console.log(JSON.stringify({ train: p.train.shape[0], test: p.test.shape[0], auroc: a }));
knn.dispose();
`,
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-lock",
        "--config",
        `${dir}/deno.json`,
        "main.ts",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim());
    assert.equal(r.train, 200);
    assert.equal(r.test, 300);
    // pixel k-NN on Trouser vs the rest is far above chance on this data
    assert.ok(r.auroc > 0.8, `AUROC ${r.auroc}`);

    // The no-clone CLI path (`deno run -A jsr:@hsvae/hsvae/cli ...`).
    const cli = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-lock",
        "--config",
        `${dir}/deno.json`,
        `${base}/cli.ts`,
        "info",
        "--json",
        "--backend",
        "wasm",
      ],
      cwd: dir,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const cliErr = new TextDecoder().decode(cli.stderr);
    assert.equal(cli.code, 0, cliErr);
    const info = JSON.parse(new TextDecoder().decode(cli.stdout));
    assert.equal(info.backend, "wasm", JSON.stringify(info));
    assert.equal(
      info.toolkit,
      JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).version,
    );
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
