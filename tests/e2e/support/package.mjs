// The packed npm package (`cargo xtask pack` writes it to pkg/), as embedders see it.

import { readFileSync, readdirSync } from "node:fs";

/** The package folder. */
export const PKG = new URL("../../../pkg/", import.meta.url);

/** Every file of the package, for serving it to a page: path -> [content type, bytes]. */
export function packageFiles(prefix = "/pkg/") {
  const types = { ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".ts": "text/plain", ".md": "text/plain" };
  const files = {};
  for (const name of readdirSync(PKG)) {
    const ext = name.slice(name.lastIndexOf("."));
    files[prefix + name] = [types[ext] ?? "application/octet-stream", readFileSync(new URL(name, PKG))];
  }
  return files;
}
