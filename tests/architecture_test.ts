/**
 * Layout rules of the package, checked over the source tree:
 *
 * - (a) a `_`-prefixed file is private to its folder: no file of another
 *   folder imports it;
 * - (b) no import cycle of any length among the source files (type-only
 *   imports count: they still tie the files together);
 * - (c) `@tensorflow/tfjs*` is imported only by the one tfjs import point
 *   and the backend loader;
 * - (d) no filesystem path is computed at module top level
 *   (`fileURLToPath(` or `Deno.cwd()` on an unindented line).
 *
 * The checkers are plain functions over `{ path, source }` records, unit-tested
 * on small in-memory examples first so that a rule that silently stopped
 * matching would be noticed.
 *
 * @module
 */
import { assert, deepEqual, equal } from "./_assert.ts";

/** One source file: its path relative to the repository root, and its text. */
interface SourceFile {
  path: string;
  source: string;
}

/** A static or dynamic import of `file`, as written and as resolved. */
interface ImportEdge {
  from: string;
  specifier: string;
  /** Repository-relative path for a relative specifier, else `undefined`. */
  to?: string;
  /** 1-based line of the statement, for messages. */
  line: number;
}

/** Files allowed to import `@tensorflow/tfjs*`. */
const TFJS_IMPORTERS = new Set([
  "src/_tfjs.ts", // the one tfjs import point (wasm backend side effect)
  "src/tf.ts", // re-exports the namespace and types
  "src/backend.ts", // imports tfjs-backend-webgpu on first use
]);

// `import x from "m"`, `import type { A } from "m"`, `export * from "m"`,
// `export { a as b } from "m"`: at the start of a line (so never inside a
// JSDoc example, whose lines start with ` * `), clause of identifiers,
// braces, commas, `*` and whitespace only (so it cannot run across code).
const STATIC_FROM =
  /^(?:import|export)\s[\w\s{},*$]*?\bfrom\s*["']([^"'\n]+)["']/gm;
// `import "m";` (side effect only).
const STATIC_BARE = /^import\s*["']([^"'\n]+)["']/gm;
// `import("m")` with a string literal, anywhere on a line of code.
const DYNAMIC = /\bimport\(\s*["']([^"'\n]+)["']\s*\)/g;
// A line of a comment: starts with `*`, `//` or `/*` after indentation.
const COMMENT_LINE = /^\s*(?:\*|\/\/|\/\*)/;

function lineAt(source: string, index: number): number {
  let n = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) n++;
  return n;
}

/** Joins `spec` onto the folder of `from` and normalises `.` and `..`. */
function resolve(from: string, spec: string): string | undefined {
  if (!spec.startsWith("./") && !spec.startsWith("../")) return undefined;
  const parts = from.split("/").slice(0, -1);
  for (const p of spec.split("/")) {
    if (p === "." || p === "") continue;
    if (p === "..") parts.pop();
    else parts.push(p);
  }
  return parts.join("/");
}

/**
 * The import and export-from specifiers of `file`, static and dynamic
 * (string literals only), with `import type` included.
 */
