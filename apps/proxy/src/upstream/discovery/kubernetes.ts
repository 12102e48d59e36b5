import type { TCluster, TEndpoint } from "@switchyard/config-model";
import { Agent, request } from "undici";
import { z } from "zod";
import { loadKubeAccess, type TKubeAccess, type TKubeAccessSpec } from "./kube-config.ts";
import { parseJsonOrNull } from "./json.ts";
import type { TDiscoverySink, TDiscoverySource } from "./types.ts";

/**
 * discovery: kubernetes. Watches the EndpointSlices of one Service
 * (`labelSelector=kubernetes.io/service-name=<service>`) the way client-go's reflector
 * does: LIST (remember resourceVersion) -> WATCH from it with bookmarks -> on a watch
 * that ends, WATCH again from the last resourceVersion seen (events or BOOKMARKs);
 * on 410 Gone (HTTP status or an ERROR event) the version is too old: LIST again.
 *
 * Which addresses serve (EndpointSlice conditions): `ready` (absent counts as true;
 * a terminating endpoint is never ready) are the endpoints. When none is ready, endpoints
 * that are `serving` while `terminating` are used instead (kube-proxy's fallback), so a
 * rollout's last old pods still answer. FQDN slices are ignored.
 *
 * Needs RBAC get/list/watch on endpointslices.discovery.k8s.io in the namespace.
 */

/** Server-side watch timeout; the watch is then resumed from the last resourceVersion. */
const WATCH_TIMEOUT_S = 240;
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 10_000;

const ZSlice = z
  .object({
    metadata: z.object({ name: z.string(), resourceVersion: z.string().optional() }).loose(),
    addressType: z.string().default("IPv4"),
    endpoints: z
      .array(
        z
          .object({
            addresses: z.array(z.string()).default([]),
            conditions: z.object({ ready: z.boolean().nullish(), serving: z.boolean().nullish(), terminating: z.boolean().nullish() }).loose().default({}),
          })
          .loose(),
      )
      .nullish(),
    ports: z.array(z.object({ name: z.string().nullish(), port: z.number().int().nullish() }).loose()).nullish(),
  })
  .loose();
type TSlice = z.infer<typeof ZSlice>;

const ZList = z.object({ metadata: z.object({ resourceVersion: z.string() }).loose(), items: z.array(ZSlice) }).loose();
const ZEvent = z.object({
  type: z.enum(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]),
  object: z.object({ metadata: z.object({ resourceVersion: z.string().optional() }).loose().optional(), code: z.number().optional(), message: z.string().optional() }).loose(),
});

class GoneError extends Error {}

