// regsight's layer-verifying Web Worker: loads the wasm, then `workerMain` (Rust, src/worker.rs)
// says "ready" and verifies one layer per message. A load failure is reported, never silent.
import initWasm, { workerMain } from "./regsight.js";

initWasm().then(
  () => workerMain(),
  (e) => self.postMessage({ type: "error", error: { code: "WORKER", message: `could not load its WebAssembly: ${e?.message ?? e}` } }),
);
