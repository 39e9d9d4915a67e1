// The page's Files panel (a layer's files as a filterable tree) and its "Show as curl" view,
// against the rig. Expected values come from the rig's ground truth: rig.json's `tar -t` lists,
// `tar -tv` run here on the fixture's layer files, and the registry's own access log.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { openSync, readSync, closeSync, statSync } from "node:fs";
import { join } from "node:path";
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

/** Opens the page on `query`, collecting page errors and dialogs. */
async function open(query = "") {
  const page = await browser.newPage();
  const errors = [];
  const dialogs = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    d.dismiss().catch(() => {});
  });
  await page.goto(`${site.origin}/?${query}`);
  return { page, errors, dialogs };
}

async function waitForVerdict(page, pattern) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('[data-testid="verdict"]')?.textContent ?? ""),
    pattern.source,
    { timeout: 60_000 },
  );
}

/** A path as `tar -t` prints it, without a leading `./` or trailing `/`. */
const normalize = (path) => path.replace(/^(\.\/)+/, "").replace(/\/+$/, "");

/** The paths shown in the file rows (each row's path cell), normalized. */
async function shownPaths(page) {
  const texts = await page.locator('[data-testid="file"] [data-testid="file-path"]').allTextContents();
  return texts.map(normalize);
}

/** Presses "Files of layer N" and waits for its listing. */
async function openLayer(page, index) {
  const button = page.locator(`[data-testid="open-files"][data-layer="${index}"]`);
  await button.waitFor({ timeout: 60_000 });
  assert.equal((await button.textContent()).trim(), `Files of layer ${index}`);
  await button.click();
  await page.getByTestId("files-summary").waitFor({ timeout: 60_000 });
}

/** `tar -tvzf` of a layer file: mode string, size and link target by path (names without spaces). */
function tarVerbose(file) {
  const out = execFileSync("tar", ["-tvzf", file], { encoding: "utf8" });
  const entries = new Map();
  for (const line of out.split("\n").filter(Boolean)) {
    const m = /^(\S{10}) \S+\s+(\d+) \S+ \S+ (.*)$/.exec(line);
    assert.ok(m, `tar -tv line: ${line}`);
    let [, mode, size, rest] = m;
    let link = null;
    let linkWord = null;
    for (const sep of [" -> ", " link to "]) {
      const at = rest.indexOf(sep);
      if (at >= 0) {
        link = rest.slice(at + sep.length);
        linkWord = sep.trim();
        rest = rest.slice(0, at);
      }
    }
    entries.set(normalize(rest), { mode, size: Number(size), link, linkWord });
  }
  return entries;
}

/** Each row's path -> its mode, exact size in bytes, and text. */
async function rowDetails(page) {
  return page.locator('[data-testid="file"]').evaluateAll((rows) =>
    rows.map((r) => ({
      path: r.querySelector('[data-testid="file-path"]').textContent,
      mode: r.cells[2].textContent.trim(),
      bytes: Number(r.querySelector("[data-bytes]").dataset.bytes),
      text: r.textContent,
      whiteout: r.dataset.whiteout,
    })),
  );
}

test("docker-v2's layers list exactly their tar -t paths, with tar -tv's modes, sizes (directories: all below) and links", async () => {
  const f = fixture("docker-v2");
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}`);
  for (const index of [0, 1, 2]) {
    const layer = f.images[0].layers[index];
    await openLayer(page, index);
    const expected = layer.files.map(normalize).sort();
    assert.ok(expected.length > 0);
    const shown = await shownPaths(page);
    assert.equal(shown.length, layer.files.length, `layer ${index}: one row per entry`);
    assert.deepEqual([...shown].sort(), expected, `layer ${index}: the rows are tar -t's paths`);
    for (const path of expected) {
      assert.ok(
        (await page.getByTestId("file").allTextContents()).some((t) => t.includes(path)),
        `${path} in some row's text`,
      );
    }
    // Modes, sizes and link targets against tar -tv of the same blob.
    const truth = tarVerbose(layer.file);
    assert.equal(truth.size, expected.length);
    const rows = await rowDetails(page);
    for (const row of rows) {
      const path = normalize(row.path);
      const t = truth.get(path);
      assert.ok(t, `${path} is in tar -tv`);
      assert.equal(row.mode, t.mode, `${path}: mode`);
      const below = [...truth].filter(([p]) => p === path || p.startsWith(`${path}/`));
      const total = below.reduce((sum, [, e]) => sum + (e.linkWord === "link to" ? 0 : e.size), 0);
      assert.equal(row.bytes, t.mode.startsWith("d") ? total : t.size, `${path}: size`);
      if (t.link) {
        const arrow = t.linkWord === "->" ? "-> " : "link to ";
        assert.ok(row.text.includes(`${arrow}${t.link}`), `${path} shows ${arrow}${t.link}: ${row.text}`);
      }
    }
    if (index === 0) {
      assert.ok(rows.some((r) => truth.get(normalize(r.path))?.link), "layer 0 has links to check");
      const bin = rows.find((r) => normalize(r.path) === "bin");
      assert.ok(bin.bytes > 0, "a directory's size is what is below it");
    }
  }
  assert.equal(await page.locator('[data-testid="open-files"][aria-pressed="true"]').getAttribute("data-layer"), "2");
  assert.match(page.url(), /[?&]files=2(&|$)/, "the address is the files= deep link");
  assert.deepEqual(errors, []);
  await page.close();
});