export function createKubernetesSource(cluster: TCluster, spec: TKubeAccessSpec | null, sink: TDiscoverySink): TDiscoverySource {
  const k = cluster.kubernetes as NonNullable<TCluster["kubernetes"]>;
  const basePath = `/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(k.namespace)}/endpointslices`;
  const selector = `kubernetes.io/service-name=${k.service}`;
  const slices = new Map<string, TSlice>();
  const abort = new AbortController();
  let stopped = false;
  let access: TKubeAccess | null = null;
  let agent: Agent | null = null;
  let firstDone: (() => void) | null = null;
  const first = new Promise<void>((resolve) => (firstDone = resolve));

  const describe = () => `kubernetes ${k.namespace}/${k.service} port ${k.port}${access ? ` (${access.origin})` : spec ? "" : " (no API server configured)"}`;

  async function get(query: Record<string, string>) {
    const a = access as TKubeAccess;
    const token = await a.token();
    const qs = new URLSearchParams({ labelSelector: selector, ...query });
    return request(`${a.server}${basePath}?${qs}`, {
      method: "GET",
      dispatcher: agent as Agent,
      headers: { accept: "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      signal: abort.signal,
      headersTimeout: 30_000,
      // A watch stays open for WATCH_TIMEOUT_S; bookmarks arrive about once a minute.
      bodyTimeout: (WATCH_TIMEOUT_S + 30) * 1000,
    });
  }

  function publish(): void {
    sink.update(endpointsOf(slices.values(), k.port));
  }

  async function list(): Promise<string> {
    const res = await get({});
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`LIST ${basePath}: HTTP ${res.statusCode}${statusMessage(text)}`);
    const parsed = ZList.parse(parseJsonOrNull(text));
    slices.clear();
    for (const s of parsed.items) slices.set(s.metadata.name, s);
    publish();
    firstDone?.();
    return parsed.metadata.resourceVersion;
  }

  /** Follows one watch; returns the last resourceVersion seen. Throws GoneError on 410. */
  async function watch(rv: string): Promise<string> {
    const res = await get({ watch: "1", resourceVersion: rv, allowWatchBookmarks: "true", timeoutSeconds: String(WATCH_TIMEOUT_S) });
    if (res.statusCode === 410) {
      await res.body.dump();
      throw new GoneError("410 Gone");
    }
    if (res.statusCode !== 200) throw new Error(`WATCH ${basePath}: HTTP ${res.statusCode}${statusMessage(await res.body.text())}`);
    let buffered = "";
    for await (const chunk of res.body) {
      buffered += (chunk as Buffer).toString("utf8");
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) rv = onEvent(line, rv);
      }
    }
    return rv;
  }

  function onEvent(line: string, rv: string): string {
    const ev = ZEvent.parse(JSON.parse(line));
    if (ev.type === "ERROR") {
      if (ev.object.code === 410) throw new GoneError(ev.object.message ?? "410 Gone");
      throw new Error(`watch error ${ev.object.code ?? ""}: ${ev.object.message ?? ""}`);
    }
    const next = ev.object.metadata?.resourceVersion ?? rv;
    if (ev.type === "BOOKMARK") return next;
    const slice = ZSlice.parse(ev.object);
    if (ev.type === "DELETED") slices.delete(slice.metadata.name);
    else slices.set(slice.metadata.name, slice);
    publish();
    return next;
  }

  async function loop(): Promise<void> {
    let retryMs = RETRY_BASE_MS;
    let rv: string | null = null;
    while (!stopped) {
      try {
        if (!spec) throw new Error("no Kubernetes API server: run in a pod (service account) or pass --kubeconfig / KUBECONFIG");
        if (!access) {
          access = await loadKubeAccess(spec);
          agent = new Agent({ connect: access.tls });
        }
        rv ??= await list();
        rv = await watch(rv);
        retryMs = RETRY_BASE_MS;
      } catch (err) {
        if (stopped) break;
        if (err instanceof GoneError) {
          sink.log("kubernetes_watch_gone", { cluster: cluster.name, resourceVersion: rv });
          rv = null;
          continue;
        }
        sink.fail((err as Error).message);
        firstDone?.();
        rv = null;
        await sleep(retryMs);
        retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
      }
    }
    firstDone?.();
  }

  return {
    describe,
    start() {
      void loop();
      return first;
    },
    stop() {
      stopped = true;
      abort.abort();
      void agent?.close().catch(() => undefined);
    },
  };
}

/** Endpoints of the slices for one port (name or number); ready first, serving+terminating as the fallback. */
export function endpointsOf(slices: Iterable<TSlice>, port: string | number): TEndpoint[] {
  const ready: TEndpoint[] = [];
  const fallback: TEndpoint[] = [];
  for (const s of slices) {
    if (s.addressType !== "IPv4" && s.addressType !== "IPv6") continue;
    const p = (s.ports ?? []).find((sp) => (typeof port === "number" ? sp.port === port : sp.name === port));
    if (!p || typeof p.port !== "number") continue;
    for (const e of s.endpoints ?? []) {
      const c = e.conditions;
      const isReady = c.ready !== false && c.terminating !== true;
      const drainingButServing = c.serving === true && c.terminating === true;
      for (const address of e.addresses) {
        if (isReady) ready.push({ address, port: p.port, weight: 1 });
        else if (drainingButServing) fallback.push({ address, port: p.port, weight: 1 });
      }
    }
  }
  return ready.length ? ready : fallback;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The `message` of a Kubernetes Status answer ("endpointslices is forbidden: ..."), else
 * nothing: errors reach the console's cluster page, and a body that is not the API
 * server's own Status is never echoed there (issue #20).
 */
function statusMessage(text: string): string {
  const status = parseJsonOrNull(text) as { kind?: unknown; message?: unknown } | null;
  return status && status.kind === "Status" && typeof status.message === "string" ? `: ${status.message.slice(0, 300)}` : "";
}
