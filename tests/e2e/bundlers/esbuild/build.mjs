// esbuild does not follow `new URL("./worker.js", import.meta.url)`: as the package README says,
// copy the worker, its glue and the wasm next to the bundle and tell regsight where they are
// (esbuild-main.js passes `workers` and `module_or_path`).
import { build } from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";

await build({ entryPoints: ["esbuild-main.js"], bundle: true, format: "esm", outfile: "dist/app.js" });
mkdirSync("dist/regsight", { recursive: true });
for (const file of ["worker.js", "regsight.js", "regsight_bg.wasm"]) {
  copyFileSync(`node_modules/regsight/${file}`, `dist/regsight/${file}`);
}
copyFileSync("index.html", "dist/index.html");
