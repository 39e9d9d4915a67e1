// The page's inspection panels (dist/, built by trunk) against the rig: the documents exactly as
// served with their digests linked, the config as a person reads it, the chain picture that turns
// green or red as verification finds, and the whole image's progress. Expected values come from
// rig.json and the files the rig's tools wrote, never from the page's code.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadRig } from "./support/browser.mjs";
import { servePage } from "./support/page.mjs";

const rig = loadRig();
const { fixture } = rig;
/** The fixture's repository on the open registry, and its tagged reference. */
const repository = (f) => `${rig.open.host}/${f.repositories[0]}`;
const reference = (f) => `${repository(f)}:${f.tag}`;
const text = (path) => readFileSync(path, "utf8");
let site;
let browser;

servePage((s, b) => {
  site = s;
  browser = b;
});

/** Opens the page on `query` (in `context` if given), collecting page errors. */
async function open(query, context = browser) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site.origin}/?${query}`);
  return { page, errors };
}

/** Inspects fixture `f` by its tag and waits for its manifest and config. */
async function inspect(f, context) {
  const opened = await open(`image=${encodeURIComponent(reference(f))}`, context);
  await opened.page.getByTestId("raw-manifest").waitFor({ state: "attached", timeout: 30_000 });
  await opened.page.getByTestId("raw-config").waitFor({ state: "attached", timeout: 30_000 });
  return opened;
}

async function waitForVerdict(page) {
  await page.waitForFunction(
    () => /verified|failed|unverifiable/.test(document.querySelector('[data-testid="verdict"]')?.textContent ?? ""),
    null,
    { timeout: 120_000 },
  );
}

/** Verifies fixture `f` from a deep link and waits for the verdict. */
async function verify(f) {
  const opened = await open(`image=${encodeURIComponent(reference(f))}&verify=1`);
  await waitForVerdict(opened.page);
  return opened;
}

/** digest -> href of every link inside the element with test id `testid`. */
async function links(page, testid) {
  const pairs = await page
    .getByTestId(testid)
    .locator("a")
    .evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute("href")]));
  return new Map(pairs);
}

/** `{kind, status}` of every chain node, in document order. */
async function chainNodes(page) {
  return page
    .locator('svg[data-testid="chain"] [data-testid="chain-node"]')
    .evaluateAll((nodes) => nodes.map((n) => ({ kind: n.dataset.kind, status: n.dataset.status, title: n.textContent })));
}

test("docker-v2's manifest and config are shown exactly as served, each digest linked to its layer row or the config", async () => {
  const f = fixture("docker-v2");
  const image = f.images[0];
  assert.equal(image.layers.length, 3);
  const { page, errors } = await inspect(f);
  assert.equal(await page.getByTestId("raw-manifest").textContent(), text(f.manifest.file));
  assert.equal(await page.getByTestId("raw-config").textContent(), text(image.config.file));
  assert.equal(await page.getByTestId("raw-index").count(), 0, "a single-platform image has no index");

  const manifestLinks = await links(page, "raw-manifest");
  assert.equal(manifestLinks.get(image.config.digest), "#config");
  image.layers.forEach((layer, i) => assert.equal(manifestLinks.get(layer.digest), `#layer-${i}`, `layer ${i}`));
  const configLinks = await links(page, "raw-config");
  image.layers.forEach((layer, i) => assert.equal(configLinks.get(layer.diffId), `#layer-${i}`, `diff_id ${i}`));

  // The anchors exist: following a layer's link targets that layer's row, the config's the panel.
  await page.getByTestId("raw-manifest").locator(`a[href="#layer-2"]`).click();
  assert.equal(await page.evaluate(() => location.hash), "#layer-2");
  const target = await page.evaluate(() => document.querySelector(":target")?.dataset.testid);
  assert.equal(target, "layer-row");
  assert.equal(await page.locator("tr#layer-2 code.digest").textContent(), image.layers[2].digest);
  await page.getByTestId("raw-manifest").locator(`a[href="#config"]`).click();
  assert.equal(await page.evaluate(() => document.querySelector(":target")?.id), "config");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the pretty toggle re-indents each document to JSON that parses to the same value, and back to the bytes", async () => {
  const f = fixture("docker-v2");
  const { page, errors } = await inspect(f);
  const raw = { "raw-manifest": text(f.manifest.file), "raw-config": text(f.images[0].config.file) };
  await page.getByTestId("raw-pretty").check();
  for (const [testid, served] of Object.entries(raw)) {
    const shown = await page.getByTestId(testid).textContent();
    // The layout of JSON.stringify(…, null, 2): two spaces, "key": value, keys in their order.
    assert.equal(shown, JSON.stringify(JSON.parse(served), null, 2), `${testid} is re-indented`);
    assert.deepEqual(JSON.parse(shown), JSON.parse(served), `${testid} is the same document`);
  }
  assert.notEqual(await page.getByTestId("raw-manifest").textContent(), raw["raw-manifest"], "the compact manifest changed");
  // Digests stay links when pretty.
  assert.equal((await links(page, "raw-manifest")).get(f.images[0].layers[0].digest), "#layer-0");
  await page.getByTestId("raw-pretty").uncheck();
  for (const [testid, served] of Object.entries(raw)) {
    assert.equal(await page.getByTestId(testid).textContent(), served, `${testid} is the bytes again`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("Copy puts the manifest exactly as served on the clipboard", async () => {
  const f = fixture("docker-v2");
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const { page, errors } = await inspect(f, context);
  const copy = page.locator('[data-testid="copy"][data-document="manifest"]');
  await copy.click();
  await page.waitForFunction(() => document.querySelector('[data-testid="copy"][data-document="manifest"]')?.textContent === "Copied");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), text(f.manifest.file));
  assert.deepEqual(errors, []);
  await context.close();
});

