import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A FAKE Kubernetes API server (no cluster runs here) for the one resource the proxy
 * watches, discovery.k8s.io/v1 EndpointSlices, speaking the real list/watch wire protocol:
 *  - LIST  GET /apis/discovery.k8s.io/v1/namespaces/<ns>/endpointslices?labelSelector=kubernetes.io/service-name=<svc>
 *    -> EndpointSliceList with metadata.resourceVersion;
 *  - WATCH the same with watch=1&resourceVersion=<rv>[&allowWatchBookmarks=true][&timeoutSeconds=N]
 *    -> a chunked stream of one JSON event per line ({type: ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, object}),
 *    replaying events newer than rv, then live ones;
 *  - a resourceVersion older than the compacted history -> an ERROR event carrying a
 *    Status with code 410 (reason Expired), as the real server sends it;
 *  - bearer-token auth (401 Status otherwise).
 */

export type TSliceEndpoint = { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } };
export type TSliceSpec = { name: string; service: string; namespace?: string; addressType?: string; ports: { name?: string; port: number }[]; endpoints: TSliceEndpoint[] };

type TEvent = { rv: number; type: "ADDED" | "MODIFIED" | "DELETED"; object: Record<string, unknown>; ns: string; service: string };
type TWatch = { ns: string; service: string; bookmarks: boolean; res: ServerResponse };

export type TFakeKubeApi = {
  readonly url: string;
  /** "LIST" or "WATCH rv=<n> bookmarks=<bool>" per request, in order. */
  readonly requests: string[];
  apply(slice: TSliceSpec): void;
  remove(name: string, namespace?: string): void;
  /** Sends a BOOKMARK with the current resourceVersion on every open watch that asked for bookmarks. */
  bookmark(): void;
  /** Compacts history and ends every open watch with a 410 Expired ERROR event (the client must re-list). */
  expireWatches(): void;
  close(): Promise<void>;
};

const PATH = /^\/apis\/discovery\.k8s\.io\/v1\/namespaces\/([^/]+)\/endpointslices$/;

export async function startFakeKubeApi(token: string): Promise<TFakeKubeApi> {
  let rv = 1000;
  let compactedThrough = 0;
  const slices = new Map<string, { object: Record<string, unknown>; ns: string; service: string }>();
  const history: TEvent[] = [];
  const watches = new Set<TWatch>();
  const requests: string[] = [];

  const toObject = (s: TSliceSpec, version: number) => ({
    kind: "EndpointSlice",
    apiVersion: "discovery.k8s.io/v1",
    metadata: { name: s.name, namespace: s.namespace ?? "default", resourceVersion: String(version), labels: { "kubernetes.io/service-name": s.service } },
    addressType: s.addressType ?? "IPv4",
    ports: s.ports.map((p) => ({ name: p.name ?? "", port: p.port, protocol: "TCP" })),
    endpoints: s.endpoints,
  });
  const emit = (ev: TEvent) => {
    history.push(ev);
    for (const w of watches) if (w.ns === ev.ns && w.service === ev.service) w.res.write(JSON.stringify({ type: ev.type, object: ev.object }) + "\n");
  };
  const status = (res: ServerResponse, code: number, reason: string, message: string) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://kube");
    const m = PATH.exec(url.pathname);
    if (req.headers.authorization !== `Bearer ${token}`) return status(res, 401, "Unauthorized", "Unauthorized");
    if (req.method !== "GET" || !m) return status(res, 404, "NotFound", "the server could not find the requested resource");
    const ns = decodeURIComponent(m[1] as string);
    const sel = /^kubernetes\.io\/service-name=(.+)$/.exec(url.searchParams.get("labelSelector") ?? "");
    const service = sel?.[1] ?? "";
    const matches = (x: { ns: string; service: string }) => x.ns === ns && (!sel || x.service === service);

    if (url.searchParams.get("watch") !== "1" && url.searchParams.get("watch") !== "true") {
      requests.push("LIST");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "EndpointSliceList",
          apiVersion: "discovery.k8s.io/v1",
          metadata: { resourceVersion: String(rv) },
          items: [...slices.values()].filter(matches).map((s) => s.object),
        }),
      );
      return;
    }
    const from = Number(url.searchParams.get("resourceVersion") ?? "0");
    const bookmarks = url.searchParams.get("allowWatchBookmarks") === "true";
    requests.push(`WATCH rv=${from} bookmarks=${bookmarks}`);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    if (from < compactedThrough) {
      res.end(JSON.stringify({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: `too old resource version: ${from} (${compactedThrough})`, reason: "Expired", code: 410 } }) + "\n");
      return;
    }
    for (const ev of history) if (ev.rv > from && matches(ev)) res.write(JSON.stringify({ type: ev.type, object: ev.object }) + "\n");
    const w: TWatch = { ns, service, bookmarks, res };
    watches.add(w);
    const timeoutS = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    const timer = timeoutS > 0 ? setTimeout(() => res.end(), timeoutS * 1000) : null;
    res.on("close", () => {
      if (timer) clearTimeout(timer);
      watches.delete(w);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    apply(spec) {
      const ns = spec.namespace ?? "default";
      const key = `${ns}/${spec.name}`;
      const type = slices.has(key) ? "MODIFIED" : "ADDED";
      const object = toObject(spec, ++rv);
      slices.set(key, { object, ns, service: spec.service });
      emit({ rv, type, object, ns, service: spec.service });
    },
    remove(name, namespace = "default") {
      const key = `${namespace}/${name}`;
      const s = slices.get(key);
      if (!s) return;
      slices.delete(key);
      const object = { ...s.object, metadata: { ...(s.object.metadata as object), resourceVersion: String(++rv) } };
      emit({ rv, type: "DELETED", object, ns: s.ns, service: s.service });
    },
    bookmark() {
      for (const w of watches) {
        if (w.bookmarks) w.res.write(JSON.stringify({ type: "BOOKMARK", object: { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", metadata: { resourceVersion: String(rv) } } }) + "\n");
      }
    },
    expireWatches() {
      compactedThrough = rv;
      history.length = 0;
      for (const w of [...watches]) {
        w.res.end(JSON.stringify({ type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "too old resource version", reason: "Expired", code: 410 } }) + "\n");
        watches.delete(w);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const w of watches) w.res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
