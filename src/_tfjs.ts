/**
 * The TensorFlow.js API the toolkit is built on: the `@tensorflow/tfjs` union
 * package (core ops, gradients, chained ops, layers, `cpu`) and the `wasm`
 * backend's registration.
 *
 * Why the union and not `tfjs-core` + `tfjs-layers` alone: core registers
 * its gradients and chained ops only through deep imports
 * (`tfjs-core/dist/register_all_gradients`) whose files import each other
 * without extensions, which Deno's npm resolution (Node's ESM rules) rejects
 * (`ERR_MODULE_NOT_FOUND ... dist/gradients/Abs_grad`); only the union's
 * bundle carries them in a loadable form. Its `core-js` postinstall (a
 * donation banner) is denied in `deno.json` (`allowScripts`), so no warning.
 *
 * Importing this module registers backend factories (tfjs packages do that on
 * import) but initialises none: `selectBackend()` in `backend.ts` is the one
 * place a backend is chosen. The WebGPU backend is imported there, on demand.
 *
 * @module
 */
import "@tensorflow/tfjs-backend-wasm";

export * from "@tensorflow/tfjs";
