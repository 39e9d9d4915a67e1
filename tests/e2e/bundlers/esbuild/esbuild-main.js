// The shared app (app.js), with regsight told where build.mjs put its worker and wasm.
import "./app.js";

window.clientOptions = { workers: "/regsight/worker.js" };
window.initOptions = { module_or_path: "/regsight/regsight_bg.wasm" };
