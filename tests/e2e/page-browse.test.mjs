// Browsing with the page (dist/, built by trunk) against the rig: a registry's repositories from its
// catalog (and the note for a registry that keeps it closed), a repository's 10,000 tags in a list
// that renders only the rows in view, each tag's digest on demand, and an index's platforms as cards
// with their digests and sizes. Expected values come from rig.json (sha256sum, file sizes, the tag
// list the rig pushed) and the registries' access logs, never from the page's code.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadRig } from "./support/browser.mjs";
import { servePage } from "./support/page.mjs";

const rig = loadRig();
const { fixture } = rig;
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const exactly = (s) => new RegExp(`^${escape(s)}$`);
let site;
let browser;

servePage((s, b) => {
  site = s;
  browser = b;
});

/** Opens the page on `query`, collecting page errors. */
async function open(query) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${site.origin}/?${query}`);
  return { page, errors };
}

/** The page's query parameter `name` as the address bar has it now. */
const param = (page, name) => new URL(page.url()).searchParams.get(name);

/**
 * Every item of a virtualized list, read by scrolling it from top to bottom: each step brings the
 * last rendered row to the top and waits for the row after it (rows carry aria-posinset/-setsize).
 */
async function scrollThrough(page, listId, rowId) {
  const list = page.getByTestId(listId);
  await list.evaluate((el) => (el.scrollTop = 0));
  await list.locator('li[aria-posinset="1"]').waitFor();
  const names = new Map();
  let most = 0;
  for (;;) {
    const rows = await list.locator("li").evaluateAll(
      (lis, rowId) =>
        lis.map((li) => ({
          pos: Number(li.getAttribute("aria-posinset")),
          size: Number(li.getAttribute("aria-setsize")),
          text: li.querySelector(`[data-testid="${rowId}"]`)?.textContent,
        })),
      rowId,
    );
    assert.ok(rows.length > 0, "the list renders rows");
    most = Math.max(most, rows.length);
    for (const row of rows) names.set(row.pos, row.text);
    const size = rows[0].size;
    const last = Math.max(...rows.map((r) => r.pos));
    if (last >= size) {
      assert.deepEqual([...names.keys()].sort((a, b) => a - b), Array.from({ length: size }, (_, i) => i + 1), "no row skipped");
      return { size, most, names: [...names.keys()].sort((a, b) => a - b).map((k) => names.get(k)) };
    }
    await list.evaluate((el, pos) => {
      const row = el.querySelector(`li[aria-posinset="${pos}"]`);
      el.scrollTop += row.getBoundingClientRect().top - el.getBoundingClientRect().top;
    }, last);
    await list.locator(`li[aria-posinset="${last + 1}"]`).waitFor();
  }
}

/** Waits until the rig's `log` has a request line matching `pattern` sent by this test's page origin. */
async function logged(log, pattern, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const lines = readFileSync(log, "utf8").split("\n").filter((l) => l.includes(`"${site.origin}/"`));
    if (lines.some((l) => pattern.test(l))) return;
    if (Date.now() > deadline) throw new Error(`no request matching ${pattern} from ${site.origin} in ${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const openLog = join(rig.logs, "registry-open.log");

test("registry= lists every public fixture repository of the open registry; the filter narrows; a click opens one", async () => {
  const { page, errors } = await open(`registry=${encodeURIComponent(rig.open.host)}`);
  assert.equal(await page.getByTestId("browse-registry").inputValue(), rig.open.host);
  await page.getByTestId("repository-count").waitFor({ timeout: 30_000 });
  const { size, names } = await scrollThrough(page, "repository-list", "repository");
  const publicRepos = rig.fixtures.flatMap((f) => f.repositories.filter((r) => r.startsWith("public/")));
  assert.ok(publicRepos.length >= rig.fixtures.length, `${publicRepos.length} public repositories in rig.json`);
  for (const repo of publicRepos) assert.ok(names.includes(repo), `${repo} is listed`);
  assert.match(await page.getByTestId("repository-count").textContent(), new RegExp(`\\b${size} repositories$`));

  // The filter narrows the list and the count says so.
  const filter = page.getByTestId("repository-filter");
  await filter.fill("multiarch");
  const expected = names.filter((n) => n.includes("multiarch"));
  assert.ok(expected.length >= 2 && expected.length < size, `${expected.length} multiarch repositories`);
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="repository"]').length === n,
    expected.length,
  );
  assert.deepEqual((await page.getByTestId("repository").allTextContents()).sort(), [...expected].sort());
  assert.match(await page.getByTestId("repository-count").textContent(), new RegExp(`\\b${expected.length} of ${size} repositories$`));

  // Opening a repository lists its tags (a repository need not have latest); a tag then opens.
  const f = fixture("many-tags");
  await filter.fill("public/many-tags");
  await page.getByTestId("repository").filter({ hasText: exactly("public/many-tags") }).click();
  assert.equal(await page.getByTestId("reference").inputValue(), `${rig.open.host}/public/many-tags`);
  await page.getByTestId("tag-count").filter({ hasText: new RegExp(`\\b${f.tags.length} tags$`) }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId("error").count(), 0, "opening a repository is no error");
  await page.getByTestId("tag-filter").fill(f.tag);
  await page.getByTestId("tag").filter({ hasText: exactly(f.tag) }).first().click();
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="manifest-digest"]')?.textContent.trim() === want,
    f.manifest.digest,
    { timeout: 30_000 },
  );
  assert.equal(param(page, "registry"), rig.open.host);
  assert.deepEqual(errors, []);
  await page.close();
});

