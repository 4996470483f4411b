/**
 * Runtime selection of the compute backend: WebGPU on a real GPU, else
 * WASM-SIMD, with `cpu` only as a last resort. All device selection of the
 * toolkit happens here.
 *
 * @module
 */
import { tf } from "./tf.ts";
import { BackendError } from "./errors.ts";
import {
  enableWasmThreads,
  wasmThreadsStatus,
} from "./kernels/wasm_threads.ts";
import { registerWasmKernels } from "./kernels/wasm_kernels.ts";

/** A backend the toolkit can run on. */
export type BackendName = "webgpu" | "wasm" | "cpu";

/** What a caller may ask for: a backend, or `"auto"` to let the toolkit pick. */
export type BackendChoice = "auto" | BackendName;

/** The WebGPU adapter as seen by the runtime. */
export interface WebGpuInfo {
  /** `navigator.gpu` exists and returned an adapter. */
  available: boolean;
  /** Adapter description (e.g. `"llvmpipe (LLVM 15.0.6, 256 bits)"`). */
  description?: string;
  /** Adapter vendor string. */
  vendor?: string;
  /** Adapter architecture string. */
  architecture?: string;
  /** The adapter is a software (fallback) adapter, not a real GPU. */
  isFallback?: boolean;
  /** Why no adapter was found, when `available` is false. */
  error?: string;
}

/** WASM runtime capabilities, read from tfjs's feature flags. */
export interface WasmInfo {
  /** WebAssembly SIMD is supported (and used by tfjs-backend-wasm). */
  simd: boolean;
  /** WebAssembly threads are supported and enabled. */
  threads: boolean;
}

/** The result of {@linkcode selectBackend}. */
export interface BackendReport {
  /** The backend now active in tfjs. */
  backend: BackendName;
  /** What was asked for, after resolving the environment variable. */
  requested: BackendChoice;
  /** Where the request came from. */
  source: "argument" | "env" | "default";
  /** One sentence on why this backend was chosen. */
  reason: string;
  /** WebGPU adapter facts (probed even when not chosen). */
  webgpu: WebGpuInfo;
  /** WASM facts (`simd`/`threads` false when WASM is not the backend). */
  wasm: WasmInfo;
}

/** Options of {@linkcode selectBackend}. */
export interface SelectBackendOptions {
  /**
   * Environment variable consulted when `choice` is omitted.
   * @default {"HSVAE_BACKEND"}
   */
  envVar?: string;
  /**
   * Threads of the `wasm` backend (its threaded-SIMD build when above 1);
   * applied only while no tensor exists, since the backend must restart.
   * The environment variable `HSVAE_WASM_THREADS` overrides the default.
   * @default {navigator.hardwareConcurrency}
   */
  wasmThreads?: number;
}

const CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "wasm", "cpu"];

/**
 * Returns true when `value` is one of `"auto" | "webgpu" | "wasm" | "cpu"`.
 *
 * @param value Any value.
 * @returns Whether it is a {@linkcode BackendChoice}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isBackendChoice } from "@hsvae/hsvae";
 *
 * assert.equal(isBackendChoice("wasm"), true);
 * assert.equal(isBackendChoice("webgl"), false);
 * ```
 */
export function isBackendChoice(value: unknown): value is BackendChoice {
  return typeof value === "string" &&
    (CHOICES as readonly string[]).includes(value);
}

/**
 * Probes the WebGPU adapter without initialising a tfjs backend.
 *
 * @returns Adapter facts; `available: false` with an `error` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { probeWebGpu } from "@hsvae/hsvae";
 *
 * const info = await probeWebGpu();
 * assert.equal(typeof info.available, "boolean");
 * ```
 */
export async function probeWebGpu(): Promise<WebGpuInfo> {
  // deno-lint-ignore no-explicit-any
  const gpu = (globalThis.navigator as any)?.gpu;
  if (!gpu) return { available: false, error: "navigator.gpu is undefined" };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      return { available: false, error: "requestAdapter() returned null" };
    }
    const info = adapter.info ?? {};
    const isFallback = Boolean(
      info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
    );
    return {
      available: true,
      description: String(info.description ?? ""),
      vendor: String(info.vendor ?? ""),
      architecture: String(info.architecture ?? ""),
      isFallback,
    };
  } catch (e) {
    return { available: false, error: (e as Error).message };
  }
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as if unset
  }
}

async function activate(
  name: BackendName,
  wasmThreads: number,
): Promise<void> {
  let ok = false;
  let why = "";
  try {
    if (
      name === "wasm" && wasmThreads !== wasmThreadsStatus().threads &&
      tf.engine().state.numTensors === 0
    ) {
      await enableWasmThreads({ threads: wasmThreads });
    }
    if (name === "webgpu") await loadWebGpuBackend();
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    why = (e as Error).message;
  }
  if (!ok || tf.getBackend() !== name) {
    throw new BackendError(
      `Cannot start backend "${name}": ${
        why || "tfjs could not initialise it"
      }`,
      name,
    );
  }
  if (name === "wasm") registerWasmKernels();
}

/**
 * Registers tfjs-backend-webgpu (imported on first use, so that tfjs never
 * picks WebGPU by its own priority and a machine without a GPU never loads it).
 */
async function loadWebGpuBackend(): Promise<void> {
  if (tf.findBackendFactory("webgpu") === null) {
    await import("@tensorflow/tfjs-backend-webgpu");
  }
}

