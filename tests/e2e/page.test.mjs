// The page itself (dist/, built by trunk) against the rig: deep link, verification with per-layer
// rows in Web Workers, a broken image, and the tags of a repository with hundreds of them.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadRig } from "./support/browser.mjs";
import { servePage } from "./support/page.mjs";

const rig = loadRig();
const { fixture } = rig;
let site;
let browser;

servePage((s, b) => {
  site = s;
  browser = b;
});

/** Opens the page on `query`, collecting page errors and the workers it starts. */
async function open(query) {
  const page = await browser.newPage();
  const errors = [];
  const workers = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("worker", (w) => workers.push(w.url()));
  await page.goto(`${site.origin}/?${query}`);
  return { page, errors, workers };
}

const verdict = (page) => page.getByTestId("verdict");

async function waitForVerdict(page, pattern) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('[data-testid="verdict"]')?.textContent ?? ""),
    pattern.source,
    { timeout: 60_000 },
  );
}

test("a deep link verifies docker-v2 in Web Workers: every layer ok, the manifest digest is the fixture's", async () => {
  const f = fixture("docker-v2");
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, errors, workers } = await open(`image=${encodeURIComponent(ref)}&verify=1`);
  await waitForVerdict(page, /verified|failed/);
  const text = await verdict(page).textContent();
  const problems = await page.locator('[data-testid="problems"], [data-testid="error"]').allTextContents();
  assert.match(text, /verified/, `verdict: ${text}; ${problems.join(" | ")}`);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.manifest.digest);
  const statuses = await page.getByTestId("layer-row").evaluateAll((rows) => rows.map((r) => r.dataset.status));
  assert.equal(statuses.length, f.images[0].layers.length);
  assert.deepEqual(statuses, statuses.map(() => "ok"));
  assert.equal(await page.getByTestId("reference").inputValue(), ref);
  assert.ok(workers.some((url) => url.endsWith("/worker.js")), `layers ran in the page's worker (workers: ${workers})`);
  assert.deepEqual(errors, []);
  await page.screenshot({ path: "/tmp/regsight-page.png", fullPage: true });
  await page.close();
});

