/**
 * Runs `deno doc --lint mod.ts` and fails on every problem located in this
 * repository. Problems located inside TensorFlow.js's own declaration files
 * (reached through the tfjs types our signatures re-export) are counted and
 * reported but cannot be fixed here, so they do not fail the check.
 *
 *     deno run -A scripts/doc_lint.ts
 */
const root = new URL("..", import.meta.url).pathname;
const out = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", "mod.ts"],
  cwd: root,
  stdout: "piped",
  stderr: "piped",
  env: { NO_COLOR: "1" },
}).output();
const text = new TextDecoder().decode(out.stdout) +
  new TextDecoder().decode(out.stderr);
const blocks = text.split(/\n(?=error\[)/).filter((b) =>
  b.startsWith("error[")
);
const ours = blocks.filter((b) => {
  const loc = b.match(/-->\s+(\S+)/)?.[1] ?? "";
  return loc.startsWith(root) || loc.startsWith("file://" + root);
});
const third = blocks.length - ours.length;
if (ours.length > 0) {
  console.error(ours.join("\n"));
  console.error(`doc lint: ${ours.length} problem(s) in this repository`);
  Deno.exit(1);
}
if (!out.success && blocks.length === 0) {
  console.error(text);
  Deno.exit(1);
}
console.log(
  `doc lint: mod.ts clean (${third} problem(s) inside @tensorflow/tfjs declarations, not ours)`,
);
