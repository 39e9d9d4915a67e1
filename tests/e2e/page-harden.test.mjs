// The page hardened (dist/, built by trunk) against the rig: registry strings stay text, sign-in
// stays in memory (or this tab's sessionStorage when asked), a CORS failure names its fixes, and
// the page works on a phone, in dark mode and from the keyboard with every control labelled.

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRig, MANIFEST_ACCEPT } from "./support/browser.mjs";
import { servePage } from "./support/page.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const rig = loadRig();
const { fixture } = rig;
const alice = rig.users.find((u) => u.username === "alice");
let site;
let browser;

servePage((s, b) => {
  site = s;
  browser = b;
});

/** A new page that records page errors, dialogs and every URL it requests or navigates to. */
async function newPage(options = {}) {
  const page = await browser.newPage(options);
  const seen = { errors: [], dialogs: [], urls: [] };
  page.on("pageerror", (e) => seen.errors.push(e.message));
  page.on("dialog", (d) => {
    seen.dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("request", (r) => seen.urls.push(r.url()));
  page.on("framenavigated", (f) => seen.urls.push(f.url()));
  return { page, seen };
}

const verdict = (page) => page.getByTestId("verdict");

async function waitForVerdict(page, pattern) {
  await page.waitForFunction(
    (source) => new RegExp(source).test(document.querySelector('[data-testid="verdict"]')?.textContent ?? ""),
    pattern.source,
    { timeout: 60_000 },
  );
}

/** Waits for a final verdict and asserts it is "verified", showing the page's problems if not. */
async function assertVerified(page) {
  await waitForVerdict(page, /verified|failed|cancelled/);
  const text = await verdict(page).textContent();
  const problems = await page.locator('[data-testid="problems"], [data-testid="error"]').allTextContents();
  assert.match(text, /verified/, `verdict: ${text}; ${problems.join(" | ")}`);
}

/** Opens every disclosure (`<details>`) on the page the way a person would: by its summary. */
async function openAllDetails(page) {
  const closed = page.locator("details:not([open]) > summary");
  const count = await closed.count();
  for (let i = 0; i < count; i += 1) await closed.first().click();
}

/** WCAG relative luminance and contrast of CSS colours (rgb()/rgba() as computed styles give them). */
const LUMINANCE = `
  const channels = (css) => css.match(/[\\d.]+/g).map(Number);
  const luminance = (css) => {
    const [r, g, b] = channels(css).slice(0, 3).map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const opaque = (css) => { const c = channels(css); return c.length < 4 || c[3] > 0; };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      if (opaque(bg)) return bg;
    }
    return "rgb(255, 255, 255)";
  };
  const contrast = (el) => {
    const [a, b] = [luminance(getComputedStyle(el).color), luminance(background(el))].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
  };
`;

test("hostile-strings: every registry string is shown as text and nothing in it runs", async () => {
  const f = fixture("hostile-strings");
  const config = JSON.parse(readFileSync(f.images[0].config.file, "utf8"));
  // The strings the page shows from the config: Env, Entrypoint and Cmd, and the history's steps.
  const expected = [
    ...config.config.Env,
    ...config.config.Entrypoint,
    ...config.config.Cmd,
    ...config.history.map((h) => h.created_by),
  ];
  assert.ok(expected.length >= 10, `${expected.length} strings`);
  assert.ok(expected.some((s) => s.includes("<script>alert(1)</script>")), "the fixture's config is hostile");
  assert.ok(expected.some((s) => s.includes("onerror=")), "the fixture's config is hostile");

  const ref = `${rig.open.host}/public/hostile-strings:${f.tag}`;
  const { page, seen } = await newPage();
  await page.goto(`${site.origin}/?image=${encodeURIComponent(ref)}&verify=1`);
  await assertVerified(page);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.manifest.digest);
  await page.getByTestId("tag").first().waitFor();
  assert.ok((await page.getByTestId("tag").allTextContents()).includes(f.tag), "its tag is listed");
  await openAllDetails(page);
  await page.waitForFunction(
    (strings) => strings.every((s) => document.body.textContent.includes(s)),
    expected,
    { timeout: 30_000 },
  ).catch(() => {});
  const text = await page.evaluate(() => document.body.textContent);
  const missing = expected.filter((s) => !text.includes(s));
  assert.deepEqual(missing, [], "every hostile string appears as text");

  const injected = await page.evaluate(() => {
    const found = [];
    const describe = (el) => el.outerHTML.slice(0, 160);
    const chain = (el) => el.closest('[data-testid="chain"]');
    for (const el of document.querySelectorAll("main script, main img, main iframe, main object, main embed, main frame, main svg[onload]")) {
      if (!chain(el)) found.push(describe(el));
    }
    for (const el of document.querySelectorAll("*")) {
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith("on")) found.push(`${name} on ${describe(el)}`);
        if (["href", "src", "action", "formaction", "xlink:href", "srcdoc"].includes(name) && /^\s*javascript:/i.test(attr.value)) {
          found.push(`${name} on ${describe(el)}`);
        }
      }
    }
    return { found, pwned: window.__pwned, charts: document.querySelectorAll('[data-testid="chain"]').length };
  });
  assert.deepEqual(injected.found, [], "no element or handler came from a registry string");
  assert.equal(injected.pwned, undefined, "window.__pwned was never set");
  assert.deepEqual(seen.dialogs, [], "no dialog opened");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("a missing repository's error body is shown as text, also when it is hostile", async () => {
  const path = "/v2/public/no-such-repository/manifests/v1";
  // What the registry itself answers, asked without the page.
  const direct = await fetch(`${rig.open.url}${path}`, { headers: { Accept: MANIFEST_ACCEPT } });
  assert.equal(direct.status, 404);
  const [registryError] = (await direct.json()).errors;
  assert.ok(registryError?.code && registryError?.message, JSON.stringify(registryError));

  const { page, seen } = await newPage();
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.open.host}/public/no-such-repository:v1`)}&verify=1`);
  const error = page.getByTestId("error");
  await error.waitFor({ timeout: 30_000 });
  const shown = await error.textContent();
  assert.ok(shown.includes(registryError.code), shown);
  assert.ok(shown.includes(registryError.message), shown);
  assert.match(await verdict(page).textContent(), /failed/);

  // No registry can be made to put markup there, so the test does: the same answer, hostile.
  const config = JSON.parse(readFileSync(fixture("hostile-strings").images[0].config.file, "utf8"));
  const message = config.author;
  const detail = config.config.User;
  assert.match(message, /<img /);
  assert.match(detail, /<script>/);
  await page.route(`**${path}`, (route) =>
    route.fulfill({
      status: 404,
      headers: { "Access-Control-Allow-Origin": "*", "Content-Type": "application/json" },
      body: JSON.stringify({ errors: [{ code: "NAME_UNKNOWN", message, detail }] }),
    }),
  );
  await page.getByTestId("verify").click();
  await page.waitForFunction((m) => document.querySelector('[data-testid="error"]')?.textContent.includes(m), message, {
    timeout: 30_000,
  });
  const hostile = await error.textContent();
  assert.ok(hostile.includes(detail), hostile);
  assert.equal(await page.locator("main img, main script, main svg, main iframe").count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.deepEqual(seen.dialogs, []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

/** Asserts that no URL the page requested or showed, nor its DOM, contains `secret`. */
async function assertNotLeaked(page, seen, secret, what) {
  const leaks = seen.urls.filter((u) => u.includes(secret) || u.includes(encodeURIComponent(secret)));
  assert.deepEqual(leaks, [], `the ${what} is in no URL`);
  assert.ok(!page.url().includes(secret), `the ${what} is not in the address bar`);
  const html = await page.evaluate(() => document.documentElement.outerHTML);
  assert.ok(!html.includes(secret), `the ${what} is in no attribute of the page`);
  assert.equal(await page.evaluate(() => localStorage.length), 0, "localStorage is empty");
}

test("sign-in: a private image needs it; typed in it verifies, stays in memory, and is remembered in this tab only when asked", async () => {
  const f = fixture("docker-v2");
  const ref = `${rig.token.host}/private/docker-v2:${f.tag}`;
  const { page, seen } = await newPage();
  await page.goto(`${site.origin}/?image=${encodeURIComponent(ref)}&verify=1`);
  const error = page.getByTestId("error");
  await error.waitFor({ timeout: 30_000 });
  // Anonymous, the token server grants nothing for private/: the registry answers 401 (UNAUTHORIZED),
  // or with the empty token, insufficient scope (DENIED).
  assert.match(await error.textContent(), /Could not complete: (UNAUTHORIZED|DENIED)/);
  assert.match(await page.getByTestId("sign-in-hint").textContent(), /sign-in/);
  assert.match(await verdict(page).textContent(), /failed/);
  assert.equal((await page.getByTestId("login-registry").textContent()).trim(), rig.token.host, "names the registry in use");

  assert.equal(await page.getByTestId("remember").isChecked(), false, "remember is off by default");
  await page.getByTestId("username").pressSequentially(alice.username);
  await page.getByTestId("password").pressSequentially(alice.password);
  await page.getByTestId("verify").click();
  await assertVerified(page);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.manifest.digest);
  assert.equal(await page.getByTestId("error").count(), 0);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, "nothing in sessionStorage while remember is off");
  await assertNotLeaked(page, seen, alice.password, "password");

  // Remember in this tab: sessionStorage only, and a reload keeps the fields filled in.
  await page.getByTestId("remember").check();
  const stored = await page
    .waitForFunction(
      ([user, password]) => {
        const all = Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k)).join("\n");
        return all.includes(user) && all.includes(password);
      },
      [alice.username, alice.password],
      { timeout: 5_000 },
    )
    .then(() => true, () => false);
  assert.ok(stored, "remembered in sessionStorage");
  await page.reload();
  assert.equal(await page.getByTestId("username").inputValue(), alice.username);
  assert.equal(await page.getByTestId("password").inputValue(), alice.password);
  assert.equal(await page.getByTestId("remember").isChecked(), true);
  // The deep link inspects on load, signed in: wait for it before pressing Verify.
  await page.getByTestId("manifest-digest").waitFor({ timeout: 30_000 });
  await page.getByTestId("verify").click();
  await assertVerified(page);
  await assertNotLeaked(page, seen, alice.password, "password");

  // Unchecking forgets at once: nothing stored, and the next load starts signed out.
  await page.getByTestId("remember").uncheck();
  const forgotten = await page
    .waitForFunction(() => sessionStorage.length === 0, null, { timeout: 5_000 })
    .then(() => true, () => false);
  assert.ok(forgotten, "unchecking forgets the sign-in");
  await page.reload();
  assert.equal(await page.getByTestId("username").inputValue(), "");
  assert.equal(await page.getByTestId("password").inputValue(), "");
  assert.equal(await page.getByTestId("remember").isChecked(), false);
  await assertNotLeaked(page, seen, alice.password, "password");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("sign-in with a token from the token server verifies the private image", async () => {
  const f = fixture("docker-v2");
  const repository = "private/docker-v2";
  const { realm, service } = rig.tokenServer;
  const basic = Buffer.from(`${alice.username}:${alice.password}`).toString("base64");
  const answer = await fetch(`${realm}?service=${encodeURIComponent(service)}&scope=repository:${repository}:pull`, {
    headers: { Authorization: `Basic ${basic}` },
  });
  assert.equal(answer.status, 200);
  const body = await answer.json();
  const token = body.token ?? body.access_token;
  assert.ok(token, "the token server issued a token");

  const { page, seen } = await newPage();
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.token.host}/${repository}:${f.tag}`)}`);
  // The deep link inspects on load, without a sign-in: refused.
  await page.getByTestId("error").waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("error").textContent(), /UNAUTHORIZED|DENIED/);
  await page.getByTestId("token").fill(token);
  assert.equal(await page.getByTestId("username").inputValue(), "", "no username: the token alone signs in");
  await page.getByTestId("verify").click();
  await assertVerified(page);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.manifest.digest);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await assertNotLeaked(page, seen, token, "token");
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("a remembered sign-in goes only to the registry it was typed for, not to one a link names", async () => {
  const { page, seen } = await newPage();
  const authorized = [];
  page.on("request", async (r) => {
    const header = (await r.allHeaders()).authorization;
    if (header) authorized.push(`${new URL(r.url()).host} ${header.split(" ")[0]}`);
  });
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.token.host}/private/docker-v2:v1`)}`);
  await page.getByTestId("username").fill(alice.username);
  await page.getByTestId("password").fill(alice.password);
  await page.getByTestId("remember").check();
  // Someone's link, opened in the same tab, names another registry that asks for Basic credentials.
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.basic.host}/private/docker-v2:v1`)}&verify=1`);
  await page.getByTestId("error").waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("error").textContent(), /UNAUTHORIZED|DENIED/);
  assert.match(await page.getByTestId("login-elsewhere").textContent(), new RegExp(rig.token.host.replace(/\./g, "\\.")));
  assert.deepEqual(authorized.filter((a) => a.startsWith(`${rig.basic.host} `)), [], "no credentials went to the other registry");
  // Back on the registry it was typed for, the remembered sign-in works.
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.token.host}/private/docker-v2:v1`)}&verify=1`);
  await assertVerified(page);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

