// The page's layer-verifying Web Worker (a module worker started by regsight's worker pool). It
// loads the page's own wasm-bindgen glue (trunk emits it un-hashed, see Trunk.toml), whose `main`
// sees no document and does not mount, then verifies one layer per message.
import initWasm, { workerVerifyLayer } from "./regsight-ui.js";

const ready = initWasm();

self.onmessage = async (event) => {
  const job = event.data;
  try {
    await ready;
    const result = await workerVerifyLayer(job, (progress) => self.postMessage({ type: "progress", progress }));
    self.postMessage({ type: "done", result });
  } catch (e) {
    self.postMessage({ type: "error", error: { code: e?.code ?? "NETWORK", message: String(e?.message ?? e) } });
  }
};
