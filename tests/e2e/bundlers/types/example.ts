// Every call of the regsight package and every field of its results, as an embedder would use
// them; `tsc --strict` must accept it (no `any` leaks into chain or files).
import init, {
  Client,
  parseReference,
  version,
  type ChainReport,
  type Check,
  type DocumentCheck,
  type LayerLink,
  type LayerProgress,
  type LayerResult,
  type ManifestResult,
  type ParsedReference,
  type TarEntry,
  type TarListing,
  type VerifyResult,
} from "regsight";

export async function example(): Promise<string[]> {
  await init();
  const out: string[] = [version()];
  const parsed: ParsedReference = parseReference("python:2.7");
  out.push(parsed.registry, parsed.repository, parsed.tag ?? "", parsed.digest ?? "", parsed.familiar, parsed.canonical);

  const client = new Client({
    mirrors: { "docker.io": "/registries/docker.io" },
    credentials: { "registry.example": { username: "me", password: "secret" }, "ghcr.io": { token: "t" } },
    platform: "linux/arm64/v8",
    concurrency: 2,
    limits: { maxTags: 50_000, maxUncompressedSize: 1 << 30, maxRatio: 100, ratioFloor: 1 << 20, maxZstdWindow: 1 << 27 },
    timeouts: { headersMs: 10_000, idleMs: 20_000 },
    workers: () => new Worker(new URL("./worker.js", import.meta.url), { type: "module" }),
  });
  const controller = new AbortController();
  const tags: string[] = await client.tags("python", { signal: controller.signal });
  out.push(...tags);

  const manifest: ManifestResult = await client.manifest("python:2.7", { platform: "linux/amd64" });
  out.push(manifest.mediaType, manifest.digest, manifest.headerDigest ?? "", String(manifest.headerMatches));
  out.push(String(manifest.size), manifest.raw, JSON.stringify(manifest.json), ...(manifest.platforms ?? []));
  out.push(manifest.platform ?? "", manifest.resolved?.digest ?? "");

  const config = await client.config("python:2.7");
  out.push(config.digest, String(config.size), JSON.stringify(config.json));

  const result: VerifyResult = await client.verify("python:2.7", {
    platform: "linux/amd64",
    signal: controller.signal,
    listFiles: true,
    expectImageId: "f67e752245d6",
    onProgress: (p: LayerProgress) => out.push(`${p.layer} ${p.bytes}/${p.total} ${p.uncompressedBytes} ${p.phase}`),
  });
  out.push(String(result.ok), result.verdict, result.reference, result.pinnedReference);
  out.push(result.source.origin, String(result.source.viaMirror), String(result.source.pinned));
  out.push(result.indexDigest ?? "", result.manifestDigest, result.platform ?? "", result.imageId ?? "");
  out.push(String(result.imageIdMatch), result.config?.digest ?? "", String(result.config?.ok), ...result.problems);
  for (const layer of result.layers) out.push(...describeLayer(layer));
  out.push(...describeChain(result.chain));
  return out;
}

/** Every layer status, spelled out (the switch is exhaustive under --strict). */
function statusWord(status: LayerResult["status"]): string {
  switch (status) {
    case "ok":
      return "verified";
    case "mismatch":
      return "not what was claimed";
    case "error":
      return "not checked";
  }
}

function describeLayer(layer: LayerResult): string[] {
  const lines = [
    `${layer.index} ${layer.mediaType} ${layer.digest} ${layer.size} ${layer.diffId ?? ""}`,
    `${layer.computedDigest ?? ""} ${layer.computedDiffId ?? ""} ${layer.bytes} ${layer.uncompressedBytes} ${layer.ok}`,
    statusWord(layer.status),
    `${layer.error?.code ?? ""} ${layer.error?.message ?? ""}`,
    ...layer.otherErrors.map((e) => `${e.code}: ${e.message}`),
  ];
  if (layer.files) lines.push(...describeFiles(layer.files));
  return lines;
}

function describeFiles(files: TarListing): string[] {
  const entry = (e: TarEntry): string => {
    const whiteout = e.whiteout === null ? "" : e.whiteout.kind === "remove" ? e.whiteout.target : e.whiteout.dir;
    return `${e.path} ${e.kind} ${e.size} ${e.mode} ${e.uid}:${e.gid} ${e.mtime} ${e.linkTarget ?? ""} ${whiteout} ${e.sparse}`;
  };
  return [
    `${files.totalEntries} ${files.truncated} ${files.endOfArchive} ${files.error?.code ?? ""}`,
    ...files.entries.map(entry),
  ];
}

function describeChain(chain: ChainReport): string[] {
  const doc = (d: DocumentCheck | null): string =>
    d === null
      ? "-"
      : `${d.computed} ${d.size} ${d.headerDigest ?? ""} ${d.header} ${d.expectedDigest ?? ""} ${d.expected} ${d.expectedSize ?? ""} ${d.sizeCheck}`;
  const check: Check = chain.imageId;
  const link = (l: LayerLink): string =>
    `${l.index} ${l.descriptor.mediaType} ${l.descriptor.digest} ${l.descriptor.size} ${l.descriptor.platform?.architecture ?? ""} ${l.diffId ?? ""} ${l.status} ${l.problem ?? ""}`;
  return [chain.verdict, doc(chain.index), doc(chain.manifest), doc(chain.config), check, ...chain.layers.map(link), ...chain.problems];
}

// `any` would accept everything above: prove the result fields that used to be `any` are typed.
type IsAny<T> = 0 extends 1 & T ? true : false;
export const chainIsTyped: IsAny<VerifyResult["chain"]> = false;
export const filesAreTyped: IsAny<NonNullable<LayerResult["files"]>> = false;
export const descriptorIsTyped: IsAny<LayerLink["descriptor"]> = false;
