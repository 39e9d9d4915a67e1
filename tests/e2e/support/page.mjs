// The page under test: dist/ (built by trunk, with the npm package's worker copied in by
// `cargo xtask`) served on an origin of its own, and one headless Chromium per test file.

import { before, after } from "node:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dirFiles, serve, launchChromium } from "./browser.mjs";

/** The built page. */
export const DIST = fileURLToPath(new URL("../../../dist/", import.meta.url));

/** Every file under dist/, for `serve`. */
export function distFiles() {
  if (!existsSync(join(DIST, "index.html"))) {
    throw new Error(`${DIST}index.html is missing: run \`cargo xtask test\` (or \`cargo xtask demo\`) first`);
  }
  return dirFiles(DIST);
}

/**
 * Registers the test file's `before`/`after`: serves dist/ and launches Chromium, handing both to
 * `ready(site, browser)`; closes both at the end.
 */
export function servePage(ready) {
  let site;
  let browser;
  before(async () => {
    site = await serve(distFiles());
    browser = await launchChromium();
    ready(site, browser);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });
}
