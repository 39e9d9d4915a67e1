// Issue #11, hostile registries: every bad answer of the rig's evil registry (`regsight-evil`, one
// misbehaviour per repository `evil/<name>`) is a specific error, in bounded time and memory, and
// the client that met it still verifies `evil/good:latest` to rig.json's ground truth right after.
// Each case runs in Node.js (the package's "node" entry, one child process per case, so an
// unhandled rejection is pinned on its case and cannot take the run down) and in headless Chromium
// (the package on a plain page, Web Workers on, one page for all cases). Within a runtime the cases
// run at once, each on a sub-repository `evil/<name>/<runtime>-<run>` of its own so the evil
// registry's request log (written before each answer) tells their requests apart; those that cut or
// starve streams or burn CPU run one at a time afterwards.
//
// Expected values come from rig.json (`evil.good`, `evil.gzipBomb`, `evil.hugeManifest`), from the
// evil registry's documented behaviour (tests/rig/src/evil.rs, regsight-evil.rs), from the client's
// documented defaults and from bytes this file downloads and hashes itself, never from the client.
// Time bounds are three times what a case takes on a busy 2-core machine (stated in each test's
// name), so a hang, a retry loop or a cap that did not stop a read fails.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadRig } from "./support/browser.mjs";
import { chromiumRuntime, nodeRuntime } from "./support/hostile.mjs";

const rig = loadRig();
const evil = rig.evil;
const E = evil.host;
const TAG = evil.tag;
const GOOD = `${E}/evil/good:${TAG}`;
/** Distinguishes this run's sub-repositories from earlier runs' in the evil registry's log. */
const RUN = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
/** Small timeouts, where waiting is the point (defaults are 30 s and 60 s). */
const SHORT = { headersMs: 1500, idleMs: 1500 };
const HOSTILE_SCRIPT = "<script>alert(1)</script>";
const HOSTILE_IMG = `<img src=x onerror="window.__pwned=1">`;
/** A rig user the evil registry's realms know, as the client's credentials for it. */
const alice = rig.users.find((u) => u.username === "alice");
const ALICE = { [E]: { username: alice.username, password: alice.password } };
/** Longest message a hostile answer may make the client produce. */
const MAX_MESSAGE = 1000;

const sha256 = (bytes) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** The evil registry's request log, as lines. */
const logLines = () => readFileSync(evil.log, "utf8").split("\n").filter(Boolean);
/** The log's lines about `repo` (a sub-repository of this run), optionally of one method. */
function linesOf(repo, method = null) {
  const escaped = encodeURIComponent(repo);
  return logLines().filter(
    (l) => (l.includes(`/v2/${repo}/`) || l.includes(escaped)) && (method === null || l.split(" ")[1] === method),
  );
}
/**
 * The form of each POST to the realm `path` asking for `repo`'s pull scope (the scope is the last
 * field the client sends), with its status: `<fields> -> <status>`.
 */
function formsOf(path, repo) {
  const scope = `&scope=repository:${repo}:pull -> `;
  return logLines()
    .filter((l) => l.startsWith(`main POST ${path} `) && l.includes(scope))
    .map((l) => l.slice(l.indexOf(" form=") + 6));
}
/** What `formsOf` shows of alice's password grant for `repo`'s pull scope, answered `status`. */
const passwordGrant = (repo, status) =>
  `grant_type=password&username=alice&password=*&access_type=offline&client_id=regsight&service=${evil.service}&scope=repository:${repo}:pull -> ${status}`;
/** GETs of the realm `path` asking for `repo`'s pull scope. */
const tokenGetsOf = (path, repo) =>
  linesOf(repo, "GET").filter((l) => l.split(" ")[2].startsWith(`${path}?`) && l.includes(encodeURIComponent(`repository:${repo}:pull`)));
/** The status of each GET of `path` (under /v2/<repo>/) in the log, in order. */
function statuses(repo, path) {
  return linesOf(repo, "GET")
    .filter((l) => l.split(" ")[2] === `/v2/${repo}/${path}`)
    .map((l) => l.slice(l.indexOf(" -> ") + 4));
}

