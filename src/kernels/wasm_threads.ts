/**
 * Multi-threaded WASM under Deno: starts `@tensorflow/tfjs-backend-wasm`'s
 * threaded-SIMD build (XNNPACK on a pthread pool) so convolutions and matrix
 * products use several cores.
 *
 * Out of the box the backend never uses threads under Deno, for three
 * reasons, each worked around here without patching tfjs:
 *
 * 1. Deno counts as Node for tfjs (`IS_NODE`), and the flag
 *    `WASM_HAS_MULTITHREAD_SUPPORT` is hard-wired to `false` on Node
 *    (tfjs issue 3830). We set the flag to `true` before the backend starts.
 * 2. The emscripten glue then spawns its 8 pthread workers with
 *    `new (require("worker_threads").Worker)(blobUrl)`; Deno's
 *    `node:worker_threads` rejects a `blob:` URL (`ERR_WORKER_PATH`). While
 *    the backend starts we swap the global `Worker` for a class that starts a
 *    `node:worker_threads` worker from an inline script: it hides `process`
 *    so the glue's own worker script runs in its web-worker mode, feeds it the
 *    messages of `parentPort`, and evaluates the module source it is sent.
 *    The pool's workers stay unreferenced, so they never keep the process
 *    alive (Node's glue references busy ones, which makes a process with a
 *    thread pool hang at exit).
 * 3. The C++ side caps the pool at `floor(cores / 2)` (it assumes two
 *    hyper-threads per core), read once, on Node, from `os.cpus().length`:
 *    1 thread on a 2-core machine. While the module starts we make
 *    `os.cpus()` report `2 * threads` entries, so the pool gets exactly the
 *    requested size (at most 8, the glue's worker pool).
 *
 * @module
 */
import { tf } from "../tf.ts";
import { BackendError } from "../errors.ts";
import { Worker as NodeWorker } from "node:worker_threads";
import os from "node:os";

/** Options of {@linkcode enableWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * Size of XNNPACK's thread pool, including the calling thread; an integer
   * in [1, 8].
   * @default {navigator.hardwareConcurrency}
   */
  threads?: number;
}

/** The result of {@linkcode enableWasmThreads}. */
export interface WasmThreadsReport {
  /** The threaded-SIMD build is running with more than one thread. */
  active: boolean;
  /** Threads XNNPACK actually uses (the backend's own count). */
  threads: number;
  /** What was asked for, after applying the default. */
  requested: number;
  /** The wasm backend was already running and had to be started again. */
  restarted: boolean;
}

/** The inline script run by each pthread worker (see the module doc, 2.). */
const PTHREAD_BOOT = `"use strict";
const { parentPort, workerData } = require("node:worker_threads");
Object.defineProperty(globalThis, "process", {
  value: undefined, configurable: true, writable: true,
});
globalThis.self = globalThis;
globalThis.postMessage = (m, t) => parentPort.postMessage(m, t);
let moduleSource = "";
globalThis.importScripts = () => { (0, eval)(moduleSource); };
let chain = fetch(workerData.url).then((r) => r.text()).then((s) => {
  (0, eval)(s);
});
parentPort.on("message", (data) => {
  chain = chain.then(async () => {
    if (data && data.cmd === "load" && typeof data.urlOrBlob !== "string") {
      moduleSource = await data.urlOrBlob.text();
    }
    globalThis.onmessage({ data });
  });
});
`;

/** What the glue may construct as a pthread worker while the backend starts. */
class PthreadWorker extends NodeWorker {
  constructor(url: string | URL) {
    super(PTHREAD_BOOT, { eval: true, workerData: { url: String(url) } });
  }
  /**
   * The glue unreferences a worker once it has loaded, and references it
   * again while it runs a thread; pool threads never end, so that would keep
   * the process alive forever. Once loaded, a worker stays unreferenced.
   */
  override ref(): void {}
}

interface WasmModuleView {
  wasm?: {
    tfjs?: { getThreadsCount?: () => number };
    PThread?: unknown;
  };
}

function threadsOfActiveWasm(): number {
  const backend = tf.findBackend("wasm") as unknown as WasmModuleView | null;
  const n = backend?.wasm?.tfjs?.getThreadsCount?.();
  return typeof n === "number" && n > 0 ? n : 1;
}

/**
 * Makes the next `tf.setBackend("wasm")` start a new wasm instance: disposes
 * the running one (terminating its pthread pool, if any) and registers the
 * backend's factory again. Returns whether one was running.
 */
function prepareRestart(action: string): boolean {
  const entry = tf.engine().registryFactory["wasm"];
  if (entry === undefined) {
    throw new BackendError(
      `Cannot ${action}: the "wasm" backend is not registered; import "@tensorflow/tfjs-backend-wasm" first`,
      "wasm",
    );
  }
  if (tf.findBackend("wasm") === null) return false;
  const alive = tf.engine().state.numTensors;
  if (alive > 0) {
    throw new BackendError(
      `Cannot ${action}: "${alive}" tensors are alive and the running wasm backend must restart; dispose them first, or call it before creating tensors`,
      "wasm",
    );
  }
  tf.removeBackend("wasm");
  tf.registerBackend("wasm", entry.factory, entry.priority);
  return true;
}

/**
 * Reports whether the running `wasm` backend is the threaded build and how
 * many threads XNNPACK uses; `{ active: false, threads: 1 }` when the wasm
 * backend is not initialised.
 *
 * @returns `active` (threaded build with more than one thread) and `threads`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wasmThreadsStatus } from "./wasm_threads.ts";
 *
 * const { active, threads } = wasmThreadsStatus();
 * assert.equal(active, threads > 1);
 * ```
 */
