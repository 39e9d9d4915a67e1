// The deployable site (`cargo xtask site`, rendered by `cargo xtask test` into $REGSIGHT_SITE) served
// by its own nginx with its security headers on: the page verifies images of the rig's hub-like
// registry (token realm on another origin, blobs redirected to a CDN, no CORS anywhere) through the
// same-origin gateway by familiar name; the same registry opened directly fails with the CORS
// explanation; the pull-through mirror recipe serves a private image.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { launchChromium, loadRig } from "./support/browser.mjs";

const rig = loadRig();
const SITE = process.env.REGSIGHT_SITE;
const SITE_URL = process.env.REGSIGHT_SITE_URL;
const { fixture } = rig;
const alice = rig.users.find((u) => u.username === "alice");

let nginx;
let browser;

/** Resolves once something listens on `port`, rejects after `ms`. */
async function listening(port, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const open = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1", () => (socket.end(), resolve(true)));
      socket.on("error", () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  if (!SITE || !SITE_URL) throw new Error("REGSIGHT_SITE and REGSIGHT_SITE_URL are not set: run these tests with `cargo xtask test`");
  // Exactly the command deploy/README.md gives.
  nginx = spawn("nginx", ["-p", SITE, "-c", join(SITE, "nginx.conf"), "-g", "daemon off;"], { stdio: "inherit" });
  await listening(Number(new URL(SITE_URL).port), 10_000);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((r) => nginx.once("exit", r));
    nginx.kill("SIGTERM");
    await exited;
  }
});

/** Opens the site's page on `query`, collecting page errors and CSP violations. */
async function open(query) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/.test(m.text())) errors.push(m.text());
  });
  const response = await page.goto(`${SITE_URL}/?${query}`);
  return { page, errors, response };
}

async function waitForVerdict(page) {
  await page.waitForFunction(
    () => /verified|failed/.test(document.querySelector('[data-testid="verdict"]')?.textContent ?? ""),
    null,
    { timeout: 60_000 },
  );
  return page.getByTestId("verdict").textContent();
}

const familiar = (repository, tag) => `${repository.replace(/^library\//, "")}:${tag}`;

test("the page is served with its security headers and the site config", async () => {
  const { page, errors, response } = await open("");
  const headers = response.headers();
  const csp = headers["content-security-policy"] ?? "";
  for (const directive of ["script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
    assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
  }
  assert.ok(!/script-src[^;]*'unsafe-inline'/.test(csp), `no unsafe-inline scripts: ${csp}`);
  assert.equal(headers["x-content-type-options"], "nosniff");
  assert.equal(headers["referrer-policy"], "no-referrer");
  assert.match(headers["cache-control"] ?? "", /no-store/);
  const config = await (await fetch(`${SITE_URL}/regsight.json`)).json();
  assert.equal(config.mirrors["docker.io"], "/registries/docker.io");
  const wasm = readFileSync(join(SITE, "www", "index.html"), "utf8").match(/[\w-]+_bg\.wasm/)?.[0];
  assert.ok(wasm, "index.html names its wasm");
  const wasmResponse = await fetch(`${SITE_URL}/${wasm}`);
  assert.equal(wasmResponse.headers.get("content-type"), "application/wasm");
  assert.match(wasmResponse.headers.get("cache-control") ?? "", /no-cache/);
  await page.getByTestId("reference").waitFor();
  assert.deepEqual(errors, []);
  await page.close();
});

test("every hub image verifies through the gateway by its familiar name; the broken one fails on its layer", async () => {
  assert.ok(rig.hub.images.length >= 3, "the hub has images");
  const cdnLogBefore = readFileSync(rig.hub.cdn.log, "utf8").length;
  for (const image of rig.hub.images) {
    const f = fixture(image.fixture);
    const ref = familiar(image.repository, image.tag);
    const { page, errors } = await open(`image=${encodeURIComponent(ref)}&verify=1`);
    const text = await waitForVerdict(page);
    const rows = await page.getByTestId("layer-row").evaluateAll((r) => r.map((row) => row.dataset.status));
    assert.equal(rows.length, f.images[0].layers.length, `${ref}: layer rows`);
    if (f.expect.ok) {
      assert.match(text, /verified/, `${ref}: ${text}`);
      assert.deepEqual(rows, rows.map(() => "ok"), ref);
    } else {
      assert.match(text, /failed/, `${ref}: ${text}`);
      rows.forEach((status, i) => assert.equal(status, i === f.expect.failingLayer ? "mismatch" : "ok", `${ref} layer ${i}`));
    }
    assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.images[0].manifest.digest, ref);
    // Through a gateway on a tag: the verdict names the gateway's origin, not the upstream's.
    if (f.expect.ok) {
      assert.equal(await page.getByTestId("trust").getAttribute("data-pinned"), "false");
      assert.ok((await page.getByTestId("trust").textContent()).includes(SITE_URL), ref);
    }
    assert.deepEqual(errors, [], ref);
    await page.close();
  }
  const cdnLog = readFileSync(rig.hub.cdn.log, "utf8").slice(cdnLogBefore);
  assert.ok(cdnLog.trim().length > 0, "the gateway fetched blobs from the hub's CDN");
  for (const line of cdnLog.trim().split("\n")) assert.match(line, /auth="-?"/, `no Authorization at the CDN: ${line}`);
});

