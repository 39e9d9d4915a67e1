// Shared helpers for the end-to-end tests: the rig description, a page origin, headless Chromium.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join } from "node:path";
import { chromium } from "playwright-core";

/**
 * The running rig (`rig.json`), as named by $REGSIGHT_RIG (set by `cargo xtask test`), with
 * `rig.fixture(name)` to look a fixture up.
 */
export function loadRig() {
  const path = process.env.REGSIGHT_RIG;
  if (!path) {
    throw new Error("REGSIGHT_RIG is not set: run these tests with `cargo xtask test`");
  }
  const rig = JSON.parse(readFileSync(path, "utf8"));
  /** The fixture called `name`; a name rig.json lacks fails the test with that name. */
  rig.fixture = (name) => {
    const found = rig.fixtures.find((f) => f.name === name);
    if (!found) throw new Error(`rig.json has no fixture ${name}`);
    return found;
  };
  return rig;
}

/**
 * Serves `files` (path -> [contentType, body]) on a fresh loopback port, so pages run on an origin
 * of their own: every request to the rig's registries is then cross-origin, as in production.
 */
export async function serve(files) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = files[path];
    if (!file) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": file[0], "Cache-Control": "no-store" }).end(file[1]);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Chromium, headless, with the flags this sandboxed machine needs and `extraArgs`. */
export async function launchChromium(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}

/** Opens a blank page on a fresh origin; returns the page and a function that cleans everything up. */
export async function blankPage() {
  const site = await serve({ "/": ["text/html", "<!doctype html><title>regsight e2e</title>"] });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  return {
    page,
    origin: site.origin,
    close: async () => {
      await browser.close();
      await site.close();
    },
  };
}

/** The manifest Accept value regsight sends (longer than 128 bytes, so it is preflighted). */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Content types of the files the tests serve. */
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

/** Every file under `dir` as path -> [content type, bytes], for `serve`; "/" is index.html. */
export function dirFiles(dir) {
  const files = {};
  const walk = (folder, prefix) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else files[`${prefix}${name}`] = [TYPES[extname(name)] ?? "application/octet-stream", readFileSync(path)];
    }
  };
  walk(dir, "/");
  if (files["/index.html"]) files["/"] = files["/index.html"];
  return files;
}
