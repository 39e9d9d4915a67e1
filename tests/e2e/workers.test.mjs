// A verification never hangs on a Web Worker: a worker script that cannot load, throws on import,
// never says it is ready, or dies in the middle of a layer is detected, stopped, and its layer
// verified in-process, so the call settles in bounded time with the right digests. And regsight
// works inside an embedding app's own Web Worker, with nested workers.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchChromium, loadRig, serve } from "./support/browser.mjs";
import { packageFiles } from "./support/package.mjs";

const rig = loadRig();
const fixture = rig.fixtures.find((f) => f.name === "docker-v2");
const reference = `${rig.open.host}/${fixture.repositories[0]}:${fixture.tag}`;

const PAGE = `<!doctype html><meta charset="utf-8"><title>regsight workers</title>
<script type="module">
  import init, { Client } from "./pkg/index.js";
  window.workersStarted = 0;
  const RealWorker = window.Worker;
  window.Worker = class extends RealWorker {
    constructor(...args) { super(...args); window.workersStarted += 1; }
  };
  window.verifyWith = async (workers, ref) => {
    await init();
    const started = performance.now();
    try {
      const result = await new Client({ workers, concurrency: 1 }).verify(ref);
      return { ok: result.ok, layers: result.layers, ms: performance.now() - started, workersStarted: window.workersStarted };
    } catch (e) {
      return { code: e.code, message: e.message, ms: performance.now() - started };
    }
  };
  window.ready = true;
</script>`;

// Worker scripts: broken ones, each failing a different way, and an app worker that embeds regsight.
const EXTRA = {
  "/throws.js": `throw new Error("this worker throws while it loads");`,
  "/silent.js": `// never says ready, never answers`,
  // Not broken: an embedding app's own Web Worker that uses regsight inside it.
  "/app-worker.js": `
    import init, { Client } from "./pkg/index.js";
    let layersDoneInWorkers = 0;
    const RealWorker = self.Worker;
    if (typeof RealWorker === "function") {
      self.Worker = class extends RealWorker {
        constructor(...args) {
          super(...args);
          this.addEventListener("message", (e) => { if (e.data?.type === "done") layersDoneInWorkers += 1; });
        }
      };
    }
    self.onmessage = async (event) => {
      await init();
      const result = await new Client().verify(event.data);
      self.postMessage({
        ok: result.ok,
        layers: result.layers.map((l) => l.computedDigest),
        layersDoneInWorkers,
        nested: typeof RealWorker === "function",
      });
    };`,
  "/dies.js": `
    const post = self.postMessage.bind(self);
    self.postMessage = (message) => { post(message); if (message.type === "progress") self.close(); };
    await import("./pkg/worker.js");`,
};

let site;
let browser;
before(async () => {
  const files = { "/": ["text/html", PAGE], ...packageFiles() };
  for (const [path, body] of Object.entries(EXTRA)) files[path] = ["text/javascript", body];
  site = await serve(files);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

const cases = [
  ["a worker script that does not exist (404)", "./missing.js"],
  ["a worker script that throws on import", "./throws.js"],
  ["a worker that never says it is ready", "./silent.js"],
  ["a worker that dies in the middle of a layer", "./dies.js"],
];

for (const [name, url] of cases) {
  test(`${name}: the layers are verified in-process and the call settles`, async () => {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => window.ready === true);
    const run = await page.evaluate(([u, r]) => window.verifyWith(u, r), [url, reference]);
    assert.equal(run.code, undefined, `${name}: ${run.code} ${run.message}`);
    assert.equal(run.ok, true, JSON.stringify(run.layers?.map((l) => l.error)));
    assert.deepEqual(run.layers.map((l) => l.computedDigest), fixture.images[0].layers.map((l) => l.digest));
    assert.deepEqual(run.layers.map((l) => l.computedDiffId), fixture.images[0].layers.map((l) => l.diffId));
    assert.ok(run.workersStarted >= 1, "a worker was tried");
    // A silent worker gets 20 s to start; nothing else should take long.
    assert.ok(run.ms < 40_000, `settled after ${Math.round(run.ms)} ms`);
    await page.close();
  });
}

test("the package's own worker (the default) verifies in workers and keeps using them", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => window.ready === true);
  const run = await page.evaluate(([r]) => window.verifyWith(undefined, r), [reference]);
  assert.equal(run.ok, true, `${run.code} ${run.message}`);
  // One worker, reused for every layer: none failed, so none was replaced.
  assert.equal(run.workersStarted, 1);
  await page.close();
});

test("inside an embedding app's own Web Worker, regsight verifies its layers in nested workers", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => window.ready === true);
  const run = await page.evaluate(
    (ref) =>
      new Promise((resolve, reject) => {
        const worker = new Worker("./app-worker.js", { type: "module" });
        worker.onmessage = (event) => resolve(event.data);
        worker.onerror = (event) => reject(new Error(event.message || "the app's worker failed"));
        worker.postMessage(ref);
      }),
    reference,
  );
  assert.equal(run.ok, true);
  assert.deepEqual(run.layers, fixture.images[0].layers.map((l) => l.digest));
  // Chromium has nested dedicated workers, so the layers must have been verified in them.
  assert.equal(run.nested, true);
  assert.equal(run.layersDoneInWorkers, fixture.images[0].layers.length, "nested workers did the layers");
  await page.close();
});