test("multiarch's index is shown as served and each platform's digest deep-links to it", async () => {
  const f = fixture("multiarch");
  assert.equal(f.images.length, 3);
  const { page, errors } = await inspect(f);
  await page.getByTestId("raw-index").waitFor({ state: "attached" });
  assert.equal(await page.getByTestId("raw-index").textContent(), text(f.manifest.file));
  const indexLinks = await links(page, "raw-index");
  for (const image of f.images) {
    const href = indexLinks.get(image.manifest.digest);
    assert.ok(href, `${image.platform}'s digest is a link`);
    const url = new URL(href, page.url());
    assert.equal(url.origin, site.origin);
    assert.equal(url.searchParams.get("image"), `${repository(f)}@${image.manifest.digest}`);
  }
  // Following one loads exactly that manifest.
  const arm = f.images.find((i) => i.platform.startsWith("linux/arm64"));
  await page.getByTestId("raw-index").locator("a", { hasText: arm.manifest.digest }).click();
  await page.getByTestId("manifest-digest").waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId("manifest-digest").textContent(), arm.manifest.digest);
  await page.getByTestId("raw-manifest").waitFor({ state: "attached" });
  assert.equal(await page.getByTestId("raw-manifest").textContent(), text(arm.manifest.file));
  assert.equal(await page.getByTestId("raw-index").count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the config panel shows docker-v2's env, labels, ports and history aligned with its layers", async () => {
  const f = fixture("docker-v2");
  const image = f.images[0];
  const config = JSON.parse(text(image.config.file));
  const { page, errors } = await inspect(f);
  const panel = page.locator("#config");
  await panel.waitFor();
  const all = (testid) => panel.getByTestId(testid).allTextContents();
  assert.ok(config.config.Env.length > 0);
  assert.deepEqual(await all("config-env"), config.config.Env);
  const labels = Object.entries(config.config.Labels).map(([k, v]) => `${k}=${v}`);
  assert.ok(labels.length > 0);
  assert.deepEqual((await all("config-label")).sort(), labels.sort());
  assert.deepEqual((await all("config-port")).sort(), Object.keys(config.config.ExposedPorts).sort());
  const shown = await panel.textContent();
  assert.ok(shown.includes(config.config.User), "user");
  assert.ok(shown.includes(config.config.WorkingDir), "working dir");
  assert.ok(shown.includes(config.config.Cmd[0]), "cmd");
  assert.ok(shown.includes(config.created), "created");

  // History: steps with empty_layer have no layer; the others are layers 0, 1, 2... in order,
  // each shown with the digest the manifest gives that layer.
  const steps = await panel
    .getByTestId("history-step")
    .evaluateAll((li) => li.map((l) => ({ layer: l.dataset.layer, text: l.textContent })));
  assert.equal(steps.length, config.history.length);
  assert.ok(config.history.some((h) => h.empty_layer), "the fixture has empty_layer steps");
  let next = 0;
  config.history.forEach((h, i) => {
    assert.ok(steps[i].text.includes(h.created_by), `step ${i} shows its command`);
    if (h.empty_layer) {
      assert.equal(steps[i].layer, "", `step ${i} made no layer`);
    } else {
      assert.equal(steps[i].layer, String(next), `step ${i} made layer ${next}`);
      assert.ok(steps[i].text.includes(image.layers[next].digest), `step ${i} shows layer ${next}'s digest`);
      next += 1;
    }
  });
  assert.equal(next, image.layers.length);
  assert.equal(await panel.getByTestId("history-mismatch").count(), 0);
  assert.deepEqual(errors, []);
  await page.close();
});

