/**
 * `hsvae info`: versions, the chosen backend and why.
 *
 * @module
 */
import { selectBackend } from "../backend.ts";
import { TOOLKIT_VERSION } from "../model/vae_model.ts";
import type { CommonOptions } from "./parse.ts";
import { emit } from "./_out.ts";

/** Runs `info`; returns the exit status. */
export async function runInfo(common: CommonOptions): Promise<number> {
  const report = await selectBackend(common.backend);
  const summary = {
    toolkit: TOOLKIT_VERSION,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    ...report,
  };
  const gpu = report.webgpu.available
    ? `${report.webgpu.description} (${
      report.webgpu.isFallback ? "software fallback" : "hardware"
    })`
    : `none (${report.webgpu.error})`;
  emit(
    common.json,
    summary,
    [
      `hsvae ${TOOLKIT_VERSION} on Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
      `backend:  ${report.backend} (${report.reason})`,
      `WASM:     SIMD ${report.wasm.simd ? "yes" : "no"}, threads ${
        report.wasm.threads ? "yes" : "no"
      }`,
      `WebGPU:   ${gpu}`,
    ].join("\n"),
  );
  return 0;
}