test("docker-v2's whiteouts are shown as deletions of the lower layers' paths (and the opaque directory)", async () => {
  const f = fixture("docker-v2");
  assert.match(f.description, /whiteout/);
  const index = f.images[0].layers.findIndex((l) => l.files.some((p) => /(^|\/)\.wh\./.test(p)));
  assert.ok(index >= 0, "a layer with whiteouts");
  const whiteouts = f.images[0].layers[index].files.map(normalize).filter((p) => /(^|\/)\.wh\./.test(p));
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}`);
  await openLayer(page, index);
  const rows = await rowDetails(page);
  let removals = 0;
  for (const path of whiteouts) {
    const row = rows.find((r) => normalize(r.path) === path);
    assert.ok(row, `${path} has a row`);
    const slash = path.lastIndexOf("/");
    const dir = slash >= 0 ? path.slice(0, slash) : "";
    const base = path.slice(slash + 1);
    if (base === ".wh..wh..opq") {
      assert.equal(row.whiteout, "opaque");
      assert.match(row.text, /opaque/);
      assert.ok(row.text.includes(`${dir}/`), row.text);
    } else {
      // OCI image spec: `dir/.wh.name` deletes `dir/name` of the layers below.
      const target = dir ? `${dir}/${base.slice(4)}` : base.slice(4);
      assert.equal(row.whiteout, "remove");
      assert.ok(row.text.includes(`deletes ${target} of the layers below`), row.text);
      removals += 1;
    }
  }
  assert.ok(removals >= 1, "a whiteout that deletes a path");
  const plain = rows.filter((r) => !/(^|\/)\.wh\./.test(normalize(r.path)));
  assert.ok(plain.length > 0 && plain.every((r) => r.whiteout === ""), "other entries are not whiteouts");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the filter keeps the matching paths and their directories", async () => {
  const f = fixture("docker-v2");
  const files = f.images[0].layers[0].files.map(normalize);
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}`);
  await openLayer(page, 0);
  for (const needle of ["doc", "CONFIG", "sh"]) {
    const matches = files.filter((p) => p.toLowerCase().includes(needle.toLowerCase()));
    const expected = files.filter((p) => matches.some((m) => m === p || m.startsWith(`${p}/`))).sort();
    assert.ok(matches.length > 0 && expected.length < files.length, `"${needle}" narrows`);
    await page.getByTestId("file-filter").fill(needle);
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid="file"]').length === n,
      expected.length,
      { timeout: 10_000 },
    );
    assert.deepEqual((await shownPaths(page)).sort(), expected, `filter "${needle}"`);
  }
  await page.getByTestId("file-filter").fill("no-such-path-anywhere");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="file"]').length === 0);
  await page.getByTestId("file-filter").fill("");
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="file"]').length === n, files.length);
  assert.deepEqual(errors, []);
  await page.close();
});