test("Browse (Enter or the button) picks a registry; a closed catalog gets a note, an unreachable one an error", async () => {
  const { page, errors } = await open("");
  const input = page.getByLabel("Registry", { exact: true });
  // The token registry gives anonymous users no registry:catalog:* access, as Docker Hub.
  await input.fill(rig.token.host);
  await input.press("Enter");
  const note = page.getByTestId("catalog-closed");
  await note.waitFor({ timeout: 30_000 });
  const text = await note.textContent();
  assert.ok(text.includes(rig.token.host), text);
  assert.match(text, /catalog closed/);
  assert.match(text, /UNAUTHORIZED|DENIED/);
  assert.match(text, /[Tt]ype a repository/);
  assert.equal(await page.getByTestId("catalog-error").count(), 0, "a closed catalog is not an error");
  assert.equal(await page.getByTestId("error").count(), 0);
  assert.equal(await note.getAttribute("role"), null, "not an alert");
  assert.equal(param(page, "registry"), rig.token.host);

  // The hub-like registry sends no CORS headers: from this page that is an error, not the note.
  await input.fill(rig.hub.host);
  await page.getByTestId("browse").click();
  const failure = page.getByTestId("catalog-error");
  await failure.waitFor({ timeout: 30_000 });
  assert.match(await failure.textContent(), /NETWORK/);
  assert.equal(await note.count(), 0);

  await input.fill(rig.open.host);
  await page.getByRole("button", { name: "Browse" }).click();
  await page.getByTestId("repository-count").waitFor({ timeout: 30_000 });
  assert.ok((await page.getByTestId("repository").count()) > 0);
  assert.equal(param(page, "registry"), rig.open.host);
  assert.deepEqual(errors, []);
  await page.close();
});

test("tags-10k: 10,000 tags counted, under 300 rows in the DOM, version order to the last, a filtered tag opens, its digest on demand", async () => {
  const f = fixture("tags-10k");
  assert.equal(f.tags.length, 10_000);
  const repo = `${rig.open.host}/public/tags-10k`;
  const { page, errors } = await open(`image=${encodeURIComponent(`${repo}:${f.tag}`)}`);
  const count = page.getByTestId("tag-count");
  await count.filter({ hasText: /\b10,000 tags$/ }).waitFor({ timeout: 60_000 });
  const rendered = () => page.getByTestId("tag").count();
  const inDom = await rendered();
  assert.ok(inDom > 0 && inDom < 300, `${inDom} tag rows in the DOM`);

  // Version order (numeric runs compare as numbers), by the platform's collator, not the page's code.
  const order = [...f.tags].sort(new Intl.Collator("en", { numeric: true }).compare);
  const list = page.getByTestId("tag-list");
  const rowAt = (pos) => list.locator(`li[aria-posinset="${pos}"]`).getByTestId("tag");
  assert.equal(await rowAt(1).textContent(), order[0]);
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await rowAt(10_000).waitFor();
  assert.equal(await rowAt(10_000).textContent(), order.at(-1));
  assert.equal(await rowAt(9_999).textContent(), order.at(-2));
  const atBottom = await rendered();
  assert.ok(atBottom > 0 && atBottom < 300, `${atBottom} tag rows in the DOM at the bottom`);

  // Filtering finds tags from anywhere in the list.
  const filter = page.getByTestId("tag-filter");
  const picks = [f.tags[1234], f.tags[5000], f.tags[9876]];
  for (const tag of picks) {
    await filter.fill(tag);
    await page.getByTestId("tag").filter({ hasText: exactly(tag) }).waitFor();
    assert.match(await count.textContent(), new RegExp(`\\b[\\d,]+ of 10,000 tags$`));
  }

  // Clicking one loads it: the reference names it and the registry is asked for its manifest.
  const tag = picks.at(-1);
  await page.getByTestId("tag").filter({ hasText: exactly(tag) }).click();
  assert.equal(await page.getByTestId("reference").inputValue(), `${repo}:${tag}`);
  await logged(openLog, new RegExp(`"GET /v2/public/tags-10k/manifests/${escape(tag)} HTTP`));
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="manifest-digest"]')?.textContent.trim() === want,
    f.manifest.digest,
    { timeout: 30_000 },
  );
  assert.equal(param(page, "image"), `${repo}:${tag}`);

  // The digest button asks the registry (a HEAD) and shows its answer in that row.
  const row = list.locator("li").filter({ has: page.getByTestId("tag").filter({ hasText: exactly(tag) }) });
  assert.equal(await row.getByTestId("tag-digest").count(), 0, "no digest before it is asked for");
  await row.getByRole("button", { name: `Digest of ${tag}`, exact: true }).click();
  await row.getByTestId("tag-digest").waitFor({ timeout: 30_000 });
  assert.equal((await row.getByTestId("tag-digest").textContent()).trim(), f.manifest.digest);
  await logged(openLog, new RegExp(`"HEAD /v2/public/tags-10k/manifests/${escape(tag)} HTTP`));
  assert.deepEqual(errors, []);
  await page.close();
});

