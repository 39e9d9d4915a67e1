// The browser side of `cargo xtask bench` (xtask/src/bench/): in one headless Chromium, on a plain
// page of its own origin, times regsight's verify (the npm package, and the page dist/ through a
// `verify=1` deep link), the JS peers (hash-wasm + DecompressionStream, hash-wasm + fflate,
// DecompressionStream alone) and the native pipeline `curl | tee >(sha256sum) | gzip -dc |
// sha256sum`, interleaved run by run on the same layers; then the core's kernels natively and in
// wasm, also run by run; then wasm memory over a big layer. Every method's digests are checked against the rig's truth (from
// sha256sum), so a figure is only kept for a method that computed the right answer.
//
// Usage: node run.mjs <plan.json> <out.json> (the plan is written by xtask; see `Plan` there).

import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dirFiles, launchChromium, serve } from "../e2e/support/browser.mjs";
import { packageFiles } from "../e2e/support/package.mjs";

const plan = JSON.parse(readFileSync(process.argv[2], "utf8"));
const modules = new URL("./node_modules/", import.meta.url);

/** The page: the package under /pkg/, the kernels under /kernels/, the peers under /vendor/. */
const SCRIPT = `
  import init, { Client } from "./pkg/index.js";
  import initKernels, { Kernels } from "./kernels/regsight_bench_kernels.js";
  import { createSHA256 } from "./vendor/hash-wasm.js";
  import { Gunzip } from "./vendor/fflate.js";

  const hex = (h) => "sha256:" + h.digest("hex");
  const settle = () => new Promise((r) => setTimeout(r, 0));

  // Reads a body to its end, handing each chunk to onChunk; returns the byte count.
  async function drain(stream, onChunk) {
    const reader = stream.getReader();
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return bytes;
      bytes += value.length;
      onChunk(value);
    }
  }

  // One layer by one peer: digests (or null when it does not hash) and uncompressed bytes.
  const PEERS = {
    async hashwasmDecompressionStream(url) {
      const compressed = await createSHA256();
      const uncompressed = await createSHA256();
      const body = (await fetch(url, { cache: "no-store" })).body.pipeThrough(
        new TransformStream({ transform(chunk, out) { compressed.update(chunk); out.enqueue(chunk); } }),
      );
      const size = await drain(body.pipeThrough(new DecompressionStream("gzip")), (c) => uncompressed.update(c));
      return { digest: hex(compressed), diffId: hex(uncompressed), size };
    },
    async hashwasmFflate(url) {
      const compressed = await createSHA256();
      const uncompressed = await createSHA256();
      let size = 0;
      const gunzip = new Gunzip((chunk) => { size += chunk.length; uncompressed.update(chunk); });
      await drain((await fetch(url, { cache: "no-store" })).body, (c) => { compressed.update(c); gunzip.push(c); });
      gunzip.push(new Uint8Array(0), true);
      return { digest: hex(compressed), diffId: hex(uncompressed), size };
    },
    async decompressionStream(url) {
      const body = (await fetch(url, { cache: "no-store" })).body;
      const size = await drain(body.pipeThrough(new DecompressionStream("gzip")), () => {});
      return { digest: null, diffId: null, size };
    },
  };

  window.bench = {
    async regsight(reference) {
      await init();
      await settle();
      const longTasks = [];
      const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
      observer.observe({ type: "longtask" });
      const start = performance.now();
      const result = await new Client().verify(reference);
      const ms = performance.now() - start;
      await new Promise((r) => setTimeout(r, 100));
      observer.disconnect();
      return { ms, ok: result.ok, problems: result.problems, diffIds: result.layers.map((l) => l.computedDiffId), longTasks };
    },
    async peer(name, urls) {
      const start = performance.now();
      const layers = [];
      for (const url of urls) layers.push(await PEERS[name](url));
      return { ms: performance.now() - start, layers };
    },
    async loadKernels(digest, diffId) {
      await initKernels();
      const get = async (name) => new Uint8Array(await (await fetch("./data/" + name, { cache: "no-store" })).arrayBuffer());
      window.kernels = new Kernels(await get("layer.gz"), await get("layer.tar"), await get("layer.tar.zst"), digest, diffId);
    },
    // One run of every kernel: name -> milliseconds.
    kernelRun() {
      const times = {};
      for (const name of Kernels.names()) {
        const start = performance.now();
        window.kernels.run(name);
        times[name] = performance.now() - start;
      }
      return times;
    },
    // wasm memory of an in-process client (the workers run the same verifier) after a warm-up
    // image and after a big one.
    async memory(warmup, big) {
      const wasm = await init();
      const client = new Client({ workers: false });
      const first = await client.verify(warmup);
      const afterWarmup = wasm.memory.buffer.byteLength;
      const second = await client.verify(big);
      return {
        ok: first.ok && second.ok,
        problems: [...first.problems, ...second.problems],
        afterWarmupBytes: afterWarmup,
        afterBigBytes: wasm.memory.buffer.byteLength,
        layerUncompressedBytes: second.layers.reduce((n, l) => n + l.uncompressedBytes, 0),
      };
    },
  };
  window.ready = true;
`;