test("a files=0 deep link shows layer 0's files once the image is resolved", async () => {
  const f = fixture("docker-v2");
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&files=0`);
  await page.getByTestId("files-summary").waitFor({ timeout: 60_000 });
  const expected = f.images[0].layers[0].files.map(normalize).sort();
  assert.deepEqual((await shownPaths(page)).sort(), expected);
  assert.equal(await page.locator('[data-testid="open-files"][aria-pressed="true"]').getAttribute("data-layer"), "0");
  assert.deepEqual(errors, []);
  await page.close();
});

test("hostile-strings: file names with HTML show as text, nothing is injected or run", async () => {
  const f = fixture("hostile-strings");
  const layer = f.images[0].layers[0];
  assert.ok(layer.files.some((p) => p.includes("<script>")), "the fixture has hostile names");
  const ref = `${rig.open.host}/public/hostile-strings:${f.tag}`;
  const { page, errors, dialogs } = await open(`image=${encodeURIComponent(ref)}&files=0`);
  await page.getByTestId("files-summary").waitFor({ timeout: 60_000 });
  const shown = await shownPaths(page);
  assert.equal(shown.length, layer.files.length);
  assert.deepEqual([...shown].sort(), layer.files.map(normalize).sort());
  const injected = await page.locator('[data-testid="files"]').evaluate((el) => el.querySelectorAll("img, script, svg, iframe").length);
  assert.equal(injected, 0, "no element was injected into the file list");
  await page.getByTestId("file-filter").fill("<script>");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="file"]').length > 0);
  assert.ok((await shownPaths(page)).every((p) => p.includes("<script>")));
  assert.equal(await page.evaluate(() => typeof window.__pwned), "undefined");
  assert.deepEqual(dialogs, []);
  assert.deepEqual(errors, []);
  await page.close();
});

/** Lines `path` gained since `offset`. */
function readFrom(path, offset) {
  const size = statSync(path).size;
  if (size <= offset) return "";
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** The browser's requests in a registry access log (combined format) sent from our page's origin. */
function pageRequests(text, origin) {
  const requests = [];
  for (const line of text.split("\n")) {
    const m = /^\S+ \S+ \S+ \[[^\]]+\] "(\w+) (\S+) HTTP\/[\d.]+" (\d+) \S+ "([^"]*)" "([^"]*)"/.exec(line);
    if (m && m[5].includes("HeadlessChrome") && m[4].startsWith(origin) && m[1] !== "OPTIONS") {
      requests.push({ method: m[1], path: m[2], status: Number(m[3]) });
    }
  }
  return requests;
}

/** Opens "Show as curl" and returns its text. */
async function curlText(page) {
  await page.getByTestId("show-curl").click();
  const pre = page.getByTestId("curl");
  await pre.waitFor();
  await page.waitForFunction(() => !/^# No requests yet/.test(document.querySelector('[data-testid="curl"]').textContent));
  return pre.textContent();
}

test("Inspect then Verify of docker-v2 requests each document once, and the curl text is those requests", async () => {
  const f = fixture("docker-v2");
  const image = f.images[0];
  const log = join(rig.logs, "registry-open.log");
  const offset = statSync(log).size;
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, errors } = await open();
  await page.getByTestId("reference").fill(ref);
  await page.getByTestId("inspect").click();
  await page.waitForFunction(
    (digest) => document.querySelector('[data-testid="manifest-digest"]')?.textContent.trim() === digest,
    f.manifest.digest,
    { timeout: 60_000 },
  );
  // Inspect settled (config and tags in too) before Verify.
  await page.waitForFunction(() => document.querySelector('[data-testid="cancel"]').disabled, null, { timeout: 60_000 });
  await page.getByTestId("verify").click();
  await waitForVerdict(page, /verified|failed/);
  assert.match(await page.getByTestId("verdict").textContent(), /verified/);

  const repo = "/v2/public/docker-v2";
  const blob = (digest) => `${repo}/blobs/${digest}`;
  const count = (requests, method, path) => requests.filter((r) => r.method === method && r.path === path).length;
  // The registry writes its log as answers complete: wait until every layer's GET is in, then a
  // little longer so that a late duplicate would show too.
  let requests = [];
  for (let i = 0; i < 100; i += 1) {
    requests = pageRequests(readFrom(log, offset), site.origin);
    if (image.layers.every((l) => count(requests, "GET", blob(l.digest)) >= 1)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 1500));
  requests = pageRequests(readFrom(log, offset), site.origin);
  const summary = requests.map((r) => `${r.method} ${r.path}`).join("\n");

  const manifestGets = requests.filter((r) => r.method === "GET" && r.path.startsWith(`${repo}/manifests/`));
  assert.equal(manifestGets.length, 1, `one manifest GET (one digest):\n${summary}`);
  assert.equal(count(requests, "GET", blob(image.config.digest)), 1, `one config GET:\n${summary}`);
  for (const layer of image.layers) {
    assert.equal(count(requests, "GET", blob(layer.digest)), 1, `one GET of layer ${layer.digest}:\n${summary}`);
    assert.ok(count(requests, "HEAD", blob(layer.digest)) <= 1, `at most one HEAD of layer ${layer.digest}:\n${summary}`);
  }
  const known = new Set([image.config.digest, ...image.layers.map((l) => l.digest)].map(blob));
  const strays = requests.filter((r) => r.path.includes("/blobs/") && !known.has(r.path));
  assert.deepEqual(strays, [], "no other blob was requested");

  // The curl text is exactly the requests the registry saw (the API root is the walkthrough's
  // first command, not a request the page made).
  const text = await curlText(page);
  assert.ok(text.includes(`curl -i '${rig.open.url}/v2/'`), "starts from the API root");
  assert.ok(text.includes("-H 'Accept: application/vnd.oci.image.index.v1+json"), "the manifest with its Accept");
  assert.match(text, new RegExp(`${blob(image.config.digest)}' \\| sha256sum`), "the config piped to sha256sum");
  assert.ok(text.includes("| gunzip | sha256sum"), "the layers gunzipped to their diff_id");
  const commands = text
    .split("\n")
    .filter((l) => l.includes("curl ") && !l.startsWith("curl -i "))
    .map((l) => {
      const url = /'(https?:\/\/[^']+)'/.exec(l.slice(l.indexOf("curl ")));
      assert.ok(url, `a URL in ${l}`);
      const parsed = new URL(url[1]);
      assert.equal(parsed.origin, rig.open.url);
      return `${/ -sI /.test(l) ? "HEAD" : "GET"} ${parsed.pathname}${parsed.search}`;
    });
  assert.ok(commands.length >= 2 + image.layers.length);
  const seen = requests.map((r) => `${r.method} ${r.path}`);
  for (const command of commands) assert.ok(seen.includes(command), `${command} is in the registry's log:\n${summary}`);
  assert.deepEqual([...commands].sort(), [...seen].sort(), "one command per request the registry saw");
  assert.deepEqual(errors, []);
  await page.close();
});