/** Bytes downloaded by this file from the evil registry, with Node's fetch. */
async function download(path) {
  const response = await fetch(`${evil.url}${path}`, {
    headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  assert.equal(response.status, 200, `GET ${path}`);
  return Buffer.from(await response.arrayBuffer());
}

/** The follow-up on the same client verified the good image to its ground truth. */
function assertRecovered(outcome) {
  const next = outcome.next;
  assert.ok(next, "no follow-up ran");
  assert.equal(next.error, undefined, `the follow-up verify threw: ${JSON.stringify(next.error)}`);
  assert.equal(next.ok, true, `the follow-up: ${next.problems?.join("; ")}`);
  assert.equal(next.manifestDigest, evil.good.manifest.digest);
  assert.equal(next.imageId, evil.good.config.digest);
  assert.deepEqual(
    next.layers,
    evil.good.layers.map((l) => ({ computedDigest: l.digest, computedDiffId: l.diffId })),
  );
}

/** The call threw an `Error` with exactly `code`, and a bounded message. */
function assertThrew(outcome, code) {
  assert.ok(outcome.error, `expected ${code}, the call resolved: ${JSON.stringify(outcome.value)?.slice(0, 500)}`);
  assert.equal(outcome.error.isError, true, "what was thrown is an Error");
  assert.equal(outcome.error.code, code, outcome.error.message.slice(0, 2000));
  assert.ok(
    outcome.error.message.length < MAX_MESSAGE,
    `message of ${outcome.error.message.length} chars: ${outcome.error.message.slice(0, 300)}...`,
  );
}

/** verify resolved with ok: false and its one layer's error exactly `code`; returns the layer. */
function assertLayerFailed(outcome, code) {
  assert.equal(outcome.error, null, `verify threw: ${JSON.stringify(outcome.error)}`);
  const result = outcome.value;
  assert.equal(result.ok, false);
  assert.equal(result.layers.length, 1);
  const layer = result.layers[0];
  assert.equal(layer.ok, false);
  assert.equal(layer.error?.code, code, JSON.stringify(layer.error));
  assert.ok(layer.error.message.length < MAX_MESSAGE, `layer message of ${layer.error.message.length} chars`);
  for (const p of result.problems) assert.ok(p.length < MAX_MESSAGE, `problem of ${p.length} chars`);
  return layer;
}

/** verify resolved ok with the good image's digests (the repository serves the good image). */
function assertVerifiedGood(outcome) {
  assert.equal(outcome.error, null, `verify threw: ${JSON.stringify(outcome.error)}`);
  const result = outcome.value;
  assert.equal(result.ok, true, `the call: ${result.problems.join("; ")}`);
  assert.equal(result.manifestDigest, evil.good.manifest.digest);
  assert.equal(result.imageId, evil.good.config.digest);
  assert.deepEqual(
    result.layers.map((l) => ({ computedDigest: l.computedDigest, computedDiffId: l.computedDiffId })),
    evil.good.layers.map((l) => ({ computedDigest: l.digest, computedDiffId: l.diffId })),
  );
}

/** Every URL the client handed to fetch during the case is an http URL of the evil registry. */
function assertFetchedOnlyEvil(outcome) {
  assert.ok(outcome.fetched.length >= 1, "the case fetched nothing");
  for (const url of outcome.fetched) {
    assert.ok(url.startsWith(`${evil.url}/`), `fetched ${url}`);
  }
}

/**
 * The cases. `sub` is the case's own sub-repository (`evil/<name>/<runtime>-<run>`). `expectMs` is
 * what the call takes on this busy 2-core machine (a hang, a retry loop or reading what a cap should
 * have stopped takes far longer); the bound asserted is three times that. `serial` cases run one at
 * a time, after the others. `repository` names the evil repository when it is not the case's name
 * (the sub-repository then also carries the case's name, apart from that repository's own case).
 */
const CASES = [
  // ---- Silence: timeouts.
  {
    name: "never-headers",
    serial: true,
    what: "no headers ever: TIMEOUT after headersMs",
    expectMs: 2000,
    spec: (sub) => ({ options: { timeouts: SHORT }, call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "TIMEOUT");
      assert.match(o.error.message, /no response headers for 1500 ms/);
      assert.ok(o.ms >= 1400, `gave up after ${o.ms} ms, before headersMs`);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["hang"]);
    },
  },
  {
    name: "drip",
    serial: true,
    what: "headers, then one byte every 5 s: TIMEOUT after idleMs",
    expectMs: 2000,
    spec: (sub) => ({ options: { timeouts: SHORT }, call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "TIMEOUT");
      assert.match(o.error.message, /no body bytes for 1500 ms/);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["200 drip"]);
    },
  },
  // ---- 429 and 5xx: waited out, retried twice at most, or failed at once.
  {
    name: "status-429-once",
    what: "one 429 with Retry-After: 1 per path: waited out, verifies",
    expectMs: 4000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertVerifiedGood(o);
      assert.ok(o.ms >= 1000, `verified after ${o.ms} ms: Retry-After: 1 was not waited out`);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["429", "200"]);
      assert.deepEqual(statuses(sub, `blobs/${evil.good.config.digest}`), ["429", "200"]);
      assert.deepEqual(statuses(sub, `blobs/${evil.good.layers[0].digest}`), ["429", "200"]);
    },
  },
  {
    name: "status-429-hour",
    what: "429 with Retry-After: 3600: TOOMANYREQUESTS at once, naming the wait",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "TOOMANYREQUESTS");
      assert.match(o.error.message, /\b3600\b/);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["429"]);
    },
  },
  {
    name: "status-502-once",
    what: "one proxy 502 per path: retried, verifies",
    expectMs: 3000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertVerifiedGood(o);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["502", "200"]);
      assert.deepEqual(statuses(sub, `blobs/${evil.good.layers[0].digest}`), ["502", "200"]);
    },
  },
  {
    name: "status-503-twice",
    what: "two 503s per path: retried twice, verifies",
    expectMs: 7000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertVerifiedGood(o);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["503", "503", "200"]);
      assert.deepEqual(statuses(sub, `blobs/${evil.good.layers[0].digest}`), ["503", "503", "200"]);
    },
  },
  {
    name: "status-500",
    what: "500: fails at once, no retry",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "REGISTRY_ERROR");
      assert.match(o.error.message, /\b500\b/);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["500"]);
    },
  },
  {
    name: "status-504",
    what: "504 forever: fails after exactly 3 requests",
    expectMs: 3000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "REGISTRY_ERROR");
      assert.match(o.error.message, /\b504\b/);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["504", "504", "504"]);
    },
  },
  // ---- Tag lists.
  {
    name: "tags-many",
    what: "150,000 tags with maxTags 1000: LIMIT_EXCEEDED naming the limit",
    expectMs: 1000,
    spec: (sub) => ({ options: { limits: { maxTags: 1000 } }, call: "tags", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "LIMIT_EXCEEDED");
      assert.match(o.error.message, /limits\.maxTags/);
      assert.match(o.error.message, /\b1000\b/);
      // 1,000 tags a page by default: the second page already goes over.
      const pages = linesOf(sub, "GET").filter((l) => l.includes("/tags/list")).length;
      assert.ok(pages >= 1 && pages <= 2, `${pages} pages read`);
    },
  },
  {
    name: "tags-endless",
    serial: true,
    what: "endless pages, default limits: LIMIT_EXCEEDED at maxTags 100,000",
    expectMs: 15000,
    spec: (sub) => ({ call: "tags", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      assertThrew(o, "LIMIT_EXCEEDED");
      // The documented default maxTags (100,000) is what stops it: the evil pages hold 100 tags
      // unless asked for up to 1,000, so it takes 100 to 1,000 pages.
      assert.match(o.error.message, /limits\.maxTags/);
      assert.match(o.error.message, /100[,_ ]?000/);
    },
  },
  {
    name: "tags-loop",
    what: "pages A -> B -> A: UNSUPPORTED, refused for safety",
    expectMs: 1000,
    spec: (sub) => ({ call: "tags", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "UNSUPPORTED");
      assert.match(o.error.message, /refused for safety/);
      assert.match(o.error.message, /loop/);
      const gets = linesOf(sub, "GET").filter((l) => l.includes("/tags/list"));
      assert.ok(gets.length >= 2 && gets.length <= 3, gets.join("\n"));
    },
  },
  // ---- Manifests.
  {
    name: "huge-manifest",
    serial: true,
    what: "a 64 MiB manifest: LIMIT_EXCEEDED without reading it all",
    expectMs: 2000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "LIMIT_EXCEEDED");
      assert.ok(evil.hugeManifest.size > 64 << 20, "the truth: over 64 MiB");
      assert.match(o.error.message, /manifest/);
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["200"]);
    },
  },
  {
    name: "not-json",
    what: "an HTML page as manifest: INVALID_RESPONSE",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      assertThrew(o, "INVALID_RESPONSE");
    },
  },
  {
    name: "deep-json",
    what: "JSON nested 100,000 deep: INVALID_RESPONSE, no stack overflow",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      assertThrew(o, "INVALID_RESPONSE");
    },
  },
  {
    name: "wrong-content-type",
    what: "manifest sent as text/plain: verifies",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      assertVerifiedGood(o);
    },
  },
  // ---- Blobs that are not what they claim.
  {
    name: "short-blob",
    what: "layer body half its size: ok:false, SIZE_MISMATCH, digest of the half received",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      const layer = assertLayerFailed(o, "SIZE_MISMATCH");
      const whole = readFileSync(evil.good.layers[0].file);
      assert.equal(whole.length, evil.good.layers[0].size);
      const half = whole.subarray(0, Math.floor(whole.length / 2));
      assert.equal(layer.bytes, half.length);
      assert.equal(layer.computedDigest, sha256(half));
      assert.equal(o.value.config.ok, true);
    },
  },
  {
    name: "long-blob",
    serial: true,
    what: "layer body plus 64 MiB: ok:false, SIZE_MISMATCH, stops reading early",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      const layer = assertLayerFailed(o, "SIZE_MISMATCH");
      assert.match(layer.error.message, /longer than its declared size/);
    },
  },
  {
    name: "lying-length",
    serial: true,
    what: "Content-Length of the full layer, half sent, connection closed: ok:false, SIZE_MISMATCH with the digest of the half received, the break a NETWORK error that does not blame CORS",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      const layer = assertLayerFailed(o, "SIZE_MISMATCH");
      assert.deepEqual(statuses(sub, `blobs/${evil.good.layers[0].digest}`), ["200 lie"]);
      // The runtime hands over what it got before the connection closed (Node: all of the half
      // sent; Chromium may hand over none of it): the digest is that of exactly those bytes.
      const whole = readFileSync(evil.good.layers[0].file);
      assert.ok(layer.bytes <= Math.floor(whole.length / 2), `${layer.bytes} bytes`);
      assert.equal(layer.computedDigest, sha256(whole.subarray(0, layer.bytes)));
      // The 200 and its CORS headers arrived; the body was cut: that is not CORS.
      const broke = layer.otherErrors.filter((e) => e.code === "NETWORK");
      assert.equal(broke.length, 1, JSON.stringify(layer.otherErrors));
      assert.match(broke[0].message, /broke after \d+ bytes/);
      assert.doesNotMatch(broke[0].message, /CORS/);
    },
  },
  {
    name: "gzip-bomb",
    serial: true,
    what: "10 GiB of zeros in a true ~10 MB gzip layer: ok:false, LIMIT_EXCEEDED by the ratio cap, digest right",
    expectMs: 20000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { runtime }) {
      const layer = assertLayerFailed(o, "LIMIT_EXCEEDED");
      assert.match(layer.error.message, /maxRatio/);
      // Stopped by the default ratio cap (100x the declared size), far from the 10 GiB.
      assert.ok(layer.uncompressedBytes <= 101 * evil.gzipBomb.size, `inflated ${layer.uncompressedBytes} bytes`);
      assert.ok(layer.uncompressedBytes < evil.gzipBomb.inflatedSize / 8);
      assert.equal(layer.computedDigest, evil.gzipBomb.digest);
      assert.equal(layer.bytes, evil.gzipBomb.size);
      if (runtime === "node") {
        // The whole Node process (wasm memory included) while it inflated a gigabyte.
        assert.ok(o.maxRssMib < 512, `the Node process grew to ${o.maxRssMib} MiB`);
      }
    },
  },
  {
    name: "bad-deflate",
    what: "an invalid deflate block type: ok:false, CORRUPT_STREAM, computed digest = declared",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    async check(o) {
      const layer = assertLayerFailed(o, "CORRUPT_STREAM");
      const manifest = JSON.parse(await download(`/v2/evil/bad-deflate/manifests/${TAG}`));
      const declared = manifest.layers[0].digest;
      assert.equal(sha256(await download(`/v2/evil/bad-deflate/blobs/${declared}`)), declared);
      assert.equal(layer.digest, declared);
      assert.equal(layer.computedDigest, declared);
      assert.equal(layer.bytes, manifest.layers[0].size);
    },
  },
  // ---- Authentication gone wrong.
  {
    name: "auth-forever",
    what: "tokens that never work: UNAUTHORIZED after a bounded number of token requests",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "UNAUTHORIZED");
      const tokenRequests = linesOf(sub, "GET").filter((l) => l.split(" ")[2].startsWith("/forever/token?"));
      assert.ok(tokenRequests.length >= 1 && tokenRequests.length <= 2, tokenRequests.join("\n"));
      assert.ok(statuses(sub, `manifests/${TAG}`).length <= 3);
    },
  },
  ...[
    ["realm-javascript", "javascript:alert(1)"],
    ["realm-file", "file:///etc/passwd"],
    ["realm-data", "data:text/plain,x"],
    ["realm-ftp", `ftp://${E}/token`],
  ].map(([name, realm]) => ({
    name,
    what: `realm ${realm}: refused, nothing fetched there`,
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, runtime }) {
      assertThrew(o, "INVALID_RESPONSE");
      assert.ok(o.error.message.includes(realm), o.error.message);
      // The registry was asked once; no token request of this repository's scope anywhere.
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["401"]);
      assert.deepEqual(linesOf(sub, "GET").filter((l) => !l.split(" ")[2].startsWith("/v2/")), []);
      if (runtime === "node") {
        assert.deepEqual(o.fetched, [`${evil.url}/v2/${sub}/manifests/${TAG}`]);
      }
    },
  })),
  {
    name: "realm-relative",
    what: "realm /evil-token: resolved against the registry, then UNAUTHORIZED",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, runtime }) {
      assertThrew(o, "UNAUTHORIZED");
      const asked = linesOf(sub, "GET").filter((l) => l.split(" ")[2].startsWith("/evil-token?"));
      assert.ok(asked.length >= 1 && asked.length <= 2, asked.join("\n"));
      if (runtime === "node") assertFetchedOnlyEvil(o);
    },
  },
  {
    name: "challenge-unterminated",
    what: "a quote that never ends: INVALID_RESPONSE, no token request",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, runtime }) {
      assertThrew(o, "INVALID_RESPONSE");
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["401"]);
      assert.deepEqual(logLines().filter((l) => l.includes("/forever/token,")), []);
      if (runtime === "node") assert.deepEqual(o.fetched, [`${evil.url}/v2/${sub}/manifests/${TAG}`]);
    },
  },
  {
    name: "challenge-duplicate-realm",
    what: "two realms: INVALID_RESPONSE, neither asked",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, runtime }) {
      assertThrew(o, "INVALID_RESPONSE");
      assert.deepEqual(linesOf(sub, "GET").filter((l) => /\/dup-[ab]\/token/.test(l)), []);
      if (runtime === "node") assert.deepEqual(o.fetched, [`${evil.url}/v2/${sub}/manifests/${TAG}`]);
    },
  },
  {
    name: "challenge-no-realm",
    what: "a Bearer challenge without realm: INVALID_RESPONSE",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, runtime }) {
      assertThrew(o, "INVALID_RESPONSE");
      assert.deepEqual(statuses(sub, `manifests/${TAG}`), ["401"]);
      if (runtime === "node") assert.deepEqual(o.fetched, [`${evil.url}/v2/${sub}/manifests/${TAG}`]);
    },
  },
  {
    name: "token-not-json",
    what: "the realm answers HTML: INVALID_RESPONSE",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "INVALID_RESPONSE");
      assert.equal(linesOf(sub, "GET").filter((l) => l.split(" ")[2].startsWith("/token-not-json?")).length, 1);
    },
  },
  {
    name: "token-no-token",
    what: "the realm answers JSON without a token: INVALID_RESPONSE",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertThrew(o, "INVALID_RESPONSE");
      assert.equal(linesOf(sub, "GET").filter((l) => l.split(" ")[2].startsWith("/token-no-token?")).length, 1);
    },
  },
  // ---- OAuth2 token POSTs (distribution's token spec).
  {
    name: "oauth",
    what: "a password to a POST-only realm: a password grant, then a new repository by refresh token, both verify",
    // Two verifications.
    expectMs: 2500,
    spec: (sub) => ({
      options: { credentials: ALICE },
      call: "verify",
      ref: `${E}/${sub}:${TAG}`,
      then: { call: "verify", ref: `${E}/${sub}/other:${TAG}` },
    }),
    check(o, { sub }) {
      assertVerifiedGood(o);
      assertVerifiedGood({ error: null, value: o.then });
      assert.deepEqual(formsOf("/oauth/token", sub), [
        passwordGrant(sub, 200),
      ]);
      // A new scope, a new token: asked for with the refresh token, never the password again.
      assert.deepEqual(formsOf("/oauth/token", `${sub}/other`), [
        `grant_type=refresh_token&refresh_token=*&client_id=regsight&service=${evil.service}&scope=repository:${sub}/other:pull -> 200`,
      ]);
      assert.deepEqual(tokenGetsOf("/oauth/token", sub), []);
      assert.ok(!logLines().some((l) => l.includes(alice.password)), "the log never holds the password");
    },
  },
  {
    name: "oauth-wrong-password",
    repository: "oauth",
    what: "a wrong password: the realm's invalid_grant is UNAUTHORIZED quoting it, one POST, no GET",
    expectMs: 1000,
    spec: (sub) => ({
      options: { credentials: { [E]: { username: "alice", password: "not-alices" } } },
      call: "verify",
      ref: `${E}/${sub}:${TAG}`,
    }),
    check(o, { sub }) {
      assertThrew(o, "UNAUTHORIZED");
      assert.match(o.error.message, /invalid username or password/);
      assert.deepEqual(formsOf("/oauth/token", sub), [
        passwordGrant(sub, 400),
      ]);
      assert.deepEqual(tokenGetsOf("/oauth/token", sub), []);
    },
  },
  {
    name: "oauth-both",
    what: "a realm that takes GET and POST: asked by POST, verifies",
    expectMs: 1000,
    spec: (sub) => ({ options: { credentials: ALICE }, call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertVerifiedGood(o);
      assert.deepEqual(formsOf("/token", sub), [
        passwordGrant(sub, 200),
      ]);
      assert.deepEqual(tokenGetsOf("/token", sub), []);
    },
  },
  {
    name: "oauth-redirect",
    what: "a realm that redirects to another origin: the token POST is not followed, the GET fallback arrives without Basic: REGISTRY_ERROR",
    expectMs: 1000,
    spec: (sub) => ({ options: { credentials: ALICE }, call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, logBefore }) {
      assertThrew(o, "REGISTRY_ERROR");
      // The form went once to the realm the registry named, and no further.
      assert.deepEqual(formsOf("/redirect/token", sub), [passwordGrant(sub, 307)]);
      const scope = `repository:${sub}:pull`;
      const other = readFileSync(evil.log, "utf8")
        .slice(logBefore)
        .split("\n")
        .filter((l) => l.startsWith("other ") && (l.includes(encodeURIComponent(scope)) || l.includes(`scope=${scope}`)));
      assert.equal(other.length, 1, other.join("\n"));
      assert.match(other[0], /^other GET \/token\?\S+ origin=\S+ auth=- -> 404$/);
    },
  },
  // ---- Redirects.
  {
    name: "tags-redirect",
    what: "tags/list redirected: its relative Link resolves against the final URL, every tag of both pages",
    expectMs: 1000,
    spec: (sub) => ({ call: "tags", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assert.equal(o.error, null, JSON.stringify(o.error));
      assert.deepEqual(o.value, ["r1", "r2", "r3"]);
      const gets = linesOf(sub, "GET").map((l) => `${l.split(" ")[2].split("?")[0] === `/v2/${sub}/tags/list` ? "asked" : l.split(" ")[2]} ${l.slice(l.indexOf(" -> ") + 4)}`);
      assert.deepEqual(gets, ["asked 307", `/moved/v2/${sub}/tags/list 200`, `/moved/v2/${sub}/tags/list?page=2 200`]);
    },
  },
  {
    name: "redirect-loop",
    serial: true,
    what: "the layer redirects A -> B -> A: ok:false, NETWORK, a bounded number of hops",
    expectMs: 2000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub }) {
      assertLayerFailed(o, "NETWORK");
      const hops = linesOf(sub, "GET").filter((l) => l.includes(`/blobs/${evil.good.layers[0].digest}`));
      assert.ok(hops.length >= 2 && hops.length <= 100, `${hops.length} redirects followed`);
    },
  },
  {
    name: "redirect-cross",
    what: "Bearer registry whose blobs 307 to another origin: verifies, no credentials cross",
    expectMs: 1500,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o, { sub, logBefore }) {
      assertVerifiedGood(o);
      // The registry got the token...
      const blobGets = linesOf(sub, "GET").filter((l) => l.includes("/blobs/"));
      assert.ok(blobGets.length >= 2, blobGets.join("\n"));
      for (const l of blobGets) assert.match(l, / auth=bearer -> 307$/);
      // ...the other origin served both blobs, and no request there carried credentials.
      const other = readFileSync(evil.log, "utf8").slice(logBefore).split("\n").filter((l) => l.startsWith("other "));
      for (const digest of [evil.good.config.digest, evil.good.layers[0].digest]) {
        assert.ok(other.some((l) => l.startsWith(`other GET /cdn/${digest} `) && l.endsWith(" -> 200")), other.join("\n"));
      }
      assert.deepEqual(other.filter((l) => !/ auth=- /.test(l)), []);
    },
  },
  // ---- Options are checked.
  {
    name: "option-bogus",
    what: "new Client({ bogus: 1 }): INVALID_ARGUMENT naming `bogus`",
    expectMs: 1000,
    spec: () => ({ options: { bogus: 1 }, call: "construct" }),
    check(o) {
      assertThrew(o, "INVALID_ARGUMENT");
      assert.match(o.error.message, /bogus/);
    },
  },
  {
    name: "option-maxTags-0",
    what: "limits: { maxTags: 0 }: INVALID_ARGUMENT naming maxTags",
    expectMs: 1000,
    spec: () => ({ options: { limits: { maxTags: 0 } }, call: "construct" }),
    check(o) {
      assertThrew(o, "INVALID_ARGUMENT");
      assert.match(o.error.message, /maxTags/);
    },
  },
  {
    name: "option-headersMs-negative",
    what: "timeouts: { headersMs: -5 }: INVALID_ARGUMENT naming headersMs",
    expectMs: 1000,
    spec: () => ({ options: { timeouts: { headersMs: -5 } }, call: "construct" }),
    check(o) {
      assertThrew(o, "INVALID_ARGUMENT");
      assert.match(o.error.message, /headersMs/);
    },
  },
  {
    name: "option-concurrency-99",
    what: "concurrency: 99: INVALID_ARGUMENT naming concurrency",
    expectMs: 1000,
    spec: () => ({ options: { concurrency: 99 }, call: "construct" }),
    check(o) {
      assertThrew(o, "INVALID_ARGUMENT");
      assert.match(o.error.message, /concurrency/);
    },
  },
  {
    name: "option-tags-listFiles",
    what: "client.tags(ref, { listFiles: true }): INVALID_ARGUMENT naming listFiles",
    expectMs: 1000,
    spec: () => ({ call: "tags", ref: GOOD, callOptions: { listFiles: true } }),
    check(o) {
      assertThrew(o, "INVALID_ARGUMENT");
      assert.match(o.error.message, /listFiles/);
    },
  },
  // ---- Hostile strings.
  {
    name: "hostile",
    what: "hostile annotations: verifies, the manifest's true digest",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    async check(o) {
      assert.equal(o.error, null, JSON.stringify(o.error));
      assert.equal(o.value.ok, true, o.value.problems.join("; "));
      assert.equal(o.value.manifestDigest, sha256(await download(`/v2/evil/hostile/manifests/${TAG}`)));
      assert.equal(o.value.imageId, evil.good.config.digest);
    },
  },
  {
    name: "hostile-error",
    what: "an unknown tag answered with hostile error codes, messages and details: MANIFEST_UNKNOWN, bounded",
    expectMs: 1000,
    spec: (sub) => ({ call: "manifest", ref: `${E}/${sub}:nope` }),
    check(o) {
      assertThrew(o, "MANIFEST_UNKNOWN");
    },
  },
  {
    name: "hostile-tags",
    what: "hostile tags: listed as the data they are",
    expectMs: 1000,
    spec: (sub) => ({ call: "tags", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      assert.equal(o.error, null, JSON.stringify(o.error));
      assert.deepEqual(o.value, [TAG, HOSTILE_SCRIPT, HOSTILE_IMG]);
    },
  },
  {
    name: "hostile-digest",
    what: "hostile HTML as Docker-Content-Digest: the chain fails on that header, bounded problems",
    expectMs: 1000,
    spec: (sub) => ({ call: "verify", ref: `${E}/${sub}:${TAG}` }),
    check(o) {
      assert.equal(o.error, null, JSON.stringify(o.error));
      const result = o.value;
      assert.equal(result.ok, false);
      assert.equal(result.verdict, "failed");
      assert.equal(result.manifestDigest, evil.good.manifest.digest);
      assert.equal(result.chain.manifest.header, "failed");
      assert.equal(result.layers[0].computedDigest, evil.good.layers[0].digest);
      assert.equal(result.problems.length, 1, result.problems.join("\n"));
      assert.match(result.problems[0], /Docker-Content-Digest/);
      for (const p of result.problems) assert.ok(p.length < MAX_MESSAGE, `problem of ${p.length} chars`);
    },
  },
];

