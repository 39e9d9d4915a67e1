// The rig's registries work from a web page: cross-origin fetches with Authorization headers are
// preflighted and answered, and the headers a client needs (WWW-Authenticate, Docker-Content-Digest)
// are readable from JavaScript. Runs in Debian's headless Chromium.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { MANIFEST_ACCEPT, blankPage, loadRig } from "./support/browser.mjs";

const rig = loadRig();
const alice = rig.users.find((u) => u.username === "alice");
const fixture = rig.fixture("docker-v2");

let session;
before(async () => {
  session = await blankPage();
});
after(async () => {
  await session?.close();
});

/** Runs fetch in the page and returns status, the headers JS can read, and the body text. */
async function pageFetch(url, headers = {}) {
  return session.page.evaluate(
    async ([url, headers]) => {
      try {
        const res = await fetch(url, { headers, credentials: "omit" });
        return {
          status: res.status,
          wwwAuthenticate: res.headers.get("WWW-Authenticate"),
          digest: res.headers.get("Docker-Content-Digest"),
          body: await res.text(),
        };
      } catch (e) {
        return { error: String(e) };
      }
    },
    [url, headers],
  );
}

/** Parses the parameters of a Bearer challenge (enough for the rig's simple values). */
function bearerParams(challenge) {
  assert.match(challenge, /^Bearer /);
  return Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

const basic = (user, password) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("open registry (http.headers CORS, no auth)", () => {
  test("a manifest is readable cross-origin with its digest header", async () => {
    const res = await pageFetch(
      `${rig.open.url}/v2/${fixture.repositories[0]}/manifests/${fixture.tag}`,
      { Accept: MANIFEST_ACCEPT },
    );
    assert.equal(res.error, undefined, res.error);
    assert.equal(res.status, 200);
    assert.equal(res.digest, fixture.manifest.digest);
  });
});

describe("token registry behind nginx", () => {
  test("challenge readable, anonymous token pulls public, credentials pull private", async () => {
    const challenge = await pageFetch(`${rig.token.url}/v2/`);
    assert.equal(challenge.error, undefined, challenge.error);
    assert.equal(challenge.status, 401);
    const params = bearerParams(challenge.wwwAuthenticate);
    assert.equal(params.realm, rig.tokenServer.realm);
    assert.equal(params.service, rig.tokenServer.service);

    const tokenFor = async (repo, auth) => {
      const url = `${params.realm}?service=${encodeURIComponent(params.service)}&scope=${encodeURIComponent(`repository:${repo}:pull`)}`;
      const res = await pageFetch(url, auth ? { Authorization: auth } : {});
      assert.equal(res.error, undefined, res.error);
      return res;
    };
    const manifest = (repo, token) =>
      pageFetch(`${rig.token.url}/v2/${repo}/manifests/${fixture.tag}`, {
        Accept: MANIFEST_ACCEPT,
        Authorization: `Bearer ${token}`,
      });

    const [publicRepo, privateRepo] = fixture.repositories;
    const anonymous = JSON.parse((await tokenFor(publicRepo)).body);
    const pub = await manifest(publicRepo, anonymous.token);
    assert.equal(pub.error, undefined, pub.error);
    assert.equal(pub.status, 200);
    assert.equal(pub.digest, fixture.manifest.digest);

    const anonymousPrivate = JSON.parse((await tokenFor(privateRepo)).body);
    const denied = await manifest(privateRepo, anonymousPrivate.token);
    assert.equal(denied.status, 401);
    assert.match(denied.wwwAuthenticate, /error="insufficient_scope"/);

    const granted = JSON.parse((await tokenFor(privateRepo, basic(alice.username, alice.password))).body);
    const priv = await manifest(privateRepo, granted.access_token);
    assert.equal(priv.status, 200);
    assert.equal(priv.digest, fixture.manifest.digest);
  });

  test("a wrong password is refused by the realm", async () => {
    const url = `${rig.tokenServer.realm}?service=${rig.tokenServer.service}&scope=repository:${fixture.repositories[1]}:pull`;
    const res = await pageFetch(url, { Authorization: basic(alice.username, "wrong") });
    assert.equal(res.error, undefined, res.error);
    assert.equal(res.status, 401);
  });
});

describe("htpasswd registry behind nginx", () => {
  test("challenge readable; Basic credentials pull with the digest header", async () => {
    const challenge = await pageFetch(`${rig.basic.url}/v2/`);
    assert.equal(challenge.status, 401);
    assert.match(challenge.wwwAuthenticate, /^Basic realm="/);

    const repo = fixture.repositories[1];
    const ok = await pageFetch(`${rig.basic.url}/v2/${repo}/manifests/${fixture.tag}`, {
      Accept: MANIFEST_ACCEPT,
      Authorization: basic(alice.username, alice.password),
    });
    assert.equal(ok.error, undefined, ok.error);
    assert.equal(ok.status, 200);
    assert.equal(ok.digest, fixture.manifest.digest);

    const wrong = await pageFetch(`${rig.basic.url}/v2/${repo}/manifests/${fixture.tag}`, {
      Accept: MANIFEST_ACCEPT,
      Authorization: basic(alice.username, "wrong"),
    });
    assert.equal(wrong.status, 401);
  });
});