test("signed in to the token registry, the curl text has the OAuth2 POST and the GET with placeholders, and $TOKEN, never a secret", async () => {
  const f = fixture("docker-v2");
  const user = rig.users.find((u) => u.username === "alice");
  const ref = `${rig.token.host}/private/docker-v2:${f.tag}`;
  const { page, errors } = await open();
  const tokens = [];
  page.on("response", async (response) => {
    if (!response.url().startsWith(rig.tokenServer.realm) || response.request().method() !== "GET") return;
    const body = await response.json().catch(() => null);
    for (const key of ["token", "access_token"]) if (typeof body?.[key] === "string") tokens.push(body[key]);
  });
  await page.getByTestId("reference").fill(ref);
  await page.getByTestId("username").fill(user.username);
  await page.getByTestId("password").fill(user.password);
  await page.getByTestId("verify").click();
  await waitForVerdict(page, /verified|failed/);
  assert.match(await page.getByTestId("verdict").textContent(), /verified/);
  const text = await curlText(page);
  // First the OAuth2 POST, which the rig's token server refuses (405), its secrets as placeholders...
  assert.ok(
    text.includes(`curl -s -X POST --data-urlencode 'grant_type=password' --data-urlencode "username=$USER" --data-urlencode "password=$PASSWORD"`),
    text,
  );
  assert.match(text, /by an OAuth2 form.*\(answered 405\)/);
  // ...then the GET it falls back to.
  assert.ok(text.includes('-u "$USER:$PASSWORD"'), "the token request with placeholders");
  assert.ok(text.includes('-H "Authorization: Bearer $TOKEN"'), "registry requests with $TOKEN");
  assert.ok(text.includes(`${rig.token.url}/v2/private/docker-v2/manifests/${f.tag}`));
  assert.ok(!text.includes(user.password), "no password");
  assert.ok(!text.includes(Buffer.from(`${user.username}:${user.password}`).toString("base64")), "no Basic credentials");
  assert.doesNotMatch(text, /Bearer ey/);
  assert.ok(tokens.length >= 1, "the token server answered with a token");
  for (const token of tokens) assert.ok(!text.includes(token), "no token");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the Copy button puts the curl text on the clipboard", async () => {
  const context = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  const f = fixture("docker-v2");
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.open.host}/public/docker-v2:${f.tag}`)}`);
  await page.getByTestId("manifest-digest").waitFor({ timeout: 60_000 });
  const text = await curlText(page);
  await page.getByTestId("copy-curl").click();
  await page.waitForFunction(() => document.querySelector('[data-testid="copy-status"]').textContent.length > 0);
  assert.equal(await page.getByTestId("copy-status").textContent(), "Copied.");
  const pasted = await page.evaluate(() => navigator.clipboard.readText());
  assert.ok(pasted.includes(`${rig.open.url}/v2/public/docker-v2/manifests/${f.tag}`));
  assert.equal(pasted.split("\n")[0], text.split("\n")[0]);
  await context.close();
});
