import { assert, deepEqual, equal, rejects } from "../_assert.ts";
import { DataFormatError } from "../../src/errors.ts";
import { LimitError, LIMITS } from "../../src/limits.ts";
import { openBounded, readFileBounded } from "../../src/data/_read_bounded.ts";

function notRegular(path: string, kind: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof DataFormatError, String(e));
    equal(
      e.message,
      `Cannot read "${path}": it is ${kind}, not a regular file; copy the data into a file first`,
    );
    equal(e.file, path);
    return true;
  };
}

Deno.test("readFileBounded() refuses what is not a regular file, before opening it", async (t) => {
  await t.step("/dev/zero, which never ends", async () => {
    await rejects(
      readFileBounded("/dev/zero"),
      notRegular("/dev/zero", "a character device"),
    );
    await rejects(
      openBounded("/dev/zero"),
      notRegular("/dev/zero", "a character device"),
    );
  });
  await t.step("a FIFO, whose open would block", async () => {
    const dir = await Deno.makeTempDir();
    const fifo = `${dir}/pipe`;
    try {
      const made = await new Deno.Command("mkfifo", { args: [fifo] }).output()
        .then((o) => o.success, () => false);
      if (!made) return console.log("skipped: no mkfifo");
      await rejects(
        readFileBounded(fifo),
        notRegular(fifo, "a FIFO (named pipe)"),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
  await t.step("a folder", async () => {
    const dir = await Deno.makeTempDir();
    await rejects(readFileBounded(dir), notRegular(dir, "a folder"));
    await Deno.remove(dir);
  });
});

Deno.test("readFileBounded() checks the size against LIMITS before reading", async () => {
  // A sparse file just past maxArrayBytes: no disk blocks, nothing read.
  const path = await Deno.makeTempFile();
  try {
    await Deno.truncate(path, LIMITS.maxArrayBytes + 1);
    await rejects(
      readFileBounded(path),
      (e: unknown) =>
        e instanceof LimitError && e.limit === "maxArrayBytes" &&
        e.requested === LIMITS.maxArrayBytes + 1 && e.message.includes(path),
    );
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("openBounded() reads exactly the ranges asked for", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, Uint8Array.from({ length: 100 }, (_, i) => i));
  try {
    using file = await openBounded(path);
    equal(file.size, 100);
    deepEqual(Array.from(await file.read(98, 2)), [98, 99]);
    deepEqual(Array.from(await file.read(3, 2)), [3, 4]);
    equal((await file.read(100, 0)).length, 0);
    await rejects(
      file.read(90, 20),
      (e: unknown) =>
        e instanceof DataFormatError && e.offset === 90 &&
        e.message ===
          `Cannot read "${path}": it needs bytes 90..110 but the file has 100 bytes (truncated?)`,
    );
    await rejects(file.read(-1, 2), DataFormatError);
  } finally {
    await Deno.remove(path);
  }
});
