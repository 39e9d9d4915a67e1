// The regsight npm package's entry in Node.js (the "node" export condition): the same API, and an
// `init` that reads the package's wasm from disk when given nothing. Node has no Web Workers, so
// verification runs in-process.
import initWasm from "./regsight.js";

export * from "./regsight.js";

/** Loads the WebAssembly module (from this package's folder unless `options` says otherwise). */
export default async function init(options) {
  if (options === undefined) {
    const { readFile } = await import("node:fs/promises");
    options = { module_or_path: await readFile(new URL("./regsight_bg.wasm", import.meta.url)) };
  }
  return initWasm(options);
}