async function wasmInfo(backend: BackendName): Promise<WasmInfo> {
  if (backend !== "wasm") return { simd: false, threads: false };
  return {
    simd: Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")),
    threads: wasmThreadsStatus().active,
  };
}

/**
 * Resolves and initialises a compute backend, then reports what was chosen
 * and why.
 *
 * Resolution: an explicit `choice` wins; otherwise the `HSVAE_BACKEND`
 * environment variable; otherwise `"auto"`. `"auto"` picks WebGPU only on a
 * real (non-fallback) GPU adapter, else WASM-SIMD, and `cpu` only when WASM
 * cannot start. An explicit backend that cannot start throws.
 *
 * @param choice `"auto" | "webgpu" | "wasm" | "cpu"`.
 * @param options See {@linkcode SelectBackendOptions}.
 * @returns A {@linkcode BackendReport}.
 * @throws {RangeError} When `choice` (or the environment variable) is not a backend name.
 * @throws {BackendError} When an explicitly requested backend cannot start.
 *
 * @example Selecting the WASM-SIMD backend
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectBackend } from "@hsvae/hsvae";
 *
 * const report = await selectBackend("wasm");
 * assert.equal(report.backend, "wasm");
 * assert.equal(report.wasm.simd, true);
 * ```
 */
export async function selectBackend(
  choice?: BackendChoice,
  options: SelectBackendOptions = {},
): Promise<BackendReport> {
  const envVar = options.envVar ?? "HSVAE_BACKEND";
  const threadsEnv = readEnv("HSVAE_WASM_THREADS");
  const wasmThreads = options.wasmThreads ??
    (threadsEnv
      ? Number(threadsEnv)
      : Math.min(8, navigator.hardwareConcurrency || 1));
  let requested: BackendChoice;
  let source: BackendReport["source"];
  if (choice !== undefined) {
    if (!isBackendChoice(choice)) {
      throw new RangeError(
        `Cannot select backend "${choice}": use one of ${CHOICES.join(", ")}`,
      );
    }
    requested = choice;
    source = "argument";
  } else {
    const env = readEnv(envVar);
    if (env !== undefined && env !== "") {
      if (!isBackendChoice(env)) {
        throw new RangeError(
          `Cannot select backend from ${envVar}="${env}": use one of ${
            CHOICES.join(", ")
          }`,
        );
      }
      requested = env;
      source = "env";
    } else {
      requested = "auto";
      source = "default";
    }
  }

  const webgpu = await probeWebGpu();
  let backend: BackendName;
  let reason: string;
  if (requested !== "auto") {
    if (requested === "webgpu" && !webgpu.available) {
      throw new BackendError(
        `Cannot start backend "webgpu": ${webgpu.error}; use --backend wasm`,
        "webgpu",
      );
    }
    await activate(requested, wasmThreads);
    backend = requested;
    reason = `requested explicitly (${source})` +
      (requested === "webgpu" && webgpu.isFallback
        ? "; note: the adapter is a software fallback, expect it to be slow"
        : "");
  } else if (webgpu.available && !webgpu.isFallback) {
    try {
      await activate("webgpu", wasmThreads);
      backend = "webgpu";
      reason = `real GPU adapter found (${webgpu.description})`;
    } catch (e) {
      await activate("wasm", wasmThreads);
      backend = "wasm";
      reason = `WebGPU adapter failed to start (${
        (e as Error).message
      }); WASM-SIMD`;
    }
  } else {
    const why = webgpu.available
      ? `WebGPU adapter "${webgpu.description}" is a software fallback`
      : `no WebGPU adapter (${webgpu.error})`;
    try {
      await activate("wasm", wasmThreads);
      backend = "wasm";
      reason = `${why}; WASM-SIMD`;
    } catch (e) {
      await activate("cpu", wasmThreads);
      backend = "cpu";
      reason = `${why}; WASM failed to start (${(e as Error).message}); cpu`;
    }
  }
  const report: BackendReport = {
    backend,
    requested,
    source,
    reason,
    webgpu,
    wasm: await wasmInfo(backend),
  };
  selected = Promise.resolve(report);
  return report;
}

/** The report of the last {@linkcode selectBackend} (or the default's start). */
let selected: Promise<BackendReport> | null = null;

/**
 * The toolkit's one lazily-initialised default: returns the report of the
 * last {@linkcode selectBackend} call, or, when nothing was selected yet,
 * runs `selectBackend()` once (the `HSVAE_BACKEND` variable, else `"auto"`)
 * and returns its report. Every async toolkit entry point (training,
 * encoding, detectors, evaluation) awaits it, so a script that never selects
 * a backend still gets the documented default, and one that did keeps its
 * choice. Concurrent first calls share one initialisation.
 *
 * @returns The active backend's {@linkcode BackendReport}.
 * @throws {RangeError} When `HSVAE_BACKEND` is not a backend name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ensureBackend, selectBackend } from "@hsvae/hsvae";
 *
 * await selectBackend("cpu");
 * assert.equal((await ensureBackend()).backend, "cpu"); // keeps the choice
 * await selectBackend("wasm");
 * assert.equal((await ensureBackend()).backend, "wasm");
 * ```
 */
export function ensureBackend(): Promise<BackendReport> {
  if (selected === null) {
    const starting = selectBackend();
    selected = starting;
    starting.catch(() => {
      if (selected === starting) selected = null; // let a later call retry
    });
  }
  return selected;
}
