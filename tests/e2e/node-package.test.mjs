// The packed npm package in Node.js 20, imported as an embedder would: parse a reference, then
// verify rig images (in-process: Node has no Web Workers) against their ground truth.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadRig } from "./support/browser.mjs";
import { PKG } from "./support/package.mjs";

const rig = loadRig();
const { default: init, Client, parseReference } = await import(new URL("index.js", PKG));
await init({ module_or_path: readFileSync(new URL("regsight_bg.wasm", PKG)) });

test("parseReference normalizes like docker pull", () => {
  assert.deepEqual(parseReference("python:2.7"), {
    registry: "docker.io",
    repository: "library/python",
    tag: "2.7",
    digest: null,
    familiar: "python:2.7",
    canonical: "docker.io/library/python:2.7",
  });
  assert.throws(() => parseReference("UPPER/Case:tag!"), (e) => e.code === "INVALID_REFERENCE");
});

test("a rig image verifies with the ground truth's digests", async () => {
  const fixture = rig.fixture("docker-v2");
  const client = new Client();
  const progress = [];
  const result = await client.verify(`${rig.open.host}/${fixture.repositories[0]}:${fixture.tag}`, {
    onProgress: (p) => progress.push(p),
  });
  assert.equal(result.ok, true, result.problems.join("; "));
  const truth = fixture.images[0];
  assert.equal(result.manifestDigest, truth.manifest.digest);
  assert.equal(result.imageId, truth.config.digest);
  assert.deepEqual(result.layers.map((l) => l.computedDigest), truth.layers.map((l) => l.digest));
  assert.deepEqual(result.layers.map((l) => l.computedDiffId), truth.layers.map((l) => l.diffId));
  assert.ok(progress.some((p) => p.bytes === p.total && p.total > 0), "progress reached the end");
});

test("a broken image resolves with ok: false and the failing layer", async () => {
  const fixture = rig.fixture("broken-blob");
  const result = await new Client().verify(`${rig.open.host}/${fixture.repositories[0]}:${fixture.tag}`);
  assert.equal(result.ok, false);
  const failing = result.layers[fixture.expect.failingLayer];
  assert.equal(failing.ok, false);
  assert.equal(failing.error.code, "DIGEST_MISMATCH");
  assert.equal(failing.computedDigest, fixture.images[0].layers[fixture.expect.failingLayer].digest);
});

test("credentials for the token registry", async () => {
  const alice = rig.users.find((u) => u.username === "alice");
  const client = new Client({ credentials: { [rig.token.host]: { username: alice.username, password: alice.password } } });
  const manifest = await client.manifest(`${rig.token.host}/private/oci-gzip:v1`);
  assert.equal(manifest.digest, rig.fixture("oci-gzip").manifest.digest);
  await assert.rejects(new Client().manifest(`${rig.token.host}/private/oci-gzip:v1`), (e) => e.code === "DENIED");
});