test("a private hub image needs the credentials typed into the page", async () => {
  const image = rig.hub.private[0];
  const f = fixture(image.fixture);
  const ref = `${image.repository}:${image.tag}`;
  const anonymous = await open(`image=${encodeURIComponent(ref)}&verify=1`);
  await anonymous.page.getByTestId("error").waitFor({ timeout: 30_000 });
  assert.match(await anonymous.page.getByTestId("error").textContent(), /UNAUTHORIZED|DENIED/);
  await anonymous.page.close();

  const { page, errors } = await open("");
  await page.getByTestId("reference").fill(ref);
  await page.getByTestId("username").fill(alice.username);
  await page.getByTestId("password").fill(alice.password);
  await page.getByTestId("verify").click();
  assert.match(await waitForVerdict(page), /verified/);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.images[0].manifest.digest);
  assert.ok(!page.url().includes(alice.password), "the password is not in the URL");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the gateway serves only its upstreams, only reads, and no upstream CORS", async () => {
  const unknown = await fetch(`${SITE_URL}/registries/nope.example/v2/`);
  assert.ok(unknown.status >= 400 && unknown.status < 500, `unknown upstream: ${unknown.status}`);
  const post = await fetch(`${SITE_URL}/registries/docker.io/v2/library/hello/blobs/uploads/`, { method: "POST" });
  assert.ok(post.status >= 400 && post.status < 500, `POST: ${post.status}`);
  const challenge = await fetch(`${SITE_URL}/registries/docker.io/v2/`);
  assert.equal(challenge.status, 401);
  const header = challenge.headers.get("www-authenticate") ?? "";
  assert.match(header, /realm="\/realms\/docker\.io\//, `the realm is rewritten to the gateway: ${header}`);
  assert.ok(![...challenge.headers.keys()].some((k) => k.startsWith("access-control-")), "no CORS headers");
});

test("the hub-like registry opened directly fails with the CORS explanation naming the site gateway", async () => {
  const ref = `${rig.hub.host}/library/hello:v1`;
  const { page } = await open(`image=${encodeURIComponent(ref)}&verify=1`);
  const error = page.getByTestId("error");
  await error.waitFor({ timeout: 30_000 });
  assert.match(await error.textContent(), /NETWORK/);
  assert.match(await page.getByTestId("cors-fix").textContent(), /site with its gateway/);
  await page.close();
});

test("the pull-through mirror recipe verifies a private image through a distribution mirror", async () => {
  const f = fixture("docker-v2");
  const ref = "private/docker-v2:v1";
  const { page, errors } = await open(`image=${encodeURIComponent(ref)}&mirror=${encodeURIComponent(rig.pullThrough.url)}&verify=1`);
  assert.match(await waitForVerdict(page), /verified/);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.images[0].manifest.digest);
  assert.ok((await page.getByTestId("trust").textContent()).includes(rig.pullThrough.url));
  assert.deepEqual(errors, []);
  await page.close();
});

test("with --cache, an anonymous content-addressed blob is served from the cache the second time, unchanged", async () => {
  const f = fixture("oci-gzip");
  const layer = f.images[0].layers[0];
  const url = `${SITE_URL}/registries/${rig.open.host}/v2/public/oci-gzip/blobs/${layer.claimedDigest}`;
  const statuses = [];
  for (let i = 0; i < 2; i++) {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    const body = Buffer.from(await response.arrayBuffer());
    // The digest comes from the rig's truth (sha256sum), not from this test.
    assert.equal(`sha256:${createHash("sha256").update(body).digest("hex")}`, layer.digest);
    statuses.push(response.headers.get("x-regsight-cache"));
  }
  assert.deepEqual(statuses, ["MISS", "HIT"]);
  // A request with credentials is never answered from (nor stored in) the cache.
  const authorized = await fetch(url, { headers: { Authorization: "Bearer not-a-real-token" } });
  assert.notEqual(authorized.headers.get("x-regsight-cache"), "HIT");
});
