// Trust: credentials reach only the endpoint they are keyed by, in Node and in a browser, proven by
// the token server's own request log; an expiring token is renewed on the workers' path; a password
// login to a token server that takes no OAuth2 POST falls back to GET, once per realm.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadRig } from "./support/browser.mjs";
import { PKG, embedSessionPerFile } from "./support/package.mjs";

const rig = loadRig();
const alice = rig.users.find((u) => u.username === "alice");
const stale = rig.users.find((u) => u.username === "stale");
const { fixture } = rig;

/** The token server's request log lines written while `work` runs. */
async function tokenRequestsDuring(work) {
  const before = readFileSync(rig.tokenServer.log, "utf8").length;
  await work();
  return readFileSync(rig.tokenServer.log, "utf8").slice(before).split("\n").filter(Boolean);
}

/**
 * The mirror scenario of the issue, run by `call(options, reference)` in some runtime: Docker Hub
 * credentials must not reach a mirror of Docker Hub; keyed by the mirror's host they do.
 */
async function mirrorGetsOnlyItsOwnCredentials(call, repository) {
  const reference = `${repository}:v1`;
  const credentials = { username: alice.username, password: alice.password };
  const scope = `scope=repository:${repository}:pull`;
  let hubKeyed;
  const refused = await tokenRequestsDuring(async () => {
    hubKeyed = await call({ mirrors: { "docker.io": rig.token.url }, credentials: { "docker.io": credentials } }, reference);
  });
  assert.ok(["DENIED", "UNAUTHORIZED"].includes(hubKeyed.code), JSON.stringify(hubKeyed));
  const asked = refused.filter((l) => l.includes(scope));
  assert.ok(asked.length > 0, `the mirror's realm was asked for ${repository}: ${refused.join(" | ")}`);
  assert.deepEqual(asked.filter((l) => !l.includes("basic=none")), [], "no Basic credentials reached the mirror's realm");

  let mirrorKeyed;
  const accepted = await tokenRequestsDuring(async () => {
    mirrorKeyed = await call({ mirrors: { "docker.io": rig.token.url }, credentials: { [rig.token.host]: credentials } }, reference);
  });
  assert.equal(mirrorKeyed.ok, true, JSON.stringify(mirrorKeyed));
  assert.deepEqual(mirrorKeyed.source, { origin: rig.token.url, viaMirror: true, pinned: false });
  assert.ok(accepted.some((l) => l.includes(scope) && l.includes("basic=alice")), accepted.join(" | "));
}

/**
 * A password login to the rig's token server, which answers a token POST 405: the client POSTs once,
 * asks again by GET with Basic credentials, and asks the same realm for the next repository's token
 * by GET straight away. `call(options, references)` reads each reference's manifest with one client
 * and returns each digest (or `{ code, message }`).
 */
async function passwordLoginFallsBackToGet(call) {
  const repositories = ["private/docker-v2", "private/oci-gzip"];
  const references = repositories.map((r) => `${rig.token.host}/${r}:${fixture(r.slice("private/".length)).tag}`);
  const options = { credentials: { [rig.token.host]: { username: alice.username, password: alice.password } } };
  let digests;
  const lines = await tokenRequestsDuring(async () => {
    digests = await call(options, references);
  });
  assert.deepEqual(
    digests,
    repositories.map((r) => fixture(r.slice("private/".length)).manifest.digest),
  );
  const of = (repository) => lines.filter((l) => l.split(" ").includes(`scope=repository:${repository}:pull`));
  assert.deepEqual(of(repositories[0]), [
    `token POST scope=repository:${repositories[0]}:pull basic=none -> 405`,
    `token GET scope=repository:${repositories[0]}:pull basic=alice -> 200`,
  ]);
  assert.deepEqual(of(repositories[1]), [`token GET scope=repository:${repositories[1]}:pull basic=alice -> 200`]);
}

/** Each reference's manifest digest (or `{ code, message }`), read by one client; runs in both runtimes. */
async function manifestDigests(Client, options, references) {
  const client = new Client(options);
  const digests = [];
  for (const reference of references) {
    try {
      digests.push((await client.manifest(reference)).digest);
    } catch (e) {
      digests.push({ code: e.code, message: e.message });
    }
  }
  return digests;
}

