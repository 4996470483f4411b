import { tf } from "../../src/tf.ts";
import {
  loadLayersModel,
  MODEL_JSON,
  saveLayersModel,
  WEIGHTS_BIN,
  writeFileAtomic,
} from "../../src/model/io.ts";
import { deepEqual, equal, ok } from "../_assert.ts";
import { selectBackend } from "../../src/backend.ts";

await selectBackend("wasm", { wasmThreads: 1 });

Deno.test("saveLayersModel() writes tfjs's layers format and loads back exactly", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_io_test_" });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 4 }),
    ],
  });
  await saveLayersModel(model, `${dir}/nested/m`);
  const json = JSON.parse(
    await Deno.readTextFile(`${dir}/nested/m/${MODEL_JSON}`),
  );
  deepEqual(json.weightsManifest[0].paths, [`./${WEIGHTS_BIN}`]);
  equal(json.weightsManifest[0].weights.length, 4);
  // 4 bytes per float32 parameter: 3*3*2*3 + 3 + 27*4 + 4
  equal((await Deno.stat(`${dir}/nested/m/${WEIGHTS_BIN}`)).size, 4 * 169);
  const back = await loadLayersModel(`${dir}/nested/m`);
  const x = tf.ones([2, 5, 5, 2]);
  const a = model.predict(x) as tf.Tensor;
  const b = back.predict(x) as tf.Tensor;
  deepEqual(await b.data(), await a.data());
  tf.dispose([x, a, b]);
  model.dispose();
  back.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic() replaces a file and leaves no temporary file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "hsvae_io_test_" });
  await writeFileAtomic(`${dir}/f.bin`, new Uint8Array([1, 2, 3]));
  await writeFileAtomic(`${dir}/f.bin`, "ab");
  deepEqual(await Deno.readFile(`${dir}/f.bin`), new Uint8Array([97, 98]));
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  deepEqual(names, ["f.bin"]);
  let threw = false;
  try {
    await writeFileAtomic(`${dir}/missing/f.bin`, "x");
  } catch (e) {
    threw = e instanceof Deno.errors.NotFound;
  }
  ok(threw);
  await Deno.remove(dir, { recursive: true });
});
