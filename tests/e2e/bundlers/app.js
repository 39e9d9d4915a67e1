// The app both bundler fixtures build: it imports regsight like any dependency and exposes a
// verify function to the test. It counts the layers that Web Workers finished, so the test can
// tell verification in workers from the in-process fallback.
import init, { Client } from "regsight";

window.layersDoneInWorkers = 0;
const RealWorker = window.Worker;
window.Worker = class extends RealWorker {
  constructor(...args) {
    super(...args);
    this.addEventListener("message", (event) => {
      if (event.data?.type === "done") window.layersDoneInWorkers += 1;
    });
  }
};

// Apps whose bundler cannot follow the package's worker and wasm URLs set these (see esbuild/).
window.verify = async (reference) => {
  await init(window.initOptions);
  const result = await new Client(window.clientOptions).verify(reference);
  return {
    ok: result.ok,
    layers: result.layers.map((l) => ({ ok: l.ok, computedDigest: l.computedDigest, code: l.error?.code ?? null })),
    layersDoneInWorkers: window.layersDoneInWorkers,
  };
};
window.ready = true;
