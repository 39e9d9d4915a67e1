// Credentials never follow a redirect: the rig's redirecting front answers blob requests with a
// 307 to a "CDN" on another origin, which logs the Authorization header of every request it gets.
// A page verifies a private image through that front (in Web Workers, with a password), and the
// CDN's log must show the blob downloads and no Authorization at all.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadRig } from "./support/browser.mjs";
import { embedSessionPerFile } from "./support/package.mjs";

const rig = loadRig();

const SCRIPT = `
  import init, { Client } from "./pkg/index.js";
  window.verifyImage = async (reference, credentials) => {
    await init();
    return new Client({ credentials }).verify(reference);
  };
  window.ready = true;
`;

const session = embedSessionPerFile(SCRIPT);

test("no Authorization header reaches the redirect target", async () => {
  const fixture = rig.fixture("oci-gzip");
  const alice = rig.users.find((u) => u.username === "alice");
  const logBefore = readFileSync(rig.cdn.log, "utf8").length;
  const page = await session.open();
  const result = await page.evaluate(
    ([ref, credentials]) => window.verifyImage(ref, credentials),
    [`${rig.redirecting.host}/private/oci-gzip:v1`, { [rig.redirecting.host]: { username: alice.username, password: alice.password } }],
  );
  assert.equal(result.ok, true, result.problems.join("; "));
  assert.equal(result.manifestDigest, fixture.images[0].manifest.digest);

  const lines = readFileSync(rig.cdn.log, "utf8").slice(logBefore).split("\n").filter(Boolean);
  const blobGets = lines.filter((l) => l.startsWith("GET /v2/private/oci-gzip/blobs/"));
  // The config and every layer were downloaded from the CDN...
  assert.ok(blobGets.length >= 1 + fixture.images[0].layers.length, lines.join("\n"));
  // ...and none of those requests carried credentials.
  const withAuth = lines.filter((l) => !/auth="-?"$/.test(l));
  assert.deepEqual(withAuth, []);
  await page.close();
});
