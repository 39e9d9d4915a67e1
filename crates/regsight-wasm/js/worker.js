// A dedicated Web Worker that verifies one layer at a time for the regsight client: it fetches the
// blob itself (with the header the page authorized) and streams it through the verifier, posting
// progress; the page's main thread never hashes or inflates.
import initWasm, { workerVerifyLayer } from "./regsight.js";

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
