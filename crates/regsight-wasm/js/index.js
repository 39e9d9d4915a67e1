// The regsight npm package's entry: the wasm-bindgen API plus an `init` that also tells the
// client where its Web Worker script is, so verification leaves the main thread by default.
import initWasm, { setWorkerUrl } from "./regsight.js";

export * from "./regsight.js";

/**
 * Loads the WebAssembly module. In a page or worker call `await init()`; in Node.js pass the
 * bytes: `await init({ module_or_path: readFileSync(new URL("regsight_bg.wasm", import.meta.resolve("regsight"))) })`.
 */
export default async function init(options) {
  const exports = await initWasm(options);
  if (typeof Worker === "function") {
    setWorkerUrl(new URL("./worker.js", import.meta.url).href);
  }
  return exports;
}
