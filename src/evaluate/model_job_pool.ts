/**
 * Runs evaluation model jobs several at once, each in its own worker on the
 * wasm (or cpu) backend with its share of the cores as threads (one thread
 * each when there are at least as many jobs as cores). On a 2-core machine two one-thread
 * trainings run at 96-97 images/s each, about 1.3-1.8x the throughput of one
 * training on the two-thread wasm backend (106-145 images/s, measured), so
 * an evaluation's independent trainings (models x seeds) finish sooner.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { EpochLog } from "../train.ts";
import type { ModelJob, ModelJobHooks, ModelJobResult } from "./model_job.ts";

/**
 * The dataset with its images in a `SharedArrayBuffer` (copied once), so
 * posting it to several workers shares the pixels instead of cloning them.
 */
function shareImages(ds: Dataset): Dataset {
  if (ds.images.buffer instanceof SharedArrayBuffer) return ds;
  const images = new Float32Array(
    new SharedArrayBuffer(ds.images.byteLength),
  );
  images.set(ds.images);
  return { ...ds, images };
}

/** Callbacks of one pooled job. */
export interface PooledJobHooks extends ModelJobHooks {
  /** When a worker starts the job. */
  onStart?: () => void;
}

interface Pending {
  id: number;
  job: ModelJob;
  hooks: PooledJobHooks;
  resolve: (r: ModelJobResult) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  busy: Pending | null;
}

type Message =
  | { type: "ready"; id?: undefined }
  | { type: "epoch"; id: number; log: EpochLog }
  | { type: "step"; id: number; epoch: number; step: number }
  | { type: "done"; id: number; result: ModelJobResult }
  | {
    type: "error";
    id: number;
    name: string;
    message: string;
    stack?: string;
  };

/**
 * A fixed set of workers that run {@linkcode ModelJob}s on the same data,
 * first come first served. Results and errors come back as promises;
 * `close` (or `using`) terminates the workers.
 *
 * @example Two untrained-encoder jobs on two workers
 * ```ts
 * import assert from "node:assert/strict";
 * import { ModelJobPool } from "./model_job_pool.ts";
 *
 * const data = { images: new Float32Array(4 * 8 * 8).map((_, i) => (i % 5) / 5), shape: [4, 8, 8, 1] as [number, number, number, number] };
 * using pool = new ModelJobPool(2, data, data, "wasm");
 * const job = (seed: number) => ({
 *   model: "random" as const, seed, trainOptions: {}, inputShape: [8, 8, 1] as [number, number, number],
 *   latentDim: 4, widths: [2, 4], latent: true, mse: false,
 * });
 * const [a, b] = await Promise.all([pool.run(job(0)), pool.run(job(1))]);
 * assert.equal(a.query?.rows, 4);
 * assert.notDeepEqual(a.query?.data, b.query?.data); // different seeds
 * ```
 */
export class ModelJobPool implements Disposable {
  /** Number of workers. */
  readonly size: number;
  /** wasm threads per worker: `max(1, floor(cores / size))`. */
  readonly threads: number;
  #slots: Slot[] = [];
  #queue: Pending[] = [];
  #nextId = 0;
  #closed = false;
  #init: unknown;

  /**
   * Starts `size` workers and sends each the data.
   *
   * @param size Number of workers (jobs at once).
   * @param train Training images, copied once into shared memory that all
   *   workers read.
   * @param test Test images, likewise.
   * @param backend The workers' backend, with one thread each.
   * @throws {RangeError} When `size` is not a positive integer.
   */
  constructor(
    size: number,
    train: Dataset,
    test: Dataset,
    backend: "wasm" | "cpu",
  ) {
    if (!(Number.isInteger(size) && size >= 1)) {
      throw new RangeError(
        `Cannot start a job pool: "size" must be a positive integer, got "${size}"`,
      );
    }
    this.size = size;
    // the cores shared out: one thread each when jobs >= cores
    const threads = Math.max(
      1,
      Math.floor((navigator.hardwareConcurrency ?? 1) / size),
    );
    this.threads = threads;
    // one shared copy of the images for all workers instead of one each
    const shared = { train: shareImages(train), test: shareImages(test) };
    for (let i = 0; i < size; i++) {
      const worker = new Worker(
        new URL("./model_job_worker.ts", import.meta.url).href,
        { type: "module" },
      );
      const slot: Slot = { worker, ready: false, busy: null };
      worker.onmessage = (e: MessageEvent<Message>) =>
        this.#onMessage(slot, e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#fail(
          slot,
          new Error(`an evaluation worker crashed: ${e.message}`),
        );
      };
      this.#init = {
        type: "init",
        train: shared.train,
        test: shared.test,
        backend,
        threads,
      };
      this.#slots.push(slot);
    }
  }

  /**
   * Queues one job.
   *
   * @param job The model job.
   * @param hooks Start, epoch and step callbacks (called on this thread).
   * @returns The job's result.
   * @throws {Error} When the job fails in its worker (the worker's message),
   *   or the pool is closed.
   */
  run(job: ModelJob, hooks: PooledJobHooks = {}): Promise<ModelJobResult> {
    if (this.#closed) {
      return Promise.reject(
        new Error("Cannot run a model job: the pool is closed"),
      );
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, job, hooks, resolve, reject });
      this.#dispatch();
    });
  }

  /**
   * Terminates the workers; queued and running jobs reject.
   *
   * @returns Nothing.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const err = new Error("Cannot finish a model job: the pool was closed");
    for (const p of this.#queue.splice(0)) p.reject(err);
    for (const s of this.#slots) {
      s.busy?.reject(err);
      s.busy = null;
      s.worker.terminate();
    }
  }

  /**
   * Same as {@linkcode ModelJobPool.close}, for `using`.
   *
   * @returns Nothing.
   */
  [Symbol.dispose](): void {
    this.close();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.busy || this.#queue.length === 0) continue;
      const p = this.#queue.shift()!;
      slot.busy = p;
      p.hooks.onStart?.();
      slot.worker.postMessage({
        type: "job",
        id: p.id,
        job: p.job,
        steps: p.hooks.onStep !== undefined,
      });
    }
  }

  #onMessage(slot: Slot, msg: Message): void {
    if (msg.type === "ready") {
      slot.worker.postMessage(this.#init);
      slot.ready = true;
      this.#dispatch();
      return;
    }
    const p = slot.busy;
    if (!p || p.id !== msg.id) return;
    if (msg.type === "epoch") p.hooks.onEpoch?.(msg.log);
    else if (msg.type === "step") p.hooks.onStep?.(msg.epoch, msg.step);
    else {
      slot.busy = null;
      if (msg.type === "done") p.resolve(msg.result);
      else {
        const err = msg.name === "RangeError"
          ? new RangeError(msg.message)
          : msg.name === "TypeError"
          ? new TypeError(msg.message)
          : new Error(msg.message);
        err.name = msg.name;
        if (msg.stack) err.stack = msg.stack;
        p.reject(err);
      }
      this.#dispatch();
    }
  }

  #fail(slot: Slot, err: Error): void {
    slot.busy?.reject(err);
    slot.busy = null;
    // a crashed worker cannot take more jobs: fail the rest too
    this.close();
  }
}