test("another repository's tags start at their top, however far the last list was scrolled", async () => {
  const big = fixture("tags-10k");
  const small = fixture("many-tags");
  const { page, errors } = await open(`image=${encodeURIComponent(`${rig.open.host}/public/tags-10k:${big.tag}`)}`);
  const count = page.getByTestId("tag-count");
  await count.filter({ hasText: /\b10,000 tags$/ }).waitFor({ timeout: 60_000 });
  const list = page.getByTestId("tag-list");
  await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
  await list.locator('li[aria-posinset="10000"]').waitFor();

  await page.getByTestId("reference").fill(`${rig.open.host}/public/many-tags:${small.tag}`);
  await page.getByTestId("inspect").click();
  await count.filter({ hasText: new RegExp(`\\b${small.tags.length} tags$`) }).waitFor({ timeout: 30_000 });
  const first = list.locator('li[aria-posinset="1"]');
  await first.waitFor();
  const order = [...small.tags].sort(new Intl.Collator("en", { numeric: true }).compare);
  assert.equal(await first.getByTestId("tag").textContent(), order[0]);
  const inView = await first.evaluate((row) => {
    const box = row.getBoundingClientRect();
    const view = row.closest('[data-testid="tag-list"]').getBoundingClientRect();
    return box.top >= view.top && box.bottom <= view.bottom;
  });
  assert.ok(inView, "the first tag is in view");
  assert.deepEqual(errors, []);
  await page.close();
});