test("hostile-strings' config and documents are shown as text: every hostile label and env entry verbatim, nothing runs", async () => {
  const f = fixture("hostile-strings");
  const config = JSON.parse(text(f.images[0].config.file));
  const { page, errors } = await inspect(f);
  const panel = page.locator("#config");
  await panel.waitFor();
  assert.deepEqual(await panel.getByTestId("config-env").allTextContents(), config.config.Env);
  const labels = Object.entries(config.config.Labels).map(([k, v]) => `${k}=${v}`);
  assert.deepEqual((await panel.getByTestId("config-label").allTextContents()).sort(), labels.sort());
  assert.equal(await page.getByTestId("raw-config").textContent(), text(f.images[0].config.file));
  assert.equal(await page.getByTestId("raw-manifest").textContent(), text(f.manifest.file));
  assert.equal(await page.locator("main img, main script, main iframe").count(), 0, "no element came from the strings");
  assert.equal(await page.locator("#config svg").count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(errors, []);
  await page.close();
});

test("the chain of docker-v2 is grey after Inspect and green after Verify, one layer and diff_id node per layer", async () => {
  const f = fixture("docker-v2");
  const layers = f.images[0].layers;
  assert.equal(layers.length, 3, "docker-v2 has three layers, so every per-layer check below checks some");
  const { page, errors } = await inspect(f);
  await page.locator("#config").waitFor();
  const inspected = await chainNodes(page);
  const count = (nodes, kind) => nodes.filter((n) => n.kind === kind).length;
  assert.equal(count(inspected, "reference"), 1);
  assert.equal(count(inspected, "index"), 0);
  assert.equal(count(inspected, "manifest"), 1);
  assert.equal(count(inspected, "config"), 1);
  assert.equal(count(inspected, "layer"), layers.length);
  assert.equal(count(inspected, "diff-id"), layers.length);
  assert.deepEqual(
    inspected.map((n) => n.status),
    inspected.map(() => "unchecked"),
  );
  await page.getByTestId("verify").click();
  await waitForVerdict(page);
  assert.match(await page.getByTestId("verdict").textContent(), /verified/);
  const verified = await chainNodes(page);
  assert.equal(verified.length, inspected.length);
  assert.equal(count(verified, "layer"), layers.length);
  assert.equal(count(verified, "diff-id"), layers.length);
  assert.deepEqual(
    verified.map((n) => `${n.kind}:${n.status}`),
    verified.map((n) => `${n.kind}:ok`),
  );
  // Full digests are in the nodes' titles.
  const titles = verified.map((n) => n.title).join("\n");
  assert.ok(titles.includes(f.manifest.digest));
  assert.ok(titles.includes(f.images[0].config.digest));
  for (const layer of layers) {
    assert.ok(titles.includes(layer.digest));
    assert.ok(titles.includes(layer.diffId));
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("broken-blob's layer 1 node is red, the rest of its layers green", async () => {
  const f = fixture("broken-blob");
  assert.equal(f.expect.failingLayer, 1);
  const { page, errors } = await verify(f);
  const layers = (await chainNodes(page)).filter((n) => n.kind === "layer");
  assert.equal(layers.length, f.images[0].layers.length);
  layers.forEach((n, i) => assert.equal(n.status, i === 1 ? "bad" : "ok", `layer ${i}`));
  assert.deepEqual(errors, []);
  await page.close();
});

test("broken-diffid's layer 0 diff_id node is red while its blob node is green", async () => {
  const f = fixture("broken-diffid");
  assert.equal(f.expect.failingLayer, 0);
  assert.equal(f.expect.failingCheck, "diff_id");
  const { page, errors } = await verify(f);
  const nodes = await chainNodes(page);
  const diffIds = nodes.filter((n) => n.kind === "diff-id");
  const layers = nodes.filter((n) => n.kind === "layer");
  assert.equal(diffIds.length, f.images[0].layers.length);
  assert.equal(diffIds[0].status, "bad");
  assert.equal(layers[0].status, "ok");
  diffIds.slice(1).forEach((n, i) => assert.equal(n.status, "ok", `diff_id ${i + 1}`));
  assert.deepEqual(errors, []);
  await page.close();
});

test("multiarch's chain goes through its index, green once verified", async () => {
  const f = fixture("multiarch");
  const { page, errors } = await verify(f);
  const nodes = await chainNodes(page);
  const kinds = nodes.map((n) => n.kind);
  assert.deepEqual(kinds.slice(0, 4), ["reference", "index", "manifest", "config"]);
  const index = nodes.find((n) => n.kind === "index");
  assert.ok(index.title.includes(f.manifest.digest), "the index node is the index the tag names");
  assert.match(await page.getByTestId("verdict").textContent(), /verified/);
  assert.deepEqual(
    nodes.map((n) => n.status),
    nodes.map(() => "ok"),
  );
  assert.deepEqual(errors, []);
  await page.close();
});

test("layer-64m's whole-image progress counts every byte of its layers", async () => {
  const f = fixture("layer-64m");
  const total = f.images[0].layers.reduce((sum, l) => sum + l.size, 0);
  assert.ok(total > 30_000_000);
  const { page, errors } = await verify(f);
  assert.match(await page.getByTestId("verdict").textContent(), /verified/);
  const progress = page.getByTestId("image-progress");
  assert.equal(await progress.getAttribute("data-total"), String(total));
  assert.equal(await progress.getAttribute("data-bytes"), String(total));
  assert.equal(await progress.locator("progress").getAttribute("max"), String(total));
  assert.deepEqual(errors, []);
  await page.close();
});

test("evil/slow-layer: layer 0's chain node and row turn ok while layer 1 still streams and the verdict says verifying; then all ok", async () => {
  // The repository's documented shape (rig.json): two layers, the second's body held back 4 s.
  assert.match(rig.evil.repositories["evil/slow-layer"], /two gzip layers.*after 4 s/);
  const ref = `${rig.evil.host}/evil/slow-layer:latest`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&verify=1`);
  // One snapshot taken in the page the moment layer 0's node is ok: nothing can change in between.
  const snapshot = await page.waitForFunction(
    () => {
      const layers = [...document.querySelectorAll('svg[data-testid="chain"] [data-testid="chain-node"][data-kind="layer"]')];
      if (layers[0]?.dataset.status !== "ok") return null;
      return {
        verdict: document.querySelector('[data-testid="verdict"]')?.textContent,
        layers: layers.map((n) => n.dataset.status),
        diffIds: [...document.querySelectorAll('svg[data-testid="chain"] [data-testid="chain-node"][data-kind="diff-id"]')].map((n) => n.dataset.status),
        rows: [...document.querySelectorAll('[data-testid="layer-row"]')].map((r) => r.dataset.status),
      };
    },
    null,
    { timeout: 30_000, polling: 50 },
  );
  const live = await snapshot.jsonValue();
  assert.match(live.verdict, /verifying/);
  assert.deepEqual(live.layers, ["ok", "unchecked"]);
  assert.deepEqual(live.diffIds, ["ok", "unchecked"]);
  assert.equal(live.rows[0], "ok");
  assert.ok(["pending", "running"].includes(live.rows[1]), `layer 1's row is ${live.rows[1]}`);

  await waitForVerdict(page);
  assert.match(await page.getByTestId("verdict").textContent(), /verified/);
  const nodes = await chainNodes(page);
  assert.deepEqual(
    nodes.map((n) => `${n.kind}:${n.status}`),
    nodes.map((n) => `${n.kind}:ok`),
  );
  assert.deepEqual(await page.getByTestId("layer-row").evaluateAll((rows) => rows.map((r) => r.dataset.status)), ["ok", "ok"]);
  assert.deepEqual(errors, []);
  await page.close();
});
