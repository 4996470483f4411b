import { rejects } from "../_assert.ts";
import { UsageError } from "../../src/cli/usage_error.ts";
import { FORMATS, loadData } from "../../src/cli/_data.ts";
import { fixture } from "../data/_fixtures.ts";

Deno.test("loadData() words data source problems as --data usage errors", async (t) => {
  const usage = (message: string) => (e: unknown) =>
    e instanceof UsageError && e.message === message;
  await t.step("no such path", async () => {
    await rejects(
      () => loadData("/no/such/path"),
      usage('Cannot use --data "/no/such/path": no such file or folder'),
    );
  });
  await t.step("a file of no known format", async () => {
    const csv = fixture("flat/labels.csv");
    await rejects(
      () => loadData(csv),
      usage(
        `Cannot detect the format of --data "${csv}": name it with --format (${
          FORMATS.join(", ")
        })`,
      ),
    );
  });
  await t.step("an IDX folder without training images", async () => {
    const dir = fixture("idx");
    await rejects(
      () => loadData(dir, "idx"),
      usage(
        `Cannot use --data "${dir}": no train-images-idx3-ubyte(.gz) in it`,
      ),
    );
  });
  await t.step("other errors pass through", async () => {
    await rejects(
      () => loadData(fixture("npy/bad_str.npy")),
      (e: unknown) => !(e instanceof UsageError),
    );
  });
});