/** Serves the harness page, the package, the kernels, the peers and the kernels' data. */
async function servePage() {
  const file = (type, path) => [type, readFileSync(path)];
  const js = "text/javascript";
  const files = {
    "/": ["text/html", `<!doctype html><meta charset="utf-8"><title>regsight bench</title>\n<script type="module">${SCRIPT}</script>`],
    ...packageFiles(),
    "/vendor/hash-wasm.js": file(js, new URL("hash-wasm/dist/index.esm.js", modules)),
    "/vendor/fflate.js": file(js, new URL("fflate/esm/browser.js", modules)),
  };
  for (const [path, body] of Object.entries(dirFiles(plan.kernelsWasm))) files[`/kernels${path}`] = body;
  for (const name of ["layer.gz", "layer.tar", "layer.tar.zst"]) {
    files[`/data/${name}`] = file("application/octet-stream", join(plan.kernelData.dir, name));
  }
  return serve(files);
}

/** Runs `program` with `args`; resolves to its stdout and wall time once it has exited and closed it. */
function command(program, args) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = performance.now() - start;
      if (code !== 0) reject(new Error(`${program} ${args.join(" ")} exited with ${code}`));
      else resolve({ ms, out });
    });
  });
}

/**
 * The native pipeline over one layer: its time and the two digests sha256sum printed. The first
 * sha256sum writes to fd 3 (our stdout): written as `tee >(sha256sum)` its line would go down the
 * pipe into gzip.
 */
async function nativePipeline(url) {
  const script = `{ curl -sf ${url} | tee >(sha256sum >&3) | gzip -dc | sha256sum; } 3>&1`;
  const { ms, out } = await command("bash", ["-o", "pipefail", "-c", script]);
  return { ms, digests: out.trim().split("\n").map((l) => `sha256:${l.split(" ")[0]}`) };
}

/** One run of the native kernels (`plan.nativeKernels`: the release binary and its arguments). */
async function nativeKernels() {
  const [binary, ...args] = plan.nativeKernels;
  const { out } = await command(binary, [...args, "--runs", "1"]);
  return Object.fromEntries(Object.entries(JSON.parse(out)).map(([name, [ms]]) => [name, ms]));
}

/** Fails unless `got` (sorted digests) equals `want`: a method's figure counts only when it is right. */
function check(method, image, got, want) {
  const a = JSON.stringify(got);
  const b = JSON.stringify(want);
  if (a !== b) throw new Error(`${method} on ${image.name}: computed ${a}, expected ${b}`);
}

const blobUrl = (image, layer) => `${plan.registry}/v2/${image.repository}/blobs/${layer.digest}`;

/** One run of every method on one image; appends each time to `figures`. */
async function runImage(page, sitePage, image, figures) {
  const urls = image.layers.map((l) => blobUrl(image, l));
  const diffIds = image.layers.map((l) => l.diffId);
  const add = (method, ms) => (figures[method] ??= []).push(ms);

  const native = { ms: 0, digests: [] };
  for (const url of urls) {
    const one = await nativePipeline(url);
    native.ms += one.ms;
    native.digests.push(...one.digests);
  }
  check("native pipeline", image, native.digests.sort(), [...image.layers.map((l) => l.digest), ...diffIds].sort());
  add("native", native.ms);

  const regsight = await page.evaluate((ref) => window.bench.regsight(ref), image.reference);
  if (!regsight.ok) throw new Error(`regsight on ${image.name}: ${regsight.problems.join("; ")}`);
  check("regsight", image, regsight.diffIds, diffIds);
  add("regsight", regsight.ms);
  (figures.longTasks ??= []).push(regsight.longTasks);

  if (sitePage) {
    add("regsightPage", await sitePage(image, "deep link"));
    add("regsightPageLoaded", await sitePage(image, "loaded"));
  }

  for (const peer of ["hashwasmDecompressionStream", "hashwasmFflate", "decompressionStream"]) {
    const run = await page.evaluate(([name, list]) => window.bench.peer(name, list), [peer, urls]);
    const sizes = run.layers.map((l) => l.size);
    check(peer, image, sizes, image.layers.map((l) => l.uncompressedSize));
    if (run.layers[0].digest !== null) {
      check(peer, image, run.layers.map((l) => [l.digest, l.diffId]).flat(), image.layers.map((l) => [l.digest, l.diffId]).flat());
    }
    add(peer, run.ms);
  }
}