test("broken-blob ends failed, with layer 1 a mismatch showing expected and computed digests", async () => {
  const f = fixture("broken-blob");
  const ref = `${rig.open.host}/public/broken-blob:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&verify=1`);
  await waitForVerdict(page, /verified|failed/);
  assert.match(await verdict(page).textContent(), /failed/);
  const rows = page.getByTestId("layer-row");
  assert.equal(await rows.nth(1).getAttribute("data-status"), "mismatch");
  assert.equal(await rows.nth(0).getAttribute("data-status"), "ok");
  const row = await rows.nth(1).textContent();
  assert.ok(row.includes(f.images[0].layers[1].claimedDigest), "shows the expected digest");
  assert.ok(row.includes(f.images[0].layers[1].digest), "shows the computed digest");
  assert.ok((await page.getByTestId("problems").textContent()).length > 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the tags of many-tags can all be found in the (virtualized) list, and clicking one loads it", async () => {
  const f = fixture("many-tags");
  const repo = `${rig.open.host}/public/many-tags`;
  const { page, errors } = await open(`image=${encodeURIComponent(`${repo}:${f.tag}`)}`);
  assert.ok(f.tags.length >= 300, `${f.tags.length} tags in rig.json`);
  await page
    .getByTestId("tag-count")
    .filter({ hasText: new RegExp(`\\b${f.tags.length} tags$`) })
    .waitFor({ timeout: 60_000 });
  // Only the rows in view are in the DOM; the filter finds every tag.
  const tags = page.getByTestId("tag");
  const rendered = await tags.count();
  assert.ok(rendered > 0 && rendered < f.tags.length, `${rendered} of ${f.tags.length} tags rendered`);
  const filter = page.getByTestId("tag-filter");
  const exactly = (tag) => new RegExp(`^${tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  for (const tag of f.tags) {
    await filter.fill(tag);
    await tags.filter({ hasText: exactly(tag) }).waitFor({ timeout: 5_000 });
  }
  const other = f.tags.find((t) => t !== f.tag);
  await filter.fill(other);
  await tags.filter({ hasText: exactly(other) }).click();
  assert.equal(await page.getByTestId("reference").inputValue(), `${repo}:${other}`);
  await page.getByTestId("manifest-digest").waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test("an unreachable registry is an error that names NETWORK and explains CORS", async () => {
  const { page } = await open(`image=${encodeURIComponent("127.0.0.1:9/public/none:v1")}&verify=1`);
  const error = page.getByTestId("error");
  await error.waitFor({ timeout: 30_000 });
  const text = await error.textContent();
  assert.match(text, /NETWORK/);
  assert.match(text, /CORS/);
  assert.match(await verdict(page).textContent(), /failed/);
  await page.close();
});

test("mirror= serves docker.io references and platform= picks from an index", async () => {
  const f = fixture("docker-v2");
  const mirrored = await open(`image=${encodeURIComponent(`public/docker-v2:${f.tag}`)}&mirror=${encodeURIComponent(rig.open.url)}&verify=1`);
  await waitForVerdict(mirrored.page, /verified|failed/);
  assert.match(await verdict(mirrored.page).textContent(), /verified/);
  assert.equal((await mirrored.page.getByTestId("manifest-digest").textContent()).trim(), f.manifest.digest);
  // A tag through a mirror proves only what the mirror served: the page says so, names it, and
  // offers the pinned reference that would check it independently of the mirror.
  const trust = mirrored.page.getByTestId("trust");
  assert.equal(await trust.getAttribute("data-pinned"), "false");
  assert.ok((await trust.textContent()).includes(rig.open.url), await trust.textContent());
  assert.ok((await verdict(mirrored.page).textContent()).includes(rig.open.url), "the verdict names the origin");
  assert.equal(
    await mirrored.page.getByTestId("pinned-reference").inputValue(),
    `docker.io/public/docker-v2:${f.tag}@${f.manifest.digest}`,
  );
  await mirrored.page.close();

  const multi = fixture("multiarch");
  const arm = multi.images.find((i) => i.platform === "linux/arm64/v8");
  const ref = `${rig.open.host}/public/multiarch:${multi.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&platform=linux/arm64/v8&verify=1`);
  await waitForVerdict(page, /verified|failed/);
  assert.match(await verdict(page).textContent(), /verified/);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), arm.manifest.digest);
  assert.ok((await page.textContent("body")).includes(multi.manifest.digest), "shows the index digest");
  assert.deepEqual(errors, []);
  await page.close();
});

test("Cancel aborts a verification, and Verify then starts over", async () => {
  const f = fixture("layer-64m");
  const ref = `${rig.open.host}/public/layer-64m:${f.tag}`;
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Hold the manifest so the run is still under way when Cancel is pressed.
  let held = 0;
  await page.route("**/v2/public/layer-64m/manifests/**", async (route) => {
    held += 1;
    await new Promise((r) => setTimeout(r, 3000));
    await route.continue().catch(() => {});
  });
  await page.goto(`${site.origin}/?image=${encodeURIComponent(ref)}&verify=1`);
  await waitForVerdict(page, /verifying/);
  await page.waitForFunction(() => !document.querySelector('[data-testid="cancel"]').disabled);
  await page.getByTestId("cancel").click();
  await waitForVerdict(page, /cancelled/);
  assert.ok(held >= 1);
  assert.equal(await page.getByTestId("error").count(), 0, "a cancel is not an error");
  await page.unroute("**/v2/public/layer-64m/manifests/**");
  await page.getByTestId("verify").click();
  await waitForVerdict(page, /verified|failed/);
  assert.match(await verdict(page).textContent(), /verified/);
  assert.equal(await page.getByTestId("layer-row").getAttribute("data-status"), "ok");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a pinned deep link with id= says the verdict rests on the pin, and checks the image ID", async () => {
  const f = fixture("docker-v2");
  const ref = `${rig.open.host}/public/docker-v2@${f.manifest.claimedDigest}`;
  const shortId = f.images[0].config.digest.slice("sha256:".length, "sha256:".length + 12);
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&id=${shortId}&verify=1`);
  await waitForVerdict(page, /verified|failed/);
  assert.match(await verdict(page).textContent(), /verified against the digest you pinned/);
  const trust = page.getByTestId("trust");
  assert.equal(await trust.getAttribute("data-pinned"), "true");
  assert.ok((await trust.textContent()).includes(rig.open.url), await trust.textContent());
  assert.equal(await page.getByTestId("pinned-reference").count(), 0, "nothing more to pin");
  assert.equal(await page.getByTestId("image-id-match").getAttribute("data-match"), "true");
  assert.equal(await page.getByTestId("image-id").inputValue(), shortId);
  await page.screenshot({ path: "/tmp/regsight-pinned.png", fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();

  // Another image's ID fails the verdict, though every digest of the chain holds.
  const other = fixture("oci-gzip").images[0].config.digest.slice(7, 19);
  const wrong = await open(`image=${encodeURIComponent(ref)}&id=${other}&verify=1`);
  await waitForVerdict(wrong.page, /verified|failed/);
  assert.match(await verdict(wrong.page).textContent(), /failed/);
  assert.equal(await wrong.page.getByTestId("image-id-match").getAttribute("data-match"), "false");
  await wrong.page.close();
});

test("corrupt-blob: the tampered layer shows its computed digest and the gzip error behind it", async () => {
  const f = fixture("corrupt-blob");
  const ref = `${rig.open.host}/public/corrupt-blob:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&verify=1`);
  await waitForVerdict(page, /verified|failed/);
  assert.match(await verdict(page).textContent(), /failed/);
  const row = page.getByTestId("layer-row").nth(f.expect.failingLayer);
  assert.equal(await row.getAttribute("data-status"), "mismatch");
  const text = await row.textContent();
  assert.ok(text.includes(f.images[0].layers[f.expect.failingLayer].digest), "shows the computed digest");
  assert.ok(text.includes("CORRUPT_STREAM"), text);
  assert.deepEqual(errors, []);
  await page.close();
});
