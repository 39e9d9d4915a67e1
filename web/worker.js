// The page's layer-verifying Web Worker: the package's worker (crates/regsight-wasm/js/worker.js)
// over the page's own glue (trunk emits it un-hashed, see Trunk.toml), whose `main` sees no
// document and does not mount.
import initWasm, { workerMain } from "./regsight-ui.js";

initWasm().then(
  () => workerMain(),
  (e) => self.postMessage({ type: "error", error: { code: "WORKER", message: `could not load its WebAssembly: ${e?.message ?? e}` } }),
);
