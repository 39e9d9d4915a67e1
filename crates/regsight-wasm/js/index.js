// The regsight npm package's entry: the wasm-bindgen API plus an `init` that also tells the
// client how to start its Web Workers, so verification leaves the main thread by default.
import initWasm, { setWorkerFactory } from "./regsight.js";

export * from "./regsight.js";

/**
 * Loads the WebAssembly module. In a page or worker call `await init()`; in Node.js pass the
 * bytes: `await init({ module_or_path: readFileSync(new URL("regsight_bg.wasm", import.meta.resolve("regsight"))) })`.
 */
export default async function init(options) {
  const exports = await initWasm(options);
  if (typeof Worker === "function") {
    // Written exactly so: Vite, webpack 5 and Parcel recognize `new Worker(new URL(..., import.meta.url))`
    // and bundle the worker script together with the glue and wasm it imports.
    setWorkerFactory(() => new Worker(new URL("./worker.js", import.meta.url), { type: "module" }));
  }
  return exports;
}