test("Node: a password login falls back from POST to GET, and the realm's next token is a GET", async () => {
  const { default: init, Client } = await import(new URL("index.js", PKG));
  await init({ module_or_path: readFileSync(new URL("regsight_bg.wasm", PKG)) });
  await passwordLoginFallsBackToGet((options, references) => manifestDigests(Client, options, references));
});

test("Node: a mirror of docker.io gets no credentials keyed by docker.io", async () => {
  const { default: init, Client } = await import(new URL("index.js", PKG));
  await init({ module_or_path: readFileSync(new URL("regsight_bg.wasm", PKG)) });
  await mirrorGetsOnlyItsOwnCredentials(async (options, reference) => {
    try {
      const result = await new Client(options).verify(reference);
      return { ok: result.ok, source: result.source };
    } catch (e) {
      return { code: e.code, message: e.message };
    }
  }, "private/multimember");
});

const SCRIPT = `
  import init, { Client } from "./pkg/index.js";
  window.workersStarted = 0;
  const RealWorker = window.Worker;
  window.Worker = class extends RealWorker {
    constructor(...args) { super(...args); window.workersStarted += 1; }
  };
  window.run = async (options, reference, call = {}) => {
    await init();
    try {
      const client = new Client(options);
      if (call.warmUp) {
        await client.manifest(reference);
        await new Promise((r) => setTimeout(r, call.warmUp));
      }
      const result = await client.verify(reference);
      return { ok: result.ok, source: result.source, problems: result.problems, layers: result.layers, workersStarted: window.workersStarted };
    } catch (e) {
      return { code: e.code, message: e.message };
    }
  };
  const manifestDigests = ${manifestDigests.toString()};
  window.manifests = async (options, references) => {
    await init();
    return manifestDigests(Client, options, references);
  };
  window.ready = true;
`;

const session = embedSessionPerFile(SCRIPT);

test("Chromium: a mirror of docker.io gets no credentials keyed by docker.io", async () => {
  const page = await session.open();
  await mirrorGetsOnlyItsOwnCredentials(
    (options, reference) => page.evaluate(([o, r]) => window.run(o, r), [options, reference]),
    "private/oci-mixed",
  );
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("Chromium: a password login falls back from POST to GET, and the realm's next token is a GET", async () => {
  const page = await session.open();
  await passwordLoginFallsBackToGet((options, references) =>
    page.evaluate(([o, r]) => window.manifests(o, r), [options, references]),
  );
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("Chromium workers: a token that dies between the HEAD and the worker's GET is renewed", async () => {
  const f = fixture("broken-diffid"); // two layers, so two HEAD-then-GET rounds
  const page = await session.open();
  // Hold the first blob GET (a worker's) until the stale user's token has died at the registry
  // (~2 s after issue), so that GET is refused and the client must authorize again.
  let held = 0;
  await page.context().route("**/v2/private/broken-diffid/blobs/**", async (route) => {
    if (route.request().method() === "GET" && held === 0) {
      held += 1;
      await new Promise((r) => setTimeout(r, 3000));
    }
    await route.continue();
  });
  const options = { credentials: { [rig.token.host]: { username: stale.username, password: stale.password } }, concurrency: 1 };
  const lines = await tokenRequestsDuring(async () => {
    const run = await page.evaluate(([o, r]) => window.run(o, r), [options, `${rig.token.host}/private/broken-diffid:${f.tag}`]);
    assert.ok(run.workersStarted >= 1, "layers ran in workers");
    // The content is what the fixture says (diff_id of layer 0 wrong), not an auth failure.
    assert.deepEqual(run.layers.map((l) => l.error?.code ?? null), [f.expect.failingLayer === 0 ? "DIGEST_MISMATCH" : null, null]);
    assert.deepEqual(run.layers.map((l) => l.computedDigest), f.images[0].layers.map((l) => l.digest));
  });
  assert.equal(held, 1, "the worker's first blob GET was held");
  const staleTokens = lines.filter((l) => l.includes("basic=stale") && l.endsWith("-> 200"));
  assert.ok(staleTokens.length >= 2, `the token was renewed: ${lines.join(" | ")}`);
  await page.context().unroute("**/v2/private/broken-diffid/blobs/**");
  assert.deepEqual(page.errors, []);
  await page.close();
});