test("keyboard: Tab walks the tags in version order while the list scrolls, the focus staying on its tag", async () => {
  const f = fixture("many-tags");
  const repo = `${rig.open.host}/public/many-tags`;
  const { page, errors } = await open(`image=${encodeURIComponent(`${repo}:${f.tag}`)}`);
  await page.getByTestId("tag-count").filter({ hasText: new RegExp(`\\b${f.tags.length} tags$`) }).waitFor({ timeout: 30_000 });
  const order = [...f.tags].sort(new Intl.Collator("en", { numeric: true }).compare);
  const steps = 60;
  assert.ok(order.length > steps + 40, "the walk goes past the rows first rendered");
  const list = page.getByTestId("tag-list");
  await list.locator('li[aria-posinset="1"]').getByTestId("tag").focus();
  const focused = () => page.evaluate(() => document.activeElement?.textContent);
  assert.equal(await focused(), order[0]);
  for (let i = 1; i <= steps; i++) {
    await page.keyboard.press("Tab"); // the row's digest button
    await page.keyboard.press("Tab"); // the next row's tag
    await page.waitForFunction(
      (want) => document.activeElement?.dataset.testid === "tag" && document.activeElement.textContent === want,
      order[i],
      { timeout: 5_000 },
    ).catch(async () => assert.fail(`after ${i} rows the focus is on ${JSON.stringify(await focused())}, not ${order[i]}`));
  }
  assert.ok((await list.evaluate((el) => el.scrollTop)) > 0, "the list scrolled with the focus");
  assert.equal(await list.locator('li[aria-posinset="1"]').count(), 0, "the first rows left the DOM");
  await page.keyboard.press("Enter");
  assert.equal(await page.getByTestId("reference").inputValue(), `${repo}:${order[steps]}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test("multiarch: one card per platform with the fixture's digest and size; choosing arm64 inspects it and links platform=", async () => {
  const f = fixture("multiarch");
  assert.equal(f.images.length, 3);
  const ref = `${rig.open.host}/public/multiarch:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}`);
  const cards = page.getByTestId("platform-card");
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="platform-card"] [data-testid="platform-size"][data-bytes]').length === n,
    f.images.length,
    { timeout: 30_000 },
  );
  const seen = await cards.evaluateAll((els) =>
    els.map((el) => ({
      platform: el.dataset.platform,
      chosen: el.dataset.chosen,
      title: el.querySelector("h3").textContent,
      current: el.getAttribute("aria-current"),
      digest: el.querySelector('[data-testid="platform-digest"]').textContent.trim(),
      bytes: Number(el.querySelector('[data-testid="platform-size"]').dataset.bytes),
    })),
  );
  assert.equal(seen.length, f.images.length);
  assert.deepEqual(seen.map((c) => c.platform).sort(), f.images.map((i) => i.platform).sort());
  for (const image of f.images) {
    const card = seen.find((c) => c.platform === image.platform);
    assert.equal(card.digest, image.manifest.digest, `${image.platform} digest`);
    const size = image.config.size + image.layers.reduce((sum, l) => sum + l.size, 0);
    assert.equal(card.bytes, size, `${image.platform} size`);
    assert.equal(card.title, image.platform, "labelled by its platform: the fixture has no attestation entries");
  }
  const chosen = seen.filter((c) => c.chosen === "true");
  assert.equal(chosen.length, 1);
  assert.equal(chosen[0].current, "true");
  assert.deepEqual(seen.filter((c) => c.current !== null).length, 1, "only the chosen card is aria-current");
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), chosen[0].digest);

  const arm = f.images.find((i) => i.platform === "linux/arm64/v8");
  assert.notEqual(chosen[0].platform, arm.platform, "the default platform is not arm64");
  await page.getByRole("button", { name: "Inspect linux/arm64/v8" }).click();
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="manifest-digest"]')?.textContent.trim() === want,
    arm.manifest.digest,
    { timeout: 30_000 },
  );
  const armCard = page.locator('[data-testid="platform-card"][data-platform="linux/arm64/v8"]');
  await page.locator('[data-testid="platform-card"][data-chosen="true"][data-platform="linux/arm64/v8"]').waitFor();
  assert.equal(await armCard.getAttribute("aria-current"), "true");
  assert.equal(await page.locator('[data-testid="platform-card"][data-chosen="true"]').count(), 1);
  assert.equal(param(page, "platform"), "linux/arm64/v8");
  assert.equal(param(page, "image"), ref);
  assert.deepEqual(errors, []);
  await page.close();
});

test("attestation: its card is labelled an attestation of the linux/amd64 manifest, apart from the platforms, and the tag opens linux/amd64", async () => {
  const f = fixture("attestation");
  const image = f.images.find((i) => i.platform === "linux/amd64");
  const attestation = f.images.find((i) => i.platform === "unknown/unknown");
  assert.ok(image && attestation, "rig.json describes the image and its attestation manifest");
  // What the served index says the attestation attests (rig's curl download, not the page).
  const index = JSON.parse(readFileSync(f.manifest.file, "utf8"));
  const entry = index.manifests.find((m) => m.digest === attestation.manifest.digest);
  assert.equal(entry.annotations["vnd.docker.reference.type"], "attestation-manifest");
  assert.equal(entry.annotations["vnd.docker.reference.digest"], image.manifest.digest);
  assert.equal(attestation.layers[0].mediaType, "application/vnd.in-toto+json");

  const ref = `${rig.open.host}/public/attestation:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}`);
  // Opening by tag resolves to the real platform, not the attestation.
  await page.waitForFunction(
    (want) => document.querySelector('[data-testid="manifest-digest"]')?.textContent.trim() === want,
    image.manifest.digest,
    { timeout: 30_000 },
  );
  const cards = page.getByTestId("platform-card");
  await page.locator('[data-testid="platform-card"][data-attestation="true"]').waitFor({ timeout: 30_000 });
  const seen = await cards.evaluateAll((els) =>
    els.map((el) => ({
      platform: el.dataset.platform,
      attestation: el.dataset.attestation,
      attests: el.dataset.attests ?? null,
      chosen: el.dataset.chosen,
      title: el.querySelector("h3").textContent,
      digest: el.querySelector('[data-testid="platform-digest"]').textContent.trim(),
      attestsText: el.querySelector('[data-testid="attests"]')?.textContent ?? null,
      button: el.querySelector("button")?.hidden,
    })),
  );
  assert.equal(seen.length, 2);
  const real = seen.find((c) => c.digest === image.manifest.digest);
  const att = seen.find((c) => c.digest === attestation.manifest.digest);
  assert.deepEqual(
    { platform: real.platform, attestation: real.attestation, attests: real.attests, chosen: real.chosen, title: real.title, attestsText: real.attestsText },
    { platform: "linux/amd64", attestation: "false", attests: null, chosen: "true", title: "linux/amd64", attestsText: null },
  );
  assert.equal(att.platform, "unknown/unknown");
  assert.equal(att.attestation, "true");
  assert.equal(att.attests, image.manifest.digest);
  assert.equal(att.chosen, "false");
  assert.equal(att.title, "attestation of linux/amd64");
  assert.ok(att.attestsText.includes(image.manifest.digest), att.attestsText);
  assert.equal(att.button, true, "an attestation is not offered as a platform to inspect");
  assert.equal(param(page, "platform") ?? "", "", "nothing chose a platform");
  assert.deepEqual(errors, []);
  await page.close();
});

const evilLog = rig.evil.log;
/** The evil registry's log lines of requests this test file's page sent. */
const evilLines = () => readFileSync(evilLog, "utf8").split("\n").filter((l) => l.includes(` origin=${site.origin} `));

test("evil/tags-paged: every tag over four Link pages (relative Links), one GET per page, the last tag found by the filter", async () => {
  // The repository's documented shape (rig.json): 3,500 tags t000000..t003499, pages of 1000.
  assert.match(rig.evil.repositories["evil/tags-paged"], /3,500 tags `t000000`\.\.`t003499`/);
  const { page, errors } = await open(`image=${encodeURIComponent(`${rig.evil.host}/evil/tags-paged`)}`);
  const count = page.getByTestId("tag-count");
  await count.filter({ hasText: /\b3,500 tags$/ }).waitFor({ timeout: 60_000 });
  const filter = page.getByTestId("tag-filter");
  for (const tag of ["t000000", "t001000", "t003499"]) {
    await filter.fill(tag);
    await page.getByTestId("tag").filter({ hasText: exactly(tag) }).waitFor();
    assert.match(await count.textContent(), /\b1 of 3,500 tags$/);
  }
  await filter.fill("t0035");
  await count.filter({ hasText: /\b0 of 3,500 tags$/ }).waitFor();
  const gets = evilLines()
    .filter((l) => / GET \/v2\/evil\/tags-paged\/tags\/list\S* /.test(l))
    .map((l) => l.split(" ")[2]);
  assert.deepEqual(gets, [
    "/v2/evil/tags-paged/tags/list",
    "/v2/evil/tags-paged/tags/list?n=1000&last=t000999",
    "/v2/evil/tags-paged/tags/list?n=1000&last=t001999",
    "/v2/evil/tags-paged/tags/list?n=1000&last=t002999",
  ]);
  assert.deepEqual(errors, []);
  await page.close();
});

test("registry=<evil>: the catalog's every page (relative Links, 10 a page) lists every evil repository, one GET per page", async () => {
  const expected = Object.keys(rig.evil.repositories).filter((name) => !name.includes("<"));
  assert.ok(expected.length > 20, `${expected.length} evil repositories in rig.json`);
  const { page, errors } = await open(`registry=${encodeURIComponent(rig.evil.host)}`);
  await page.getByTestId("repository-count").waitFor({ timeout: 30_000 });
  const { size, names } = await scrollThrough(page, "repository-list", "repository");
  assert.equal(size, expected.length);
  assert.deepEqual([...names].sort(), [...expected].sort());
  assert.match(await page.getByTestId("repository-count").textContent(), new RegExp(`\\b${size} repositories$`));
  const gets = evilLines().filter((l) => / GET \/v2\/_catalog\S* /.test(l));
  assert.equal(gets.length, Math.ceil(expected.length / 10), gets.join("\n"));
  assert.ok(gets[0].includes(" GET /v2/_catalog "), gets[0]);
  assert.ok(gets.slice(1).every((l) => / GET \/v2\/_catalog\?n=10&last=evil\/\S+ /.test(l)), gets.join("\n"));
  assert.deepEqual(errors, []);
  await page.close();
});
