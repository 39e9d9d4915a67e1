// A verification never hangs on a Web Worker: a worker script that cannot load, throws on import,
// never says it is ready, or dies in the middle of a layer (either worker of a layer split across
// two) is detected, stopped, and its layer verified in-process, so the call settles in bounded time
// with the right digests. A split layer reports what sha256sum, gzip/zstd and tar say. And
// regsight works inside an embedding app's own Web Worker, with nested workers.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { launchChromium, loadRig, serve } from "./support/browser.mjs";
import { packageFiles } from "./support/package.mjs";

const rig = loadRig();
const fixture = rig.fixture("docker-v2");
const big = rig.fixture("layer-64m");
const referenceTo = (f) => `${rig.open.host}/${f.repositories[0]}:${f.tag}`;
const reference = referenceTo(fixture);

const PAGE = `<!doctype html><meta charset="utf-8"><title>regsight workers</title>
<script type="module">
  import init, { Client } from "./pkg/index.js";
  window.workersStarted = 0;
  window.drained = 0;
  const RealWorker = window.Worker;
  window.Worker = class extends RealWorker {
    constructor(...args) {
      super(...args);
      window.workersStarted += 1;
      // A tar worker says "drained" when its half of a split layer is done.
      this.addEventListener("message", (e) => { if (e.data?.type === "drained") window.drained += 1; });
    }
  };
  window.verifyWith = async (workers, ref, listFiles = false) => {
    await init();
    const started = performance.now();
    window.drained = 0;
    try {
      const result = await new Client({ workers, concurrency: 1 }).verify(ref, { listFiles });
      return {
        ok: result.ok,
        layers: result.layers,
        ms: performance.now() - started,
        workersStarted: window.workersStarted,
        drained: window.drained,
        cores: navigator.hardwareConcurrency,
      };
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
  // The blob worker of a split layer dies after its first progress; a whole layer's worker lives.
  "/blob-dies.js": `
    let role;
    self.addEventListener("message", (e) => { role = e.data?.role; });
    const post = self.postMessage.bind(self);
    self.postMessage = (message) => { post(message); if (message.type === "progress" && role === "blob") self.close(); };
    await import("./pkg/worker.js");`,
  // The tar worker of a split layer dies once it has taken its first batch of bytes.
  "/tar-dies.js": `
    const post = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (...args) { post.apply(this, args); if (args[0]?.credit) self.close(); };
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
  ["a worker script that does not exist (404)", "./missing.js", fixture],
  ["a worker script that throws on import", "./throws.js", fixture],
  ["a worker that never says it is ready", "./silent.js", fixture],
  ["a worker that dies in the middle of a layer", "./dies.js", fixture],
  ["the blob worker of a split layer dying mid-layer", "./blob-dies.js", big],
  ["the tar worker of a split layer dying mid-layer", "./tar-dies.js", big],
];

for (const [name, url, which] of cases) {
  test(`${name}: the layers are verified in-process and the call settles`, async () => {
    const page = await browser.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => window.ready === true);
    const run = await page.evaluate(([u, r]) => window.verifyWith(u, r), [url, referenceTo(which)]);
    assert.equal(run.code, undefined, `${name}: ${run.code} ${run.message}`);
    assert.equal(run.ok, true, JSON.stringify(run.layers?.map((l) => l.error)));
    assert.deepEqual(run.layers.map((l) => l.computedDigest), which.images[0].layers.map((l) => l.digest));
    assert.deepEqual(run.layers.map((l) => l.computedDiffId), which.images[0].layers.map((l) => l.diffId));
    assert.ok(run.workersStarted >= 1, "a worker was tried");
    // A silent worker gets 20 s to start and a busy one 10 s of silence; nothing else should take long.
    assert.ok(run.ms < 40_000, `settled after ${Math.round(run.ms)} ms`);
    await page.close();
  });
}

test("the package's own worker (the default) splits each layer across two workers and keeps using them", async () => {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => window.ready === true);
  const run = await page.evaluate(([r]) => window.verifyWith(undefined, r), [reference]);
  assert.equal(run.ok, true, `${run.code} ${run.message}`);
  assert.ok(run.cores >= 2, `this test needs two cores; Chromium reports ${run.cores}`);
  // One layer at a time (concurrency 1), each on a blob worker and a tar worker: two workers,
  // reused for every layer (none failed, so none was replaced).
  assert.equal(run.drained, fixture.images[0].layers.length, "every layer was split");
  assert.equal(run.workersStarted, 2);
  await page.close();
});

// gzip (one with a GNU tar of long names and whiteouts), zstd, an uncompressed tar, and a 64 MiB
// layer (many batches through the bounded queue): split, each reports the rig's ground truth,
// which sha256sum, gzip -dc / zstd -dc | sha256sum, wc -c and tar -t computed.
for (const name of ["docker-v2", "oci-mixed", "layer-64m"]) {
  test(`split across two workers, ${name} reports what sha256sum, gzip/zstd and tar say`, async () => {
    const which = rig.fixture(name);
    const page = await browser.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => window.ready === true);
    const run = await page.evaluate(([r]) => window.verifyWith(undefined, r, true), [referenceTo(which)]);
    assert.equal(run.ok, true, `${run.code} ${run.message}`);
    const truth = which.images[0].layers;
    assert.equal(run.drained, truth.length, "every layer was split");
    assert.deepEqual(run.layers.map((l) => l.computedDigest), truth.map((l) => l.digest));
    assert.deepEqual(run.layers.map((l) => l.computedDiffId), truth.map((l) => l.diffId));
    assert.deepEqual(run.layers.map((l) => l.bytes), truth.map((l) => l.size));
    assert.deepEqual(run.layers.map((l) => l.uncompressedBytes), truth.map((l) => l.uncompressedSize));
    const normalize = (path) => path.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    assert.deepEqual(
      run.layers.map((l) => l.files.entries.map((e) => normalize(e.path))),
      truth.map((l) => l.files.map(normalize)),
    );
    await page.close();
  });
}

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