/** `Access-Control-*` header -> values, from a distribution config's `http.headers` (flow lists). */
function corsHeaders(yaml) {
  const headers = {};
  for (const [, name, values] of yaml.matchAll(/^\s*(Access-Control-[\w-]+):\s*\[(.*)\]\s*$/gm)) {
    headers[name] = values.split(",").map((v) => v.trim().replace(/^["']|["']$/g, "")).filter(Boolean);
  }
  return headers;
}

test("a NETWORK failure names the three CORS fixes: the site gateway, http.headers, the nginx front", async () => {
  const registry = "127.0.0.1:9";
  const { page, seen } = await newPage();
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${registry}/public/none:v1`)}&verify=1`);
  const fix = page.getByTestId("cors-fix");
  await fix.waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId("error").textContent(), /NETWORK/);
  const text = await fix.textContent();

  // 1. The gateway: the command for this registry (not well known, so with its URL; loopback is http).
  assert.ok(text.includes(`cargo xtask site --out`), text);
  assert.ok(text.includes(`--upstream ${registry}=http://${registry}`), text);
  const usage = readFileSync(join(ROOT, "xtask/src/site.rs"), "utf8");
  assert.ok(usage.includes("--upstream NAME[=URL]"), "xtask site takes --upstream NAME=URL");

  // 2. http.headers: a config snippet allowing this page's origin, with what the rig's CORS
  //    registry (the one the page verifies from) sets.
  assert.ok(text.includes("http.headers"), text);
  const snippet = (await fix.locator("pre").allTextContents()).find((p) => p.includes("headers:"));
  assert.ok(snippet, "shows the http.headers snippet");
  assert.match(snippet, /^http:\n {2}headers:\n/);
  const shown = corsHeaders(snippet);
  assert.deepEqual(shown["Access-Control-Allow-Origin"], [site.origin]);
  const working = corsHeaders(readFileSync(join(dirname(rig.pullThrough.config), "open.yml"), "utf8"));
  assert.ok(Object.keys(working).length >= 4, JSON.stringify(working));
  for (const name of ["Access-Control-Allow-Methods", "Access-Control-Allow-Headers"]) {
    assert.deepEqual([...shown[name]].sort(), [...working[name]].sort(), name);
  }
  for (const header of ["WWW-Authenticate", "Docker-Content-Digest", "Link"]) {
    assert.ok(shown["Access-Control-Expose-Headers"].includes(header), `exposes ${header}`);
    assert.ok(working["Access-Control-Expose-Headers"].includes(header), `the rig exposes ${header}`);
  }

  // 3. The nginx front: files that exist in deploy/.
  const files = (await fix.locator("code").allTextContents()).filter((c) => c.startsWith("deploy/"));
  assert.ok(files.includes("deploy/nginx/registry-server.conf"), files.join(", "));
  for (const file of files) assert.ok(existsSync(join(ROOT, file)), `${file} exists`);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("a 390 px wide screen: no sideways scroll with a verified docker-v2 or the CORS help, digests wrap", async () => {
  const f = fixture("docker-v2");
  const { page, seen } = await newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.open.host}/public/docker-v2:${f.tag}`)}&verify=1`);
  await assertVerified(page);
  await page.getByTestId("tag").first().waitFor();
  await openAllDetails(page);
  const layout = await page.evaluate(() => {
    const inside = (el) => el.getBoundingClientRect().right <= document.documentElement.clientWidth + 0.5;
    const digests = [...document.querySelectorAll('[data-testid="manifest-digest"], [data-testid="layer-row"] code')];
    return {
      scrollWidth: document.documentElement.scrollWidth,
      digests: digests.length,
      outside: digests.filter((el) => !inside(el)).map((el) => el.textContent),
      wrapped: digests.filter((el) => el.getClientRects().length > 1 || el.getBoundingClientRect().height > 30).length,
    };
  });
  assert.ok(layout.scrollWidth <= 390, `document is ${layout.scrollWidth} px wide`);
  assert.ok(layout.digests >= 1 + f.images[0].layers.length, `${layout.digests} digests`);
  assert.deepEqual(layout.outside, []);
  assert.ok(layout.wrapped >= 1, "a 71-character digest wraps at 390 px");
  await page.screenshot({ path: "/tmp/regsight-390.png", fullPage: true });

  await page.goto(`${site.origin}/?image=${encodeURIComponent("127.0.0.1:9/public/none:v1")}&verify=1`);
  await page.getByTestId("cors-fix").waitFor({ timeout: 30_000 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390, "the CORS help fits too");
  await page.screenshot({ path: "/tmp/regsight-390-cors.png", fullPage: true });
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("dark mode follows prefers-color-scheme: dark background, light text, readable verdict and controls", async () => {
  const f = fixture("docker-v2");
  const { page, seen } = await newPage();
  await page.emulateMedia({ colorScheme: "dark" });
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.open.host}/public/docker-v2:${f.tag}`)}&verify=1`);
  await assertVerified(page);
  assert.equal(await page.locator('meta[name="color-scheme"]').getAttribute("content"), "light dark");
  const measure = () =>
    page.evaluate((lib) => {
      const { luminance, contrast } = new Function(`${lib}; return { luminance, contrast };`)();
      const style = getComputedStyle(document.body);
      const q = (s) => document.querySelector(s);
      return {
        background: luminance(style.backgroundColor),
        text: luminance(style.color),
        input: luminance(getComputedStyle(q('[data-testid="reference"]')).backgroundColor),
        contrast: {
          body: contrast(q("main")),
          muted: contrast(q("header .muted")),
          verdict: contrast(q('[data-testid="verdict"]')),
          verify: contrast(q('[data-testid="verify"]')),
          reference: contrast(q('[data-testid="reference"]')),
          status: contrast(q('[data-testid="layer-row"] td.status')),
        },
      };
    }, LUMINANCE);
  const dark = await measure();
  assert.ok(dark.background < 0.05, `dark background (luminance ${dark.background})`);
  assert.ok(dark.text > 0.6, `light text (luminance ${dark.text})`);
  assert.ok(dark.input < 0.05, `inputs are dark too (luminance ${dark.input})`);
  for (const [what, ratio] of Object.entries(dark.contrast)) assert.ok(ratio >= 4.5, `${what}: contrast ${ratio.toFixed(2)} in dark`);
  await page.screenshot({ path: "/tmp/regsight-dark.png", fullPage: true });

  await page.emulateMedia({ colorScheme: "light" });
  const light = await measure();
  assert.ok(light.background > 0.8 && light.text < 0.05, `light mode: ${JSON.stringify(light)}`);
  for (const [what, ratio] of Object.entries(light.contrast)) assert.ok(ratio >= 4.5, `${what}: contrast ${ratio.toFixed(2)} in light`);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("keyboard only: Tab reaches the reference, Enter verifies, Tab reaches Verify, Inspect and Cancel with a visible focus", async () => {
  const f = fixture("docker-v2");
  const ref = `${rig.open.host}/public/docker-v2:${f.tag}`;
  const { page, seen } = await newPage();
  // Hold the manifest so the first run is still under way (Cancel enabled) while tabbing.
  let release;
  const held = new Promise((resolve) => {
    release = resolve;
  });
  const manifests = "**/v2/public/docker-v2/manifests/**";
  await page.route(manifests, async (route) => {
    await held;
    await route.continue().catch(() => {});
  });
  await page.goto(`${site.origin}/`);
  await page.getByTestId("reference").waitFor();
  const focused = () =>
    page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return {
        testid: el.dataset?.testid ?? el.tagName,
        visible: el.matches(":focus-visible") && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
      };
    });

  await page.keyboard.press("Tab");
  assert.deepEqual(await focused(), { testid: "reference", visible: true });
  await page.keyboard.type(ref);
  await page.keyboard.press("Enter");
  await waitForVerdict(page, /verifying/);
  await page.waitForFunction(() => !document.querySelector('[data-testid="cancel"]').disabled);
  const order = [];
  for (let i = 0; i < 4; i += 1) {
    await page.keyboard.press("Tab");
    order.push(await focused());
  }
  assert.deepEqual(order, ["image-id", "verify", "inspect", "cancel"].map((testid) => ({ testid, visible: true })));
  await page.keyboard.press("Space");
  await waitForVerdict(page, /cancelled/);
  release();
  await page.unroute(manifests);

  await page.getByTestId("reference").focus();
  await page.keyboard.press("Enter");
  await assertVerified(page);
  assert.equal((await page.getByTestId("manifest-digest").textContent()).trim(), f.manifest.digest);
  assert.deepEqual(seen.errors, []);
  await page.close();
});

test("every input, select, textarea and button has an accessible name", async () => {
  const f = fixture("docker-v2");
  const { page, seen } = await newPage();
  await page.goto(`${site.origin}/?image=${encodeURIComponent(`${rig.open.host}/public/docker-v2:${f.tag}`)}&verify=1`);
  await assertVerified(page);
  await page.getByTestId("tag").first().waitFor();
  await openAllDetails(page);
  const controls = page.locator("input, select, textarea, button");
  const count = await controls.count();
  assert.ok(count >= 10, `${count} controls`);
  const unnamed = [];
  for (let i = 0; i < count; i += 1) {
    const control = controls.nth(i);
    // A hidden control is in no accessibility tree (nothing to name until it is shown).
    if (!(await control.isVisible())) continue;
    // The accessibility tree's line for it: `- role "name"` (YAML-quoted as `- 'role "name"'` when
    // the name holds a colon), or `- role` when it has no name.
    const snapshot = (await control.ariaSnapshot()).split("\n")[0];
    if (!/^- '?[\w-]+ "[^"]*\S[^"]*"/.test(snapshot)) {
      unnamed.push(`${snapshot} ${await control.evaluate((el) => el.outerHTML.slice(0, 120))}`);
    }
  }
  assert.deepEqual(unnamed, []);
  assert.deepEqual(seen.errors, []);
  await page.close();
});
