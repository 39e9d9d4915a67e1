// The npm package as people embed it: `npm pack` of pkg/, installed like any dependency into a
// fresh Vite app and a fresh webpack 5 app (tests/e2e/bundlers/), built with each bundler's
// defaults, served statically and opened in headless Chromium. A rig image verifies with its
// ground truth's digests and a broken one fails on the right layer, with the layers verified in
// the bundled Web Worker (not the in-process fallback).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dirFiles, launchChromium, loadRig, serve } from "./support/browser.mjs";
import { PKG } from "./support/package.mjs";

const rig = loadRig();
const { fixture } = rig;
const HERE = fileURLToPath(new URL("./bundlers/", import.meta.url));

let work;
let tarball;
let browser;

before(() => {
  work = mkdtempSync(join(tmpdir(), "regsight-bundlers-"));
  const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: fileURLToPath(PKG) });
  tarball = join(work, packed.toString().trim().split("\n").pop());
});

after(async () => {
  await browser?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Copies the app for `bundler`, installs its bundler and the tarball, builds it; returns dist/. */
function build(bundler) {
  const app = join(work, bundler);
  cpSync(join(HERE, bundler), app, { recursive: true });
  cpSync(join(HERE, "app.js"), join(app, "app.js"));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: app, stdio: "inherit" });
  execFileSync("npm", ["run", "--silent", "build"], { cwd: app, stdio: "inherit" });
  const dist = join(app, "dist");
  if (bundler === "webpack") cpSync(join(app, "index.html"), join(dist, "index.html"));
  return dist;
}

for (const bundler of ["vite", "webpack", "esbuild"]) {
  test(`${bundler}: the packed package verifies images in its bundled worker`, async () => {
    const site = await serve(dirFiles(build(bundler)));
    browser ??= await launchChromium();
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 30_000 });
    try {
      const good = fixture("docker-v2");
      const ok = await page.evaluate((r) => window.verify(r), `${rig.open.host}/${good.repositories[0]}:${good.tag}`);
      assert.equal(ok.ok, true, JSON.stringify(ok.layers));
      assert.deepEqual(ok.layers.map((l) => l.computedDigest), good.images[0].layers.map((l) => l.digest));
      assert.equal(ok.layersDoneInWorkers, good.images[0].layers.length, "every layer was verified in a worker");

      const broken = fixture("broken-blob");
      const bad = await page.evaluate((r) => window.verify(r), `${rig.open.host}/${broken.repositories[0]}:${broken.tag}`);
      assert.equal(bad.ok, false);
      bad.layers.forEach((l, i) => assert.equal(l.ok, i !== broken.expect.failingLayer, `layer ${i}: ${l.code}`));
      assert.equal(bad.layers[broken.expect.failingLayer].code, "DIGEST_MISMATCH");
      assert.equal(bad.layers[broken.expect.failingLayer].computedDigest, broken.images[0].layers[broken.expect.failingLayer].digest);
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await site.close();
    }
  });
}

test("node: the installed package verifies by its name, and init() needs no arguments", () => {
  const app = join(work, "node-app");
  cpSync(join(HERE, "node"), app, { recursive: true });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: app, stdio: "inherit" });
  const good = fixture("docker-v2");
  const out = execFileSync("node", ["verify.mjs", `${rig.open.host}/${good.repositories[0]}:${good.tag}`], { cwd: app });
  const result = JSON.parse(out.toString());
  assert.equal(result.ok, true);
  assert.deepEqual(result.layers, good.images[0].layers.map((l) => l.digest));
});

test("types: an example using every call and result field passes tsc --strict", () => {
  const app = join(work, "types");
  cpSync(join(HERE, "types"), app, { recursive: true });
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: app, stdio: "inherit" });
  // Throws (failing the test) with tsc's diagnostics on any type error.
  execFileSync("npx", ["tsc", "-p", "."], { cwd: app, stdio: "inherit" });
});
