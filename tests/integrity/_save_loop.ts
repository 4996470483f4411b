/**
 * Child process of the torn-save test: saves the tiny models "A" and "B"
 * into `Deno.args[0]` alternately, forever, printing "ready" once the
 * first save is done; the test kills it with SIGKILL at a random moment.
 *
 * @module
 */
import { selectBackend } from "../../src/backend.ts";
import { tinyModel } from "./_artifacts.ts";

await selectBackend("wasm", { wasmThreads: 1 });
const dir = Deno.args[0];
const models = [tinyModel(1, "A"), tinyModel(2, "B")];
await models[0].save(dir);
await Deno.stdout.write(new TextEncoder().encode("ready\n"));
for (let i = 1;; i++) await models[i % 2].save(dir);