function parseImports(file: SourceFile): ImportEdge[] {
  const edges: ImportEdge[] = [];
  const add = (specifier: string, index: number) =>
    edges.push({
      from: file.path,
      specifier,
      to: resolve(file.path, specifier),
      line: lineAt(file.source, index),
    });
  for (const re of [STATIC_FROM, STATIC_BARE]) {
    for (const m of file.source.matchAll(re)) add(m[1], m.index);
  }
  let offset = 0;
  for (const line of file.source.split("\n")) {
    if (!COMMENT_LINE.test(line)) {
      for (const m of line.matchAll(DYNAMIC)) add(m[1], offset + m.index);
    }
    offset += line.length + 1;
  }
  return edges.sort((a, b) => a.line - b.line);
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Rule (a): imports of a `_` file from another folder, as messages. */
function privateImportViolations(edges: ImportEdge[]): string[] {
  return edges.filter((e) =>
    e.to !== undefined && basename(e.to).startsWith("_") &&
    dirname(e.to) !== dirname(e.from)
  ).map((e) =>
    `${e.from}:${e.line} imports "${e.specifier}", private to ${
      dirname(e.to!) || "."
    }/`
  );
}

/** One knot of mutually importing files. */
interface ImportCycle {
  /** Every file of the strongly connected component, sorted. */
  files: string[];
  /** One concrete cycle through its first file, `a -> b -> ... -> a`. */
  path: string[];
}

/**
 * Rule (b): the import cycles among `files`, one per strongly connected
 * component (Tarjan), smallest first.
 */
function importCycles(
  files: string[],
  edges: ImportEdge[],
): ImportCycle[] {
  const known = new Set(files);
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) {
    if (e.to !== undefined && known.has(e.from) && known.has(e.to)) {
      const out = next.get(e.from)!;
      if (!out.includes(e.to)) out.push(e.to);
    }
  }
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || next.get(v)!.includes(v)) components.push(comp);
    }
  };
  for (const f of [...files].sort()) if (!index.has(f)) visit(f);
  // One concrete cycle per component: the shortest path back to its first
  // file (breadth-first inside the component).
  const cycles = components.map((comp): ImportCycle => {
    const sorted = [...comp].sort();
    const inComp = new Set(comp);
    const start = sorted[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of next.get(v)!) {
        if (!inComp.has(w)) continue;
        if (w === start) {
          const path = [start];
          for (let u = v; u !== start; u = prev.get(u)!) path.splice(1, 0, u);
          return { files: sorted, path: [...path, start] };
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return { files: sorted, path: [start, start] };
  });
  return cycles.sort((a, b) =>
    a.files.length - b.files.length || (a.files[0] < b.files[0] ? -1 : 1)
  );
}

/** Rule (c): `@tensorflow/tfjs*` imports outside the allowed files. */
function tfjsImportViolations(
  edges: ImportEdge[],
  allowed: Set<string> = TFJS_IMPORTERS,
): string[] {
  return edges.filter((e) =>
    /^(?:npm:)?@tensorflow\/tfjs/.test(e.specifier) && !allowed.has(e.from)
  ).map((e) =>
    `${e.from}:${e.line} imports "${e.specifier}"; go through src/tf.ts`
  );
}

/**
 * Rule (d): `fileURLToPath(` or `Deno.cwd()` on an unindented line of code
 * (module top level), as messages.
 */
function moduleLevelPathViolations(file: SourceFile): string[] {
  const out: string[] = [];
  file.source.split("\n").forEach((line, i) => {
    if (/^\s/.test(line) || COMMENT_LINE.test(line)) return;
    if (/\bfileURLToPath\(|\bDeno\.cwd\(\)/.test(line)) {
      out.push(`${file.path}:${i + 1}: ${line.trim()}`);
    }
  });
  return out;
}

// ------------------------------------------------------------ the checkers

Deno.test("parseImports() finds static, type, re-export and dynamic imports", () => {
  const file: SourceFile = {
    path: "src/a/b.ts",
    source: [
      "/**",
      " * @example",
      " * ```ts",
      ' * import { x } from "./not_an_import.ts";',
      ' * await import("./nor_this.ts");',
      " * ```",
      " */",
      'import { tf } from "../tf.ts";',
      'import type { Dataset } from "../data/dataset.ts";',
      "import {",
      "  one,",
      "  type Two,",
      '} from "./multi.ts";',
      'export * from "./star.ts";',
      'export { a as b } from "./named.ts";',
      'import "@tensorflow/tfjs-backend-wasm";',
      "export function f(): void {",
      '  // import("./commented.ts")',
      '  const s = "from \\"./in_string.ts\\"";',
      '  void import("./lazy.ts");',
      "}",
    ].join("\n"),
  };
  const edges = parseImports(file);
  deepEqual(edges.map((e) => e.specifier), [
    "../tf.ts",
    "../data/dataset.ts",
    "./multi.ts",
    "./star.ts",
    "./named.ts",
    "@tensorflow/tfjs-backend-wasm",
    "./lazy.ts",
  ]);
  deepEqual(edges.map((e) => e.to), [
    "src/tf.ts",
    "src/data/dataset.ts",
    "src/a/multi.ts",
    "src/a/star.ts",
    "src/a/named.ts",
    undefined,
    "src/a/lazy.ts",
  ]);
  equal(edges[2].line, 10);
});

Deno.test("privateImportViolations() flags a _ file imported from another folder", () => {
  const edges = [
    ...parseImports({
      path: "src/cli/score.ts",
      source: 'import { UsageError } from "./_args.ts";\n',
    }),
    ...parseImports({
      path: "cli.ts",
      source: 'import { UsageError } from "./src/cli/_args.ts";\n',
    }),
    ...parseImports({
      path: "src/detectors/knn.ts",
      source: 'import { rows } from "../data/_bytes.ts";\n',
    }),
  ];
  deepEqual(privateImportViolations(edges), [
    'cli.ts:1 imports "./src/cli/_args.ts", private to src/cli/',
    'src/detectors/knn.ts:1 imports "../data/_bytes.ts", private to src/data/',
  ]);
});

Deno.test("importCycles() reports every cycle with its path", () => {
  const files = ["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "f.ts"];
  const edge = (from: string, to: string): ImportEdge => ({
    from,
    specifier: `./${to}`,
    to,
    line: 1,
  });
  deepEqual(
    importCycles(files, [edge("a.ts", "b.ts"), edge("b.ts", "c.ts")]),
    [],
  );
  deepEqual(
    importCycles(files, [
      edge("a.ts", "b.ts"),
      edge("b.ts", "c.ts"),
      edge("c.ts", "a.ts"), // a -> b -> c -> a
      edge("b.ts", "a.ts"), // and a <-> b, the shortest way back to a
      edge("d.ts", "e.ts"),
      edge("e.ts", "d.ts"), // d <-> e
      edge("f.ts", "f.ts"), // self-import
    ]).map((c) => [c.files, c.path]),
    [
      [["f.ts"], ["f.ts", "f.ts"]],
      [["d.ts", "e.ts"], ["d.ts", "e.ts", "d.ts"]],
      [["a.ts", "b.ts", "c.ts"], ["a.ts", "b.ts", "a.ts"]],
    ],
  );
});

Deno.test("tfjsImportViolations() allows only the tfjs import points", () => {
  const edges = [
    ...parseImports({
      path: "src/_tfjs.ts",
      source: 'export * from "@tensorflow/tfjs";\n',
    }),
    ...parseImports({
      path: "src/model/resnet.ts",
      source: 'import * as tf from "@tensorflow/tfjs";\n',
    }),
    ...parseImports({
      path: "src/kernels/k.ts",
      source: 'import type { Tensor } from "npm:@tensorflow/tfjs-core@4";\n',
    }),
  ];
  deepEqual(tfjsImportViolations(edges), [
    'src/model/resnet.ts:1 imports "@tensorflow/tfjs"; go through src/tf.ts',
    'src/kernels/k.ts:1 imports "npm:@tensorflow/tfjs-core@4"; go through src/tf.ts',
  ]);
});

Deno.test("moduleLevelPathViolations() flags top-level path computation only", () => {
  const source = [
    'import { fileURLToPath } from "node:url";',
    'const DATA = fileURLToPath(new URL("../data", import.meta.url));',
    "export const HERE = Deno.cwd();",
    "// const commented = Deno.cwd();",
    "export function dir(): string {",
    '  return fileURLToPath(new URL(".", import.meta.url)) + Deno.cwd();',
    "}",
  ].join("\n");
  deepEqual(moduleLevelPathViolations({ path: "src/x.ts", source }), [
    'src/x.ts:2: const DATA = fileURLToPath(new URL("../data", import.meta.url));',
    "src/x.ts:3: export const HERE = Deno.cwd();",
  ]);
});

// ------------------------------------------------------------ the package

const ROOT = new URL("../", import.meta.url);
const ENTRY_POINTS = ["mod.ts", "cli.ts", "unstable_kernels.ts"];

async function walkTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(new URL(dir, ROOT))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) out.push(...await walkTs(path));
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

async function packageFiles(): Promise<SourceFile[]> {
  const paths = [...ENTRY_POINTS, ...await walkTs("src")].sort();
  return await Promise.all(paths.map(async (path) => ({
    path,
    source: await Deno.readTextFile(new URL(path, ROOT)),
  })));
}

const files = await packageFiles();
const edges = files.flatMap(parseImports);

Deno.test("package: the walk sees the source tree", () => {
  assert.ok(files.length > 50, `only ${files.length} files found`);
  assert.ok(files.some((f) => f.path === "src/detectors/knn_detector.ts"));
  assert.ok(edges.length > files.length, `only ${edges.length} imports found`);
  for (const e of edges) {
    if (e.to !== undefined) {
      assert.ok(
        files.some((f) => f.path === e.to) || !e.to.endsWith(".ts"),
        `${e.from}:${e.line} imports "${e.specifier}", not found as ${e.to}`,
      );
    }
  }
});

Deno.test("package: no file imports another folder's _ file", () => {
  const bad = privateImportViolations(edges);
  assert.deepEqual(bad, [], `\n${bad.join("\n")}`);
});

/**
 * Cycles that exist today in code other work is reshaping (the training
 * loop, the evaluation and report modules); each entry is the exact file set
 * of its knot, so a knot that grows or a new one still fails. Delete an entry
 * once its cycle is broken.
 */
const KNOWN_CYCLES: string[][] = [];

Deno.test("package: no import cycle among the source files", () => {
  const known = new Set(KNOWN_CYCLES.map((c) => [...c].sort().join(" ")));
  const cycles = importCycles(files.map((f) => f.path), edges)
    .filter((c) => !known.has(c.files.join(" ")));
  assert.deepEqual(
    cycles.map((c) => c.path),
    [],
    `\n${
      cycles.map((c) =>
        `${c.path.join(" -> ")}${
          c.files.length > c.path.length - 1
            ? ` (knot of ${c.files.length}: ${c.files.join(", ")})`
            : ""
        }`
      ).join("\n")
    }`,
  );
});

Deno.test("package: tfjs is imported only through src/tf.ts", () => {
  const bad = tfjsImportViolations(edges);
  assert.deepEqual(bad, [], `\n${bad.join("\n")}`);
});

Deno.test("package: no filesystem path computed at module top level", () => {
  const bad = files.flatMap(moduleLevelPathViolations);
  assert.deepEqual(bad, [], `\n${bad.join("\n")}`);
});
