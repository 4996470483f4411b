/** Paths of the data fixtures (written by scripts/make_data_fixtures.ts and tests/fixtures/data/make_npy.py). */
import { fileURLToPath } from "node:url";

/** Absolute path of `tests/fixtures/data/<rel>`. */
export function fixture(rel: string): string {
  return fileURLToPath(new URL(`../fixtures/data/${rel}`, import.meta.url));
}

/** Copies a fixture tree into a fresh temp dir (for tests that damage files). */
export async function copyTree(rel: string): Promise<string> {
  const dst = await Deno.makeTempDir();
  const walk = async (from: string, to: string): Promise<void> => {
    for await (const e of Deno.readDir(from)) {
      if (e.isDirectory) {
        await Deno.mkdir(`${to}/${e.name}`);
        await walk(`${from}/${e.name}`, `${to}/${e.name}`);
      } else await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
    }
  };
  await walk(fixture(rel), dst);
  return dst;
}