/** The repository a case's references name (`evil/<name>` for the hostile-* offshoots). */
const repositoryOf = (name) => (name.startsWith("hostile-") && name !== "hostile-digest" ? "hostile" : name);

function runtimeSuite(label, start, concurrency) {
  describe(label, () => {
    let runtime;
    /** Unhandled rejections seen during the serial cases (so known to be theirs). */
    let attributed = 0;
    before(async () => {
      runtime = await start();
    });
    after(async () => {
      await runtime?.close();
    });

    const caseTest = (c, serial) => {
      const boundMs = 3 * c.expectMs;
      test(`${c.name}: ${c.what} (< ${boundMs} ms)`, async (t) => {
        const sub = c.repository
          ? `evil/${c.repository}/${c.name}-${label}-${RUN}`
          : `evil/${repositoryOf(c.name)}/${label}-${RUN}`;
        const spec = { ...c.spec(sub), followUp: GOOD };
        const logBefore = readFileSync(evil.log, "utf8").length;
        const outcome = await runtime.run(spec, boundMs + 120_000);
        if (serial) attributed += outcome.unhandled.length;
        const said = outcome.error
          ? `threw ${outcome.error.code}`
          : outcome.value?.layers
            ? `resolved ok: ${outcome.value.ok}, layer: ${outcome.value.layers[0]?.error?.code ?? "ok"}`
            : "resolved";
        t.diagnostic(`${said} after ${Math.round(outcome.ms)} ms${outcome.maxRssMib ? `, peak RSS ${outcome.maxRssMib} MiB` : ""}`);
        await c.check(outcome, { sub, runtime: label, logBefore });
        assert.ok(outcome.ms < boundMs, `settled after ${Math.round(outcome.ms)} ms, bound ${boundMs} ms`);
        assertRecovered(outcome);
        // Exact in Node (a process per case) and for Chromium's serial cases (nothing else runs).
        if (label === "node" || serial) assert.deepEqual(outcome.unhandled, [], "unhandled rejections");
      });
    };

    // Cases that cut or starve a stream, or burn CPU, run one at a time after the others.
    describe("at once", { concurrency }, () => {
      for (const c of CASES.filter((c) => !c.serial)) caseTest(c, false);
    });
    describe("one at a time", () => {
      for (const c of CASES.filter((c) => c.serial)) caseTest(c, true);
    });

    if (label === "chromium") {
      test("the page ran nothing hostile, fetched only http(s), used workers, and every unhandled rejection was a case's", async () => {
        const state = await runtime.state();
        assert.equal(state.pwned, "undefined");
        assert.deepEqual(state.dialogs, []);
        const pageErrors = state.pageErrors.filter((e) => !state.rejections.some((r) => r.startsWith(e.error)));
        assert.ok(state.workersStarted >= 1, "layers were verified in Web Workers");
        for (const url of [...state.fetched, ...state.requests]) {
          assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\//, `requested ${url}`);
        }
        // Those seen during a serial case fail that case's test; any other is unaccounted for.
        assert.equal(
          state.rejections.length + pageErrors.length,
          attributed,
          [...state.rejections, ...pageErrors.map((e) => `page error during ${e.during.join(", ")}: ${e.error}`)].join("\n\n"),
        );
      });
    }
  });
}

runtimeSuite("node", nodeRuntime, 6);
runtimeSuite("chromium", chromiumRuntime, 6);
