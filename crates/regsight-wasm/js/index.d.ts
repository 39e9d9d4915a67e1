export * from "./regsight.js";
import type { InitInput, InitOutput } from "./regsight.js";
/** Loads the WebAssembly module (and sets up the verification workers in browsers). */
export default function init(options?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<InitOutput>;