/**
 * A function timing the page dist/ on one image, two ways. `"deep link"`: from its first registry
 * request to the verdict `verified` after a `verify=1` deep link, so the page's own start (and the
 * browser's housekeeping around a new page) runs alongside. `"loaded"`: the page opened on the
 * image, inspected and left idle for a second (as a person reads before pressing), then from a
 * click on Verify to the verdict. Both ends are read from the page's clock (no round trip to the harness is counted).
 */
function pageTimer(browser, origin) {
  // The verdict's time once it says verified or failed, else null (so waitForFunction polls on).
  const verdictTime = () =>
    /verified|failed/.test(document.querySelector('[data-testid="verdict"]')?.textContent ?? "")
      ? performance.now()
      : null;
  const wait = { timeout: 600_000, polling: "raf" };
  return async (image, how) => {
    const page = await browser.newPage();
    const query = `image=${encodeURIComponent(image.reference)}`;
    let start;
    if (how === "loaded") {
      await page.goto(`${origin}/?${query}`);
      // Inspected: the verdict invites a Verify.
      await page.waitForFunction(
        () => /not checked yet/.test(document.querySelector('[data-testid="verdict"]')?.textContent ?? ""),
        null,
        wait,
      );
      await page.waitForTimeout(1000);
      start = await page.evaluate(() => {
        document.querySelector('[data-testid="verify"]').click();
        return performance.now();
      });
    } else {
      await page.goto(`${origin}/?${query}&verify=1`);
    }
    const end = await (await page.waitForFunction(verdictTime, null, wait)).jsonValue();
    const verdict = await page.evaluate(() => document.querySelector('[data-testid="verdict"]').textContent);
    if (start === undefined) {
      start = await page.evaluate(
        (registry) => performance.getEntriesByType("resource").find((e) => e.name.startsWith(registry))?.startTime ?? 0,
        plan.registry,
      );
    }
    await page.close();
    if (!/^verified/.test(verdict)) {
      throw new Error(`the page (${how}) on ${image.name}: ${verdict}`);
    }
    return end - start;
  };
}

const site = await servePage();
const dist = plan.dist ? await serve(dirFiles(plan.dist)) : null;
// No disk cache: every method reads every layer from the registry, as curl does.
const browser = await launchChromium(["--disk-cache-size=1", "--media-cache-size=1"]);
const out = { browser: browser.version(), images: {}, kernels: null, memory: null };
try {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`${site.origin}/`);
  await page.waitForFunction(() => window.ready === true);
  const sitePage = dist ? pageTimer(browser, dist.origin) : null;
  for (const image of plan.images) out.images[image.name] = {};
  for (let run = 0; run < plan.runs; run++) {
    for (const image of plan.images) {
      console.log(`bench: run ${run + 1}/${plan.runs}, ${image.name}`);
      await runImage(page, sitePage, image, out.images[image.name]);
    }
  }
  console.log("bench: kernels, native and in wasm, run by run");
  const k = plan.kernelData;
  await page.evaluate(([digest, diffId]) => window.bench.loadKernels(digest, diffId), [k.digest, k.diffId]);
  out.kernels = { native: {}, wasm: {} };
  for (let run = 0; run < plan.runs; run++) {
    const times = { native: await nativeKernels(), wasm: await page.evaluate(() => window.bench.kernelRun()) };
    for (const side of ["native", "wasm"]) {
      for (const [name, ms] of Object.entries(times[side])) (out.kernels[side][name] ??= []).push(ms);
    }
  }
  if (plan.memory) {
    console.log("bench: wasm memory over the big layer");
    const memoryPage = await browser.newPage();
    await memoryPage.goto(`${site.origin}/`);
    await memoryPage.waitForFunction(() => window.ready === true);
    out.memory = await memoryPage.evaluate(([a, b]) => window.bench.memory(a, b), [plan.memory.warmup, plan.memory.big]);
    if (!out.memory.ok) throw new Error(`memory run: ${out.memory.problems.join("; ")}`);
  }
  if (errors.length) throw new Error(`errors on the bench page: ${errors.join("; ")}`);
} finally {
  await browser.close();
  await site.close();
  await dist?.close();
}
writeFileSync(process.argv[3], JSON.stringify(out, null, 2));
