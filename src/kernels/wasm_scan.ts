/**
 * A WASM-SIMD threshold scan over tfjs-backend-wasm's own heap, for the
 * k-NN merge (`KnnDetector`): it finds the next 16-float group of a distance
 * block that holds a value below the current k-th best, testing 16 values
 * per loop with 128-bit compares (about 4x the rate of the best TypeScript
 * loop). The module (141 bytes, written out below with its text form)
 * imports the backend's `WebAssembly.Memory`, so blocks are scanned in place.
 *
 * ```wat
 * (module
 *   (import "env" "memory" (memory 0 65536 shared))  ;; or (memory 0)
 *   (func (export "scan") (param $p i32) (param $end i32) (param $t f32)
 *     (result i32) (local $tv v128)
 *     (local.set $tv (f32x4.splat (local.get $t)))
 *     (block $done (loop $top
 *       (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
 *       (br_if $done (v128.any_true (v128.or (v128.or
 *         (f32x4.lt (v128.load offset=0 (local.get $p)) (local.get $tv))
 *         (f32x4.lt (v128.load offset=16 (local.get $p)) (local.get $tv)))
 *         (v128.or
 *         (f32x4.lt (v128.load offset=32 (local.get $p)) (local.get $tv))
 *         (f32x4.lt (v128.load offset=48 (local.get $p)) (local.get $tv))))))
 *       (local.set $p (i32.add (local.get $p) (i32.const 64)))
 *       (br $top)))
 *     (local.get $p)))
 * ```
 *
 * @module
 */
import { tf } from "../tf.ts";
import type { WasmHeapBackend } from "./_wasm_kernel.ts";

/**
 * `scan(start, end, threshold)`: the byte offset of the first 16-float
 * (64-byte) group in `[start, end)` with a value `< threshold`, or `end`
 * when there is none. `end - start` must be a multiple of 64; NaN never
 * counts as below.
 */
export type HeapScan = (
  start: number,
  end: number,
  threshold: number,
) => number;

/** Unsigned LEB128. */
function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

/** The module's bytes, importing a shared or an unshared memory. */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const str = (s: string) => [s.length, ...new TextEncoder().encode(s)];
  const limits = shared ? [0x03, 0x00, ...leb(65536)] : [0x00, 0x00];
  const group = (offset: number) => [
    0x20,
    0x00, // local.get $p
    0xfd,
    0x00,
    0x02,
    offset, // v128.load align=4 offset
    0x20,
    0x03, // local.get $tv
    0xfd,
    0x43, // f32x4.lt
  ];
  const body = [
    0x01,
    0x01,
    0x7b, // one local: v128
    0x20,
    0x02,
    0xfd,
    0x13,
    0x21,
    0x03, // $tv = f32x4.splat($t)
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    0x20,
    0x00,
    0x20,
    0x01,
    0x4f,
    0x0d,
    0x01, // br_if $done ($p >= $end)
    ...group(0x00),
    ...group(0x10),
    0xfd,
    0x50, // v128.or
    ...group(0x20),
    0xfd,
    0x50,
    ...group(0x30),
    0xfd,
    0x50,
    0xfd,
    0x53, // v128.any_true
    0x0d,
    0x01, // br_if $done
    0x20,
    0x00,
    0x41,
    0xc0,
    0x00,
    0x6a,
    0x21,
    0x00, // $p += 64
    0x0c,
    0x00, // br $top
    0x0b,
    0x0b, // end loop, end block
    0x20,
    0x00, // local.get $p
    0x0b, // end
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [0x01, 0x60, 0x03, 0x7f, 0x7f, 0x7d, 0x01, 0x7f]),
    ...section(2, [0x01, ...str("env"), ...str("memory"), 0x02, ...limits]),
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, ...str("scan"), 0x00, 0x00]),
    ...section(10, [0x01, ...leb(body.length), ...body]),
  ]);
}

/** The backend's memory: the threaded build's `wasmMemory`, else the export. */
function backendMemory(): WebAssembly.Memory | null {
  if (tf.getBackend() !== "wasm") return null;
  const w = (tf.backend() as unknown as {
    wasm?: {
      wasmMemory?: WebAssembly.Memory;
      asm?: { memory?: WebAssembly.Memory };
    };
  }).wasm;
  const m = w?.wasmMemory ?? w?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : null;
}

const cache = new WeakMap<WebAssembly.Memory, HeapScan | null>();

/**
 * The SIMD scan bound to the active wasm backend's heap, or `null` when the
 * backend is not wasm or the module cannot be instantiated there (callers
 * then scan in TypeScript).
 *
 * @returns The scan function, or `null`.
 *
 * @example Finding the first group below a threshold in the heap
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { heapScan } from "./wasm_scan.ts";
 *
 * await tf.setBackend("wasm");
 * const scan = heapScan()!;
 * const t = tf.tensor1d(Array.from({ length: 64 }, (_, i) => (i === 40 ? -1 : 5)));
 * const view = (tf.backend() as unknown as {
 *   typedArrayFromHeap(t: tf.Tensor): Float32Array;
 * }).typedArrayFromHeap(t);
 * const start = view.byteOffset;
 * assert.equal(scan(start, start + 256, 0), start + 128); // group 2 holds -1
 * assert.equal(scan(start, start + 256, -2), start + 256); // none below -2
 * t.dispose();
 * ```
 */
export function heapScan(): HeapScan | null {
  const memory = backendMemory();
  if (!memory) return null;
  if (cache.has(memory)) return cache.get(memory)!;
  let scan: HeapScan | null = null;
  try {
    const shared = memory.buffer instanceof SharedArrayBuffer;
    const mod = new WebAssembly.Module(moduleBytes(shared));
    const inst = new WebAssembly.Instance(mod, { env: { memory } });
    scan = inst.exports.scan as HeapScan;
  } catch {
    scan = null; // no SIMD, or a memory the module cannot import
  }
  cache.set(memory, scan);
  return scan;
}

/**
 * A zero-copy reader of tensors on tfjs-backend-wasm: returns a function
 * giving a tensor's float32 values as a view into the backend's heap (no
 * copy), or `null` when the active backend is not wasm. The view is valid
 * until the tensor is disposed or the heap grows.
 *
 * @returns The reader, or `null` off wasm.
 *
 * @example A view of a tensor's values
 * ```ts
 * import assert from "node:assert/strict";
 * import { tf } from "@hsvae/hsvae/tf";
 * import { selectBackend } from "@hsvae/hsvae";
 * import { heapView } from "./wasm_scan.ts";
 *
 * await selectBackend("wasm");
 * const read = heapView()!;
 * const t = tf.tensor1d([1, 2, 3]);
 * assert.deepEqual(Array.from(read(t)), [1, 2, 3]);
 * t.dispose();
 * ```
 */
export function heapView(): ((t: tf.Tensor) => Float32Array) | null {
  if (tf.getBackend() !== "wasm") return null;
  const backend = tf.backend() as unknown as WasmHeapBackend;
  return (t) => backend.typedArrayFromHeap(t);
}
