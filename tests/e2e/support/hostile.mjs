// Runs one call of the packed client against the rig's evil registry, in Node.js or in headless
// Chromium, and reports what came back, how long it took and what else happened meanwhile, so
// hostile.test.mjs can assert the same case in both runtimes.
//
// A case is plain data: { options, call, ref, callOptions, then, followUp }. `call` is "verify",
// "tags", "manifest" or "construct" (only `new Client(options)`); `then`, if any, is a second
// { call, ref } the same client makes once the first resolved (both are timed, and an error of
// either is the case's `error`). The outcome is
// { constructed, ms, value, then, error: { isError, code, message } | null, next, fetched,
//   unhandled, maxRssMib } where `next` is the same client's verify(followUp) (a fresh client when
// the constructor threw), `fetched` every URL handed to `fetch` until the call settled (before the
// follow-up), `unhandled` every unhandled promise rejection the runtime saw until shortly after the
// follow-up, and `maxRssMib` the Node process's peak resident memory.
//
// Node: each case runs in a child process of its own (this file, with REGSIGHT_HOSTILE_CASE set),
// importing the package by its "node" entry, so an unhandled rejection or a crash is the case's
// and nothing else's, and the process's memory can be sampled. Chromium: one page for every case,
// the package on a plain page with its Web Workers on.

import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";

const PKG = new URL("../../../pkg/", import.meta.url);
/** How long a case waits after its follow-up for late unhandled rejections. */
const GRACE_MS = 500;

/** What a call returned, small enough to pass around (a manifest's raw text can be 64 MiB). */
function shrink(value) {
  return JSON.parse(JSON.stringify(value ?? null, (k, v) => (k === "raw" ? undefined : v)));
}

/** A thrown value as data. */
function describeError(e) {
  return {
    isError: e instanceof Error,
    code: e?.code ?? null,
    message: typeof e?.message === "string" ? e.message : String(e),
  };
}

/** The follow-up verification, as data. */
function summary(result) {
  return {
    ok: result.ok,
    manifestDigest: result.manifestDigest,
    imageId: result.imageId,
    layers: result.layers.map((l) => ({ computedDigest: l.computedDigest, computedDiffId: l.computedDiffId })),
    problems: result.problems,
  };
}

/**
 * Runs `spec` with `Client`; shared by both runtimes (in the page it is sent as source text, so it
 * must only use its arguments and globals).
 */
