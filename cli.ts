/**
 * The hsvae command line: `deno task <command>` or `deno run -A cli.ts <command>`.
 *
 * @module
 */
import { selectBackend } from "./mod.ts";

if (import.meta.main) {
  const report = await selectBackend();
  console.log(JSON.stringify(report, null, 2));
}
