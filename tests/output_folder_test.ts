import { equal, ok, rejects, throws } from "./_assert.ts";
import { holdOutputFolder } from "./_lock_holder.ts";
import {
  checkOutputPath,
  LOCK_FILE,
  openOutputFolder,
  OutputFolderError,
  outputFolderErrorFrom,
} from "../src/output_folder.ts";

/** A rejection with `OutputFolderError` of `problem` whose message matches. */
function isProblem(problem: string, re: RegExp) {
  return (e: unknown) =>
    e instanceof OutputFolderError && e.problem === problem &&
    re.test(e.message) && !/os error/.test(e.message);
}

Deno.test("checkOutputPath() refuses empty, blank and NUL paths", () => {
  for (
    const [p, re] of [["", /the path is empty/], [" ", /blank/], [
      "a\0b",
      /NUL byte/,
    ]] as const
  ) {
    throws(() => checkOutputPath(p), isProblem("invalid", re));
  }
  equal(checkOutputPath("runs/x//"), "runs/x");
  equal(checkOutputPath("/"), "/");
});

Deno.test("openOutputFolder() refuses unusable paths with a clear message", async (t) => {
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${tmp}/file`, "x");
    await t.step("empty path", async () => {
      await rejects(
        openOutputFolder("", { kind: "train" }),
        isProblem("invalid", /^Cannot write "": the path is empty/),
      );
    });
    await t.step("a file in the way", async () => {
      await rejects(
        openOutputFolder(`${tmp}/file`, { kind: "train" }),
        isProblem(
          "notAFolder",
          /^Cannot write ".*\/file": it is a file, not a folder; remove the file or choose another folder$/,
        ),
      );
    });
    await t.step("a parent is a file", async () => {
      await rejects(
        openOutputFolder(`${tmp}/file/a/b`, { kind: "score" }),
        isProblem(
          "notAFolder",
          /^Cannot write ".*\/file\/a\/b": its parent ".*\/file" is a file, not a folder/,
        ),
      );
    });
    await t.step({
      name: "a read-only parent",
      // root ignores permission bits
      ignore: Deno.build.os === "windows" || Deno.uid() === 0,
      fn: async () => {
        await Deno.mkdir(`${tmp}/ro`, { mode: 0o500 });
        await Deno.chmod(`${tmp}/ro`, 0o500);
        await rejects(
          openOutputFolder(`${tmp}/ro/run`, { kind: "train" }),
          isProblem("io", /^Cannot write ".*ro\/run": permission denied; /),
        );
        await Deno.chmod(`${tmp}/ro`, 0o700);
      },
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("openOutputFolder() locks the folder against another process until it ends, even by SIGKILL", async () => {
  const dir = `${await Deno.makeTempDir()}/run`;
  try {
    await using holder = await holdOutputFolder(dir, { kind: "train" });
    await rejects(
      openOutputFolder(dir, { kind: "train", mode: "resume" }),
      isProblem(
        "locked",
        new RegExp(
          `^Cannot write ".*run": another hsvae train run \\(pid ${holder.pid}, started [^)]+\\) is writing into it \\(lock "\\.hsvae\\.lock"\\); wait for it to finish or choose another folder$`,
        ),
      ),
    );
    await holder.kill();
    // the kernel dropped the lock with the process
    const folder = await openOutputFolder(dir, { kind: "train" });
    ok((await Deno.stat(folder.lockPath)).isFile);
    folder.release();
    folder.release(); // twice is fine
  } finally {
    await Deno.remove(dir.replace(/\/run$/, ""), { recursive: true });
  }
});

Deno.test("openOutputFolder() refuses a previous result unless resume or overwrite, and never removes others' files", async (t) => {
  const tmp = await Deno.makeTempDir();
  const run = `${tmp}/run`;
  const seed = async () => {
    await Deno.mkdir(`${run}/checkpoints`, { recursive: true });
    await Deno.writeTextFile(`${run}/train.jsonl`, '{"epoch":0}\n');
    await Deno.writeTextFile(`${run}/checkpoints/latest.json`, "{}");
  };
  try {
    await seed();
    await t.step("an empty existing folder is fine", async () => {
      await Deno.mkdir(`${tmp}/empty`);
      (await openOutputFolder(`${tmp}/empty`, { kind: "eval" })).release();
      // the lock file left behind does not count as a result
      (await openOutputFolder(`${tmp}/empty`, { kind: "eval" })).release();
    });
    await t.step(
      "mode new refuses, naming the files and the fixes",
      async () => {
        await rejects(
          openOutputFolder(run, {
            kind: "train",
            hints: { overwrite: "--overwrite", resume: "--resume" },
          }),
          isProblem(
            "previousRun",
            /^Cannot write ".*run": it holds a previous train result \("checkpoints", "train.jsonl"\); pass --overwrite to replace it, --resume to continue it, or choose another folder$/,
          ),
        );
      },
    );
    await t.step("mode resume keeps everything", async () => {
      using _f = await openOutputFolder(run, { kind: "train", mode: "resume" });
      equal(await Deno.readTextFile(`${run}/train.jsonl`), '{"epoch":0}\n');
    });
    await t.step("another kind's result is foreign", async () => {
      await rejects(
        openOutputFolder(run, { kind: "score", mode: "overwrite" }),
        isProblem(
          "foreignFiles",
          /it holds files hsvae score does not write \("checkpoints", "train.jsonl"\); nothing was removed/,
        ),
      );
      ok((await Deno.stat(`${run}/train.jsonl`)).isFile);
    });
    await t.step(
      "overwrite refuses a folder with a file hsvae did not write",
      async () => {
        await Deno.writeTextFile(`${run}/notes.txt`, "mine");
        await rejects(
          openOutputFolder(run, { kind: "train", mode: "overwrite" }),
          isProblem("foreignFiles", /\("notes.txt"\); nothing was removed/),
        );
        ok((await Deno.stat(`${run}/train.jsonl`)).isFile);
        await Deno.remove(`${run}/notes.txt`);
      },
    );
    await t.step("overwrite removes the previous result only", async () => {
      const f = await openOutputFolder(run, {
        kind: "train",
        mode: "overwrite",
      });
      const left = [];
      for await (const e of Deno.readDir(run)) left.push(e.name);
      equal(left.join(","), LOCK_FILE);
      f.release();
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("outputFolderErrorFrom() words OS write errors as Cannot write <path>", () => {
  const cases: [Error, RegExp][] = [
    [
      new Deno.errors.AlreadyExists(
        "File exists (os error 17): mkdir '/o/model'",
      ),
      /^Cannot write "\/o\/model": a file or folder of that name is in the way; /,
    ],
    [
      new Deno.errors.NotADirectory(
        "Not a directory (os error 20): writefile '/o/f/x'",
      ),
      /^Cannot write "\/o\/f\/x": a part of the path is a file, not a folder; /,
    ],
    [
      new Deno.errors.PermissionDenied(
        "Permission denied (os error 13): mkdir '/ro/x'",
      ),
      /^Cannot write "\/ro\/x": permission denied; make the folder writable/,
    ],
    [
      Object.assign(
        new Error("No space left on device (os error 28): writefile '/o/a'"),
        { code: "ENOSPC" },
      ),
      /^Cannot write "\/o\/a": no space left on the device; free some disk space/,
    ],
  ];
  for (const [e, re] of cases) {
    const w = outputFolderErrorFrom(e);
    ok(w instanceof OutputFolderError && re.test(w.message), w?.message);
    equal(w!.cause, e);
  }
  // no path in the message: the folder stands in
  const noPath = Object.assign(
    new Error("No space left on device (os error 28)"),
    {
      code: "ENOSPC",
    },
  );
  equal(outputFolderErrorFrom(noPath), null);
  equal(outputFolderErrorFrom(noPath, "/o")?.path, "/o");
  // reads, and opens outside the folder, are not writes
  const read = new Deno.errors.NotFound(
    "No such file or directory (os error 2): open '/data/x.npy'",
  );
  equal(outputFolderErrorFrom(read), null);
  equal(outputFolderErrorFrom(read, "/o"), null);
  equal(outputFolderErrorFrom(read, "/data")?.path, "/data/x.npy");
  equal(outputFolderErrorFrom(new RangeError("Cannot train: bad")), null);
});