async function runCase(Client, spec, clock, settled) {
  const out = { constructed: false, ms: null, value: null, then: null, error: null, next: null };
  let client = null;
  const started = clock();
  try {
    client = new Client(spec.options);
    out.constructed = true;
    if (spec.call !== "construct") {
      out.value = await client[spec.call](spec.ref, spec.callOptions);
      if (spec.then) out.then = await client[spec.then.call](spec.then.ref);
    }
  } catch (e) {
    out.error = e;
  }
  out.ms = clock() - started;
  settled();
  if (spec.followUp) {
    try {
      out.next = await (client ?? new Client()).verify(spec.followUp);
    } catch (e) {
      out.next = { error: e };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Node.js: one child process per case.

if (process.env.REGSIGHT_HOSTILE_CASE) {
  const spec = JSON.parse(process.env.REGSIGHT_HOSTILE_CASE);
  const unhandled = [];
  process.on("unhandledRejection", (reason) => unhandled.push(String(reason?.stack ?? reason)));
  process.on("uncaughtException", (e) => unhandled.push(`uncaught: ${e?.stack ?? e}`));
  const fetched = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = function (input, init) {
    fetched.push(typeof input === "string" ? input : input instanceof Request ? input.url : String(input));
    return realFetch.call(this, input, init);
  };
  let maxRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }, 20);
  const { default: init, Client } = await import(new URL("node.js", PKG));
  await init();
  let fetchedInCall = 0;
  const raw = await runCase(Client, spec, () => performance.now(), () => {
    fetchedInCall = fetched.length;
  });
  await new Promise((r) => setTimeout(r, GRACE_MS));
  clearInterval(sampler);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  const outcome = {
    constructed: raw.constructed,
    ms: raw.ms,
    value: raw.error ? null : shrink(raw.value),
    then: shrink(raw.then),
    error: raw.error ? describeError(raw.error) : null,
    next: raw.next === null ? null : raw.next.error ? { error: describeError(raw.next.error) } : summary(raw.next),
    fetched: fetched.slice(0, fetchedInCall),
    unhandled,
    maxRssMib: Math.round(maxRss / (1 << 20)),
  };
  process.send(outcome, () => process.exit(0));
}

/** Runs cases in Node.js, each in a child process of its own. */
export function nodeRuntime() {
  const script = fileURLToPath(import.meta.url);
  return {
    name: "node",
    /** Runs `spec`; rejects if it has not settled (follow-up included) within `limitMs`. */
    run(spec, limitMs) {
      return new Promise((resolve, reject) => {
        const child = fork(script, [], {
          env: { ...process.env, REGSIGHT_HOSTILE_CASE: JSON.stringify(spec) },
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        let outcome = null;
        const watchdog = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`the case did not settle within ${limitMs} ms (its process was killed)`));
        }, limitMs);
        child.on("message", (m) => {
          outcome = m;
        });
        child.on("error", reject);
        child.on("exit", (code, signal) => {
          clearTimeout(watchdog);
          if (outcome) resolve(outcome);
          else reject(new Error(`the case's Node process ended (code ${code}, signal ${signal}) without an outcome`));
        });
      });
    },
    async close() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Chromium: the package on a plain page (Web Workers on), one page for all cases.

const PAGE = `<!doctype html><meta charset="utf-8"><title>regsight hostile</title>
<script>
  // Before the package loads: every URL handed to fetch, every unhandled rejection.
  window.__fetched = [];
  window.__rejections = [];
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    window.__fetched.push(typeof input === "string" ? input : input instanceof Request ? input.url : String(input));
    return realFetch.call(this, input, init);
  };
  addEventListener("unhandledrejection", (e) => window.__rejections.push(String(e.reason?.stack ?? e.reason)));
  window.workersStarted = 0;
  const RealWorker = window.Worker;
  window.Worker = class extends RealWorker {
    constructor(...args) { super(...args); window.workersStarted += 1; }
  };
</script>
<script type="module">
  import init, { Client } from "./pkg/index.js";
  await init();
  const shrink = ${shrink.toString()};
  const describeError = ${describeError.toString()};
  const summary = ${summary.toString()};
  const runCase = ${runCase.toString()};
  window.runHostileCase = async (spec) => {
    const fetchedBefore = window.__fetched.length;
    const rejectionsBefore = window.__rejections.length;
    let fetchedInCall = fetchedBefore;
    const raw = await runCase(Client, spec, () => performance.now(), () => {
      fetchedInCall = window.__fetched.length;
    });
    await new Promise((r) => setTimeout(r, ${GRACE_MS}));
    return {
      constructed: raw.constructed,
      ms: raw.ms,
      value: raw.error ? null : shrink(raw.value),
    then: shrink(raw.then),
      error: raw.error ? describeError(raw.error) : null,
      next: raw.next === null ? null : raw.next.error ? { error: describeError(raw.next.error) } : summary(raw.next),
      // With cases running at once these include the other cases' URLs and rejections (and
      // run() adds the page errors seen meanwhile).
      fetched: window.__fetched.slice(fetchedBefore, fetchedInCall),
      unhandled: window.__rejections.slice(rejectionsBefore),
      maxRssMib: null,
    };
  };
  window.ready = true;
</script>`;

/** Runs cases on one headless Chromium page; `state()` tells what the page saw overall. */
export async function chromiumRuntime() {
  const { launchChromium, serve } = await import("./browser.mjs");
  const { packageFiles } = await import("./package.mjs");
  const site = await serve({ "/": ["text/html", PAGE], ...packageFiles() });
  const browser = await launchChromium();
  const page = await browser.newPage();
  const pageErrors = [];
  const dialogs = [];
  const requests = [];
  /** The references of the cases running now, to tell which case a page error came during. */
  const running = new Set();
  page.on("pageerror", (e) => pageErrors.push({ error: String(e), during: [...running] }));
  page.on("dialog", (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => window.ready === true);
  return {
    name: "chromium",
    origin: site.origin,
    /** Runs `spec`; rejects if it has not settled (follow-up included) within `limitMs`. */
    run(spec, limitMs) {
      let watchdog;
      const limit = new Promise((_, reject) => {
        watchdog = setTimeout(() => reject(new Error(`the case did not settle within ${limitMs} ms`)), limitMs);
      });
      const key = spec.ref ?? JSON.stringify(spec.options);
      running.add(key);
      const errorsBefore = pageErrors.length;
      const run = page.evaluate((s) => window.runHostileCase(s), spec).then((outcome) => {
        // Uncaught errors the page's unhandledrejection listener did not see (e.g. a worker's).
        const more = pageErrors
          .slice(errorsBefore)
          .map((e) => e.error)
          .filter((e) => !outcome.unhandled.some((r) => r.startsWith(e)));
        return { ...outcome, unhandled: [...outcome.unhandled, ...more.map((e) => `page error: ${e}`)] };
      });
      return Promise.race([run, limit]).finally(() => {
        clearTimeout(watchdog);
        running.delete(key);
      });
    },
    async state() {
      const inPage = await page.evaluate(() => ({
        pwned: window.__pwned === undefined ? "undefined" : String(window.__pwned),
        rejections: window.__rejections,
        fetched: window.__fetched,
        workersStarted: window.workersStarted,
      }));
      return { ...inPage, pageErrors, dialogs, requests };
    },
    async close() {
      await browser.close();
      await site.close();
    },
  };
}
