/**
 * The worker side of {@linkcode ModelJobPool}: selects its backend (wasm with
 * the pool's share of the cores as threads, or cpu),
 * holds the evaluation's data, and runs the model jobs it is sent, one at a
 * time, posting epoch and step events and the result (its arrays
 * transferred, not copied).
 *
 * Messages in (after it posts `{ type: "ready" }`):
 * `{ type: "init", train, test, backend, threads }`, then
 * `{ type: "job", id, job, steps }`. Out: `{ type: "epoch" | "step" |
 * "done" | "error", id, ... }`.
 *
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { selectBackend } from "../backend.ts";
import type { Dataset } from "../data/dataset.ts";
import { type ModelJob, runModelJob } from "./model_job.ts";

interface Init {
  type: "init";
  train: Dataset;
  test: Dataset;
  backend: "wasm" | "cpu";
  threads: number;
}

interface Job {
  type: "job";
  id: number;
  job: ModelJob;
  steps: boolean;
}

let data: Init | undefined;
let chain: Promise<void> = Promise.resolve();

async function handle(msg: Init | Job): Promise<void> {
  if (msg.type === "init") {
    data = msg;
    await selectBackend(msg.backend, { wasmThreads: msg.threads });
    return;
  }
  const { id } = msg;
  try {
    if (!data) throw new Error("the worker got a job before its data");
    const result = await runModelJob(msg.job, data.train, data.test, {
      onEpoch: (log) => self.postMessage({ type: "epoch", id, log }),
      onStep: msg.steps
        ? (epoch, step) => self.postMessage({ type: "step", id, epoch, step })
        : undefined,
    });
    const buffers = new Set<ArrayBuffer>();
    for (
      const a of [result.bank?.data, result.query?.data, result.mse?.scores]
    ) {
      if (a && a.buffer instanceof ArrayBuffer) buffers.add(a.buffer);
    }
    self.postMessage({ type: "done", id, result }, [...buffers]);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    self.postMessage({
      type: "error",
      id,
      name: err.name,
      message: err.message,
      stack: err.stack,
    });
  }
}

self.onmessage = (e: MessageEvent<Init | Job>) => {
  chain = chain.then(() => handle(e.data));
};
// messages posted before this module finished loading can be lost (the wasm
// backend's loader listens on the worker scope while it loads): the pool
// sends nothing until this
self.postMessage({ type: "ready" });