export function wasmThreadsStatus(): { active: boolean; threads: number } {
  const backend = tf.findBackend("wasm") as unknown as WasmModuleView | null;
  const threaded = backend?.wasm?.PThread !== undefined;
  const threads = backend ? threadsOfActiveWasm() : 1;
  return { active: threaded && threads > 1, threads };
}

/**
 * Starts tfjs-backend-wasm's threaded-SIMD build under Deno with a pool of
 * `threads` threads and makes `wasm` the active backend.
 *
 * Call it before any tensor exists: when a wasm backend is already running
 * (as after `selectBackend("wasm", { wasmThreads: 1 })`, which starts the
 * single-threaded build) it is disposed and started again, and tensors it
 * held would be lost, so that case throws unless no tensor is alive. A call
 * with the same thread count as the running pool only makes `wasm` active; a
 * different count starts a new pool (the old one is terminated). Our
 * wasm kernels (`src/kernels/wasm_conv.ts`) stay registered: kernels are
 * registered per backend name, not per instance.
 *
 * With `threads: 1` the threaded build is still loaded (useful to compare
 * like with like); results equal the single-threaded build's to float
 * tolerance (XNNPACK splits work differently, not the arithmetic).
 *
 * @param options See {@linkcode WasmThreadsOptions}.
 * @returns A {@linkcode WasmThreadsReport}.
 * @throws {RangeError} When `threads` is not an integer in [1, 8].
 * @throws {BackendError} When tensors are alive while the running wasm
 * backend must restart, or when the threaded build cannot start.
 *
 * @example Two threads
 * ```ts
 * import assert from "node:assert/strict";
 * import { enableWasmThreads } from "./wasm_threads.ts";
 * import { tf } from "@hsvae/hsvae/tf";
 *
 * const report = await enableWasmThreads({ threads: 2 });
 * assert.deepEqual([report.active, report.threads], [true, 2]);
 * assert.equal(tf.getBackend(), "wasm");
 * ```
 */
export async function enableWasmThreads(
  options: WasmThreadsOptions = {},
): Promise<WasmThreadsReport> {
  const requested = options.threads ??
    Math.min(8, Math.max(1, navigator.hardwareConcurrency || 1));
  if (!Number.isInteger(requested) || requested < 1 || requested > 8) {
    throw new RangeError(
      `Cannot enable wasm threads: threads must be an integer in [1, 8], got "${requested}"`,
    );
  }
  const running = tf.findBackend("wasm") as unknown as WasmModuleView | null;
  if (
    running?.wasm?.PThread !== undefined && threadsOfActiveWasm() === requested
  ) {
    await tf.setBackend("wasm");
    return {
      active: requested > 1,
      threads: requested,
      requested,
      restarted: false,
    };
  }
  const restarted = prepareRestart("enable wasm threads");

  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  const globalWorker = Object.getOwnPropertyDescriptor(globalThis, "Worker");
  const cpus = os.cpus;
  let ok = false;
  let why = "";
  try {
    // The glue assigns `globalThis.Worker = worker_threads.Worker`; keep ours.
    Object.defineProperty(globalThis, "Worker", {
      configurable: true,
      get: () => PthreadWorker,
      set: () => {},
    });
    os.cpus = () => {
      const one = cpus()[0];
      return Array.from({ length: 2 * requested }, () => one);
    };
    ok = await tf.setBackend("wasm");
  } catch (e) {
    why = (e as Error).message;
  } finally {
    os.cpus = cpus;
    if (globalWorker) Object.defineProperty(globalThis, "Worker", globalWorker);
  }
  const status = wasmThreadsStatus();
  if (!ok || tf.getBackend() !== "wasm" || status.threads !== requested) {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    throw new BackendError(
      `Cannot enable wasm threads: ${
        why || `the threaded build started with "${status.threads}" threads`
      }; run without enableWasmThreads() to use the single-threaded build`,
      "wasm",
    );
  }
  return {
    active: status.active,
    threads: status.threads,
    requested,
    restarted,
  };
}

/**
 * Goes back to the single-threaded SIMD build of the `wasm` backend (what
 * tfjs picks under Deno by itself) and makes `wasm` the active backend; does
 * nothing but activate it when that build is already running. Like
 * {@linkcode enableWasmThreads}, it restarts the backend, so no tensor may be
 * alive.
 *
 * @returns The state afterwards: `{ active: false, threads: 1 }`.
 * @throws {BackendError} When tensors are alive while the threaded build
 * runs, or when the backend cannot start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { disableWasmThreads, enableWasmThreads } from "./wasm_threads.ts";
 *
 * await enableWasmThreads({ threads: 2 });
 * assert.deepEqual(await disableWasmThreads(), { active: false, threads: 1 });
 * ```
 */
export async function disableWasmThreads(): Promise<
  { active: boolean; threads: number }
> {
  const running = tf.findBackend("wasm") as unknown as WasmModuleView | null;
  if (running !== null && running.wasm?.PThread !== undefined) {
    prepareRestart("disable wasm threads");
  }
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  let ok = false;
  let why = "";
  try {
    ok = await tf.setBackend("wasm");
  } catch (e) {
    why = (e as Error).message;
  }
  if (!ok || tf.getBackend() !== "wasm") {
    throw new BackendError(
      `Cannot disable wasm threads: ${
        why || "tfjs could not start the wasm backend"
      }`,
      "wasm",
    );
  }
  return wasmThreadsStatus();
}
