// The packed npm package (`cargo xtask pack` writes it to pkg/), as embedders see it.

import { readFileSync, readdirSync } from "node:fs";
import { after, before } from "node:test";

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

/**
 * A plain HTML page (no framework) that runs `script` as a module next to the package (importable as
 * `./pkg/index.js`), served on its own origin, and a headless Chromium to open it. `open()` returns
 * a page on which the script has run (it must set `window.ready = true`) and whose uncaught errors
 * are collected in `page.errors`.
 */
export async function embedSession(script) {
  const { launchChromium, serve } = await import("./browser.mjs");
  const html = `<!doctype html><meta charset="utf-8"><title>regsight embed</title>\n<script type="module">${script}</script>`;
  const site = await serve({ "/": ["text/html", html], ...packageFiles() });
  const browser = await launchChromium();
  return {
    async open() {
      const page = await browser.newPage();
      page.errors = [];
      page.on("pageerror", (e) => page.errors.push(String(e)));
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => window.ready === true);
      return page;
    },
    async close() {
      await browser.close();
      await site.close();
    },
  };
}

/**
 * An `embedSession(script)` for the whole test file: started before its first test and closed
 * after its last (node:test hooks), so each file needs one line.
 */
export function embedSessionPerFile(script) {
  let session;
  before(async () => {
    session = await embedSession(script);
  });
  after(async () => {
    await session?.close();
  });
  return { open: () => session.open() };
}
