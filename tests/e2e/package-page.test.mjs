// The packed npm package on a plain HTML page (no Leptos): it loads from <script type="module">,
// verifies a multi-layer rig image through Web Workers, and the page's main thread sees no long task
// (> 50 ms) while it runs.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadRig } from "./support/browser.mjs";
import { embedSessionPerFile } from "./support/package.mjs";

const rig = loadRig();

const SCRIPT = `
  // Count the workers the client starts.
  window.workersStarted = 0;
  const RealWorker = window.Worker;
  window.Worker = class extends RealWorker {
    constructor(...args) { super(...args); window.workersStarted += 1; }
  };
  import init, { Client } from "./pkg/index.js";
  window.verifyImage = async (reference) => {
    await init();
    // Watch the verification, not the module's start-up: let the task that ends init finish first.
    await new Promise((resolve) => setTimeout(resolve, 0));
    const longTasks = [];
    const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
    observer.observe({ type: "longtask" });
    const progress = [];
    const result = await new Client().verify(reference, { onProgress: (p) => progress.push(p) });
    await new Promise((r) => setTimeout(r, 100));
    observer.disconnect();
    return { result, longTasks, progressEvents: progress.length, workersStarted: window.workersStarted };
  };
  window.abortThenRetry = async (reference) => {
    await init();
    const client = new Client();
    const controller = new AbortController();
    let code = "resolved";
    try {
      await client.verify(reference, { signal: controller.signal, onProgress: () => controller.abort() });
    } catch (e) {
      code = e.code;
    }
    const again = await client.verify(reference);
    return { code, againOk: again.ok, workersStarted: window.workersStarted };
  };
  window.ready = true;
`;

const session = embedSessionPerFile(SCRIPT);

for (const name of ["docker-v2", "layer-64m"]) {
  test(`${name} verifies through workers with no long task on the main thread`, async () => {
    const fixture = rig.fixture(name);
    const page = await session.open();
    const reference = `${rig.open.host}/${fixture.repositories[0]}:${fixture.tag}`;
    const run = await page.evaluate((ref) => window.verifyImage(ref), reference);
    assert.deepEqual(page.errors, []);
    assert.equal(run.result.ok, true, run.result.problems.join("; "));
    const truth = fixture.images[0];
    assert.equal(run.result.manifestDigest, truth.manifest.digest);
    assert.deepEqual(run.result.layers.map((l) => l.computedDiffId), truth.layers.map((l) => l.diffId));
    assert.ok(run.workersStarted >= 1, "verification ran in Web Workers");
    assert.ok(run.progressEvents >= truth.layers.length, `progress events: ${run.progressEvents}`);
    assert.deepEqual(run.longTasks, [], "long tasks on the main thread (ms)");
    await page.close();
  });
}

test("aborting stops the workers, and the client still works afterwards", async () => {
  const page = await session.open();
  const run = await page.evaluate((ref) => window.abortThenRetry(ref), `${rig.open.host}/public/layer-64m:v1`);
  assert.equal(run.code, "ABORTED");
  assert.equal(run.againOk, true);
  // The aborted job's worker was terminated, so the retry needed a new one.
  assert.ok(run.workersStarted >= 2, `workers started: ${run.workersStarted}`);
  await page.close();
});
